// The books: one LMDB environment holding the ledger (accounts, postings, transfer states) and everything
// settlement keeps (batch movements, batches, seller shares, payouts, approvals, consumer offsets). One
// environment so a batch close, its payout postings and its offsets commit in one transaction.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { OffsetDb } from '../stream/consumer.js';
import type { StoredBalance } from './accounts.js';
import type { Posting } from './posting.js';
import { PostingEncoder } from './postingCodec.js';
import type { TransferState } from './rules.js';

export const BOOKS_FILE = 'books.mdb';

/** Per business date and account: posted debit and credit movement (decimal strings). */
export interface Movement {
  d: string;
  c: string;
}

/** Per business date, currency and record kind: count and gross amount. */
export interface KindStat {
  n: number;
  amount: string;
}

export interface Books {
  root: RootDatabase;
  accounts: Database<StoredBalance, string>;
  postings: Database<Posting, string>;
  states: Database<TransferState, string>;
  /** `${date}|${account}` → Movement. */
  movements: Database<Movement, string>;
  /** `${date}|${currency}|${kind}` → KindStat. */
  stats: Database<KindStat, string>;
  /** Settlement tables (their record types live in src/settlement). */
  batches: Database<unknown, string>;
  shares: Database<unknown, string>;
  payouts: Database<unknown, string>;
  approvals: Database<unknown, string>;
  /** Completions and reversals waiting for their original: `${originalId}\0${id}` → the record (src/ledger/waiting.ts). */
  waiting: Database<unknown, string>;
  offsets: OffsetDb;
  meta: Database<unknown, string>;
}

export function openBooks(dir: string): Books {
  mkdirSync(dir, { recursive: true });
  const root = open({ path: join(dir, BOOKS_FILE), maxDbs: 24, mapSize: 16 * 1024 ** 3, encoding: 'msgpack' });
  // Shared msgpack structures (see src/stream/lmdb.ts): values carry a structure id, not their field names.
  const db = <V>(name: string) => root.openDB<V, string>({ name, encoding: 'msgpack', sharedStructuresKey: Symbol.for('structures') });
  // Postings in a fixed binary layout (postingCodec.ts), other values and older postings in msgpack.
  // (`encoder` is in lmdb's documented options, not in its type declarations.)
  const postingOptions = { name: 'postings', encoding: 'msgpack' as const, sharedStructuresKey: Symbol.for('structures'), encoder: { Encoder: PostingEncoder } };
  const postings = root.openDB<Posting, string>(postingOptions);
  return {
    root,
    accounts: db('accounts'),
    postings,
    states: db('states'),
    movements: db('movements'),
    stats: db('stats'),
    batches: db('batches'),
    shares: db('shares'),
    payouts: db('payouts'),
    approvals: db('approvals'),
    waiting: db('waiting'),
    offsets: db('offsets'),
    meta: db('meta'),
  };
}

export async function closeBooks(b: Books): Promise<void> {
  await b.root.flushed;
  await b.root.close();
}
