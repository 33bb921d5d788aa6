// A worker's part of the start-up warm-up. Measured before it existed (GERBANG_TRACE, 100 TPS right after a start):
// each worker's first ~7 batches took 15–40 ms to prepare and 15–45 ms to commit, later ones ~2 ms — the HSM
// connection opened on first use, LMDB's first write transaction, and V8 compiling the checks and the commit body.
// warmEngine does that work on synthetic transactions (src/model/warm-txn.ts) and keeps nothing:
// - the checks (`prepare`) run on a card number no record has, so they decline at the card lookup, before any HSM
//   call (nothing reaches the HSM's verification counters or logs);
// - the HSM link is opened with a diagnostics command (NC), and every key of the state goes through the key check
//   value command (BU): neither changes anything in the HSM, and a key not under its LMK is reported;
// - the commit body runs for real plans on one existing card inside a write transaction whose child is aborted
//   (engine.ts dryRunGroup): the journal, the stream, balances, holds and fraud profiles are untouched.
import { maskPan } from '../state/pan.js';
import type { Decision, Txn } from '../model/txn.js';
import { WARM_KINDS, WARM_PAN, warmTxn } from '../model/warm-txn.js';
import type { CardRecord } from '../state/records.js';
import type { HsmApi, KeyTypeName } from '../hsm/api.js';
import type { CommitPlan } from './commit.js';
import { dryRunGroup, markForScoring, planOf, prepare, type EngineContext } from './engine.js';

export interface EngineWarmResult {
  ms: number;
  /** Synthetic transactions through the checks (all declined: unknown card). */
  prepared: number;
  /** Plans through the commit body in aborted transactions (0 when the state holds no card yet). */
  dryCommits: number;
  /** The HSM answered the diagnostics command. */
  hsm: boolean;
  /** Keys of the state whose check value the HSM computed (BU): each decrypted under the HSM's LMK once now. */
  keysChecked: number;
  /** Keys whose check value differs from the one stored with them, or that the HSM refused: not under its LMK. */
  keysMismatched: string[];
}

/** Keys checked at most (the state holds a handful: the issuer's CVK/PVK/MK-AC, the acquirers' TPK/ZPK/BDK…). */
const KEY_CHECKS = 64;

/**
 * Every key the checks will use, through the HSM's key check value command: the HSM decrypts each under its LMK
 * (and caches it) before the first transaction needs it, and a key that is not under this HSM's LMK — a data dir
 * provisioned against another LMK — shows up now, not as failed PIN checks later.
 */
async function checkKeys(ctx: EngineContext, hsm: HsmApi): Promise<{ checked: number; mismatched: string[] }> {
  let checked = 0;
  const mismatched: string[] = [];
  for (const { value: k } of ctx.state.keys.getRange({ limit: KEY_CHECKS })) {
    checked++;
    try {
      const kcv = await hsm.keyCheckValue(k.type as KeyTypeName, k.key);
      if (!k.kcv || !(kcv.startsWith(k.kcv) || k.kcv.startsWith(kcv))) mismatched.push(k.name);
    } catch {
      mismatched.push(k.name);
    }
  }
  return { checked, mismatched };
}

/** Plans per dry-run group: the default batch size, so the group commit's loop runs as traffic runs it. */
const GROUP_PLANS = 32;

/** Cards looked at for one in good standing; past these, the first one is used (a decline path warms too). */
const CARD_SCAN = 64;

/**
 * A card to decide dry-run plans on, active if one of the first few is, so the approval path (hold, balance,
 * journal, stream) is what gets compiled. Its records are only read: the writes are aborted.
 */
function someCard(ctx: EngineContext): CardRecord | undefined {
  let first: CardRecord | undefined;
  for (const { value } of ctx.state.cards.getRange({ limit: CARD_SCAN })) {
    if (value.status === 'active') return value;
    first ??= value;
  }
  return first;
}

/** The plan `prepare` would make for `txn` had it been on `card` and passed its checks. */
function dryPlan(ctx: EngineContext, txn: Txn, card: CardRecord, now: number): CommitPlan {
  const plan = planOf(ctx, txn, now, card.panHash, maskPan(WARM_PAN), [{ check: 'format', ok: true }]);
  markForScoring(ctx, plan, card);
  return plan;
}

/**
 * `rounds` batches through the checks and `rounds` dry-run groups through the commit body; `sent`, transactions
 * that came in the task's wire format (so its encode and decode were warmed too), through the checks first.
 * `tag` keeps ids apart.
 */
export async function warmEngine(ctx: EngineContext, rounds: number, tag: string, sent: Txn[] = []): Promise<EngineWarmResult & { decisions: Decision[] }> {
  const t0 = performance.now();
  let hsm = false;
  let keys = { checked: 0, mismatched: [] as string[] };
  try {
    const api = await ctx.hsm();
    await api.diagnostics();
    hsm = true;
    keys = await checkKeys(ctx, api);
  } catch {
    // An HSM that is down is reported by the first real request that needs it; the warm-up goes on without it.
  }
  const now = Date.now();
  const card = someCard(ctx);
  let prepared = (await Promise.all(sent.map((t) => prepare(ctx, t, now)))).length;
  let dryCommits = 0;
  let decisions: Decision[] = [];
  for (let r = 0; r < rounds; r++) {
    const txns = Array.from({ length: GROUP_PLANS }, (_, i) => warmTxn(r * GROUP_PLANS + i, WARM_KINDS[i % WARM_KINDS.length], tag));
    const checked = await Promise.all(txns.map((t) => prepare(ctx, t, now)));
    prepared += checked.length;
    if (!card) continue;
    const done = await dryRunGroup(ctx.state, txns.map((t) => dryPlan(ctx, t, card, now)));
    dryCommits += done.length;
    decisions = done.map((c) => c.decision);
  }
  return { ms: Math.round(performance.now() - t0), prepared, dryCommits, hsm, keysChecked: keys.checked, keysMismatched: keys.mismatched, decisions };
}
