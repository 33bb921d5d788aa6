// Evaluation metrics: ROC AUC with proper tie handling (Mann–Whitney U over mid-ranks) and precision / recall at a
// score threshold (flagged = score ≥ threshold).

/** ROC AUC of `scores` against 0/1 `labels`; tied scores count half. NaN when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error('rocAuc: scores and labels differ in length');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midRank = (i + j) / 2 + 1; // 1-based average rank of the tie group
    for (let k = i; k <= j; k++) if (labels[order[k]] === 1) {
      pos++;
      rankSumPos += midRank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface ThresholdStats {
  threshold: number;
  flagged: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** Flagged legitimate events per legitimate event. */
  falsePositiveRate: number;
}

export function atThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdStats {
  let flagged = 0;
  let tp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i] === 1;
    if (y) pos++;
    if (scores[i] >= threshold) {
      flagged++;
      if (y) tp++;
    }
  }
  const neg = scores.length - pos;
  return {
    threshold,
    flagged,
    truePositives: tp,
    precision: flagged === 0 ? 1 : tp / flagged,
    recall: pos === 0 ? 0 : tp / pos,
    falsePositiveRate: neg === 0 ? 0 : (flagged - tp) / neg,
  };
}

/** Lowest integer threshold in [0, 1000] whose precision reaches `target` (1000 = none does). */
export function thresholdForPrecision(scores: ArrayLike<number>, labels: ArrayLike<number>, target: number): number {
  // Count flagged / true positives per score value, then sweep down from the top.
  const flagged = new Float64Array(1001);
  const tp = new Float64Array(1001);
  for (let i = 0; i < scores.length; i++) {
    const s = Math.max(0, Math.min(1000, Math.round(scores[i])));
    flagged[s]++;
    if (labels[i] === 1) tp[s]++;
  }
  let f = 0;
  let t = 0;
  let best = 1000;
  for (let s = 1000; s >= 0; s--) {
    f += flagged[s];
    t += tp[s];
    if (f > 0 && t / f >= target) best = s;
  }
  return best;
}
