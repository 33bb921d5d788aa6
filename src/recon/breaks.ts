// Breaks kept in the books (their own named database in the books environment, so a break and its suspense
// posting commit in one transaction). Each break parks its amount in suspense:recon against the cash account
// it concerns (custodian:bank unless the item names another); resolving it (write-off, manual match,
// adjustment) moves the money out again with a new posting — postings are never edited — and appends to the
// break's audit trail who did it, when and why. Break ids are deterministic, so re-running a reconciliation
// over the same files records nothing twice.
import type { Database } from 'lmdb';
import { accountId, parseAccountId } from '../ledger/accounts.js';
import type { Books } from '../ledger/books.js';
import type { Entry } from '../ledger/posting.js';
import { LedgerWriter } from '../ledger/writer.js';
import { toNumeric } from './currency.js';
import type { Break, BreakCategory } from './types.js';

export type ResolutionReason = 'write-off' | 'manual-match' | 'adjustment';
export const RESOLUTION_REASONS: readonly ResolutionReason[] = ['write-off', 'manual-match', 'adjustment'];

export interface AuditEntry {
  at: string;
  by: string;
  action: 'opened' | 'seen' | 'resolved';
  note: string;
}

export interface StoredBreak extends Break {
  status: 'open' | 'resolved';
  firstSeen: string;
  lastSeen: string;
  /** Suspense postings made for this break (two for a currency mismatch). */
  postings: string[];
  resolution?: { reason: ResolutionReason; by: string; at: string; note: string; account?: string; postings: string[] };
  audit: AuditEntry[];
}

/** Audit entries per break are capped; older 'seen' entries are dropped first. */
const MAX_AUDIT = 50;

export function breaksDb(books: Books): Database<StoredBreak, string> {
  return books.root.openDB<StoredBreak, string>({ name: 'recon-breaks', encoding: 'msgpack' });
}

function cashAccount(b: Break, currency: string): string {
  return b.account && b.account.endsWith(':' + currency) ? b.account : accountId('custodian', 'bank', currency);
}

/** Entries parking `amount` (signed: + bank holds more) of `alpha` in suspense against `counter`. */
function suspenseEntries(amount: number, counter: string, currency: string): Entry[] {
  const suspense = accountId('suspense', 'recon', currency);
  return amount > 0 ? [[counter, 'D', amount], [suspense, 'C', amount]] : [[suspense, 'D', -amount], [counter, 'C', -amount]];
}

export interface RecordOptions {
  now: Date;
  /** Business date the suspense postings carry (default: now's UTC date). */
  businessDate?: string;
  by?: string;
}

export interface RecordOutcome {
  created: number;
  updated: number;
  /** Already resolved: left alone. */
  resolved: number;
}

export async function recordBreaks(books: Books, breaks: readonly Break[], o: RecordOptions): Promise<RecordOutcome> {
  const db = breaksDb(books);
  const at = o.now.toISOString();
  const date = o.businessDate ?? at.slice(0, 10);
  const out: RecordOutcome = { created: 0, updated: 0, resolved: 0 };
  books.root.transactionSync(() => {
    const w = new LedgerWriter(books);
    for (const b of breaks) {
      const old = db.get(b.id);
      if (old) {
        if (old.status === 'resolved') {
          out.resolved++;
          continue;
        }
        const audit = [...old.audit, { at, by: o.by ?? 'recon', action: 'seen' as const, note: `age ${b.ageDays} days` }];
        while (audit.length > MAX_AUDIT) audit.splice(1, 1);
        db.putSync(b.id, { ...old, ageDays: b.ageDays, lastSeen: at, audit });
        out.updated++;
        continue;
      }
      const postings: string[] = [];
      const post = (id: string, amount: number, alpha: string) => {
        if (amount === 0) return;
        const cur = toNumeric(alpha);
        if (w.hasPosting(id)) return;
        w.post({ id, seq: 0, kind: 'recon_break', currency: cur, businessDate: date, entries: suspenseEntries(amount, cashAccount(b, cur), cur), note: `${b.category} ${b.ref}: ${b.detail}` });
        postings.push(id);
      };
      if (b.category === 'currencyMismatch') {
        post(`recon:${b.id}:switch`, b.amount, b.currency);
        post(`recon:${b.id}:bank`, b.bankAmount ?? 0, b.bankCurrency ?? b.currency);
      } else {
        post(`recon:${b.id}`, b.amount, b.currency);
      }
      db.putSync(b.id, { ...b, status: 'open', firstSeen: at, lastSeen: at, postings, audit: [{ at, by: o.by ?? 'recon', action: 'opened', note: b.detail }] });
      out.created++;
    }
    w.flush();
  });
  await books.root.flushed;
  return out;
}

export interface ResolveInput {
  reason: ResolutionReason;
  by: string;
  note: string;
  /** For an adjustment: the ledger account (same currency) that takes the suspense amount. */
  account?: string;
  now?: Date;
}

/**
 * Resolves an open break. write-off: suspense ↔ fees:writeoff (the loss or gain is booked); manual-match: the
 * suspense posting is reversed (the items did match); adjustment: suspense ↔ the named account.
 */
export async function resolveBreak(books: Books, id: string, r: ResolveInput): Promise<StoredBreak> {
  if (!RESOLUTION_REASONS.includes(r.reason)) throw new Error(`reason must be one of ${RESOLUTION_REASONS.join(', ')}`);
  if (!r.by?.trim()) throw new Error('a resolution needs the resolver’s identity (--by)');
  if (!r.note?.trim()) throw new Error('a resolution needs a note saying why (--note)');
  if (r.reason === 'adjustment' && !r.account) throw new Error('an adjustment needs --account (the ledger account that takes the amount)');
  const db = breaksDb(books);
  const now = r.now ?? new Date();
  const at = now.toISOString();
  const res = books.root.transactionSync(() => {
    const b = db.get(id);
    if (!b) throw new Error(`no break ${id}`);
    if (b.status === 'resolved') throw new Error(`break ${id} is already resolved (${b.resolution?.reason} by ${b.resolution?.by})`);
    const w = new LedgerWriter(books);
    const postings: string[] = [];
    for (const pid of b.postings) {
      const p = w.posting(pid);
      if (!p) continue;
      const suspense = accountId('suspense', 'recon', p.currency);
      // What the break left in suspense: + when suspense was credited.
      let parked = 0;
      for (const [a, f, n] of p.entries) if (a === suspense) parked += f === 'C' ? n : -n;
      let counter: string;
      if (r.reason === 'manual-match') counter = p.entries.find(([a]) => a !== suspense)![0];
      else if (r.reason === 'write-off') counter = accountId('fees', 'writeoff', p.currency);
      else {
        const acct = parseAccountId(r.account!);
        if (acct.currency !== p.currency) throw new Error(`account ${r.account} is not in currency ${p.currency}`);
        counter = r.account!;
      }
      const entries: Entry[] = parked > 0 ? [[suspense, 'D', parked], [counter, 'C', parked]] : [[counter, 'D', -parked], [suspense, 'C', -parked]];
      const rid = `${pid}:resolved`;
      w.post({ id: rid, seq: 0, kind: 'recon_resolution', currency: p.currency, businessDate: at.slice(0, 10), entries, reverses: pid, note: `${r.reason} by ${r.by}: ${r.note}` });
      postings.push(rid);
    }
    w.flush();
    const resolved: StoredBreak = {
      ...b,
      status: 'resolved',
      resolution: { reason: r.reason, by: r.by.trim(), at, note: r.note.trim(), ...(r.account ? { account: r.account } : {}), postings },
      audit: [...b.audit, { at, by: r.by.trim(), action: 'resolved', note: `${r.reason}: ${r.note.trim()}` }],
    };
    db.putSync(id, resolved);
    return resolved;
  });
  await books.root.flushed;
  return res;
}

export function getBreak(books: Books, id: string): StoredBreak | undefined {
  return breaksDb(books).get(id);
}

export function listBreaks(books: Books, filter: { status?: 'open' | 'resolved'; category?: BreakCategory } = {}, limit = 10_000): StoredBreak[] {
  const out: StoredBreak[] = [];
  for (const { value } of breaksDb(books).getRange()) {
    if (filter.status && value.status !== filter.status) continue;
    if (filter.category && value.category !== filter.category) continue;
    out.push(value);
    if (out.length >= limit) break;
  }
  return out;
}
