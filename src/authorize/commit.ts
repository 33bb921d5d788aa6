// commitDecision: the one LMDB write transaction that turns checks into money movement.
// Inside the transaction it re-reads the idempotency key, the card, the account, the velocity counters and the
// hold, decides funds and limits on that fresh state, and writes balance/hold changes, the journal record (masked
// PAN + PAN hash, never the clear PAN), velocity, PIN tries and the idempotency keys — all or nothing.
// LMDB admits one write transaction at a time (across threads and processes), so the re-check makes double
// spending impossible however many workers run. The caller awaits commit and then `flushed` before answering.
import {
  describeFraudScore,
  emptyCardProfile,
  emptyMerchantProfile,
  scoreTxn,
  updateCardProfile,
  updateMerchantProfile,
  type CardContext,
  type CardProfile,
  type FraudConfig,
  type MerchantProfile,
} from '../fraud/index.js';
import { encodeCardProfile } from '../fraud/profile-codec.js';
import type { Decision, DecisionReason, Txn, TxnKind } from '../model/txn.js';
import { cardProfileOf, lastJournalSeq, merchantProfileKey, type State } from '../state/env.js';
import type { AccountRecord, CardRecord, HoldRecord, IdemRecord, JournalRecord, VelocityRecord } from '../state/records.js';
import { DEBIT_KINDS, authCodeFor, checkFunds, checkLimits, idemKey, today } from './stages.js';

export interface CommitPlan {
  txn: Txn;
  /** Epoch ms of the decision. */
  now: number;
  panHash?: string;
  panMasked?: string;
  /** Checks that ran before the transaction (format, card, PIN, CVV2, ARQC). */
  reasons: DecisionReason[];
  /** A check before the transaction declined with this code. */
  declineCode?: string;
  /** PIN verified by the HSM: 'ok' resets the tries, 'wrong' spends one. */
  pin?: 'ok' | 'wrong';
  /**
   * Set when the transaction is to be scored: decide() scores it inside the write transaction (on the profiles as
   * the previous commit left them, the same objects the update then mutates) and folds the outcome into them.
   */
  fraud?: { config: FraudConfig; country?: string };
  holdTtlMs: number;
}

export interface Committed {
  decision: Decision;
  seq: number;
  /** The request repeated an earlier one: the stored answer was returned and nothing changed. */
  duplicate: boolean;
}

/**
 * Called inside the write transaction after the journal record is written (settlement's stream append).
 * `rolledBack`, when present, is called after a child transaction holding the hook's writes was aborted (see
 * forgetUnsavedStructures in engine.ts: databases with msgpack shared structures must reload them).
 */
export type JournalHook = ((s: State, rec: JournalRecord) => void) & {
  rolledBack?: (s: State) => void;
  /**
   * Optional per-transaction state (the settled stream's sequence cursor), driven by SeqCursor in the engine's
   * group commit: `txnBegin` at the start of the write transaction; `txnMark` before a child transaction and
   * `txnRewind(mark)` after that child was aborted; `txnEnd(s, true)` inside the transaction after the last plan
   * (store what was cached), `txnEnd(s, false)` to forget it without writing. Hooks without them are unaffected.
   */
  txnBegin?: (s: State) => void;
  txnMark?: () => unknown;
  txnRewind?: (mark: unknown) => void;
  txnEnd?: (s: State, write: boolean) => void;
};
const hooks: JournalHook[] = [];
/** Lets every hook forget state a rolled-back child transaction may have left in memory. */
export function journalHooksRolledBack(s: State): void {
  for (const h of hooks) h.rolledBack?.(s);
}
/** Returns a function that removes the hook again (tests). */
export function registerJournalHook(h: JournalHook): () => void {
  hooks.push(h);
  return () => {
    const i = hooks.indexOf(h);
    if (i >= 0) hooks.splice(i, 1);
  };
}

const ORIGINAL_KINDS: readonly TxnKind[] = ['purchase', 'preauth', 'incremental', 'completion', 'cash', 'refund', 'balance'];

/** Finds the earlier transaction a completion/reversal/incremental refers to. */
export function findOriginal(s: State, txn: Txn): { key: string; rec: IdemRecord } | undefined {
  const o = txn.original;
  if (!o) return undefined;
  const keys: string[] = [];
  if (o.txnId) {
    const k = s.refs.get(`i|${o.txnId}`);
    if (k) keys.push(k);
  }
  const acq = o.acquirerId ?? txn.acquirerId;
  if (o.stan && o.transmittedAt) for (const kind of ORIGINAL_KINDS) keys.push(idemKey({ acquirerId: acq, stan: o.stan, transmittedAt: o.transmittedAt }, kind));
  if (o.rrn) {
    const k = s.refs.get(`n|${acq}|${o.rrn}`);
    if (k) keys.push(k);
  }
  for (const key of keys) {
    const rec = s.idem.get(key);
    if (rec) return { key, rec };
  }
  return undefined;
}

interface Outcome {
  code: string;
  approvedAmount: number;
  reasons: DecisionReason[];
  account?: AccountRecord;
  card?: CardRecord;
  ledgerDelta: number;
  availableDelta: number;
  hold?: { put?: HoldRecord; removeId?: string };
  original?: { key: string; rec: IdemRecord };
  holdId?: string;
  settled?: { holdId: string; amount: number; released: number };
  velocity?: boolean;
  /** Today's velocity counters as decide() read them (same transaction): apply() adds to them without a re-read. */
  vel?: VelocityRecord;
  /** The card's stored velocity record (it carries the fraud profile too), as read in this transaction. */
  activity?: VelocityRecord;
  /** The fraud score and the profiles it was computed on (decoded once; the update mutates them). */
  fraud?: FraudOutcome;
}

interface FraudOutcome {
  score: number;
  review: boolean;
  decline: boolean;
  currency: string;
  profile: CardProfile;
  merchantKey: string;
  merchant: MerchantProfile | undefined;
  /** The profile was read from fraud.cards (data written before it moved into the velocity record). */
  legacy: boolean;
}

/** The fraud stage, inside the commit: pushes its reason; undefined (and no profile update) when scoring failed. */
function scoreInCommit(
  s: State, p: CommitPlan, panHash: string, currency: string, reasons: DecisionReason[], activity: VelocityRecord | undefined,
): FraudOutcome | undefined {
  const cfg = p.fraud!;
  try {
    const stored = cardProfileOf(s, panHash, activity);
    const legacy = stored !== undefined && activity?.profile === undefined;
    const profile = stored ?? emptyCardProfile();
    const merchantKey = merchantProfileKey(p.txn);
    const merchant = s.merchantProfiles.get(merchantKey);
    const card: CardContext = { currency, profile };
    if (cfg.country) card.country = cfg.country;
    const f = scoreTxn(p.txn, card, merchant, p.now, cfg.config);
    const decline = f.action === 'decline';
    reasons.push({ check: 'fraud', ok: !decline, detail: describeFraudScore(f) });
    return { score: f.score, review: f.action === 'review', decline, currency, profile, merchantKey, merchant, legacy };
  } catch (e) {
    reasons.push({ check: 'fraud', ok: true, detail: `scoring failed, not applied: ${(e as Error).message}` });
    return undefined;
  }
}

function decline(code: string, reasons: DecisionReason[], extra: Partial<Outcome> = {}): Outcome {
  return { code, approvedAmount: 0, reasons, ledgerDelta: 0, availableDelta: 0, ...extra };
}

/** Amount in the account's currency: the request, or the billing amount (DE 6) when currencies differ. */
function accountAmount(txn: Txn, acct: AccountRecord): number | undefined {
  if (txn.currency === acct.currency) return txn.amount;
  if (txn.billingCurrency === acct.currency && txn.billingAmount !== undefined) return txn.billingAmount;
  return undefined;
}

/** Decides on state read inside the write transaction. Reads only; writes happen in apply(). */
function decide(s: State, p: CommitPlan, card: CardRecord | undefined): Outcome {
  const txn = p.txn;
  const reasons = [...p.reasons];
  if (p.declineCode) {
    if (p.pin === 'wrong' && card) {
      const left = Math.max(0, card.pinTriesLeft - 1);
      return decline(left === 0 ? '75' : '55', reasons, { card: { ...card, pinTriesLeft: left } });
    }
    return decline(p.declineCode, reasons);
  }
  if (!card) return decline('14', reasons);
  const acct = s.accounts.get(card.accountId);
  if (!acct) {
    reasons.push({ check: 'account', ok: false, detail: 'account record missing' });
    return decline('96', reasons);
  }
  // One record holds the card's velocity counters and its fraud profile: one get serves both.
  const activity = p.fraud || DEBIT_KINDS.has(txn.kind) ? s.velocity.get(card.panHash) : undefined;
  const fraud = p.fraud ? scoreInCommit(s, p, card.panHash, acct.currency, reasons, activity) : undefined;
  const out = fraud?.decline ? decline('59', reasons) : decideMoney(s, p, card, acct, reasons, activity);
  if (fraud) out.fraud = fraud;
  out.activity = activity;
  return out;
}

/** Limits, funds, holds and originals for a transaction on an existing card and account. */
function decideMoney(s: State, p: CommitPlan, card: CardRecord, acct: AccountRecord, reasons: DecisionReason[], activity: VelocityRecord | undefined): Outcome {
  const txn = p.txn;
  const cardAfter = p.pin === 'ok' && card.pinTriesLeft !== card.pinTriesMax ? { ...card, pinTriesLeft: card.pinTriesMax } : undefined;
  const amount = accountAmount(txn, acct);
  if (amount === undefined) {
    reasons.push({ check: 'currency', ok: false, detail: `no amount in account currency ${acct.currency}` });
    return decline('30', reasons);
  }
  // Plain fields, not spread into each outcome below: a literal with properties after a spread takes V8's slow
  // define path (runtime call per property) in this hot path. `card` undefined means no card write.
  const base: MoneyBase = { account: acct, card: cardAfter };

  if (txn.kind === 'balance') return { code: '00', approvedAmount: 0, reasons, ledgerDelta: 0, availableDelta: 0, account: acct, card: cardAfter };

  if (txn.kind === 'refund') {
    reasons.push({ check: 'refund', ok: true });
    return { code: '00', approvedAmount: amount, reasons, ledgerDelta: amount, availableDelta: amount, account: acct, card: cardAfter };
  }

  if (txn.kind === 'reversal') return decideReversal(s, txn, reasons, base);

  if (txn.kind === 'completion') {
    const orig = findOriginal(s, txn);
    const hold = orig?.rec.holdId ? s.holds.get(orig.rec.holdId) : undefined;
    if (!orig || !hold) {
      reasons.push({ check: 'original', ok: false, detail: orig ? 'hold no longer open' : 'original not found' });
      return decline(orig ? '12' : '25', reasons, base);
    }
    const extra = Math.max(0, amount - hold.amount);
    if (extra > 0) {
      const f = checkFunds(acct, extra, false);
      reasons.push(f.reason);
      if (f.code) return decline(f.code, reasons, base);
    }
    reasons.push({ check: 'hold', ok: true, detail: `settles ${amount} of ${hold.amount}` });
    return {
      code: '00', approvedAmount: amount, reasons, account: acct, card: cardAfter, original: orig,
      ledgerDelta: -amount, availableDelta: hold.amount - amount,
      hold: { removeId: hold.id }, settled: { holdId: hold.id, amount, released: hold.amount },
    };
  }

  // Debits: purchase, cash, preauth, incremental.
  let hold: HoldRecord | undefined;
  let orig: { key: string; rec: IdemRecord } | undefined;
  if (txn.kind === 'incremental') {
    orig = findOriginal(s, txn);
    hold = orig?.rec.holdId ? s.holds.get(orig.rec.holdId) : undefined;
    if (!orig || !hold) {
      reasons.push({ check: 'original', ok: false, detail: orig ? 'hold no longer open' : 'original not found' });
      return decline(orig ? '12' : '25', reasons, base);
    }
  }
  const vel = today(activity, new Date(p.now));
  const lim = checkLimits(card, vel, txn.kind, amount);
  reasons.push(lim.reason);
  if (lim.code) return decline(lim.code, reasons, base);
  const f = checkFunds(acct, amount, txn.partialAllowed === true && txn.kind !== 'incremental');
  reasons.push(f.reason);
  if (f.code) return decline(f.code, reasons, base);
  const got = f.approve;
  const code = f.partial ? '10' : '00';
  if (txn.kind === 'purchase' || txn.kind === 'cash') {
    return { code, approvedAmount: got, reasons, account: acct, card: cardAfter, ledgerDelta: -got, availableDelta: -got, velocity: true, vel };
  }
  if (txn.kind === 'incremental') {
    const h = hold as HoldRecord;
    return {
      code, approvedAmount: got, reasons, account: acct, card: cardAfter, original: orig, ledgerDelta: 0, availableDelta: -got, velocity: true, vel,
      holdId: h.id, hold: { put: { ...h, amount: h.amount + got, authorized: h.authorized + got, expiresAt: Math.max(h.expiresAt, p.now + p.holdTtlMs) } },
    };
  }
  // preauth: the hold id is the journal sequence, filled in by apply().
  return { code, approvedAmount: got, reasons, account: acct, card: cardAfter, ledgerDelta: 0, availableDelta: -got, velocity: true, vel, holdId: 'new' };
}

interface MoneyBase {
  account: AccountRecord;
  card: CardRecord | undefined;
}

function decideReversal(s: State, txn: Txn, reasons: DecisionReason[], base: MoneyBase): Outcome {
  const orig = findOriginal(s, txn);
  if (!orig) {
    reasons.push({ check: 'original', ok: false, detail: 'original not found' });
    return decline('25', reasons, base);
  }
  const o = orig.rec;
  if (o.reversedBySeq !== undefined || !o.approved) {
    reasons.push({ check: 'original', ok: true, detail: o.approved ? `already reversed by ${o.reversedBySeq}` : 'original was declined: nothing to undo' });
    return { code: '00', approvedAmount: 0, reasons, ledgerDelta: 0, availableDelta: 0, account: base.account, card: base.card, original: orig };
  }
  const amt = o.approvedAmount;
  const out: Outcome = { code: '00', approvedAmount: amt, reasons, ledgerDelta: 0, availableDelta: 0, account: base.account, card: base.card, original: orig };
  switch (o.kind) {
    case 'purchase':
    case 'cash':
      out.ledgerDelta = amt;
      out.availableDelta = amt;
      break;
    case 'refund':
      out.ledgerDelta = -amt;
      out.availableDelta = -amt;
      break;
    case 'completion':
      // The hold it settled is gone: give back what was debited.
      out.ledgerDelta = o.settledAmount ?? amt;
      out.availableDelta = o.settledAmount ?? amt;
      break;
    case 'preauth':
    case 'incremental': {
      const h = o.holdId ? s.holds.get(o.holdId) : undefined;
      if (!h) {
        out.approvedAmount = 0;
        reasons.push({ check: 'hold', ok: true, detail: 'hold already closed' });
        break;
      }
      const release = o.kind === 'preauth' ? h.amount : Math.min(amt, h.amount);
      out.availableDelta = release;
      out.approvedAmount = release;
      out.holdId = h.id;
      out.hold = release === h.amount ? { removeId: h.id } : { put: { ...h, amount: h.amount - release } };
      break;
    }
    default:
      out.approvedAmount = 0;
  }
  reasons.push({ check: 'reversal', ok: true, detail: `reverses ${o.kind} seq ${o.journalSeq}` });
  return out;
}

/** The velocity counters to store: today's plus this debit when it counts, else the stored ones unchanged. */
function nextVelocity(out: Outcome, txn: Txn, now: number): VelocityRecord {
  if (!out.velocity) return out.activity ?? today(undefined, new Date(now));
  const v = out.vel ?? today(out.activity, new Date(now));
  return {
    day: v.day,
    count: v.count + (txn.kind === 'incremental' ? 0 : 1),
    amount: v.amount + out.approvedAmount,
    cash: v.cash + (txn.kind === 'cash' ? out.approvedAmount : 0),
  };
}

/**
 * Stores the card's velocity counters and fraud profile as ONE record: one put per authorization instead of two
 * (and one get, in decide). A profile read from fraud.cards (data written before it moved here) is moved: the old
 * entry goes, so no stale copy is left behind.
 */
function putActivity(s: State, panHash: string, v: VelocityRecord, profile: Uint8Array | undefined, moved: boolean): void {
  const rec: VelocityRecord = profile
    ? { day: v.day, count: v.count, amount: v.amount, cash: v.cash, profile }
    : { day: v.day, count: v.count, amount: v.amount, cash: v.cash };
  s.velocity.put(panHash, rec);
  if (moved) s.cardProfiles.remove(panHash);
}

function decisionFrom(txnId: string, rec: IdemRecord, acct: AccountRecord | undefined, extra: Partial<Decision>): Decision {
  return {
    txnId,
    responseCode: rec.responseCode,
    approved: rec.approved,
    approvedAmount: rec.approvedAmount,
    ...(rec.authCode ? { authCode: rec.authCode } : {}),
    ...(acct ? { availableBalance: acct.available, ledgerBalance: acct.ledger } : {}),
    reasons: [],
    ...extra,
  };
}

/**
 * The journal sequence inside one write transaction: read once, advanced per record, written once at the end
 * (`finish`) instead of a read and a put per authorization.
 */
export class SeqCursor {
  private readonly first: number;
  last: number;
  /** The hooks registered when the transaction began (their per-transaction state: JournalHook txnBegin…txnEnd). */
  private readonly hooks: readonly JournalHook[];
  private open = true;
  constructor(private readonly s: State) {
    this.first = this.last = lastJournalSeq(s);
    this.hooks = hooks.slice();
    for (const h of this.hooks) h.txnBegin?.(s);
  }
  next(): number {
    return ++this.last;
  }
  /** Where the journal and the hooks' sequences stand: take it before a child transaction. */
  mark(): SeqMark {
    return { last: this.last, hooks: this.hooks.map((h) => h.txnMark?.()) };
  }
  /** After an aborted child transaction: hands back the numbers it took (journal and hooks). */
  rewind(m: SeqMark): void {
    this.last = m.last;
    this.hooks.forEach((h, i) => h.txnRewind?.(m.hooks[i]));
  }
  /** Writes the sequences if they moved; call inside the same write transaction, after the last record. */
  finish(): void {
    if (this.last !== this.first) this.s.meta.put('journalSeq', this.last);
    this.open = false;
    for (const h of this.hooks) h.txnEnd?.(this.s, true);
  }
  /** Ends the hooks' per-transaction state without writing it (a throw before finish). Idempotent. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const h of this.hooks) h.txnEnd?.(this.s, false);
  }
}
export interface SeqMark {
  last: number;
  hooks: unknown[];
}

/**
 * Body of the write transaction. lmdb-js's async transaction() commits whatever a callback wrote even when it
 * throws, so callers run it as a child transaction (engine.ts commitAtomically): a throw after the first write
 * then rolls back this plan's writes only. With `seq` the caller owns the journal sequence for the whole transaction and calls `seq.finish()` at its end.
 */
export function commitBody(s: State, p: CommitPlan, seqCursor?: SeqCursor): Committed {
  const txn = p.txn;
  const key = idemKey(txn, txn.kind);
  const prior = s.idem.get(key);
  if (prior) {
    const acct = prior.accountId ? s.accounts.get(prior.accountId) : undefined;
    return { decision: decisionFrom(txn.id, prior, acct, { reasons: [{ check: 'duplicate', ok: true, detail: `same as seq ${prior.journalSeq}` }] }), seq: prior.journalSeq, duplicate: true };
  }
  const card = p.panHash ? s.cards.get(p.panHash) : undefined;
  const out = decide(s, p, card);
  const approved = out.code === '00' || out.code === '10';
  if (!approved) {
    out.approvedAmount = 0;
    out.ledgerDelta = 0;
    out.availableDelta = 0;
    delete out.hold;
    delete out.velocity;
    if (out.holdId === 'new') delete out.holdId;
  }

  // ---- writes from here on; nothing below throws on valid state ----
  let seq: number;
  if (seqCursor) seq = seqCursor.next();
  else {
    seq = lastJournalSeq(s) + 1;
    s.meta.put('journalSeq', seq);
  }
  const authCode = approved ? authCodeFor(seq) : undefined;
  let acct = out.account;
  if (acct && (out.ledgerDelta !== 0 || out.availableDelta !== 0)) {
    acct = { ...acct, ledger: acct.ledger + out.ledgerDelta, available: acct.available + out.availableDelta };
    s.accounts.put(acct.id, acct);
  }
  if (out.card) s.cards.put(out.card.panHash, out.card);
  let holdId = out.holdId;
  if (holdId === 'new' && acct && card) {
    holdId = `h${seq}`;
    const h: HoldRecord = {
      id: holdId, accountId: acct.id, panHash: card.panHash, amount: out.approvedAmount, authorized: out.approvedAmount,
      currency: acct.currency, expiresAt: p.now + p.holdTtlMs, txnId: txn.id, journalSeq: seq,
    };
    s.holds.put(holdId, h);
  }
  if (out.hold?.put) s.holds.put(out.hold.put.id, out.hold.put);
  if (out.hold?.removeId) s.holds.remove(out.hold.removeId);
  if (out.original && txn.kind === 'reversal' && approved && out.original.rec.reversedBySeq === undefined && out.original.rec.approved) {
    s.idem.put(out.original.key, { ...out.original.rec, reversedBySeq: seq });
  }
  if (out.original && txn.kind === 'completion' && approved) {
    // A reversal of the preauth after its completion must not release anything: the hold is gone.
    s.idem.put(out.original.key, { ...out.original.rec, holdId: undefined });
  }

  const rec: JournalRecord = {
    seq, at: p.now, txnId: txn.id, kind: txn.kind, mti: txn.mti, processingCode: txn.processingCode, channel: txn.channel,
    acquirerId: txn.acquirerId, stan: txn.stan, rrn: txn.rrn, terminalId: txn.terminalId, merchantId: txn.merchantId, mcc: txn.mcc,
    panMasked: p.panMasked, panHash: p.panHash, accountId: acct?.id, amount: txn.amount, currency: txn.currency,
    responseCode: out.code, approved, approvedAmount: out.approvedAmount, authCode,
    ledgerDelta: out.ledgerDelta, availableDelta: out.availableDelta, ledgerAfter: acct?.ledger, availableAfter: acct?.available,
    holdId: holdId === 'new' ? undefined : holdId, originalSeq: out.original?.rec.journalSeq, fraudScore: out.fraud?.score, reasons: out.reasons,
  };
  s.journal.put(seq, rec);
  const idem: IdemRecord = {
    journalSeq: seq, kind: txn.kind, txnId: txn.id, responseCode: out.code, approved, approvedAmount: out.approvedAmount,
    authCode, accountId: acct?.id, holdId: holdId === 'new' ? undefined : holdId, createdAt: p.now,
    ...(out.settled ? { settledHoldId: out.settled.holdId, settledAmount: out.settled.amount, releasedAmount: out.settled.released } : {}),
  };
  s.idem.put(key, idem);
  s.refs.put(`i|${txn.id}`, key);
  if (txn.rrn) s.refs.put(`n|${txn.acquirerId}|${txn.rrn}`, key);
  const fr = out.fraud;
  let profile: CardProfile | undefined;
  if (fr && p.fraud && p.panHash) {
    // The profiles decide() scored on (read in this transaction, nothing wrote them since): updated in place.
    const ctx: { currency: string; country?: string } = { currency: fr.currency };
    if (p.fraud.country) ctx.country = p.fraud.country;
    profile = updateCardProfile(fr.profile, txn, approved, p.now, ctx);
    s.merchantProfiles.put(fr.merchantKey, updateMerchantProfile(fr.merchant ?? emptyMerchantProfile(), txn, approved, p.now, p.fraud.config.rules));
  }
  if (card && (out.velocity || profile)) {
    putActivity(s, card.panHash, nextVelocity(out, txn, p.now), profile ? encodeCardProfile(profile) : out.activity?.profile, fr?.legacy === true && profile !== undefined);
  }
  for (const h of hooks) h(s, rec);

  // Optional fields assigned, not spread (see decideMoney); same key order as before, `reasons` last.
  const decision = { txnId: txn.id, responseCode: out.code, approved, approvedAmount: out.approvedAmount } as Decision;
  if (authCode) decision.authCode = authCode;
  if (acct) {
    decision.availableBalance = acct.available;
    decision.ledgerBalance = acct.ledger;
  }
  if (fr) decision.fraudScore = fr.score;
  if (fr?.review && !fr.decline) {
    decision.review = true;
    if (p.panHash) decision.cardRef = p.panHash;
  }
  decision.reasons = out.reasons;
  return { decision, seq, duplicate: false };
}

/**
 * Queues the write transaction (lmdb-js batches the callbacks queued in one event turn into one LMDB
 * transaction: group commit) and resolves once it is committed AND flushed to disk.
 */
export async function commitDecision(s: State, p: CommitPlan): Promise<Committed> {
  // A child transaction: a throw after the first write rolls this plan back instead of committing half of it.
  const result = (await s.root.childTransaction(() => commitBody(s, p))) as Committed;
  await s.root.flushed;
  return result;
}
