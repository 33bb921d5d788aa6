// Postings: immutable, balanced, multi-entry. An entry moves an amount on one of an account's four balances:
// 'D'/'C' posted debit/credit (always > 0), 'PD'/'PC' pending debit/credit (+ reserves, − releases), as in
// TigerBeetle's two-phase transfers (pending → posted or voided). A posting is never edited; a reversal is a new
// posting with the sides swapped.
import type { Split } from '../stream/types.js';
import type { Balance } from './accounts.js';

export type Field = 'D' | 'C' | 'PD' | 'PC';
export type Entry = [account: string, field: Field, amount: number];

export interface Posting {
  /** The settled record id it posts (idempotency key), or a settlement-generated id (payout, settlement…). */
  id: string;
  /** Stream sequence of the record (0 for postings the settlement makes itself). */
  seq: number;
  kind: string;
  currency: string;
  businessDate: string;
  entries: Entry[];
  /** Id of the posting this one reverses, if any. */
  reverses?: string;
  /** Why a posting went to suspense or posted nothing (reconciliation reads it). */
  note?: string;
  /**
   * The transfer this posting opened (preauth, capture, refund, chargeback): with the posting's kind, currency and
   * date, its transfer state as first set (see openedState). books.states holds a state only once it changes, so
   * a record costs one write, not two.
   */
  transfer?: TransferFacts;
}

export interface TransferFacts {
  /** Held amount (preauth) or amount moved. */
  amount: number;
  merchantId: string;
  issuerId: string;
  acquirerId: string;
  originalId?: string;
  split?: Split;
}

/** a.endsWith(':' + suffix), comparing char codes. */
function endsWithColonAnd(a: string, suffix: string): boolean {
  const k = suffix.length;
  const off = a.length - k;
  if (off < 1 || a.charCodeAt(off - 1) !== 58) return false;
  for (let i = 0; i < k; i++) if (a.charCodeAt(off + i) !== suffix.charCodeAt(i)) return false;
  return true;
}

/** Throws unless every entry is well-formed, all accounts share the currency and debits = credits (posted and pending). */
export function assertBalanced(p: Posting): void {
  let d = 0;
  let c = 0;
  let pd = 0;
  let pc = 0;
  const cur = p.currency;
  for (const [a, f, n] of p.entries) {
    if (!Number.isSafeInteger(n) || n === 0) throw new Error(`posting ${p.id}: entry ${a} ${f} amount ${n} is not a non-zero integer`);
    // a ends with ':' + currency (without building that string per posting, nor a builtin call per entry).
    if (!endsWithColonAnd(a, cur)) throw new Error(`posting ${p.id}: account ${a} is not in currency ${p.currency}`);
    if (f === 'D') d += n;
    else if (f === 'C') c += n;
    else if (f === 'PD') pd += n;
    else if (f === 'PC') pc += n;
    else throw new Error(`posting ${p.id}: bad field ${String(f)}`);
    if ((f === 'D' || f === 'C') && n < 0) throw new Error(`posting ${p.id}: posted entries are positive`);
  }
  // Σ of at most 64 entries of ≤ 10^12 each stays far below 2^53.
  if (d !== c) throw new Error(`posting ${p.id}: debits ${d} ≠ credits ${c}`);
  if (pd !== pc) throw new Error(`posting ${p.id}: pending debits ${pd} ≠ pending credits ${pc}`);
}

export function applyEntry(b: Balance, f: Field, n: number): void {
  const v = BigInt(n);
  if (f === 'D') b.debitsPosted += v;
  else if (f === 'C') b.creditsPosted += v;
  else if (f === 'PD') b.debitsPending += v;
  else b.creditsPending += v;
  if (b.debitsPending < 0n || b.creditsPending < 0n) throw new Error(`pending balance went negative`);
}

/** The entries that undo `p`'s posted part (pending parts are voided by their own rule, never reversed). */
export function inverseEntries(p: Posting): Entry[] {
  const out: Entry[] = [];
  for (const [a, f, n] of p.entries) {
    if (f === 'D') out.push([a, 'C', n]);
    else if (f === 'C') out.push([a, 'D', n]);
  }
  return out;
}
