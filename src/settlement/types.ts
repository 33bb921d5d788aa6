// Settlement records kept in the books (batches, payouts) and the configuration they are made with.
import type { CalendarConfig } from './calendar.js';
import type { PricingConfig } from './pricing.js';

/** A party's bank details, for pacs.008 agents and pain.001 creditors. */
export interface BankParty {
  name: string;
  /** IBAN or another account number (Othr). */
  account?: string;
  /** BIC (BICFI); when absent the party's id goes in FinInstnId/Othr. */
  bic?: string;
}

export interface PayoutPolicy {
  /** Payouts below this amount (minor units) wait for a later batch (default 10 000). */
  minAmount?: number;
  /** Calendar days a seller's share is held after its capture's business date, unless released (default 3). */
  holdDays?: number;
  /** Manual payouts above this amount need a second person's approval (default 100 000 000). */
  manualApprovalThreshold?: number;
}

export interface SettlementConfig {
  pricing?: PricingConfig;
  calendar?: CalendarConfig;
  payouts?: PayoutPolicy;
  /** The switch as a party: pays payouts from `account` at `bic` (the custodian bank). */
  switchParty?: BankParty & { id?: string };
  /** Interbank participants (issuers, scheme, acquirers) by id. */
  participants?: Record<string, BankParty>;
  /** Payout beneficiaries (merchants and sellers) by id. */
  beneficiaries?: Record<string, BankParty>;
  /** Watch list CSV for AML/CFT screening of beneficiaries. */
  watchlistFile?: string;
}

export type ParticipantRole = 'issuer' | 'scheme' | 'acquirer';

/** Net settlement position of one participant in one currency for one batch. */
export interface NetPosition {
  participant: string;
  role: ParticipantRole;
  currency: string;
  /** Minor units, decimal string: > 0 the participant pays the switch, < 0 the switch pays the participant. */
  amount: string;
}

export interface BatchTotals {
  currency: string;
  /** Per record kind: count and gross amount (decimal string). */
  kinds: Record<string, { n: number; amount: string }>;
  /** Fees earned in the batch: MDR charged, interchange, scheme, switch, acquirer share (decimal strings). */
  fees: { mdr: string; interchange: string; scheme: string; switch: string; acquirer: string };
}

export interface PayoutSummary {
  currency: string;
  count: number;
  /** Decimal string, minor units. */
  amount: string;
}

export interface BatchRecord {
  id: string;
  date: string;
  closedAt: string;
  totals: BatchTotals[];
  positions: NetPosition[];
  /** Payouts carried by this batch's pain.001, per currency. */
  payouts: PayoutSummary[];
  /** Payouts created by this close but held (AML review, approval). */
  held: number;
  files: { pacs008: string; pain001: string };
  /** Set once both files are renamed into place. */
  filesWritten: boolean;
}

export type PayoutStatus = 'pending_approval' | 'held_aml' | 'queued' | 'sent' | 'accepted' | 'rejected' | 'cancelled';

export interface PayoutRecord {
  /** Also the EndToEndId in pain.001 (≤ 35 characters). */
  id: string;
  kind: 'auto' | 'manual';
  beneficiary: { type: 'merchant' | 'seller'; id: string } & BankParty;
  amount: number;
  currency: string;
  status: PayoutStatus;
  createdAt: string;
  /** Batch whose close created it (auto payouts). */
  createdInBatch?: string;
  /** Batch whose pain.001 carries it. */
  fileBatch?: string;
  maker?: string;
  checker?: string;
  approvedAt?: string;
  screening?: { hit: boolean; entry?: string; list?: string; score?: number };
  reviewer?: string;
  statusReason?: string;
  /** A rejected payout is flagged for the dashboard until someone looks at it. */
  flagged?: boolean;
}
