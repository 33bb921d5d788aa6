// The settled-record stream behind one small interface, with two implementations:
// LMDB (embedded, appended inside the journal's write transaction) and NATS JetStream (several switch
// instances publish to one stream; one settlement service consumes it). The same contract tests run on both.
import type { NewSettledRecord, SettledRecord } from './types.js';

/** Largest batch a reader may ask for: bounds the memory one read holds. */
export const MAX_READ = 10_000;

export interface SettledStream {
  /** 'lmdb' or 'nats', for logs and metrics labels. */
  readonly kind: string;
  /**
   * Appends one record and resolves to its sequence number once durable. Idempotent by record id: appending an
   * id again returns the first sequence and stores nothing (LMDB: always; JetStream: within its duplicate window).
   */
  append(record: NewSettledRecord): Promise<number>;
  /** Records with seq ≥ fromSeq in ascending order, at most `max` (≤ MAX_READ); [] when none yet. */
  read(fromSeq: number, max: number): Promise<SettledRecord[]>;
  /**
   * `read` without waiting, where the store allows it (LMDB; NATS has none). Lets the ledger pull small chunks
   * inside its write transaction instead of holding a whole transaction's records at once.
   */
  readSync?(fromSeq: number, max: number): SettledRecord[];
  /** Highest sequence stored (0 when empty). */
  lastSeq(): Promise<number>;
  close(): Promise<void>;
}
