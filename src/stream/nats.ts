// The settled-record stream on NATS JetStream: several switch instances publish to one stream and one
// settlement/reconciliation service consumes it. Records are msgpack; the JetStream sequence is the record's seq
// (monotonic; gaps only where a message was deleted). Publishing sets Nats-Msg-Id = record id, so JetStream's
// duplicate window drops a re-publish of the same event; consumers stay idempotent by record id beyond that window.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { pack, unpack } from 'msgpackr';
import { MAX_READ, type SettledStream } from './api.js';
import { assertValidRecord, type NewSettledRecord, type SettledRecord } from './types.js';

export interface NatsStreamOptions {
  /** nats://host:port (default nats://127.0.0.1:4222). */
  servers?: string;
  /** JetStream stream name (default GERBANG_SETTLED). */
  stream?: string;
  /** Subject the records are published on (default gerbang.settled). */
  subject?: string;
  /** Duplicate window for Nats-Msg-Id de-duplication (default 2 minutes). */
  duplicateWindowMs?: number;
  /** Connection timeout (default 2 s). */
  timeoutMs?: number;
}

export class NatsSettledStream implements SettledStream {
  readonly kind = 'nats';
  private reader: { consumer: Consumer; next: number } | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly streamName: string,
    readonly subject: string,
  ) {}

  /** Connects and creates the stream when missing (file storage, limits retention). */
  static async open(opts: NatsStreamOptions = {}): Promise<NatsSettledStream> {
    const nc = await connect({ servers: opts.servers ?? 'nats://127.0.0.1:4222', timeout: opts.timeoutMs ?? 2_000, maxReconnectAttempts: 10 });
    try {
      const jsm = await jetstreamManager(nc);
      const name = opts.stream ?? 'GERBANG_SETTLED';
      const subject = opts.subject ?? 'gerbang.settled';
      const duplicate_window = (opts.duplicateWindowMs ?? 120_000) * 1_000_000;
      try {
        await jsm.streams.info(name);
      } catch {
        await jsm.streams.add({ name, subjects: [subject], storage: 'file' as never, duplicate_window });
      }
      return new NatsSettledStream(nc, jetstream(nc), jsm, name, subject);
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  async append(record: NewSettledRecord): Promise<number> {
    assertValidRecord(record);
    const ack = await this.js.publish(this.subject, pack(record), { msgID: record.id, expect: { streamName: this.streamName } });
    return ack.seq;
  }

  async read(fromSeq: number, max: number): Promise<SettledRecord[]> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new Error(`read: fromSeq must be ≥ 1, got ${fromSeq}`);
    const last = await this.lastSeq();
    const want = Math.min(Math.max(0, max), MAX_READ, last - fromSeq + 1);
    if (want <= 0) return [];
    // An ordered consumer delivers in sequence order; reuse it while reads continue where the last one stopped.
    if (!this.reader || this.reader.next !== fromSeq) {
      const consumer = await this.js.consumers.get(this.streamName, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq });
      this.reader = { consumer, next: fromSeq };
    }
    const out: SettledRecord[] = [];
    const msgs = await this.reader.consumer.fetch({ max_messages: want, expires: 2_000 });
    for await (const m of msgs) {
      const rec = unpack(m.data) as NewSettledRecord;
      out.push({ ...rec, seq: m.seq });
      if (out.length >= want) break;
    }
    this.reader.next = out.length ? out[out.length - 1].seq + 1 : fromSeq;
    return out;
  }

  async lastSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.streamName);
    return info.state.last_seq;
  }

  /** Deletes the stream (tests). */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.streamName);
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}
