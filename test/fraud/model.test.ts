// The shipped model (src/fraud/model.json, written by `gerbang fraud train`): it loads into defaultFraudConfig and
// still separates fraud on synthetic cards it never saw (a seed the trainer did not use).
import { describe, expect, it } from 'vitest';
import model from '../../src/fraud/model.json' with { type: 'json' };
import { defaultFraudConfig } from '../../src/fraud/index.js';
import { buildDataset, evaluate, scoreRows } from '../../src/fraud/train.js';
import { synthesize } from '../../src/fraud/synth.js';

describe('shipped fraud model', () => {
  it('is the trainer output the default config uses, with its held-out figures recorded', () => {
    expect(defaultFraudConfig.declineThreshold).toBe(model.declineThreshold);
    expect(defaultFraudConfig.reviewThreshold).toBe(model.reviewThreshold);
    expect(defaultFraudConfig.model.weights).toEqual(model.weights);
    expect(model.heldOut.auc).toBeGreaterThan(0.9);
  });

  it('keeps AUC > 0.9 on fresh synthetic cards (seed 4242)', () => {
    const ds = buildDataset(synthesize({ seed: 4242, cards: 600, days: 90 }));
    const r = evaluate(scoreRows(ds, defaultFraudConfig.model), defaultFraudConfig.declineThreshold, defaultFraudConfig.reviewThreshold);
    expect(r.frauds).toBeGreaterThan(20);
    expect(r.auc).toBeGreaterThan(0.9);
    expect(r.decline.falsePositiveRate).toBeLessThan(0.005);
  });
});
