// The outbox relay: how a switch instance publishes to the shared JetStream stream without putting NATS in the
// authorization path. The engine appends to its local LMDB stream inside the journal transaction; this consumer
// forwards each record to JetStream (Nats-Msg-Id = record id) and stores its offset in the instance's LMDB only
// after the publish was acknowledged. A crash between ack and offset re-publishes at most one batch, which
// JetStream's duplicate window drops and the ledger poster skips by record id anyway.
import type { SettledStream } from './api.js';
import { getOffset, setOffsetInTxn, type OffsetDb, type StreamConsumer } from './consumer.js';
import type { SettledRecord } from './types.js';

export class StreamRelay implements StreamConsumer {
  readonly name: string;
  constructor(
    private readonly target: SettledStream,
    private readonly offsets: OffsetDb,
    name = `relay-${target.kind}`,
  ) {
    this.name = name;
  }

  offset(): number {
    return getOffset(this.offsets, this.name);
  }

  async apply(records: SettledRecord[]): Promise<void> {
    const from = this.offset();
    let last = from;
    for (const r of records) {
      if (r.seq <= from) continue;
      const { seq: _local, businessDate: _bd, ...rest } = r;
      await this.target.append(rest);
      last = r.seq;
    }
    if (last > from) {
      this.offsets.transactionSync(() => setOffsetInTxn(this.offsets, this.name, last));
      await this.offsets.flushed;
    }
  }
}
