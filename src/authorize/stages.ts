// Authorization stages: plain functions over plain data, no I/O. Each returns a reason (what ran, whether it
// passed) and, on failure, the ISO 8583 response code. The commit transaction calls checkLimits/checkFunds again
// on freshly read state, so these never decide on stale balances.
import type { DecisionReason, Txn, TxnKind } from '../model/txn.js';
import { isKnownCurrency, isValidAmount } from '../state/money.js';
import { luhnValid } from '../state/pan.js';
import type { AccountRecord, CardRecord, VelocityRecord } from '../state/records.js';

export interface StageResult {
  reason: DecisionReason;
  /** Response code when the check failed. */
  code?: string;
}

const pass = (check: string, detail?: string): StageResult => {
  const reason: DecisionReason = { check, ok: true };
  if (detail) reason.detail = detail;
  return { reason };
};
const fail = (check: string, code: string, detail: string): StageResult => ({ reason: { check, ok: false, detail }, code });

const KINDS: readonly TxnKind[] = ['preauth', 'incremental', 'purchase', 'cash', 'refund', 'balance', 'completion', 'reversal'];
/** Kinds that take money from the cardholder: limits and funds apply. */
export const DEBIT_KINDS: ReadonlySet<TxnKind> = new Set(['preauth', 'incremental', 'purchase', 'cash']);
/** Kinds that need an earlier transaction to act on. */
export const NEEDS_ORIGINAL: ReadonlySet<TxnKind> = new Set(['incremental', 'completion', 'reversal']);

/** Format checks (30): the fields every later stage relies on. */
export function validate(txn: Txn): StageResult {
  const bad = (d: string) => fail('format', '30', d);
  if (!txn || typeof txn !== 'object') return bad('not a transaction');
  if (typeof txn.id !== 'string' || txn.id.length === 0 || txn.id.length > 64) return bad('id');
  if (!KINDS.includes(txn.kind)) return bad('kind');
  if (typeof txn.mti !== 'string' || !/^\d{4}$/.test(txn.mti)) return bad('mti');
  if (typeof txn.processingCode !== 'string' || !/^\d{6}$/.test(txn.processingCode)) return bad('processingCode');
  if (!isValidAmount(txn.amount)) return bad('amount');
  if (typeof txn.currency !== 'string' || !isKnownCurrency(txn.currency)) return bad('currency');
  if (typeof txn.stan !== 'string' || !/^\d{6}$/.test(txn.stan)) return bad('stan');
  if (typeof txn.acquirerId !== 'string' || !/^\d{1,11}$/.test(txn.acquirerId)) return bad('acquirerId');
  if (typeof txn.channel !== 'string') return bad('channel');
  if (txn.pan === undefined) return bad('pan missing');
  if (typeof txn.pan !== 'string' || !luhnValid(txn.pan)) return bad('pan');
  if (txn.expiry !== undefined && !/^\d{2}(0[1-9]|1[0-2])$/.test(txn.expiry)) return bad('expiry');
  if (txn.cvv2 !== undefined && !/^\d{3,4}$/.test(txn.cvv2)) return bad('cvv2');
  if (txn.pin !== undefined && (typeof txn.pin.block !== 'string' || !/^[0-9A-Fa-f]{16}([0-9A-Fa-f]{16})?$/.test(txn.pin.block))) return bad('pin block');
  if (NEEDS_ORIGINAL.has(txn.kind) && !txn.original) return bad('original reference missing');
  if (txn.kind !== 'balance' && txn.kind !== 'reversal' && txn.amount === 0) return bad('zero amount');
  return pass('format');
}

/** YYMM of a date, UTC. */
export function yymm(now: Date): string {
  return String(now.getUTCFullYear() % 100).padStart(2, '0') + String(now.getUTCMonth() + 1).padStart(2, '0');
}

/** Status, expiry, product restrictions. Reversals and completions skip status (they settle earlier approvals). */
export function checkCard(card: CardRecord, txn: Txn, now: Date): StageResult[] {
  const out: StageResult[] = [];
  const settling = txn.kind === 'reversal' || txn.kind === 'completion';
  const status: Record<string, string> = { blocked: '62', lost: '41', stolen: '43', expired: '54' };
  if (!settling && card.status !== 'active') {
    out.push(fail('card.status', status[card.status] ?? '62', card.status));
    return out;
  }
  out.push(pass('card.status'));
  if (!settling) {
    if (card.expiry < yymm(now)) {
      out.push(fail('card.expiry', '54', `expired ${card.expiry}`));
      return out;
    }
    if (txn.expiry !== undefined && txn.expiry !== card.expiry) {
      out.push(fail('card.expiry', '54', 'expiry does not match the card'));
      return out;
    }
    out.push(pass('card.expiry'));
    if (card.notPermitted?.includes(txn.kind)) {
      out.push(fail('card.product', '57', `${txn.kind} not permitted on ${card.product}`));
      return out;
    }
    if (txn.mcc && card.blockedMcc?.includes(txn.mcc)) {
      out.push(fail('card.product', '57', `mcc ${txn.mcc} blocked`));
      return out;
    }
    if (card.blockedAcquirers?.includes(txn.acquirerId)) {
      out.push(fail('card.acquirer', '58', `acquirer ${txn.acquirerId} not permitted`));
      return out;
    }
    out.push(pass('card.product'));
    if (txn.pin && card.pinTriesLeft <= 0) {
      out.push(fail('pin.tries', '75', 'PIN tries exhausted'));
      return out;
    }
  }
  return out;
}

/** UTC day YYYYMMDD, the velocity window. */
let memoDayNumber = NaN;
let memoDay = '';
export function utcDay(now: Date): string {
  // Called for every debit; the formatted day changes once a day, so it is formatted once per day number.
  const dayNumber = Math.floor(now.getTime() / 86_400_000);
  if (dayNumber !== memoDayNumber) {
    memoDay = now.toISOString().slice(0, 10).replaceAll('-', '');
    memoDayNumber = dayNumber;
  }
  return memoDay;
}

/** Velocity counters of today (a stale day counts as empty). */
export function today(v: VelocityRecord | undefined, now: Date): VelocityRecord {
  const day = utcDay(now);
  return v && v.day === day ? v : { day, count: 0, amount: 0, cash: 0 };
}

/** Per-transaction, daily amount (61), daily count (65) and daily cash (61) limits for a debit of `amount`. */
export function checkLimits(card: CardRecord, v: VelocityRecord, kind: TxnKind, amount: number): StageResult {
  const l = card.limits;
  if (amount > l.perTxn) return fail('limit.perTxn', '61', `${amount} > ${l.perTxn}`);
  if (kind !== 'incremental' && v.count + 1 > l.dailyCount) return fail('velocity.count', '65', `${v.count + 1} > ${l.dailyCount}`);
  if (v.amount + amount > l.dailyAmount) return fail('limit.daily', '61', `${v.amount + amount} > ${l.dailyAmount}`);
  if (kind === 'cash' && v.cash + amount > l.dailyCash) return fail('limit.cash', '61', `${v.cash + amount} > ${l.dailyCash}`);
  return pass('limits');
}

export interface FundsResult extends StageResult {
  /** Amount that can be approved: the request, or less on a partial approval, 0 on a decline. */
  approve: number;
  partial: boolean;
}

/** Funds: spendable = available + credit line. Partial approval (10) when allowed and something is left. */
export function checkFunds(account: AccountRecord, amount: number, partialAllowed: boolean): FundsResult {
  // Literal objects, not spreads of pass()/fail(): this runs for every debit inside the writer lock (profiled).
  const spendable = account.available + account.creditLimit;
  if (amount <= spendable) return { reason: { check: 'funds', ok: true }, approve: amount, partial: false };
  if (partialAllowed && spendable > 0) {
    return { reason: { check: 'funds', ok: true, detail: `partial ${spendable} of ${amount}` }, approve: spendable, partial: true };
  }
  return { reason: { check: 'funds', ok: false, detail: `${amount} > ${spendable}` }, code: '51', approve: 0, partial: false };
}

/** Key of a transaction in the idempotency database: acquirer, STAN, transmission time and kind. */
export function idemKey(t: { acquirerId?: string; stan?: string; transmittedAt?: string; localTime?: string }, kind: TxnKind): string {
  return `r|${t.acquirerId ?? ''}|${t.stan ?? ''}|${t.transmittedAt ?? t.localTime ?? ''}|${kind}`;
}

/** Six-digit approval code (DE 38) derived from the journal sequence: unique within a million approvals. */
export function authCodeFor(seq: number): string {
  return String(seq % 1_000_000).padStart(6, '0');
}
