// scoreTxn: features → rules → logistic model → 0–999 score, action and its top contributions.
// Pure and synchronous; scratch buffers are module-level (one per worker thread), so a call allocates only its result.
import type { Txn } from '../model/txn.js';
import { validateFraudConfig } from './config.js';
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES, RULE_NAMES } from './features.js';
import { assertAmount, assertCardProfile, isScoredKind } from './profile.js';
import type { CardContext, FraudConfig, FraudContribution, FraudModel, FraudScore, MerchantProfile } from './types.js';

const x = new Float64Array(FEATURE_COUNT);
const terms = new Float64Array(FEATURE_COUNT);
const topIdx = new Int32Array(10);
const validated = new WeakSet<FraudConfig>();

/** Log-odds of the model for features `f`, writing each weight × standardised feature into `t`. */
export function modelLogit(m: FraudModel, f: Float64Array, t: Float64Array): number {
  let s = m.bias;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const v = (m.weights[i] * (f[i] - m.mean[i])) / m.std[i];
    t[i] = v;
    s += v;
  }
  return s;
}

/** 0–999 from log-odds. */
export function scoreFromLogit(z: number): number {
  const p = 1 / (1 + Math.exp(-z));
  const s = Math.round(999 * p);
  return s < 0 ? 0 : s > 999 ? 999 : s;
}

/**
 * Scores one authorization against the card's and merchant's profiles as they were before it.
 * `now` is epoch milliseconds. Refunds, completions and reversals are not scored (score 0, approve).
 * Throws TypeError / RangeError (clear message) for a corrupt profile or a non-numeric amount: the caller
 * answers that transaction with a system error rather than scoring garbage.
 */
export function scoreTxn(
  txn: Txn,
  card: CardContext,
  merchant: MerchantProfile | undefined,
  now: number,
  config: FraudConfig,
): FraudScore {
  if (!validated.has(config)) {
    validateFraudConfig(config);
    validated.add(config);
  }
  if (!isScoredKind(txn.kind)) return { score: 0, action: 'approve', contributions: [], rulesFired: [] };
  assertCardProfile(card.profile);
  assertAmount(txn);
  if (!Number.isFinite(now)) throw new RangeError('fraud: now is not a time');

  const rules = extractFeatures(x, txn, card, merchant, now, config);
  const score = scoreFromLogit(modelLogit(config.model, x, terms));

  // Top-k positive terms by insertion (k ≤ 10, n ≈ 33).
  const k = config.topContributions;
  let n = 0;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const v = terms[i];
    if (!(v > 0.005)) continue;
    let j = n < k ? n++ : k;
    if (j === k && (k === 0 || v <= terms[topIdx[k - 1]])) continue;
    if (j === k) j = k - 1;
    while (j > 0 && terms[topIdx[j - 1]] < v) {
      topIdx[j] = topIdx[j - 1];
      j--;
    }
    topIdx[j] = i;
  }
  const contributions: FraudContribution[] = new Array(n);
  for (let i = 0; i < n; i++) contributions[i] = { feature: FEATURE_NAMES[topIdx[i]], points: Math.round(terms[topIdx[i]] * 100) };

  const rulesFired: string[] = [];
  for (let i = 0; i < RULE_NAMES.length; i++) if (rules & (1 << i)) rulesFired.push(RULE_NAMES[i]);

  const action = score >= config.declineThreshold ? 'decline' : score >= config.reviewThreshold ? 'review' : 'approve';
  return { score, action, contributions, rulesFired };
}

/** One line for a DecisionReason's detail / the journal: "score=812 rules=cardTesting,velocity1h top=smallAuths1h:+231,...". */
export function describeFraudScore(s: FraudScore): string {
  let top = '';
  for (const c of s.contributions) top += (top ? ',' : '') + `${c.feature}:+${c.points}`;
  return `score=${s.score} action=${s.action} rules=${s.rulesFired.join(',') || '-'} top=${top || '-'}`;
}
