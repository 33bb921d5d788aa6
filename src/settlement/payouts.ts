// Payouts to merchants and marketplace sellers. Money moves exactly once: creating a payout posts
// Dr payable / Cr payouts-in-flight in the same books transaction that stores the payout, so however often a
// batch is re-run, crashes or restarts, the same money can never be paid out again. The bank's answer
// (pain.002) then posts Dr in-flight / Cr custodian cash (accepted) or returns it to the payable (rejected).
// Held payouts (AML hit, waiting for a checker) keep their money reserved until released or cancelled.
import { metrics } from '../metrics/registry.js';
import { accountId, netPosted } from '../ledger/accounts.js';
import type { Posting } from '../ledger/posting.js';
import { shareMaturity, type ShareRecord } from '../ledger/poster.js';
import { LedgerWriter } from '../ledger/writer.js';
import type { SettlementContext } from './context.js';
import type { PayoutRecord, PayoutStatus } from './types.js';

const rejectedCounter = metrics.counter('gerbang_payouts_rejected_total', 'Payouts the bank rejected (pain.002 RJCT), returned to the balance');
const flaggedGauge = metrics.gauge('gerbang_payouts_flagged', 'Rejected payouts flagged and not yet cleared');
const heldCounter = metrics.counter('gerbang_payouts_held_total', 'Payouts held for review, by reason');

export const payoutKey = (id: string) => `p|${id}`;
/** Index of queued payouts not yet carried by a file. */
const queuedKey = (id: string) => `q|${id}`;
/** Index of the payouts a batch's pain.001 carries, per currency. */
export const fileKey = (batchId: string, currency: string, id: string) => `f|${batchId}|${currency}|${id}`;

export function getPayout(ctx: SettlementContext, id: string): PayoutRecord | undefined {
  return ctx.books.payouts.get(payoutKey(id)) as PayoutRecord | undefined;
}

export function listPayouts(ctx: SettlementContext, filter?: (p: PayoutRecord) => boolean): PayoutRecord[] {
  const out: PayoutRecord[] = [];
  for (const { value } of ctx.books.payouts.getRange({ start: 'p|', end: 'p|~' })) {
    const p = value as PayoutRecord;
    if (!filter || filter(p)) out.push(p);
  }
  return out;
}

/** Payouts of `currency` that batch `batchId`'s pain.001 carries (streamed from the index). */
export function* payoutsOfFile(ctx: SettlementContext, batchId: string, currency: string): Generator<PayoutRecord> {
  const prefix = `f|${batchId}|${currency}|`;
  for (const { key } of ctx.books.payouts.getRange({ start: prefix, end: prefix + '~' })) {
    const id = (key as string).slice(prefix.length);
    const p = getPayout(ctx, id);
    if (!p) throw new Error(`payout ${id} indexed in batch ${batchId} is missing`);
    yield p;
  }
}

function nextPayoutId(ctx: SettlementContext): string {
  const n = ((ctx.books.meta.get('payoutSeq') as number | undefined) ?? 0) + 1;
  ctx.books.meta.putSync('payoutSeq', n);
  return `PO${String(n).padStart(10, '0')}`;
}

function payableAccount(p: Pick<PayoutRecord, 'beneficiary' | 'currency'>): string {
  return accountId(p.beneficiary.type, p.beneficiary.id, p.currency);
}

function inFlightAccount(currency: string): string {
  return accountId('payouts', 'bank', currency);
}

function storePayout(ctx: SettlementContext, p: PayoutRecord): void {
  ctx.books.payouts.putSync(payoutKey(p.id), p);
  if (p.status === 'queued' && !p.fileBatch) ctx.books.payouts.putSync(queuedKey(p.id), 1);
  else ctx.books.payouts.removeSync(queuedKey(p.id));
}

/** Queued payouts not yet in any file (inside a transaction). */
export function queuedPayouts(ctx: SettlementContext): PayoutRecord[] {
  const out: PayoutRecord[] = [];
  for (const { key } of ctx.books.payouts.getRange({ start: 'q|', end: 'q|~' })) {
    const p = getPayout(ctx, (key as string).slice(2));
    if (p && p.status === 'queued' && !p.fileBatch) out.push(p);
  }
  return out;
}

/** Assigns a queued payout to a batch's file (inside the close transaction). */
export function assignToFile(ctx: SettlementContext, p: PayoutRecord, batchId: string): void {
  p.fileBatch = batchId;
  storePayout(ctx, p);
  ctx.books.payouts.putSync(fileKey(batchId, p.currency, p.id), 1);
}

export interface NewPayout {
  kind: 'auto' | 'manual';
  type: 'merchant' | 'seller';
  beneficiaryId: string;
  amount: number;
  currency: string;
  businessDate: string;
  createdInBatch?: string;
  maker?: string;
}

/**
 * Creates a payout and reserves its money (inside a books transaction, with the caller's writer).
 * Screening decides `held_aml`; manual payouts above the threshold wait for a checker.
 */
export function createPayoutInTxn(ctx: SettlementContext, w: LedgerWriter, n: NewPayout, now: Date): PayoutRecord {
  const bank = ctx.beneficiaries[n.beneficiaryId];
  if (!bank) throw new Error(`no bank details for ${n.type} ${n.beneficiaryId}`);
  if (!Number.isSafeInteger(n.amount) || n.amount <= 0) throw new Error(`payout amount must be a positive integer, got ${n.amount}`);
  const screening = ctx.watchlist.screen(bank.name);
  let status: PayoutStatus = 'queued';
  if (n.kind === 'manual' && n.amount > ctx.policy.manualApprovalThreshold) status = 'pending_approval';
  else if (screening.hit) status = 'held_aml';
  const p: PayoutRecord = {
    id: nextPayoutId(ctx),
    kind: n.kind,
    beneficiary: { type: n.type, id: n.beneficiaryId, ...bank },
    amount: n.amount,
    currency: n.currency,
    status,
    createdAt: now.toISOString(),
    ...(n.createdInBatch ? { createdInBatch: n.createdInBatch } : {}),
    ...(n.maker ? { maker: n.maker } : {}),
    screening: screening.hit ? { hit: true, entry: screening.entry, list: screening.list, score: screening.score } : { hit: false },
  };
  const posting: Posting = {
    id: `payout:${p.id}`,
    seq: 0,
    kind: 'payout',
    currency: p.currency,
    businessDate: n.businessDate,
    entries: [
      [payableAccount(p), 'D', p.amount],
      [inFlightAccount(p.currency), 'C', p.amount],
    ],
  };
  w.post(posting);
  storePayout(ctx, p);
  if (status === 'held_aml') heldCounter.inc({ reason: 'aml' });
  if (status === 'pending_approval') heldCounter.inc({ reason: 'approval' });
  return p;
}

/** Posted balance of a payable account (credit-normal), BigInt. */
export function payableBalance(ctx: SettlementContext, w: LedgerWriter, type: 'merchant' | 'seller', id: string, currency: string): bigint {
  const a = accountId(type, id, currency);
  return netPosted(a, w.balance(a));
}

/** Seller shares not yet payable on `date` (captured on or before it, not released, holding period not over). */
export function unmaturedShares(ctx: SettlementContext, sellerId: string, currency: string, date: string): bigint {
  let sum = 0n;
  for (const { value } of ctx.books.shares.getRange({ start: `${sellerId}|`, end: `${sellerId}|~` })) {
    const s = value as ShareRecord;
    if (s.currency !== currency || s.released || s.date > date) continue;
    if (shareMaturity(s, ctx.policy.holdDays) > date) sum += BigInt(s.amount);
  }
  return sum;
}

/** Explicit release (the order was delivered): the capture's seller shares become payable in the next batch. */
export function releaseShares(ctx: SettlementContext, captureId: string): number {
  let n = 0;
  ctx.books.root.transactionSync(() => {
    for (const { key, value } of ctx.books.shares.getRange()) {
      const s = value as ShareRecord;
      if (s.captureId !== captureId || s.released) continue;
      ctx.books.shares.putSync(key as string, { ...s, released: true });
      n++;
    }
  });
  return n;
}

function returnToBalance(ctx: SettlementContext, w: LedgerWriter, p: PayoutRecord, why: string, date: string): void {
  w.post({
    id: `payout-return:${p.id}`,
    seq: 0,
    kind: 'payout_return',
    currency: p.currency,
    businessDate: date,
    entries: [
      [inFlightAccount(p.currency), 'D', p.amount],
      [payableAccount(p), 'C', p.amount],
    ],
    note: why,
  });
}

function today(ctx: SettlementContext, now: Date): string {
  return ctx.calendar.localDate(now.getTime());
}

/** A manual payout of a merchant's or seller's balance, asked for by `maker`. */
export async function requestManualPayout(
  ctx: SettlementContext,
  req: { type: 'merchant' | 'seller'; beneficiaryId: string; amount: number; currency: string; maker: string },
  now = new Date(),
): Promise<PayoutRecord> {
  if (!req.maker?.trim()) throw new Error('a manual payout needs the maker’s identity');
  const p = ctx.books.root.transactionSync(() => {
    const w = new LedgerWriter(ctx.books);
    const bal = payableBalance(ctx, w, req.type, req.beneficiaryId, req.currency);
    const reserved = req.type === 'seller' ? unmaturedShares(ctx, req.beneficiaryId, req.currency, today(ctx, now)) : 0n;
    if (BigInt(req.amount) > bal - reserved) throw new Error(`payout of ${req.amount} exceeds the payable balance ${bal - reserved} of ${req.type} ${req.beneficiaryId}`);
    const rec = createPayoutInTxn(ctx, w, { kind: 'manual', type: req.type, beneficiaryId: req.beneficiaryId, amount: req.amount, currency: req.currency, businessDate: today(ctx, now), maker: req.maker.trim() }, now);
    w.flush();
    return rec;
  });
  await ctx.books.root.flushed;
  return p;
}

const sameperson = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The checker approves a manual payout; never the maker. The payout still goes through AML screening. */
export async function approveManualPayout(ctx: SettlementContext, id: string, checker: string, now = new Date()): Promise<PayoutRecord> {
  if (!checker?.trim()) throw new Error('approval needs the checker’s identity');
  const p = ctx.books.root.transactionSync(() => {
    const p = getPayout(ctx, id);
    if (!p) throw new Error(`no payout ${id}`);
    if (p.status !== 'pending_approval') throw new Error(`payout ${id} is ${p.status}, not pending approval`);
    if (p.maker && sameperson(p.maker, checker)) throw new Error(`maker-checker: ${checker} made payout ${id} and cannot approve it`);
    p.checker = checker.trim();
    p.approvedAt = now.toISOString();
    p.status = p.screening?.hit ? 'held_aml' : 'queued';
    storePayout(ctx, p);
    return p;
  });
  await ctx.books.root.flushed;
  return p;
}

/** An AML reviewer releases a held payout (false positive) or cancels it (money back to the balance). */
export async function reviewHeldPayout(ctx: SettlementContext, id: string, reviewer: string, decision: 'release' | 'cancel', now = new Date()): Promise<PayoutRecord> {
  if (!reviewer?.trim()) throw new Error('a review needs the reviewer’s identity');
  const p = ctx.books.root.transactionSync(() => {
    const p = getPayout(ctx, id);
    if (!p) throw new Error(`no payout ${id}`);
    if (p.status !== 'held_aml' && p.status !== 'pending_approval') throw new Error(`payout ${id} is ${p.status}, not held`);
    if (p.maker && sameperson(p.maker, reviewer)) throw new Error(`maker-checker: ${reviewer} made payout ${id} and cannot review it`);
    p.reviewer = reviewer.trim();
    if (decision === 'release') {
      if (p.status === 'pending_approval') throw new Error(`payout ${id} needs approval, not an AML release`);
      p.status = 'queued';
    } else {
      const w = new LedgerWriter(ctx.books);
      returnToBalance(ctx, w, p, `cancelled by ${p.reviewer}`, today(ctx, now));
      w.flush();
      p.status = 'cancelled';
    }
    storePayout(ctx, p);
    return p;
  });
  await ctx.books.root.flushed;
  return p;
}

export type BankStatus = 'accepted' | 'rejected';

export interface StatusOutcome {
  accepted: string[];
  rejected: string[];
  /** Payout ids the report names that we do not know, or that are not awaiting an answer. */
  ignored: string[];
}

/**
 * Applies the bank's per-payout answers (from pain.002): accepted payouts leave the custodian account, rejected
 * ones go back to the beneficiary's balance and are flagged. Idempotent: an answer for a payout that already has
 * one changes nothing.
 */
export async function applyPayoutStatuses(ctx: SettlementContext, answers: Iterable<{ id: string; status: BankStatus; reason?: string }>, now = new Date()): Promise<StatusOutcome> {
  const out: StatusOutcome = { accepted: [], rejected: [], ignored: [] };
  ctx.books.root.transactionSync(() => {
    const w = new LedgerWriter(ctx.books);
    const date = today(ctx, now);
    for (const a of answers) {
      const p = getPayout(ctx, a.id);
      if (!p || p.status !== 'sent') {
        out.ignored.push(a.id);
        continue;
      }
      if (a.status === 'accepted') {
        w.post({
          id: `payout-paid:${p.id}`,
          seq: 0,
          kind: 'payout_paid',
          currency: p.currency,
          businessDate: date,
          entries: [
            [inFlightAccount(p.currency), 'D', p.amount],
            [accountId('custodian', 'bank', p.currency), 'C', p.amount],
          ],
        });
        p.status = 'accepted';
        out.accepted.push(p.id);
      } else {
        returnToBalance(ctx, w, p, `rejected by the bank${a.reason ? `: ${a.reason}` : ''}`, date);
        p.status = 'rejected';
        p.flagged = true;
        if (a.reason) p.statusReason = a.reason;
        out.rejected.push(p.id);
      }
      storePayout(ctx, p);
    }
    w.flush();
  });
  await ctx.books.root.flushed;
  if (out.rejected.length) rejectedCounter.inc({}, out.rejected.length);
  refreshFlagged(ctx);
  return out;
}

/** Someone looked at a rejected payout (fixed the bank details): it stops counting on the dashboard. */
export async function clearFlag(ctx: SettlementContext, id: string): Promise<void> {
  ctx.books.root.transactionSync(() => {
    const p = getPayout(ctx, id);
    if (!p?.flagged) return;
    p.flagged = false;
    storePayout(ctx, p);
  });
  await ctx.books.root.flushed;
  refreshFlagged(ctx);
}

export function refreshFlagged(ctx: SettlementContext): number {
  const n = listPayouts(ctx, (p) => p.flagged === true).length;
  flaggedGauge.set(n);
  return n;
}

/** Marks a batch's filed payouts as sent (inside a transaction). */
export function markSent(ctx: SettlementContext, batchId: string, currencies: string[]): void {
  for (const cur of currencies) {
    // Collected first: no cursor stays open across the writes below.
    for (const p of [...payoutsOfFile(ctx, batchId, cur)]) {
      if (p.status !== 'queued') continue;
      p.status = 'sent';
      storePayout(ctx, p);
    }
  }
}
