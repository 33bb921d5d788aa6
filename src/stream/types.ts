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

const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Throws a clear error when a record is malformed; the stream refuses to store it. */
export function assertValidRecord(r: NewSettledRecord): void {
  const fail = (why: string): never => {
    throw new Error(`settled record ${String(r?.id)}: ${why}`);
  };
  if (!r || typeof r !== 'object') fail('not an object');
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 128) fail('id must be 1–128 characters');
  if (!KINDS.has(r.kind)) fail(`unknown kind ${String(r.kind)}`);
  if (typeof r.txnId !== 'string' || r.txnId.length === 0) fail('txnId missing');
  if (!Number.isSafeInteger(r.amount) || r.amount <= 0 || r.amount > 999_999_999_999) fail('amount must be an integer in 1..999999999999');
  if (typeof r.currency !== 'string' || !isThreeDigits(r.currency)) fail('currency must be ISO 4217 numeric');
  if (typeof r.merchantId !== 'string' || r.merchantId.length === 0) fail('merchantId missing');
  if (typeof r.acquirerId !== 'string' || r.acquirerId.length === 0) fail('acquirerId missing');
  if (typeof r.issuerId !== 'string' || r.issuerId.length === 0) fail('issuerId missing');
  if (typeof r.occurredAt !== 'string' || !DATE_RE.test(r.occurredAt) || Number.isNaN(Date.parse(r.occurredAt))) fail('occurredAt must be ISO 8601');
  if ((r.kind === 'reversal' || r.kind === 'completion' || r.kind === 'chargeback' || r.kind === 'representment') && !r.originalId) {
    fail(`${r.kind} needs originalId`);
  }
  if (r.split) {
    const s = r.split;
    if (!Number.isSafeInteger(s.platformFee) || s.platformFee < 0) fail('split.platformFee must be a non-negative integer');
    if (!Array.isArray(s.sellers) || s.sellers.length === 0 || s.sellers.length > 64) fail('split.sellers must hold 1–64 shares');
    let sum = s.platformFee;
    for (const x of s.sellers) {
      if (typeof x.sellerId !== 'string' || !x.sellerId) fail('split seller without id');
      if (!Number.isSafeInteger(x.amount) || x.amount <= 0) fail('split seller amount must be a positive integer');
      sum += x.amount;
    }
    if (sum !== r.amount) fail(`split sums to ${sum}, amount is ${r.amount}`);
  }
  if ((r as { pan?: unknown }).pan !== undefined) fail('clear PAN must never enter the stream');
}
