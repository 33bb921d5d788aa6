// The embedded settled-record stream: msgpack records in LMDB keyed by sequence number.
// `appendSettled` is synchronous so the authorization engine calls it INSIDE the write transaction that stores
// the journal record: the record and its stream entry commit together or not at all, so the stream never misses
// or invents an event. The sequence counter and an id → seq index live in the same databases.
import type { Database, RootDatabase } from 'lmdb';
import { MAX_READ, type SettledStream } from './api.js';
import { assertValidRecord, type NewSettledRecord, type SettledRecord } from './types.js';

/** Key of the sequence counter in the records database (strings sort after numbers in ordered-binary keys). */
const SEQ_KEY = '~seq';

export interface SettledStore {
  root: RootDatabase;
  /** seq (number) → SettledRecord, plus the counter under SEQ_KEY. */
  records: Database<SettledRecord | number, number | string>;
  /** record id → seq. */
  ids: Database<number, string>;
}

/** Opens (creating) the stream's two named databases in an existing LMDB environment (it needs 2 free maxDbs). */
export function openSettledStore(root: RootDatabase): SettledStore {
  return {
    root,
    // Shared msgpack structures: each record stores a structure id, not its field names (2× faster to write,
    // 1.5× to read, measured); the structures live under a Symbol key that range reads never return.
    records: root.openDB<SettledRecord | number, number | string>({ name: 'settled', encoding: 'msgpack', sharedStructuresKey: Symbol.for('structures') }),
    ids: root.openDB<number, string>({ name: 'settled-ids', encoding: 'msgpack' }),
  };
}

/**
 * The stream's sequence inside one write transaction: `~seq` read once (on creation), advanced per appended record,
 * written once by `finish` — instead of a get and a put of `~seq` per record. Create it, use it and finish it inside
 * the SAME write transaction. A caller running appends in child transactions sets `last` back to a mark taken before
 * a child that was aborted (the records it numbered were rolled back with it), so no number is skipped or reused.
 */
export class SettledSeqCursor {
  readonly first: number;
  last: number;
  constructor(store: SettledStore) {
    this.first = this.last = lastSettledSeq(store);
  }
  /** Writes `~seq` if it moved (inside the transaction, after the last append). */
  finish(store: SettledStore): void {
    if (this.last !== this.first) void store.records.put(SEQ_KEY, this.last);
  }
}

/**
 * Appends `record` and returns its sequence number. MUST run inside a synchronous LMDB write transaction on the
 * store's environment (`root.transactionSync(() => { ...journal put...; appendSettled(store, rec) })`): outside one
 * its three writes would commit separately, and an append outside the journal's transaction could diverge from it.
 * With `cursor` (created in the same transaction) the sequence comes from it and `~seq` is written by its
 * `finish`, once per transaction; without, `~seq` is read and written here.
 * Idempotent: an id already in the stream returns its existing sequence and writes nothing.
 */
export function appendSettled(store: SettledStore, record: NewSettledRecord, cursor?: SettledSeqCursor): number {
  assertValidRecord(record);
  const existing = store.ids.get(record.id);
  if (existing !== undefined) return existing;
  const seq = cursor ? cursor.last + 1 : lastSettledSeq(store) + 1;
  const stored: SettledRecord = { ...record, seq };
  // put (never putSync: inside an async transaction() callback putSync commits on its own) joins the caller's
  // transaction in both transaction() and transactionSync(); reads in the callback see these writes.
  void store.records.put(seq, stored);
  if (cursor) cursor.last = seq;
  else void store.records.put(SEQ_KEY, seq);
  void store.ids.put(record.id, seq);
  return seq;
}

export function lastSettledSeq(store: SettledStore): number {
  return (store.records.get(SEQ_KEY) as number | undefined) ?? 0;
}

/** Records with seq in [fromSeq, fromSeq + max), ascending. Reads a snapshot; never blocks the writer. */
export function readSettled(store: SettledStore, fromSeq: number, max: number): SettledRecord[] {
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new Error(`readSettled: fromSeq must be ≥ 1, got ${fromSeq}`);
  const limit = Math.min(Math.max(0, max), MAX_READ);
  const out: SettledRecord[] = [];
  if (limit === 0) return out;
  for (const { value } of store.records.getRange({ start: fromSeq, end: Number.MAX_SAFE_INTEGER, limit })) {
    out.push(value as SettledRecord);
  }
  return out;
}

/** Deletes records with seq ≤ uptoSeq (retention: call with the slowest consumer's offset). Returns how many. */
export function trimSettled(store: SettledStore, uptoSeq: number): number {
  let n = 0;
  store.root.transactionSync(() => {
    for (const { key, value } of store.records.getRange({ start: 1, end: uptoSeq + 1 })) {
      store.records.removeSync(key as number);
      store.ids.removeSync((value as SettledRecord).id);
      n++;
    }
  });
  return n;
}

/** The SettledStream interface over an LMDB store (stand-alone appends each run their own transaction). */
export class LmdbSettledStream implements SettledStream {
  readonly kind = 'lmdb';
  constructor(readonly store: SettledStore) {}

  async append(record: NewSettledRecord): Promise<number> {
    const seq = this.store.root.transactionSync(() => appendSettled(this.store, record));
    await this.store.root.flushed;
    return seq;
  }

  /** Appends many records in one transaction (generators and benches); resolves once durable. */
  async appendMany(records: NewSettledRecord[]): Promise<number[]> {
    const seqs = this.store.root.transactionSync(() => records.map((r) => appendSettled(this.store, r)));
    await this.store.root.flushed;
    return seqs;
  }

  async read(fromSeq: number, max: number): Promise<SettledRecord[]> {
    return readSettled(this.store, fromSeq, max);
  }

  readSync(fromSeq: number, max: number): SettledRecord[] {
    return readSettled(this.store, fromSeq, max);
  }

  async lastSeq(): Promise<number> {
    return lastSettledSeq(this.store);
  }

  async close(): Promise<void> {
    // The environment belongs to whoever opened it (the state); nothing to release here.
  }
}
