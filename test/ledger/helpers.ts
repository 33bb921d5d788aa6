import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { fromStored, type Balance } from '../../src/ledger/accounts.js';
import { openBooks, type Books } from '../../src/ledger/books.js';
import type { Posting } from '../../src/ledger/posting.js';
import { LmdbSettledStream, openSettledStore } from '../../src/stream/lmdb.js';

export function tempDir(prefix = 'gerbang-ledger-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function openStreamAt(dir: string): { root: RootDatabase; stream: LmdbSettledStream } {
  const root = open({ path: join(dir, 'state.mdb'), maxDbs: 4 });
  return { root, stream: new LmdbSettledStream(openSettledStore(root)) };
}

export function freshBooks(dir: string): Books {
  return openBooks(join(dir, 'books'));
}

export function allBalances(books: Books): Map<string, Balance> {
  const m = new Map<string, Balance>();
  for (const { key, value } of books.accounts.getRange()) m.set(key as string, fromStored(value));
  return m;
}

/** Replays every stored posting into fresh balances. */
export function replay(books: Books): Map<string, Balance> {
  const m = new Map<string, Balance>();
  for (const { value } of books.postings.getRange()) {
    for (const [a, f, n] of (value as Posting).entries) {
      let b = m.get(a);
      if (!b) m.set(a, (b = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n }));
      const v = BigInt(n);
      if (f === 'D') b.debitsPosted += v;
      else if (f === 'C') b.creditsPosted += v;
      else if (f === 'PD') b.debitsPending += v;
      else b.creditsPending += v;
    }
  }
  return m;
}

/** Σ debits and Σ credits (posted and pending) per currency. */
export function trialBalance(bal: Map<string, Balance>): Map<string, { d: bigint; c: bigint; pd: bigint; pc: bigint }> {
  const t = new Map<string, { d: bigint; c: bigint; pd: bigint; pc: bigint }>();
  for (const [a, b] of bal) {
    const cur = a.slice(a.lastIndexOf(':') + 1);
    let x = t.get(cur);
    if (!x) t.set(cur, (x = { d: 0n, c: 0n, pd: 0n, pc: 0n }));
    x.d += b.debitsPosted;
    x.c += b.creditsPosted;
    x.pd += b.debitsPending;
    x.pc += b.creditsPending;
  }
  return t;
}
