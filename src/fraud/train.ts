// The trainer: synthetic events → the exact features scoring sees (profiles updated in time order through
// updateCardProfile / updateMerchantProfile) → logistic regression by gradient descent (standardised features, L2,
// weights of risk signals kept ≥ 0 so the score is monotone in them) → held-out metrics → the model file.
// Split by card: a card's events are all in training or all held out, so nothing about a held-out card leaks.
import { defaultFraudConfig } from './config.js';
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES, MONOTONE_FEATURES } from './features.js';
import { atThreshold, rocAuc, thresholdForPrecision, type ThresholdStats } from './metrics.js';
import { emptyCardProfile, emptyMerchantProfile, isScoredKind, updateCardProfile, updateMerchantProfile } from './profile.js';
import { modelLogit, scoreFromLogit } from './score.js';
import { subSeed } from './prng.js';
import { synthesize, synthSummary, type SynthData } from './synth.js';
import type { CardProfile, FraudConfig, FraudModel, MerchantProfile } from './types.js';

export interface Dataset {
  n: number;
  /** Row-major n × FEATURE_COUNT. */
  x: Float64Array;
  y: Uint8Array;
  card: Int32Array;
  pattern: string[];
}

/** Runs the events through the profiles in time order and records each event's features before its update. */
export function buildDataset(data: SynthData, config: FraudConfig = defaultFraudConfig): Dataset {
  const rows = data.events.filter((e) => isScoredKind(e.txn.kind)).length;
  const x = new Float64Array(rows * FEATURE_COUNT);
  const y = new Uint8Array(rows);
  const card = new Int32Array(rows);
  const pattern: string[] = new Array(rows);
  const profiles: CardProfile[] = data.cards.map(() => emptyCardProfile());
  const merchants = new Map<string, MerchantProfile>();
  const row = new Float64Array(FEATURE_COUNT);
  let n = 0;
  for (const e of data.events) {
    if (!isScoredKind(e.txn.kind)) continue;
    const c = data.cards[e.card];
    const mid = e.txn.merchantId ?? '';
    let m = merchants.get(mid);
    if (!m) {
      m = emptyMerchantProfile();
      merchants.set(mid, m);
    }
    const ctx = { country: c.country, currency: c.currency, profile: profiles[e.card] };
    extractFeatures(row, e.txn, ctx, m, e.now, config);
    x.set(row, n * FEATURE_COUNT);
    y[n] = e.fraud ? 1 : 0;
    card[n] = e.card;
    pattern[n] = e.pattern;
    n++;
    updateCardProfile(profiles[e.card], e.txn, e.approved, e.now, c);
    updateMerchantProfile(m, e.txn, e.approved, e.now, config.rules);
  }
  return { n, x, y, card, pattern };
}

export interface TrainOptions {
  seed: number;
  cards: number;
  days: number;
  /** Share of cards held out (default 0.3). */
  holdout?: number;
  /** Gradient steps (default 300), step size (Adam, default 0.1), L2 strength (default 1e-4). */
  iterations?: number;
  learningRate?: number;
  l2?: number;
  /** Precision on the training split that sets the decline / review thresholds (defaults 0.9 / 0.3). */
  declinePrecision?: number;
  reviewPrecision?: number;
}

export interface EvalReport {
  events: number;
  frauds: number;
  auc: number;
  decline: ThresholdStats;
  review: ThresholdStats;
  /** Recall at the review threshold per fraud pattern. */
  recallByPattern: Record<string, number>;
}

export interface TrainResult {
  model: FraudModel;
  declineThreshold: number;
  reviewThreshold: number;
  train: EvalReport;
  heldOut: EvalReport;
  summary: Record<string, number>;
  millis: number;
}

/** The file the trainer writes and config.ts loads. */
export interface ModelFile extends FraudModel {
  declineThreshold: number;
  reviewThreshold: number;
  trainedWith: { seed: number; cards: number; days: number; holdout: number; iterations: number; l2: number };
  heldOut: { events: number; frauds: number; auc: number; precisionAtDecline: number; recallAtDecline: number; precisionAtReview: number; recallAtReview: number };
}

function isHeldOut(seed: number, card: number, share: number): boolean {
  return subSeed(seed ^ 0x5eed, card) / 4294967296 < share;
}

/** Fits logistic regression on rows where `use[i]` is 1. Adam on the mean log-loss + L2/2·|w|². */
export function fitLogistic(ds: Dataset, use: Uint8Array, opts: { iterations: number; learningRate: number; l2: number }): FraudModel {
  const F = FEATURE_COUNT;
  const mean = new Float64Array(F);
  const sq = new Float64Array(F);
  let m = 0;
  for (let i = 0; i < ds.n; i++) {
    if (!use[i]) continue;
    m++;
    for (let j = 0; j < F; j++) {
      const v = ds.x[i * F + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  if (m === 0) throw new Error('train: no training rows');
  const std = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    mean[j] /= m;
    const variance = sq[j] / m - mean[j] * mean[j];
    std[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  // Standardised copy of the training rows.
  const z = new Float64Array(m * F);
  const y = new Float64Array(m);
  let k = 0;
  for (let i = 0; i < ds.n; i++) {
    if (!use[i]) continue;
    for (let j = 0; j < F; j++) z[k * F + j] = (ds.x[i * F + j] - mean[j]) / std[j];
    y[k] = ds.y[i];
    k++;
  }
  let pos = 0;
  for (let i = 0; i < m; i++) pos += y[i];
  const w = new Float64Array(F);
  let b = Math.log((pos + 1) / (m - pos + 1));
  const mw = new Float64Array(F + 1);
  const vw = new Float64Array(F + 1);
  const grad = new Float64Array(F + 1);
  const beta1 = 0.9;
  const beta2 = 0.999;
  for (let it = 1; it <= opts.iterations; it++) {
    grad.fill(0);
    for (let i = 0; i < m; i++) {
      let s = b;
      const o = i * F;
      for (let j = 0; j < F; j++) s += w[j] * z[o + j];
      const err = 1 / (1 + Math.exp(-s)) - y[i];
      for (let j = 0; j < F; j++) grad[j] += err * z[o + j];
      grad[F] += err;
    }
    for (let j = 0; j <= F; j++) {
      let g = grad[j] / m;
      if (j < F) g += opts.l2 * w[j];
      mw[j] = beta1 * mw[j] + (1 - beta1) * g;
      vw[j] = beta2 * vw[j] + (1 - beta2) * g * g;
      const step = (opts.learningRate * (mw[j] / (1 - beta1 ** it))) / (Math.sqrt(vw[j] / (1 - beta2 ** it)) + 1e-8);
      if (j < F) {
        w[j] -= step;
        if (MONOTONE_FEATURES[j] && w[j] < 0) w[j] = 0; // projected: risk signals never lower the score
      } else b -= step;
    }
  }
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    features: [...FEATURE_NAMES],
    mean: Array.from(mean, round),
    std: Array.from(std, round),
    weights: Array.from(w, round),
    bias: round(b),
  };
}

/** Integer 0–999 scores of the rows where `use[i]` is 1 (all rows when omitted), with their labels and patterns. */
export function scoreRows(ds: Dataset, model: FraudModel, use?: Uint8Array): { scores: Int32Array; labels: Uint8Array; patterns: string[] } {
  const F = FEATURE_COUNT;
  const count = use ? use.reduce((a, v) => a + v, 0) : ds.n;
  const scores = new Int32Array(count);
  const labels = new Uint8Array(count);
  const patterns: string[] = new Array(count);
  const terms = new Float64Array(F);
  let k = 0;
  for (let i = 0; i < ds.n; i++) {
    if (use && !use[i]) continue;
    scores[k] = scoreFromLogit(modelLogit(model, ds.x.subarray(i * F, (i + 1) * F), terms));
    labels[k] = ds.y[i];
    patterns[k] = ds.pattern[i];
    k++;
  }
  return { scores, labels, patterns };
}

export function evaluate(s: { scores: Int32Array; labels: Uint8Array; patterns: string[] }, decline: number, review: number): EvalReport {
  let frauds = 0;
  const hit: Record<string, number> = {};
  const all: Record<string, number> = {};
  for (let i = 0; i < s.labels.length; i++) {
    if (!s.labels[i]) continue;
    frauds++;
    const p = s.patterns[i];
    all[p] = (all[p] ?? 0) + 1;
    if (s.scores[i] >= review) hit[p] = (hit[p] ?? 0) + 1;
  }
  const recallByPattern: Record<string, number> = {};
  for (const p of Object.keys(all).sort()) recallByPattern[p] = round4((hit[p] ?? 0) / all[p]);
  return {
    events: s.labels.length,
    frauds,
    auc: round4(rocAuc(s.scores, s.labels)),
    decline: roundStats(atThreshold(s.scores, s.labels, decline)),
    review: roundStats(atThreshold(s.scores, s.labels, review)),
    recallByPattern,
  };
}

function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
function roundStats(t: ThresholdStats): ThresholdStats {
  return { ...t, precision: round4(t.precision), recall: round4(t.recall), falsePositiveRate: round4(t.falsePositiveRate) };
}

/** Generates data, trains, picks thresholds on the training split, evaluates on the held-out cards. */
export function train(opts: TrainOptions): TrainResult {
  const t0 = performance.now();
  const holdout = opts.holdout ?? 0.3;
  const data = synthesize({ seed: opts.seed, cards: opts.cards, days: opts.days });
  const ds = buildDataset(data);
  const useTrain = new Uint8Array(ds.n);
  const useTest = new Uint8Array(ds.n);
  for (let i = 0; i < ds.n; i++) {
    if (isHeldOut(opts.seed, ds.card[i], holdout)) useTest[i] = 1;
    else useTrain[i] = 1;
  }
  const fit = { iterations: opts.iterations ?? 300, learningRate: opts.learningRate ?? 0.1, l2: opts.l2 ?? 1e-4 };
  const model = fitLogistic(ds, useTrain, fit);
  const tr = scoreRows(ds, model, useTrain);
  const declineThreshold = Math.min(999, thresholdForPrecision(tr.scores, tr.labels, opts.declinePrecision ?? 0.9));
  const reviewThreshold = Math.min(declineThreshold, thresholdForPrecision(tr.scores, tr.labels, opts.reviewPrecision ?? 0.3));
  const te = scoreRows(ds, model, useTest);
  return {
    model,
    declineThreshold,
    reviewThreshold,
    train: evaluate(tr, declineThreshold, reviewThreshold),
    heldOut: evaluate(te, declineThreshold, reviewThreshold),
    summary: synthSummary(data),
    millis: Math.round(performance.now() - t0),
  };
}

export function toModelFile(r: TrainResult, opts: TrainOptions): ModelFile {
  const h = r.heldOut;
  return {
    declineThreshold: r.declineThreshold,
    reviewThreshold: r.reviewThreshold,
    trainedWith: {
      seed: opts.seed,
      cards: opts.cards,
      days: opts.days,
      holdout: opts.holdout ?? 0.3,
      iterations: opts.iterations ?? 300,
      l2: opts.l2 ?? 1e-4,
    },
    heldOut: {
      events: h.events,
      frauds: h.frauds,
      auc: h.auc,
      precisionAtDecline: h.decline.precision,
      recallAtDecline: h.decline.recall,
      precisionAtReview: h.review.precision,
      recallAtReview: h.review.recall,
    },
    ...r.model,
  };
}
