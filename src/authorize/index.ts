// The on-us issuer engine's public API: what the TCP switch and the merchant HTTP API call.
// Authorization runs on a bounded piscina pool (src/pool); state lives in LMDB (src/state).
// Concurrency model and durability: see ./README.md.
import type { Decision, Txn } from '../model/txn.js';
import type { DataKeys } from '../state/keyring.js';

/** Fraud settings for the fraud stage (src/fraud, makeFraudConfig); thresholds on the 0–999 score. */
export interface FraudOptions {
  /** false turns scoring off (the decision then carries no fraudScore). Default true. */
  enabled?: boolean;
  /** Score at or above which the decision is flagged for review (still approved). */
  reviewThreshold?: number;
  /** Score at or above which the authorization is declined with 59. */
  declineThreshold?: number;
}

export interface AuthorizerOptions {
  /** Data directory holding the LMDB environment (its data keys are blocks under the HSM's LMK). */
  dataDir: string;
  /**
   * HSM (hsm-sim or payShield) address; workers connect lazily on the first PIN/CVV/ARQC check. Start-up unlocks
   * the data dir's keys through it unless they are already in this process's keyring (or given as `dataKeys`).
   */
  hsm: { host: string; port: number };
  dataKeys?: DataKeys;
  /** Worker threads (default: 2). */
  workers?: number;
  /** Tasks allowed to wait for a worker; beyond it authorize() answers 91 at once (default 4096). */
  maxQueue?: number;
  /** Most transactions handed to a worker per task by authorize() (micro-batching; default 256, see README). */
  batchSize?: number;
  /** Pool tasks a worker runs at once (their HSM waits overlap, their commits share a group; default 4). */
  tasksPerWorker?: number;
  fraud?: FraudOptions;
  /** Hold lifetime for pre-authorizations without an explicit expiry (default 7 days). */
  holdTtlMs?: number;
}

export interface AuthorizerStats {
  submitted: number;
  completed: number;
  /** Answered 91 because the pool queue was full. */
  rejectedSaturated: number;
  /** Answered 96 because a worker failed. */
  systemErrors: number;
  queueSize: number;
  workers: number;
  /** Transactions per pool task, averaged. */
  meanBatch: number;
  /** Group commits made (each one LMDB commit + fsync) and the transactions they carried. */
  groups: number;
  groupTxns: number;
  /** Summed wall time: from queuing a group's transaction to its commit; then waiting for `flushed` (fsync). */
  commitMs: number;
  flushWaitMs: number;
  /** Summed wall time workers spent preparing batches (checks, fraud scoring) before committing. */
  prepMs: number;
  /** Summed wall time inside the group write transactions' callbacks (async group commit only): the JS share of the writer lock. */
  lockMs: number;
}

export interface AuthorizerWarmResult {
  ms: number;
  workers: { threadId: number; ms: number; prepared: number; dryCommits: number; hsm: boolean; keysChecked: number; keysMismatched: string[] }[];
  /** Dry-run decisions that came back approved (a sanity figure: the card's state decides). */
  approved: number;
}

export interface Authorizer {
  /** Decides one transaction; resolves only after its journal record and balance change are durable. */
  authorize(txn: Txn): Promise<Decision>;
  /** Decides a batch in one pool task (in order); each decision is durable when the promise resolves. */
  authorizeBatch(txns: Txn[]): Promise<Decision[]>;
  /** Releases holds whose expiry is at or before `now`; returns how many were released. */
  sweepExpiredHolds(now?: Date): Promise<number>;
  /** Runs every worker's warm-up (src/authorize/warm.ts) once; call before taking traffic. Keeps nothing. */
  warm?(rounds?: number): Promise<AuthorizerWarmResult>;
  stats(): AuthorizerStats;
  close(): Promise<void>;
}

export { createAuthorizer } from './authorizer.js';
