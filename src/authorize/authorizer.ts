// The main-thread side of the engine: micro-batches transactions into pool tasks, bounds what may wait, and
// answers 91 at once when saturated. The main thread never runs checks, HSM calls or commits itself.
import type { Decision, Txn } from '../model/txn.js';
import { unlockState } from '../state/env.js';
import { stateKeysOf } from '../state/keyring.js';
import { createHsmClient } from '../hsm/client.js';
import { createPool, type EnginePool } from '../pool/pool.js';
import { decodeDecisions, encodeTxns } from '../pool/wire.js';
import { COUNTER, COUNTER_SLOTS } from './engine.js';
import type { Authorizer, AuthorizerOptions, AuthorizerStats, AuthorizerWarmResult } from './index.js';
import type { WorkerWarmResult } from '../pool/worker.js';
import { WARM_KINDS, warmTxn } from '../model/warm-txn.js';

const DEFAULT_HOLD_TTL_MS = 7 * 24 * 3600_000;
/**
 * Warm-up rounds per worker at start-up (32 checks + a dry-run group of 32 each). Timed round by round in a scratch
 * loop on a copy of the demo data (2026-12-03, load ~3): ~40 ms the first, ~15 ms the next three, 4–9 ms from the
 * fifth on; 16 leaves margin and costs ~0.1–0.2 s per worker.
 */
const WARM_ROUNDS = 16;

/** A batch as the main thread sends one (wire format included), of synthetic transactions the engine declines. */
function warmBatch(attempt: number): Txn[] {
  return Array.from({ length: 32 }, (_, i) => warmTxn(attempt * 32 + i, WARM_KINDS[i % WARM_KINDS.length], 'main'));
}

function saturated(txn: Txn, code: string, detail: string): Decision {
  return { txnId: txn && typeof txn.id === 'string' ? txn.id : '', responseCode: code, approved: false, approvedAmount: 0, reasons: [{ check: 'pool', ok: false, detail }] };
}

export async function createAuthorizer(opts: AuthorizerOptions): Promise<Authorizer> {
  const workers = opts.workers ?? 2;
  const batchSize = opts.batchSize ?? 256;
  const tasksPerWorker = opts.tasksPerWorker ?? 4;
  if (!(tasksPerWorker >= 1 && tasksPerWorker <= 64)) throw new Error('tasksPerWorker must be 1–64');
  /** Transactions allowed in flight (running or queued) before new ones get 91. */
  const maxInFlight = opts.maxQueue ?? 4096;
  if (!(batchSize >= 1 && batchSize <= 1024)) throw new Error('batchSize must be 1–1024');
  if (!(maxInFlight >= 1)) throw new Error('maxQueue must be ≥ 1');

  // The data dir's keys, unlocked here once (creating the data dir and its keys on first use) before workers open
  // it: from this process's keyring when the caller unlocked it, else from the HSM. The main thread keeps no state
  // open: an idle reader here would pin an old snapshot (LMDB could not reuse freed pages).
  let dataKeys = opts.dataKeys ?? stateKeysOf(opts.dataDir);
  if (!dataKeys) {
    const hsm = createHsmClient({ host: opts.hsm.host, port: opts.hsm.port, connections: 1 });
    try {
      dataKeys = await unlockState(opts.dataDir, hsm, { create: true });
    } finally {
      await hsm.close();
    }
  }
  const counterBuf = new SharedArrayBuffer(COUNTER_SLOTS * 4);
  const counters = new Int32Array(counterBuf);
  const pool: EnginePool = createPool({
    workers,
    tasksPerWorker,
    // Admission below bounds transactions; a task holds at least one, so this never binds before it.
    maxQueuedTasks: maxInFlight,
    config: { dataDir: opts.dataDir, dataKeys, hsm: opts.hsm, holdTtlMs: opts.holdTtlMs ?? DEFAULT_HOLD_TTL_MS, counters: counterBuf, ...(opts.fraud ? { fraud: opts.fraud } : {}) },
  });

  const st = { submitted: 0, completed: 0, rejectedSaturated: 0, systemErrors: 0, tasks: 0, taskTxns: 0 };
  let inFlight = 0;
  let closed = false;
  let pending: { txn: Txn; resolve: (d: Decision) => void }[] = [];
  let scheduled = false;

  /** One pool task; the batch crosses to the worker and back as msgpack (src/pool/wire.ts, measured there). */
  async function runTask(txns: Txn[]): Promise<Decision[]> {
    let wire: Uint8Array;
    try {
      wire = encodeTxns(txns);
    } catch {
      // Something msgpack cannot carry (a cycle, a function): structured clone decides, as it did before.
      return (await pool.run({ op: 'authorize', txns })) as Decision[];
    }
    return decodeDecisions((await pool.run({ op: 'authorize', wire })) as Uint8Array);
  }

  async function runBatch(txns: Txn[]): Promise<Decision[]> {
    st.tasks++;
    st.taskTxns += txns.length;
    try {
      const out = await runTask(txns);
      if (!Array.isArray(out) || out.length !== txns.length) throw new Error('worker answered a batch of the wrong size');
      return out;
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const full = /queue is at limit|queue.*full/i.test(msg);
      if (full) st.rejectedSaturated += txns.length;
      else {
        st.systemErrors += txns.length;
        process.stderr.write(`authorizer: pool task failed: ${msg}\n`);
      }
      return txns.map((t) => saturated(t, full ? '91' : '96', full ? 'pool queue full' : `worker failed: ${msg}`));
    }
  }

  function flush(): void {
    scheduled = false;
    while (pending.length > 0) {
      const chunk = pending.slice(0, batchSize);
      pending = pending.slice(chunk.length);
      void runBatch(chunk.map((p) => p.txn)).then((ds) => {
        for (let i = 0; i < chunk.length; i++) {
          inFlight--;
          st.completed++;
          chunk[i].resolve(ds[i]);
        }
      });
    }
  }

  function admit(n: number): boolean {
    if (closed || inFlight + n > maxInFlight) return false;
    inFlight += n;
    st.submitted += n;
    return true;
  }

  return {
    authorize(txn: Txn): Promise<Decision> {
      if (!admit(1)) {
        st.rejectedSaturated++;
        return Promise.resolve(saturated(txn, closed ? '96' : '91', closed ? 'authorizer closed' : 'engine saturated'));
      }
      return new Promise((resolve) => {
        pending.push({ txn, resolve });
        if (pending.length >= batchSize) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async authorizeBatch(txns: Txn[]): Promise<Decision[]> {
      if (txns.length === 0) return [];
      if (!admit(txns.length)) {
        st.rejectedSaturated += txns.length;
        return txns.map((t) => saturated(t, closed ? '96' : '91', closed ? 'authorizer closed' : 'engine saturated'));
      }
      const out: Decision[] = [];
      const parts: Promise<Decision[]>[] = [];
      for (let i = 0; i < txns.length; i += batchSize) parts.push(runBatch(txns.slice(i, i + batchSize)));
      for (const ds of await Promise.all(parts)) out.push(...ds);
      inFlight -= txns.length;
      st.completed += txns.length;
      return out;
    },
    async warm(rounds = WARM_ROUNDS): Promise<AuthorizerWarmResult> {
      const t0 = performance.now();
      const done = new Map<number, WorkerWarmResult>();
      let approved = 0;
      // Piscina picks the thread; keep sending one task per worker until each has run one (bounded tries).
      for (let attempt = 0; attempt < 4 * workers && done.size < workers; attempt++) {
        const rs = (await Promise.all(Array.from({ length: workers - done.size }, () => pool.run({ op: 'warm', rounds, wire: encodeTxns(warmBatch(attempt)) })))) as WorkerWarmResult[];
        for (const r of rs) {
          if (done.has(r.threadId)) continue;
          done.set(r.threadId, r);
          approved += decodeDecisions(r.decisions).filter((d) => d.approved).length;
        }
      }
      const ws = [...done.values()].map(({ threadId, ms, prepared, dryCommits, hsm, keysChecked, keysMismatched }) => ({ threadId, ms, prepared, dryCommits, hsm, keysChecked, keysMismatched }));
      return { ms: Math.round(performance.now() - t0), workers: ws, approved };
    },
    async sweepExpiredHolds(now?: Date): Promise<number> {
      return (await pool.run({ op: 'sweep', now: (now ?? new Date()).getTime() })) as number;
    },
    stats(): AuthorizerStats {
      return {
        submitted: st.submitted, completed: st.completed, rejectedSaturated: st.rejectedSaturated, systemErrors: st.systemErrors,
        queueSize: pool.queueSize, workers, meanBatch: st.tasks ? st.taskTxns / st.tasks : 0,
        groups: Atomics.load(counters, COUNTER.groups), groupTxns: Atomics.load(counters, COUNTER.groupTxns),
        commitMs: Atomics.load(counters, COUNTER.commitUs) / 1000, flushWaitMs: Atomics.load(counters, COUNTER.flushWaitUs) / 1000,
        prepMs: Atomics.load(counters, COUNTER.prepUs) / 1000, lockMs: Atomics.load(counters, COUNTER.lockUs) / 1000,
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      flush();
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
      await pool.destroy();
    },
  };
}
