// One worker's authorization path: checks that need I/O (HSM) or are pure run first, concurrently across a batch;
// then every plan of the batch is committed in one event turn, so lmdb-js folds them into one LMDB transaction
// (group commit, one fsync), and the batch is answered after `flushed`.
import { isScoredKind, type FraudConfig } from '../fraud/index.js';
import type { HsmApi } from '../hsm/api.js';
import { HsmUnavailableError } from '../hsm/api.js';
import type { Decision, DecisionReason, Txn } from '../model/txn.js';
import { lastJournalSeq, reloadSharedStructures, type State } from '../state/env.js';
import { maskPan, panHash } from '../state/pan.js';
import type { CardRecord } from '../state/records.js';
import { commitBody, journalHooksRolledBack, SeqCursor, type CommitPlan, type Committed } from './commit.js';
import { arcFor, arqcData } from './emv.js';
import { checkCard, validate } from './stages.js';


export interface EngineContext {
  state: State;
  /** The HSM client, connected on first use. */
  hsm: () => Promise<HsmApi>;
  /** Fraud scoring configuration; absent = scoring off. Scored and profiles updated inside the commit. */
  fraud?: FraudConfig;
  holdTtlMs: number;
  /** Response code for a failed CVV/CVV2/ARQC check. */
  cryptoFailCode: string;
  now?: () => number;
  /** The worker's group committer (created on first use). */
  group?: GroupCommitter;
  /** Shared counters (COUNTER indexes), added to by every worker; absent = not counted. */
  counters?: Int32Array;
}

/** Indexes into the shared Int32Array of engine counters (Atomics.add; µs fields wrap after ~35 min of waiting). */
/** `lockUs`: wall time inside the write transaction's callback (the group's commitBody calls: what holds the writer lock besides LMDB's own commit). */
export const COUNTER = { groups: 0, groupTxns: 1, commitUs: 2, flushWaitUs: 3, prepUs: 4, batches: 5, lockUs: 6 } as const;
export const COUNTER_SLOTS = 8;
function count(c: Int32Array | undefined, i: number, v: number): void {
  if (c) Atomics.add(c, i, Math.round(v));
}

/** Plans committed in one LMDB write transaction at most: bounds how long the writer lock is held. */
export const MAX_GROUP = 4096;
const GROUP_ASYNC = process.env.GERBANG_GROUP_COMMIT !== 'sync';

/**
 * Commits a group's plans inside the caller's write transaction, each all-or-nothing. Fast path: the whole group
 * in ONE child transaction (the parent has no dirty pages yet, so the child copies none). If any plan throws, that
 * child is aborted — nothing of the group is kept — and the group is redone in the same parent transaction with one
 * child per plan (commitAtomically), so only the failing plan rolls back. Per-plan children cost ~10–25 µs of page
 * copying per plan (README), which is why they are the fallback, not the default. Still one commit per group.
 */
export function commitGroup(s: State, plans: CommitPlan[]): (Committed | Error)[] {
  const seq = new SeqCursor(s);
  try {
    const mark = seq.mark();
    let fast: unknown;
    try {
      fast = s.root.childTransaction(() => plans.map((p) => commitBody(s, p, seq)));
    } catch {
      // Logged by commitAtomically below when the same plan fails again on its own.
      seq.rewind(mark);
      forgetUnsavedStructures(s);
      fast = undefined;
    }
    if (fast instanceof Promise) throw new Error('invariant: commitGroup called outside a write transaction');
    const results = Array.isArray(fast) ? (fast as Committed[]) : plans.map((p) => commitAtomically(s, p, seq));
    if (results.length !== plans.length) throw new Error('invariant: one result per plan');
    seq.finish();
    return results;
  } finally {
    seq.close();
  }
}

/** Thrown inside the dry run's child transaction so LMDB aborts it. */
const DRY_RUN = Symbol('dry run');

/**
 * The group commit's body for `plans` in one write transaction whose only child is then aborted: the same reads,
 * decisions, encodes and puts as a real group, and nothing of it kept (journal sequence, stream cursor and msgpack
 * structures handed back as after any aborted child). The start-up warm-up runs it; it returns what each plan
 * would have decided.
 */
export async function dryRunGroup(s: State, plans: CommitPlan[]): Promise<Committed[]> {
  const before = lastJournalSeq(s);
  let out: Committed[] = [];
  await s.root.transaction(() => {
    const seq = new SeqCursor(s);
    const mark = seq.mark();
    try {
      s.root.childTransaction(() => {
        out = plans.map((p) => commitBody(s, p, seq));
        throw DRY_RUN;
      });
    } catch (e) {
      if (e !== DRY_RUN) throw e;
    } finally {
      seq.rewind(mark);
      forgetUnsavedStructures(s);
      seq.close();
    }
  });
  if (lastJournalSeq(s) !== before) throw new Error('invariant: a dry run moved the journal sequence');
  return out;
}

/**
 * One plan's writes as an LMDB child (nested) transaction inside the group's write transaction: if commitBody
 * throws after its first write (a journal hook, an encoding error), LMDB aborts the child and only that plan's
 * writes vanish; the group still commits once. The failed plan answers 96 (the caller maps the Error) and is
 * logged once here. Its journal sequence number is handed back so the journal keeps no gap.
 */
export function commitAtomically(s: State, plan: CommitPlan, seq: SeqCursor): Committed | Error {
  const mark = seq.mark();
  try {
    // Inside a write transaction lmdb-js runs the child synchronously and returns the callback's value.
    const r: unknown = s.root.childTransaction(() => commitBody(s, plan, seq));
    if (r instanceof Promise) throw new Error('invariant: commitAtomically called outside a write transaction');
    return r as Committed;
  } catch (e) {
    seq.rewind(mark);
    forgetUnsavedStructures(s);
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`authorize: commit of txn ${plan.txn.id} rolled back, answered 96: ${err.message}\n`);
    return err;
  }
}

/**
 * After an aborted child transaction: msgpackr may have minted a shared structure whose save (a put in the same
 * child) was rolled back. Marking the in-memory structures uninitialized makes the next encode reload the ones
 * actually stored (msgpackr's own recovery path for a failed save), so no later record refers to a lost id.
 */
function forgetUnsavedStructures(s: State): void {
  for (const db of [s.cards, s.accounts, s.holds, s.velocity, s.idem, s.refs, s.cardProfiles, s.merchantProfiles, s.meta]) reloadSharedStructures(db);
  journalHooksRolledBack(s); // the settled stream's records database shares structures too
}

/**
 * Group commit: plans submitted during one event-loop turn (from every concurrent task of this worker) are
 * committed by ONE lmdb-js async transaction() callback — one commit, one fsync — and answered once LMDB reports
 * the commit flushed to disk. One callback per group (not per transaction) keeps the writer lock short; the
 * synchronous variant (GERBANG_GROUP_COMMIT=sync, kept for comparison) blocks this worker on the fsync.
 */
export class GroupCommitter {
  private queue: { plan: CommitPlan; resolve: (r: Committed | Error) => void }[] = [];
  private scheduled = false;
  commits = 0;
  constructor(private readonly s: State, private readonly counters?: Int32Array) {}

  /** One async transaction() callback for the whole group: commit and fsync run on lmdb-js's write thread. */
  private runAsync(group: { plan: CommitPlan; resolve: (r: Committed | Error) => void }[]): void {
    const s = this.s;
    const body = () => {
      const tb = performance.now();
      const r = commitGroup(s, group.map((g) => g.plan));
      count(this.counters, COUNTER.lockUs, (performance.now() - tb) * 1000);
      return r;
    };
    const t0 = performance.now();
    void (s.root.transaction(body) as Promise<(Committed | Error)[]>)
      .then(async (results) => {
        const t1 = performance.now();
        await s.root.flushed;
        this.commits++;
        const c = this.counters;
        count(c, COUNTER.groups, 1);
        count(c, COUNTER.groupTxns, group.length);
        count(c, COUNTER.commitUs, (t1 - t0) * 1000);
        count(c, COUNTER.flushWaitUs, (performance.now() - t1) * 1000);
        group.forEach((g, i) => g.resolve(results[i]));
      })
      .catch((e: unknown) => group.forEach((g) => g.resolve(e instanceof Error ? e : new Error(String(e)))));
  }

  submit(plan: CommitPlan): Promise<Committed | Error> {
    return new Promise((resolve) => {
      this.queue.push({ plan, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    const group = this.queue.splice(0, MAX_GROUP);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
    const s = this.s;
    if (GROUP_ASYNC) return this.runAsync(group);
    let results: (Committed | Error)[];
    const t0 = performance.now();
    let tBody = 0;
    try {
      results = s.root.transactionSync(() => {
        const r = commitGroup(s, group.map((g) => g.plan));
        tBody = performance.now();
        return r;
      });
      this.commits++;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      results = group.map(() => err);
    }
    const t1 = performance.now();
    // Answer only once durable.
    void Promise.resolve(s.root.flushed).then(
      () => {
        if (process.env.GERBANG_TRACE) process.stderr.write(`group ${group.length} body ${(tBody - t0).toFixed(1)} commit ${(t1 - tBody).toFixed(1)} flush ${(performance.now() - t1).toFixed(1)}\n`);
        group.forEach((g, i) => g.resolve(results[i]));
      },
      (e: unknown) => group.forEach((g) => g.resolve(e instanceof Error ? e : new Error(String(e)))),
    );
  }
}

export interface Prepared {
  plan?: CommitPlan;
  /** A decision reached without a commit (format error: nothing trustworthy to journal). */
  immediate?: Decision;
  /** ARPC inputs when the ARQC verified: regenerated if the final code differs from 00. */
  arpc?: { value: string; forCode: string; card: CardRecord };
}

const SETTLING = new Set(['reversal', 'completion']);

function keyOf(s: State, ref: string | undefined): string | undefined {
  return ref ? s.keys.get(ref)?.key : undefined;
}

/** The commit plan of a transaction that passed the format checks, on the card `hash` names. */
export function planOf(ctx: EngineContext, txn: Txn, now: number, hash: string, panMasked: string, reasons: DecisionReason[]): CommitPlan {
  // The clear PAN stops here: the plan (and so the journal) carries only the hash and the mask.
  // A rest copy, not spread + delete: deleting properties turns the object into a slow dictionary-mode object,
  // which then costs on every property read and every msgpack encode downstream (measured, see README).
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { pan: _pan, track2: _track2, pin: _pin, cvv2: _cvv2, ...clean } = txn;
  return { txn: clean as Txn, now, panHash: hash, panMasked, reasons, holdTtlMs: ctx.holdTtlMs };
}

/** Marks a plan for fraud scoring, done inside the commit, when scoring is on and the kind is scored. */
export function markForScoring(ctx: EngineContext, plan: CommitPlan, card: CardRecord): void {
  if (ctx.fraud && isScoredKind(plan.txn.kind)) plan.fraud = { config: ctx.fraud, ...(card.country ? { country: card.country } : {}) };
}

/** Runs format, card, PIN, CVV2 and ARQC checks for one transaction and marks it for fraud scoring (done in the commit). Never throws. */
export async function prepare(ctx: EngineContext, txn: Txn, now: number): Promise<Prepared> {
  const v = validate(txn);
  if (v.code) {
    const id = txn && typeof txn.id === 'string' ? txn.id : '';
    return { immediate: { txnId: id, responseCode: '30', approved: false, approvedAmount: 0, reasons: [v.reason] } };
  }
  const s = ctx.state;
  const pan = txn.pan as string;
  const hash = panHash(s.dataKeys.hashKey, pan);
  const plan = planOf(ctx, txn, now, hash, maskPan(pan), [v.reason]);
  const card = s.cards.get(hash);
  const declineWith = (code: string, r: DecisionReason): Prepared => {
    plan.reasons.push(r);
    plan.declineCode = code;
    return { plan };
  };
  if (!card) return declineWith('14', { check: 'card', ok: false, detail: 'unknown card' });
  for (const r of checkCard(card, txn, new Date(now))) {
    plan.reasons.push(r.reason);
    if (r.code) {
      plan.declineCode = r.code;
      return { plan };
    }
  }
  if (SETTLING.has(txn.kind)) return { plan };

  let arpc: Prepared['arpc'];
  try {
    // The PIN and the cryptogram are independent HSM checks: both go out at once, so a chip-and-PIN authorization
    // waits for one HSM round trip, not two. Their outcomes are still taken in the order below (a wrong PIN
    // declines 55 whatever the ARQC says), and an ARQC answer nobody reads is dropped.
    const arqcCheck = txn.emv && txn.emv['9F26'] ? checkArqc(ctx, card, txn, pan) : undefined;
    arqcCheck?.catch(() => {});
    if (txn.pin) {
      const ok = await verifyPin(ctx, card, txn, pan);
      if (ok === undefined) return declineWith('55', { check: 'pin', ok: false, detail: 'card has no PIN verification data or key' });
      plan.pin = ok ? 'ok' : 'wrong';
      if (!ok) return declineWith('55', { check: 'pin', ok: false, detail: 'wrong PIN' });
      plan.reasons.push({ check: 'pin', ok: true });
    }
    if (txn.cvv2) {
      const cvk = keyOf(s, card.cvkRef);
      if (!cvk) return declineWith(ctx.cryptoFailCode, { check: 'cvv2', ok: false, detail: 'no CVK for the card' });
      const hsm = await ctx.hsm();
      const ok = await hsm.verifyCvv({ cvk, cvv: txn.cvv2, pan, expiry: card.expiry, serviceCode: '000' });
      if (!ok) return declineWith(ctx.cryptoFailCode, { check: 'cvv2', ok: false, detail: 'CVV2 mismatch' });
      plan.reasons.push({ check: 'cvv2', ok: true });
    }
    if (arqcCheck) {
      const r = await arqcCheck;
      if (r.missing) return declineWith(ctx.cryptoFailCode, { check: 'arqc', ok: false, detail: r.missing });
      if (!r.ok) return declineWith(ctx.cryptoFailCode, { check: 'arqc', ok: false, detail: 'ARQC did not verify' });
      plan.reasons.push({ check: 'arqc', ok: true });
      if (r.arpc) arpc = { value: r.arpc, forCode: '00', card };
    }
  } catch (e) {
    const unavailable = e instanceof HsmUnavailableError;
    return declineWith(unavailable ? '91' : '96', { check: 'hsm', ok: false, detail: unavailable ? 'HSM unavailable' : `HSM error: ${(e as Error).message}` });
  }

  // Scored inside the commit (commit.ts decide), on the profiles read there for the update anyway: reading and
  // decoding the account and both profiles here as well cost three more LMDB gets and decodes per authorization.
  markForScoring(ctx, plan, card);
  return { plan, arpc };
}

/** ARQC verification (and the ARPC for 00) in the HSM; `missing` names what the card or the chip data lacks for it. */
async function checkArqc(ctx: EngineContext, card: CardRecord, txn: Txn, pan: string): Promise<{ ok: boolean; arpc?: string; missing?: string }> {
  const emv = txn.emv!;
  const mkac = keyOf(ctx.state, card.mkacRef);
  const data = arqcData(emv);
  if (!mkac || !data) return { ok: false, missing: mkac ? 'ARQC data tags missing' : 'no MK-AC for the card' };
  const hsm = await ctx.hsm();
  return hsm.verifyArqc({
    mkac, pan, panSequence: card.panSequence, atc: emv['9F36'] ?? '', unpredictableNumber: emv['9F37'] ?? '', data, arqc: emv['9F26'],
    arpc: { method: 1, arc: arcFor('00') },
  });
}

async function verifyPin(ctx: EngineContext, card: CardRecord, txn: Txn, pan: string): Promise<boolean | undefined> {
  const s = ctx.state;
  const pin = txn.pin!;
  const pv = card.pin;
  const pvk = keyOf(s, pv?.pvkRef);
  const inKey = keyOf(s, pin.keyRef);
  if (!pv || !pvk || !inKey) return undefined;
  const hsm = await ctx.hsm();
  const format = pin.format as '01' | '05' | '47' | '48';
  // The key type only matters for a block under a TPK/ZPK; a DUKPT terminal's block is verified in one command from
  // the BDK and the KSN (GO/GQ), not translated to a ZPK first.
  const keyType: 'TPK' | 'ZPK' = s.keys.get(pin.keyRef)?.type === 'ZPK' ? 'ZPK' : 'TPK';
  // X9.24-3 AES DUKPT KSNs are 24 hex digits, X9.24-1 TDES ones 20: the KSN says which derivation the HSM runs.
  const aes = pin.ksn?.length === 24;
  if (pv.method === 'ibm') {
    const ibm = {
      pvk, pinBlock: pin.block, format, pan, offset: pv.offset,
      ...(pv.checkLength ? { checkLength: pv.checkLength } : {}),
      ...(pv.decimalisationTable ? { decimalisationTable: pv.decimalisationTable } : {}),
      ...(pv.pinValidationData ? { pinValidationData: pv.pinValidationData } : {}),
    };
    return pin.ksn ? hsm.verifyPinIbmDukpt({ ...ibm, bdk: inKey, ksn: pin.ksn, aes }) : hsm.verifyPinIbm({ ...ibm, keyType, key: inKey });
  }
  const visa = { pvk, pinBlock: pin.block, format, pan, pvki: pv.pvki, pvv: pv.pvv };
  return pin.ksn ? hsm.verifyPinVisaDukpt({ ...visa, bdk: inKey, ksn: pin.ksn, aes }) : hsm.verifyPinVisa({ ...visa, keyType, key: inKey });
}

/** Decides a batch: prepares concurrently, commits in one group commit, answers after the flush. */
export async function authorizeMany(ctx: EngineContext, txns: Txn[]): Promise<Decision[]> {
  const now = ctx.now ? ctx.now() : Date.now();
  const T0 = performance.now();
  const prepared = await Promise.all(txns.map((t) => prepare(ctx, t, now)));
  const T1 = performance.now();
  const s = ctx.state;
  count(ctx.counters, COUNTER.prepUs, (T1 - T0) * 1000);
  count(ctx.counters, COUNTER.batches, 1);
  const group = (ctx.group ??= new GroupCommitter(s, ctx.counters));
  const results = await Promise.all(prepared.map((p) => (p.plan ? group.submit(p.plan) : undefined)));
  if (process.env.GERBANG_TRACE) process.stderr.write(`batch ${txns.length} prep ${(T1 - T0).toFixed(1)} commit+flush ${(performance.now() - T1).toFixed(1)}\n`);
  const out: Decision[] = [];
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i];
    const r = results[i];
    if (p.immediate) {
      out.push(p.immediate);
    } else if (r instanceof Error || r === undefined) {
      out.push({ txnId: txns[i].id, responseCode: '96', approved: false, approvedAmount: 0, reasons: [{ check: 'commit', ok: false, detail: String(r) }] });
    } else {
      const d = r.decision;
      if (p.arpc) d.arpc = p.arpc.value;
      out.push(d);
    }
  }
  // ARPC was generated for 00; a chip card declined after the commit needs one for its real code.
  await Promise.all(
    out.map(async (d, i) => {
      const a = prepared[i].arpc;
      if (!a || d.responseCode === a.forCode || !txns[i].emv) return;
      try {
        const hsm = await ctx.hsm();
        const t = txns[i];
        const emv = t.emv!;
        const r = await hsm.verifyArqc({
          mkac: keyOf(s, a.card.mkacRef)!, pan: t.pan!, panSequence: a.card.panSequence, atc: emv['9F36'] ?? '', unpredictableNumber: emv['9F37'] ?? '',
          data: arqcData(emv)!, arqc: emv['9F26'], arpc: { method: 1, arc: arcFor(d.responseCode) },
        });
        if (r.arpc) d.arpc = r.arpc;
        else delete d.arpc;
      } catch {
        delete d.arpc;
      }
    }),
  );
  return out;
}
