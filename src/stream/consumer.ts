// Stream consumers (ledger poster, settlement batcher, reconciliation, webhooks): each keeps its own offset in
// LMDB, stored in the SAME transaction as the effects of the records it applied, so a crash resumes exactly where
// it stopped and nothing is applied twice. Pull-based: a consumer reads bounded batches at its own pace, so a slow
// consumer never slows the appenders (authorizations) and the durable stream keeps every record until trimmed.
import type { Database } from 'lmdb';
import { metrics } from '../metrics/registry.js';
import { MAX_READ, type SettledStream } from './api.js';
import type { SettledRecord } from './types.js';

const lagGauge = metrics.gauge('gerbang_stream_consumer_lag', 'Settled records appended but not yet applied, per consumer');
const appliedCounter = metrics.counter('gerbang_stream_consumer_applied_total', 'Settled records applied, per consumer');

/** Offsets database: consumer name → last applied sequence. */
export type OffsetDb = Database<number, string>;

export function getOffset(db: OffsetDb, name: string): number {
  return db.get(`offset|${name}`) ?? 0;
}

/** Stores a consumer's offset; call inside the write transaction that applies the records. Never moves back. */
export function setOffsetInTxn(db: OffsetDb, name: string, seq: number): void {
  const prev = getOffset(db, name);
  if (seq < prev) throw new Error(`consumer ${name}: offset would move back from ${prev} to ${seq}`);
  db.putSync(`offset|${name}`, seq);
}

export interface StreamConsumer {
  readonly name: string;
  /** Last sequence applied, durably (0 before the first). */
  offset(): number;
  /**
   * Applies records (ascending seq; seqs ≤ offset() may appear after a restart and must be skipped) exactly once,
   * storing the new offset in the same transaction. Idempotent by record id as a second line of defence.
   */
  apply(records: SettledRecord[]): Promise<void>;
}

export interface DrainOptions {
  /** Records per read and per apply transaction (default 5,000; at most MAX_READ). */
  batchSize?: number;
  /** Stop once the offset reaches this sequence (default: the stream's last sequence when the drain started). */
  upToSeq?: number;
}

/** Applies everything up to the stream's current end (or `upToSeq`); resolves to the number of records read. */
export async function drainConsumer(stream: SettledStream, consumer: StreamConsumer, opts: DrainOptions = {}): Promise<number> {
  const batchSize = Math.min(opts.batchSize ?? 5_000, MAX_READ);
  if (batchSize < 1) throw new Error('batchSize must be ≥ 1');
  const target = opts.upToSeq ?? (await stream.lastSeq());
  let read = 0;
  while (consumer.offset() < target) {
    const from = consumer.offset() + 1;
    const batch = await stream.read(from, Math.min(batchSize, target - from + 1));
    if (batch.length === 0) break; // trimmed or not yet visible: never spin
    await consumer.apply(batch);
    read += batch.length;
    appliedCounter.inc({ consumer: consumer.name }, batch.length);
  }
  lagGauge.set(Math.max(0, (await stream.lastSeq()) - consumer.offset()), { consumer: consumer.name });
  return read;
}

export interface RunningConsumer {
  /** Stops after the batch in flight; resolves when it has. */
  stop(): Promise<void>;
  /** Resolves once the consumer has applied everything appended before this call. */
  caughtUp(): Promise<void>;
}

/**
 * Runs a consumer in the background: drains, then polls every `idleMs` (default 200 ms). An apply error is
 * logged once per distinct message and retried after a back-off (bounded at 30 s), never lost or skipped.
 */
export function startConsumer(
  stream: SettledStream,
  consumer: StreamConsumer,
  opts: { batchSize?: number; idleMs?: number; log?: (msg: string) => void } = {},
): RunningConsumer {
  const idleMs = opts.idleMs ?? 200;
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  let stopping = false;
  let backoff = idleMs;
  let lastError = '';
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopping) {
      try {
        const n = await drainConsumer(stream, consumer, { batchSize: opts.batchSize });
        backoff = idleMs;
        lastError = '';
        if (n === 0) await sleep(idleMs);
      } catch (e) {
        const msg = `consumer ${consumer.name}: ${(e as Error).message}`;
        if (msg !== lastError) log(msg);
        lastError = msg;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
    async caughtUp() {
      const target = await stream.lastSeq();
      const deadline = Date.now() + 60_000;
      while (consumer.offset() < target) {
        if (Date.now() > deadline) throw new Error(`consumer ${consumer.name} did not catch up to ${target}`);
        wake?.();
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
