// recordToPosting: the pure stage that turns one settled record into one balanced posting, given the pricing and
// what the ledger already knows about earlier transfers (their state and postings). No I/O.
//
// Captures (purchase, advice, completion): Dr issuer X; Cr interchange, scheme, switch fee, acquirer share;
//   Cr merchant X − MDR, or for a marketplace split: Cr each seller its share, Cr merchant platformFee − MDR.
// Pre-authorization: pending Dr issuer / pending Cr merchant (a hold); completion releases it and captures;
//   a reversal of an open hold voids it.
// Refund: Dr merchant (and sellers pro rata) / Cr issuer. The MDR is not returned on a refund (documented rule).
// Reversal of a capture or refund: the original's posted entries with sides swapped (fees returned).
// Chargeback: Dr merchant (and sellers pro rata) / Cr disputes, then Dr disputes / Cr issuer;
//   representment is its reversal. Anything the rules cannot attribute (refund beyond what was captured, unknown
//   original) moves through suspense with a note, so money is never invented and never silently dropped.
import type { SettledKind, SettledRecord, Split } from '../stream/types.js';
import { feesFor, type PricingConfig } from '../settlement/pricing.js';
import { accountId } from './accounts.js';
import { inverseEntries, type Entry, type Posting, type TransferFacts } from './posting.js';

/** What the ledger remembers per money-moving record (mutable state beside the immutable postings). */
export interface TransferState {
  kind: SettledKind;
  status: 'pending' | 'posted' | 'voided' | 'reversed';
  /** Held amount (preauth) or amount moved. */
  amount: number;
  /** For captures: refunded and charged-back so far. */
  refunded: number;
  charged: number;
  merchantId: string;
  issuerId: string;
  acquirerId: string;
  currency: string;
  split?: Split;
  /** The capture this record refers to (refunds, chargebacks) or the record it reverses. */
  originalId?: string;
  businessDate: string;
}

export interface RuleContext {
  pricing: PricingConfig;
  state(id: string): TransferState | undefined;
  posting(id: string): Posting | undefined;
}

export interface RuleResult {
  posting: Posting;
  /** State updates to store (id → new state). */
  states: [string, TransferState][];
  /** Capture whose seller shares the posting's seller entries change (for the payout holding rules). */
  shareCaptureId?: string;
  /** The record names an original the ledger does not know (yet): see src/ledger/waiting.ts. */
  missingOriginal?: boolean;
}

const CAPTURES: ReadonlySet<SettledKind> = new Set(['purchase', 'advice', 'completion']);

/**
 * Interned account ids, one table per currency (owner → type → id): the hot path reuses one string per account
 * instead of building a new one per entry, so the writer's balance map hashes it once and the GC sees less
 * garbage. A Builder looks its currency's table up once per record, then one Map lookup per owner (an issuer's
 * issuer and interchange accounts share it) and a property read per type.
 * Bounded: every table is dropped when MAX_INTERNED ids are held (ids stay correct, only the reuse is lost).
 */
const MAX_INTERNED = 200_000;
type AccountType = Parameters<typeof accountId>[0];
type OwnerIds = Partial<Record<AccountType, string>>;
type IdTable = Map<string, OwnerIds>;
const interned = new Map<string, IdTable>();
let internedCount = 0;

function idTable(currency: string): IdTable {
  let t = interned.get(currency);
  if (!t) interned.set(currency, (t = new Map()));
  return t;
}

function ownerIds(table: IdTable, owner: string): OwnerIds {
  let ids = table.get(owner);
  if (!ids) table.set(owner, (ids = {}));
  return ids;
}

function internedAccountId(table: IdTable, ids: OwnerIds, type: AccountType, owner: string, currency: string): string {
  let id = ids[type];
  if (id === undefined) {
    // A template literal builds a rope (cons string): each Map lookup and byte write of it walks the rope, so the
    // interned id is a flat copy (made once per id; JSON keeps any lone surrogate as it is).
    id = JSON.parse(JSON.stringify(accountId(type, owner, currency))) as string;
    if (internedCount >= MAX_INTERNED) {
      for (const t of interned.values()) t.clear();
      table.set(owner, ids); // the caller holds this owner's ids: they stay, every other id is built afresh
      internedCount = Object.keys(ids).length;
    }
    ids[type] = id;
    internedCount++;
  }
  return id;
}

class Builder {
  readonly entries: Entry[] = [];
  private readonly ids: IdTable;
  constructor(readonly currency: string) {
    this.ids = idTable(currency);
  }
  acct(type: AccountType, owner: string): string {
    return internedAccountId(this.ids, ownerIds(this.ids, owner), type, owner, this.currency);
  }
  /** Ids of one owner's accounts, for several types of the same owner at one Map lookup. */
  owner(owner: string): OwnerIds {
    return ownerIds(this.ids, owner);
  }
  acctOf(ids: OwnerIds, type: AccountType, owner: string): string {
    return internedAccountId(this.ids, ids, type, owner, this.currency);
  }
  debit(a: string, n: number): void {
    if (n > 0) this.entries.push([a, 'D', n]);
    else if (n < 0) this.entries.push([a, 'C', -n]);
  }
  credit(a: string, n: number): void {
    this.debit(a, -n);
  }
  pending(debitAcct: string, creditAcct: string, n: number): void {
    if (n === 0) return;
    this.entries.push([debitAcct, 'PD', n], [creditAcct, 'PC', n]);
  }
}

/** Splits `x` pro rata over a split's shares (largest parts exact in BigInt); the merchant takes the remainder. */
export function proRata(x: number, split: Split | undefined): { merchant: number; sellers: [string, number][] } {
  if (!split) return { merchant: x, sellers: [] };
  const total = BigInt(split.platformFee + split.sellers.reduce((s, v) => s + v.amount, 0));
  let given = 0;
  const sellers: [string, number][] = [];
  for (const s of split.sellers) {
    const part = Number((BigInt(x) * BigInt(s.amount)) / total);
    given += part;
    if (part > 0) sellers.push([s.sellerId, part]);
  }
  return { merchant: x - given, sellers };
}

function captureEntries(b: Builder, r: SettledRecord, x: number, pricing: PricingConfig): void {
  const fees = feesFor(x, r.merchantId, r.issuerId, pricing);
  const issuer = b.owner(r.issuerId);
  b.debit(b.acctOf(issuer, 'issuer', r.issuerId), x);
  b.credit(b.acctOf(issuer, 'interchange', r.issuerId), fees.interchange);
  b.credit(b.acct('scheme', pricing.schemeId ?? 'SCHEME'), fees.scheme);
  b.credit(b.acct('fees', 'switch'), fees.switchFee);
  b.credit(b.acct('acquirer', r.acquirerId), fees.acquirer);
  if (r.split) {
    b.credit(b.acct('merchant', r.merchantId), r.split.platformFee - fees.mdr);
    for (const s of r.split.sellers) b.credit(b.acct('seller', s.sellerId), s.amount);
  } else {
    b.credit(b.acct('merchant', r.merchantId), x - fees.mdr);
  }
}

/** Debits what a merchant (and its sellers, pro rata over the capture's split) gives back. */
function debitMerchantSide(b: Builder, merchantId: string, split: Split | undefined, x: number): void {
  const parts = proRata(x, split);
  b.debit(b.acct('merchant', merchantId), parts.merchant);
  for (const [seller, n] of parts.sellers) b.debit(b.acct('seller', seller), n);
}

/** A record's own transfer state; one object shape for all (no spreads: less garbage, one msgpack structure). */
function stateOf(r: SettledRecord, status: TransferState['status'], amount: number, businessDate: string, split?: Split): TransferState {
  const s: TransferState = {
    kind: r.kind,
    status,
    amount,
    refunded: 0,
    charged: 0,
    merchantId: r.merchantId,
    issuerId: r.issuerId,
    acquirerId: r.acquirerId,
    currency: r.currency,
    businessDate,
  };
  if (r.originalId) s.originalId = r.originalId;
  if (split) s.split = split;
  return s;
}

/** What a posting stores of its record's own new state (the rest comes from the posting itself). */
function factsOf(s: TransferState): TransferFacts {
  const t: TransferFacts = { amount: s.amount, merchantId: s.merchantId, issuerId: s.issuerId, acquirerId: s.acquirerId };
  if (s.originalId) t.originalId = s.originalId;
  if (s.split) t.split = s.split;
  return t;
}

/**
 * The transfer state a posting opened, as recordToPosting first set it (identical object: same fields, same
 * order), or undefined for a posting that opened none (reversal, representment, settlement's own postings).
 */
export function openedState(p: Pick<Posting, 'kind' | 'currency' | 'businessDate' | 'transfer'>): TransferState | undefined {
  const t = p.transfer;
  if (!t) return undefined;
  const s: TransferState = {
    kind: p.kind as SettledKind,
    status: p.kind === 'preauth' ? 'pending' : 'posted',
    amount: t.amount,
    refunded: 0,
    charged: 0,
    merchantId: t.merchantId,
    issuerId: t.issuerId,
    acquirerId: t.acquirerId,
    currency: p.currency,
    businessDate: p.businessDate,
  };
  if (t.originalId) s.originalId = t.originalId;
  if (t.split) s.split = t.split;
  return s;
}

export function recordToPosting(r: SettledRecord, businessDate: string, ctx: RuleContext): RuleResult {
  const b = new Builder(r.currency);
  const states: [string, TransferState][] = [];
  const notes: string[] = [];
  let reverses: string | undefined;
  let shareCaptureId: string | undefined;
  const orig = r.originalId ? ctx.state(r.originalId) : undefined;
  /** The record's own new state (preauth, captures, refund, chargeback): stored on its posting, see openedState. */
  let own: TransferState | undefined;

  switch (r.kind) {
    case 'preauth':
      b.pending(b.acct('issuer', r.issuerId), b.acct('merchant', r.merchantId), r.amount);
      states.push([r.id, (own = stateOf(r, 'pending', r.amount, businessDate))]);
      break;
    case 'purchase':
    case 'advice':
    case 'completion': {
      if (r.kind === 'completion') {
        if (orig && orig.status === 'pending') {
          b.pending(b.acct('issuer', orig.issuerId), b.acct('merchant', orig.merchantId), -orig.amount);
          states.push([r.originalId!, { ...orig, status: 'posted' }]);
        } else {
          notes.push(`completion without an open hold (${r.originalId}: ${orig?.status ?? 'unknown'})`);
        }
      }
      captureEntries(b, r, r.amount, ctx.pricing);
      states.push([r.id, (own = stateOf(r, 'posted', r.amount, businessDate, r.split))]);
      if (r.split) shareCaptureId = r.id;
      break;
    }
    case 'refund': {
      const refundable = orig && CAPTURES.has(orig.kind) && orig.status === 'posted' ? orig.amount - orig.refunded - orig.charged : 0;
      const covered = Math.min(r.amount, Math.max(0, refundable));
      if (covered > 0) {
        debitMerchantSide(b, orig!.merchantId, orig!.split, covered);
        states.push([r.originalId!, { ...orig!, refunded: orig!.refunded + covered }]);
        if (orig!.split) shareCaptureId = r.originalId;
      } else if (!orig) {
        // A refund without a known capture (e.g. of a sale acquired elsewhere): the merchant still pays it.
        b.debit(b.acct('merchant', r.merchantId), r.amount);
      }
      const excess = orig ? r.amount - covered : 0;
      if (excess > 0) {
        b.debit(b.acct('suspense', 'recon'), excess);
        notes.push(`refund exceeds what ${r.originalId} left refundable by ${excess}`);
      }
      b.credit(b.acct('issuer', r.issuerId), r.amount);
      states.push([r.id, (own = stateOf(r, 'posted', covered, businessDate))]);
      break;
    }
    case 'chargeback': {
      const chargeable = orig && CAPTURES.has(orig.kind) && orig.status === 'posted' ? orig.amount - orig.refunded - orig.charged : 0;
      const covered = Math.min(r.amount, Math.max(0, chargeable));
      const disputes = b.acct('disputes', r.merchantId);
      if (covered > 0) {
        debitMerchantSide(b, orig!.merchantId, orig!.split, covered);
        b.credit(disputes, covered);
        states.push([r.originalId!, { ...orig!, charged: orig!.charged + covered }]);
        if (orig!.split) shareCaptureId = r.originalId;
      }
      if (r.amount - covered > 0) {
        b.debit(b.acct('suspense', 'recon'), r.amount - covered);
        b.credit(disputes, r.amount - covered);
        notes.push(`chargeback exceeds what ${r.originalId} left chargeable by ${r.amount - covered}`);
      }
      b.debit(disputes, r.amount);
      b.credit(b.acct('issuer', r.issuerId), r.amount);
      states.push([r.id, (own = stateOf(r, 'posted', covered, businessDate))]);
      break;
    }
    case 'reversal':
    case 'representment': {
      const target = orig;
      const origPosting = r.originalId ? ctx.posting(r.originalId) : undefined;
      if (!target || !origPosting) {
        notes.push(`${r.kind} of unknown ${r.originalId}: nothing moved`);
      } else if (target.status === 'pending') {
        b.pending(b.acct('issuer', target.issuerId), b.acct('merchant', target.merchantId), -target.amount);
        states.push([r.originalId!, { ...target, status: 'voided' }]);
      } else if (target.status !== 'posted') {
        notes.push(`${r.kind} of ${r.originalId} which is ${target.status}: nothing moved`);
      } else if (r.kind === 'representment' && target.kind !== 'chargeback') {
        notes.push(`representment of ${r.originalId} which is a ${target.kind}: nothing moved`);
      } else if (CAPTURES.has(target.kind) && (target.refunded > 0 || target.charged > 0)) {
        notes.push(`reversal of ${r.originalId} after refunds/chargebacks: nothing moved, investigate`);
      } else {
        for (const e of inverseEntries(origPosting)) b.entries.push(e);
        reverses = r.originalId;
        states.push([r.originalId!, { ...target, status: 'reversed' }]);
        // Undoing a refund or chargeback gives the capture back its refundable/chargeable room.
        const capId = target.originalId;
        const cap = (target.kind === 'refund' || target.kind === 'chargeback') && capId ? ctx.state(capId) : undefined;
        if (cap) {
          const field = target.kind === 'refund' ? 'refunded' : 'charged';
          states.push([capId!, { ...cap, [field]: cap[field] - target.amount }]);
          if (cap.split) shareCaptureId = capId;
        } else if (target.split) shareCaptureId = r.originalId;
      }
      // No state for the reversal itself: nothing ever refers to a reversal or a representment.
      break;
    }
  }
  const posting: Posting = { id: r.id, seq: r.seq, kind: r.kind, currency: r.currency, businessDate, entries: b.entries };
  if (reverses) posting.reverses = reverses;
  if (notes.length) posting.note = notes.join('; ');
  if (own) posting.transfer = factsOf(own);
  // One result shape whether or not a share moves (a conditional spread took V8's slow path per record).
  const res: RuleResult = { posting, states };
  if (shareCaptureId) res.shareCaptureId = shareCaptureId;
  if (r.originalId && !orig) res.missingOriginal = true;
  return res;
}
