// The dispute record, as merchants know it from Stripe's and Adyen's dispute APIs: one per contested
// transaction, with its network stage, reason code, deadline, evidence and history.
import type { Action, Actor, Outcome, Stage } from './machine.js';
import type { Flow, Network, ReasonCategory } from './reasons.js';

export interface Evidence {
  id: string;
  kind: 'document' | 'note';
  /** File name (documents) or a short title (notes). */
  name: string;
  contentType?: string;
  size?: number;
  sha256?: string;
  /** Notes: the text (≤ 20,000 characters). Documents live in the evidence database, not in the record. */
  text?: string;
  submittedAt: string;
  by: string;
}

export interface HistoryEntry {
  at: string;
  action: Action | 'open' | 'evidence';
  actor: Actor;
  by: string;
  from?: Stage;
  to?: Stage;
  note?: string;
}

export interface Dispute {
  id: string;
  /** The issuer's / network's case id (idempotency of chargeback files). */
  caseId: string;
  network: Network;
  reasonCode: string;
  reasonTitle: string;
  category: ReasonCategory;
  flow: Flow;
  stage: Stage;
  outcome?: Outcome;
  /** Settled record id of the disputed capture, and what the ledger knows of it. */
  transactionId: string;
  transactionDate: string;
  merchantId: string;
  issuerId: string;
  acquirerId: string;
  /** ISO 4217 numeric, minor units. */
  currency: string;
  amount: number;
  stageStartedAt: string;
  dueBy: string | null;
  evidence: Evidence[];
  history: HistoryEntry[];
  /** Stream records and postings this dispute caused. */
  ledger: { chargebackRecordId?: string; representmentRecordId?: string; feePostings: string[] };
  createdAt: string;
  updatedAt: string;
}

export type DisputeEventType = 'dispute.opened' | 'dispute.updated' | 'dispute.closed';
/** Where dispute webhooks go (the HTTP API's emitEvent). */
export type DisputeEventSink = (merchantId: string, type: DisputeEventType, object: Record<string, unknown>) => Promise<void>;
