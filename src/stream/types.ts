// The settled-record stream's record: one financial event that moves money, in commit order.
// Plain data (msgpack in LMDB, JSON-free msgpack on NATS). Amounts are integers in minor units of `currency`.
// PCI: only the masked PAN and the keyed PAN hash travel here, never the clear PAN.

/**
 * What happened. 'preauth' opens a hold (a pending transfer in the ledger); 'completion' captures it fully or
 * partly; 'purchase' and 'advice' (a stand-in approval confirmed by its advice) are single-message captures;
 * 'refund' returns money to the card; 'reversal' undoes the record named by `originalId`; 'chargeback' takes
 * money back for the issuer, 'representment' gives it back to the merchant when the dispute is won.
 */
export type SettledKind =
  | 'preauth'
  | 'completion'
  | 'purchase'
  | 'advice'
  | 'refund'
  | 'reversal'
  | 'chargeback'
  | 'representment';

export const SETTLED_KINDS: readonly SettledKind[] = [
  'preauth',
  'completion',
  'purchase',
  'advice',
  'refund',
  'reversal',
  'chargeback',
  'representment',
];

export interface Split {
  platformFee: number;
  sellers: { sellerId: string; amount: number }[];
}

export interface SettledRecord {
  /** Idempotency key: `${txnId}:${kind}` (see settledRecordId). Unique in the stream. */
  id: string;
  /** Monotonic, gap-free in the LMDB stream; the JetStream sequence on NATS (monotonic). Assigned on append. */
  seq: number;
  kind: SettledKind;
  txnId: string;
  /** Money moved by this event, minor units, > 0 (a reversal carries the amount it undoes). */
  amount: number;
  /** ISO 4217 numeric. */
  currency: string;
  merchantId: string;
  acquirerId: string;
  issuerId: string;
  /** Marketplace split of `amount` (captures only); platformFee + Σ sellers = amount. */
  split?: Split;
  /** Record id (not txn id) of the record this one completes, refunds, reverses or disputes. */
  originalId?: string;
  /** ISO 8601 instant the event was committed. */
  occurredAt: string;
  /** YYYY-MM-DD, assigned by the ledger poster (calendar + cut-off) when it posts the record. */
  businessDate?: string;
  panMasked?: string;
  panHash?: string;
}

/** A record before the stream assigned its sequence number. */
export type NewSettledRecord = Omit<SettledRecord, 'seq'>;

export function settledRecordId(txnId: string, kind: SettledKind): string {
  return `${txnId}:${kind}`;
}

const KINDS: ReadonlySet<string> = new Set(SETTLED_KINDS);

/** /^\d{3}$/ without the regex call (every record is validated when posted). */
function isThreeDigits(s: string): boolean {
  if (s.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The two digits at s[i..i+1] as a number, or −1 if either is not a digit. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Date.parse(s), without V8's general date parser for the stream's own form 'YYYY-MM-DDTHH:MM:SS.sssZ' (it parses
 * every record twice: validation and business date). Only unambiguous values take the short path: a year from
 * 100 on (Date.UTC maps 0–99 to 19xx), a day that exists in its month, hours below 24; anything else, other forms
 * included, is Date.parse's.
 */
export function isoMs(s: string): number {
  const ms = fastIsoMs(s);
  return ms === ms ? ms : Date.parse(s);
}

// The last string parsed and its instant: the poster asks for a record's occurredAt twice (business date, then
// validation) with the same string object, so the second ask is one pointer comparison.
let lastIsoText: unknown;
let lastIsoMs = NaN;

/** isoMs's short path alone: the instant of a string of exactly the stream's own form, else NaN. */
function fastIsoMs(s: string): number {
  if (s === lastIsoText) return lastIsoMs;
  const ms = parseIsoForm(s);
  lastIsoText = s;
  lastIsoMs = ms;
  return ms;
}

function parseIsoForm(s: string): number {
  if (typeof s === 'string' && s.length === 24 && s.charCodeAt(23) === 90 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 84 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58 && s.charCodeAt(19) === 46) {
    const hi = digits2(s, 0);
    const lo = digits2(s, 2);
    const mo = digits2(s, 5);
    const d = digits2(s, 8);
    const h = digits2(s, 11);
    const mi = digits2(s, 14);
    const se = digits2(s, 17);
    const ms1 = digits2(s, 20);
    const ms2 = s.charCodeAt(22) - 48;
    if (hi >= 0 && lo >= 0 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && se >= 0 && se < 60 && ms1 >= 0 && ms2 >= 0 && ms2 <= 9) {
      const y = hi * 100 + lo;
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      const days = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
      if (y >= 100 && d <= days) return Date.UTC(y, mo - 1, d, h, mi, se, ms1 * 10 + ms2);
    }
  }
  return NaN;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Throws a clear error when a record is malformed; the stream refuses to store it. */
export function assertValidRecord(r: NewSettledRecord): void {
  const problem = recordProblem(r);
  if (problem !== undefined) throw new Error(problem);
}

/** A valid date-time string: the stream's own form (no regex, no Date.parse), or DATE_RE and Date.parse. */
function validOccurredAt(s: string): boolean {
  if (typeof s !== 'string') return false;
  const ms = fastIsoMs(s); // a number proves DATE_RE's form and isoMs(s) = ms
  return ms === ms || (DATE_RE.test(s) && !Number.isNaN(Date.parse(s)));
}

/**
 * assertValidRecord's message for a malformed record, or undefined for a valid one (the ledger poster checks every
 * record it posts: no closure and no exception for the valid ones).
 */
export function recordProblem(r: NewSettledRecord): string | undefined {
  const why = problemOf(r);
  return why === undefined ? undefined : `settled record ${String(r?.id)}: ${why}`;
}

function problemOf(r: NewSettledRecord): string | undefined {
  if (!r || typeof r !== 'object') return 'not an object';
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 128) return 'id must be 1–128 characters';
  if (!KINDS.has(r.kind)) return `unknown kind ${String(r.kind)}`;
  if (typeof r.txnId !== 'string' || r.txnId.length === 0) return 'txnId missing';
  if (!Number.isSafeInteger(r.amount) || r.amount <= 0 || r.amount > 999_999_999_999) return 'amount must be an integer in 1..999999999999';
  if (typeof r.currency !== 'string' || !isThreeDigits(r.currency)) return 'currency must be ISO 4217 numeric';
  if (typeof r.merchantId !== 'string' || r.merchantId.length === 0) return 'merchantId missing';
  if (typeof r.acquirerId !== 'string' || r.acquirerId.length === 0) return 'acquirerId missing';
  if (typeof r.issuerId !== 'string' || r.issuerId.length === 0) return 'issuerId missing';
  if (!validOccurredAt(r.occurredAt)) return 'occurredAt must be ISO 8601';
  if ((r.kind === 'reversal' || r.kind === 'completion' || r.kind === 'chargeback' || r.kind === 'representment') && !r.originalId) {
    return `${r.kind} needs originalId`;
  }
  if (r.split) {
    const s = r.split;
    if (!Number.isSafeInteger(s.platformFee) || s.platformFee < 0) return 'split.platformFee must be a non-negative integer';
    if (!Array.isArray(s.sellers) || s.sellers.length === 0 || s.sellers.length > 64) return 'split.sellers must hold 1–64 shares';
    let sum = s.platformFee;
    for (const x of s.sellers) {
      if (typeof x.sellerId !== 'string' || !x.sellerId) return 'split seller without id';
      if (!Number.isSafeInteger(x.amount) || x.amount <= 0) return 'split seller amount must be a positive integer';
      sum += x.amount;
    }
    if (sum !== r.amount) return `split sums to ${sum}, amount is ${r.amount}`;
  }
  if ((r as { pan?: unknown }).pan !== undefined) return 'clear PAN must never enter the stream';
  return undefined;
}
