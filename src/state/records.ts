// The records the hot state keeps, one LMDB database each. Plain data, msgpack-encoded.
// Amounts are integers in minor units of the account's currency.
import type { DecisionReason, TxnKind } from '../model/txn.js';

export type CardStatus = 'active' | 'blocked' | 'lost' | 'stolen' | 'expired';

export interface CardLimits {
  /** Largest single transaction; above it 61. */
  perTxn: number;
  /** Sum of approved debits per UTC day; above it 61. */
  dailyAmount: number;
  /** Approved debits per UTC day; above it 65. */
  dailyCount: number;
  /** Cash withdrawals per UTC day (amount); above it 61. */
  dailyCash: number;
}

/** How the card's PIN is verified by the HSM. */
export type PinVerification =
  | { method: 'ibm'; pvkRef: string; offset: string; checkLength?: number; decimalisationTable?: string; pinValidationData?: string }
  | { method: 'visa'; pvkRef: string; pvki: string; pvv: string };

export interface CardRecord {
  /** HMAC-SHA-256 of the PAN (hex): the key of the cards database. */
  panHash: string;
  /** AES-256-GCM sealed PAN (base64), under the data key; never the clear PAN. */
  panSealed: string;
  /** 6+4 masked PAN for journal and logs. */
  panMasked: string;
  status: CardStatus;
  /** YYMM. */
  expiry: string;
  serviceCode: string;
  panSequence: string;
  pin?: PinVerification;
  pinTriesLeft: number;
  pinTriesMax: number;
  /** Key references (names in the keys database). */
  cvkRef?: string;
  mkacRef?: string;
  limits: CardLimits;
  accountId: string;
  product: string;
  /** Home country (ISO 3166 numeric), for the fraud model's foreign-use signal. */
  country?: string;
  /** Transaction kinds this product does not allow (57) — e.g. 'cash' on a prepaid card. */
  notPermitted?: TxnKind[];
  /** MCCs blocked for this product (57). */
  blockedMcc?: string[];
  /** Acquirers (DE 32) this card may not be used at (58). */
  blockedAcquirers?: string[];
}

export interface AccountRecord {
  id: string;
  /** ISO 4217 numeric. */
  currency: string;
  /** Booked balance. */
  ledger: number;
  /** Spendable balance: ledger − open holds. Invariant: ledger − available = sum of open holds. */
  available: number;
  /** Overdraft/credit line: available may go down to −creditLimit. */
  creditLimit: number;
}

/** An open pre-authorization. Closed holds are removed; the journal keeps the history. */
export interface HoldRecord {
  id: string;
  accountId: string;
  panHash: string;
  /** Amount still held. */
  amount: number;
  /** Amount first authorized plus incrementals. */
  authorized: number;
  currency: string;
  /** Epoch ms after which the sweep releases it. */
  expiresAt: number;
  txnId: string;
  journalSeq: number;
}

/** What an idempotency key maps to: the earlier decision (a retransmission gets the same answer). */
export interface IdemRecord {
  journalSeq: number;
  kind: TxnKind;
  txnId: string;
  responseCode: string;
  approved: boolean;
  approvedAmount: number;
  authCode?: string;
  accountId?: string;
  holdId?: string;
  /** Set once the transaction was reversed (a second reversal changes nothing). */
  reversedBySeq?: number;
  /** Completions remember what they settled so a reversal can restore it. */
  settledHoldId?: string;
  settledAmount?: number;
  releasedAmount?: number;
  createdAt: number;
}

export interface JournalRecord {
  seq: number;
  /** Set on records not caused by a request: 'hold.expired' from the sweep. */
  event?: string;
  at: number;
  txnId: string;
  kind: TxnKind;
  mti: string;
  processingCode: string;
  channel: string;
  acquirerId: string;
  stan: string;
  rrn?: string;
  terminalId?: string;
  merchantId?: string;
  mcc?: string;
  panMasked?: string;
  panHash?: string;
  accountId?: string;
  amount: number;
  currency: string;
  responseCode: string;
  approved: boolean;
  approvedAmount: number;
  authCode?: string;
  /** Balance changes this record applied (minor units; signed). */
  ledgerDelta: number;
  availableDelta: number;
  ledgerAfter?: number;
  availableAfter?: number;
  holdId?: string;
  /** Journal sequence of the transaction this one completes/reverses. */
  originalSeq?: number;
  fraudScore?: number;
  reasons: DecisionReason[];
}

export interface VelocityRecord {
  /** UTC day as YYYYMMDD. */
  day: string;
  count: number;
  amount: number;
  cash: number;
  /**
   * The card's fraud profile (src/fraud) as encodeCardProfile bytes, kept here since 2026-12-03 so one get and one
   * put per authorization serve both; absent when scoring is off or the card was never scored (older data keeps
   * it in fraud.cards). Read it with cardProfileOf (src/state/env.ts).
   */
  profile?: Uint8Array;
}

export interface MerchantRecord {
  id: string;
  name: string;
  mcc: string;
  country: string;
  acquirerId: string;
}

/** An LMK-encrypted key as the HSM returns it, referenced by name. */
export interface KeyRecord {
  name: string;
  type: string;
  /** Key under the LMK ('U…', 'T…', 'S…'). */
  key: string;
  kcv: string;
}
