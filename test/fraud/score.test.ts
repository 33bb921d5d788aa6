// scoreTxn: bounded 0–999, consistent action, reported contributions, monotone where risk grows, and a clear
// error for a config it cannot score with.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Txn, TxnKind } from '../../src/model/txn.js';
import {
  defaultFraudConfig,
  describeFraudScore,
  emptyCardProfile,
  emptyMerchantProfile,
  FEATURE_NAMES,
  makeFraudConfig,
  RULE_NAMES,
  scoreTxn,
  updateCardProfile,
  updateMerchantProfile,
} from '../../src/fraud/index.js';
import { MONOTONE_FEATURES } from '../../src/fraud/features.js';
import { CARD, clone, DAY, HOUR, MIN, purchase, routineCard, step, T0 } from './helpers.js';

const base = routineCard(60);
const NEXT = T0 + 60 * DAY + 12 * HOUR;
const KINDS: TxnKind[] = ['preauth', 'incremental', 'purchase', 'cash', 'refund', 'balance', 'completion', 'reversal'];

const txnArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  amount: fc.integer({ min: 0, max: 2_000_000_000 }),
  currency: fc.constantFrom('840', '360', '978', '702', '999'),
  merchantCountry: fc.option(fc.constantFrom('840', 'US', '360', 'ID', '702', 'ZZ', '1'), { nil: undefined }),
  mcc: fc.option(fc.oneof(fc.constantFrom('5411', '4829', '6011', '7995'), fc.string({ maxLength: 5 })), { nil: undefined }),
  merchantId: fc.option(fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'), { nil: undefined }),
  posEntryMode: fc.option(fc.constantFrom('051', '812', '010', '9'), { nil: undefined }),
  localTime: fc.option(fc.oneof(fc.constant('2026-03-01T23:59:59'), fc.string({ maxLength: 25 })), { nil: undefined }),
  approved: fc.boolean(),
  dt: fc.integer({ min: 0, max: 40 * DAY }),
});

describe('scoreTxn', () => {
  it('keeps the score an integer in 0–999 with a consistent action and well-formed reasons, for any history', () => {
    fc.assert(
      fc.property(fc.array(txnArb, { maxLength: 40 }), txnArb, (history, probe) => {
        const profile = emptyCardProfile();
        const merchant = emptyMerchantProfile();
        let now = T0;
        for (const h of history) {
          now += h.dt;
          const t = purchase(now, h as Partial<Txn>);
          updateCardProfile(profile, t, h.approved, now, CARD);
          updateMerchantProfile(merchant, t, h.approved, now);
        }
        now += probe.dt;
        const s = scoreTxn(purchase(now, probe as Partial<Txn>), { ...CARD, profile }, merchant, now, defaultFraudConfig);
        expect(Number.isInteger(s.score)).toBe(true);
        expect(s.score).toBeGreaterThanOrEqual(0);
        expect(s.score).toBeLessThanOrEqual(999);
        const want = s.score >= defaultFraudConfig.declineThreshold ? 'decline' : s.score >= defaultFraudConfig.reviewThreshold ? 'review' : 'approve';
        expect(s.action).toBe(want);
        expect(s.contributions.length).toBeLessThanOrEqual(defaultFraudConfig.topContributions);
        for (let i = 0; i < s.contributions.length; i++) {
          expect(FEATURE_NAMES).toContain(s.contributions[i].feature);
          expect(s.contributions[i].points).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(s.contributions[i].points).toBeLessThanOrEqual(s.contributions[i - 1].points);
        }
        for (const r of s.rulesFired) expect(RULE_NAMES).toContain(r);
      }),
      { numRuns: 300 },
    );
  });

  it('does not score follow-ups (refund, completion, reversal) and they leave the profile alone', () => {
    for (const kind of ['refund', 'completion', 'reversal'] as const) {
      const w = clone(base);
      const before = structuredClone(w.card);
      const s = step(w, purchase(NEXT, { kind, amount: 900_000 }), NEXT);
      expect(s).toEqual({ score: 0, action: 'approve', contributions: [], rulesFired: [] });
      expect(w.card).toEqual(before);
    }
  });

  it('rises with the amount once it is above the small-auth range', () => {
    // USD 30 (the card's habit) up to USD 30,000: routine amounts score ~0 on the 0–999 scale, so the last one is the
    // one that must show the rise.
    const scores = [3_000, 9_000, 30_000, 90_000, 300_000, 3_000_000].map((amount) => step(clone(base), purchase(NEXT, { amount }), NEXT).score);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThanOrEqual(scores[i - 1]);
    expect(scores[5]).toBeGreaterThan(scores[0]);
  });

  it('rises along a card-testing burst and ends at review or decline, while the normal purchase is approved', () => {
    const normal = step(clone(base), purchase(NEXT), NEXT);
    expect(normal.action).toBe('approve');
    const w = clone(base);
    const scores: number[] = [];
    let last = normal;
    for (let i = 0; i < 6; i++) {
      const now = NEXT + i * 2 * MIN;
      last = step(w, purchase(now, { amount: 100, merchantId: `WEB-${i}`, mcc: '5816', posEntryMode: '812', cardPresent: false }), now);
      scores.push(last.score);
    }
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThanOrEqual(scores[i - 1]);
    expect(last.action).not.toBe('approve');
    expect(last.rulesFired).toContain('cardTesting');
    expect(last.contributions.length).toBeGreaterThan(0);
    expect(describeFraudScore(last)).toMatch(/^score=\d+ action=(review|decline) rules=\S*cardTesting\S* top=\w/);
  });

  it('ships weights that keep every risk signal non-negative (monotone score)', () => {
    const m = defaultFraudConfig.model;
    for (let i = 0; i < FEATURE_NAMES.length; i++) if (MONOTONE_FEATURES[i]) expect(m.weights[i], FEATURE_NAMES[i]).toBeGreaterThanOrEqual(0);
  });

  it('rejects a config it cannot score with, with a clear error', () => {
    expect(() => makeFraudConfig({ reviewThreshold: 800, declineThreshold: 700 })).toThrow(/reviewThreshold/);
    const bad = { ...defaultFraudConfig, model: { ...defaultFraudConfig.model, features: defaultFraudConfig.model.features.slice(1) } };
    expect(() => scoreTxn(purchase(NEXT), { ...CARD, profile: emptyCardProfile() }, undefined, NEXT, bad)).toThrow(/features/);
  });

  it('honours configured thresholds', () => {
    const w = clone(base);
    const t = purchase(NEXT, { amount: 200_000, mcc: '4829', posEntryMode: '812', cardPresent: false });
    const s = scoreTxn(t, { ...CARD, profile: w.card }, undefined, NEXT, defaultFraudConfig);
    expect(s.score).toBeGreaterThan(0);
    const strict = makeFraudConfig({ reviewThreshold: s.score, declineThreshold: s.score });
    const lax = makeFraudConfig({ reviewThreshold: s.score + 1, declineThreshold: 1000 });
    expect(scoreTxn(t, { ...CARD, profile: w.card }, undefined, NEXT, strict).action).toBe('decline');
    expect(scoreTxn(t, { ...CARD, profile: w.card }, undefined, NEXT, lax).action).toBe('approve');
  });
});
