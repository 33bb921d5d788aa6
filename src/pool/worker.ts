// Piscina worker: opens the hot state once per thread and runs authorization batches and hold sweeps.
// Several tasks run concurrently per worker (concurrentTasksPerWorker), so HSM waits overlap and their commits
// share group commits.
import type { Decision, Txn } from '../model/txn.js';
import { authorizeMany, type EngineContext } from '../authorize/engine.js';
import { sweepExpiredHolds } from '../authorize/sweep.js';
import { openState } from '../state/env.js';
import { connectHsm } from './hsm.js';
import { makeFraudConfig } from '../fraud/index.js';
import type { WorkerConfig } from './config.js';
import { decodeTxns, encodeDecisions } from './wire.js';
import { threadId, workerData } from 'node:worker_threads';
import { warmEngine, type EngineWarmResult } from '../authorize/warm.js';
import { registerJournalHook } from '../authorize/commit.js';
import { settledJournalHook } from '../stream/journal.js';

// Every approved money movement enters the settled-record stream in the same LMDB transaction as its journal
// record (issue 8): settlement, the ledger and reconciliation consume it from there.
const settledHook = settledJournalHook({ issuerId: 'ONUS' });
registerJournalHook(settledHook);

/** `wire`: the batch msgpack-encoded (src/pool/wire.ts), answered the same way; `txns`: structured clone (fallback). */
export type Task =
  | { op: 'authorize'; txns: Txn[] }
  | { op: 'authorize'; wire: Uint8Array }
  | { op: 'sweep'; now: number }
  | { op: 'warm'; rounds: number; wire: Uint8Array }
  | { op: 'ping' };

/** What a warm task answers: which thread ran it (the caller warms every worker once) and what it did. */
export type WorkerWarmResult = EngineWarmResult & { threadId: number; decisions: Uint8Array };

let ctx: Promise<EngineContext> | undefined;

async function init(cfg: WorkerConfig): Promise<EngineContext> {
  const k = cfg.dataKeys;
  const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const state = openState(cfg.dataDir, { keys: { panKey: buf(k.panKey), hashKey: buf(k.hashKey) } });
  settledHook.open(state);
  let hsm: ReturnType<typeof connectHsm> | undefined;
  return {
    state,
    hsm: () => (hsm ??= connectHsm(cfg.hsm)),
    ...(cfg.fraud?.enabled === false
      ? {}
      : {
          fraud: makeFraudConfig({
            ...(cfg.fraud?.reviewThreshold !== undefined ? { reviewThreshold: cfg.fraud.reviewThreshold } : {}),
            ...(cfg.fraud?.declineThreshold !== undefined ? { declineThreshold: cfg.fraud.declineThreshold } : {}),
          }),
        }),
    holdTtlMs: cfg.holdTtlMs,
    cryptoFailCode: cfg.cryptoFailCode ?? '05',
    ...(cfg.counters ? { counters: new Int32Array(cfg.counters) } : {}),
  };
}

export default async function run(task: Task): Promise<Decision[] | Uint8Array | number | WorkerWarmResult> {
  ctx ??= init(workerData as WorkerConfig);
  const c = await ctx;
  if (task.op === 'authorize') {
    if ('wire' in task) return encodeDecisions(await authorizeMany(c, decodeTxns(task.wire)));
    return authorizeMany(c, task.txns);
  }
  if (task.op === 'sweep') return sweepExpiredHolds(c.state, task.now);
  if (task.op === 'warm') {
    const { decisions, ...r } = await warmEngine(c, task.rounds, `t${threadId}`, decodeTxns(task.wire));
    // The dry run's decisions go back in the answer's wire format, which is on the hot path too.
    return { ...r, threadId, decisions: encodeDecisions(decisions) };
  }
  return 0;
}
