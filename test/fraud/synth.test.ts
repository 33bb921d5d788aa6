// The generator: deterministic for a seed, time-ordered, labelled, and its injected patterns look like what they
// claim to be. No PAN ever appears: cards are tokens.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { synthesize, synthSummary } from '../../src/fraud/synth.js';
import { defaultRules } from '../../src/fraud/rules.js';

const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

describe('synthesize', () => {
  const data = synthesize({ seed: 5, cards: 600, days: 90 });

  it('is deterministic for a seed and differs across seeds', () => {
    const small = digest(synthesize({ seed: 5, cards: 150, days: 90 }));
    expect(digest(synthesize({ seed: 5, cards: 150, days: 90 }))).toBe(small);
    expect(digest(synthesize({ seed: 6, cards: 150, days: 90 }))).not.toBe(small);
  });

  it('emits events in time order, inside the period, labelled, with integer amounts and no PAN', () => {
    const start = Date.UTC(2026, 0, 1);
    const bad: string[] = [];
    let prev = -Infinity;
    for (const e of data.events) {
      if (e.now < prev) bad.push(`${e.txn.id} out of order`);
      prev = e.now;
      if (e.now < start || e.now >= start + 90 * 86_400_000) bad.push(`${e.txn.id} outside the period`);
      if (e.fraud !== (e.pattern !== 'legit')) bad.push(`${e.txn.id} label/pattern disagree`);
      if (!(Number.isInteger(e.txn.amount) && e.txn.amount > 0)) bad.push(`${e.txn.id} amount ${e.txn.amount}`);
      if ('pan' in e.txn) bad.push(`${e.txn.id} carries a PAN`);
      if (e.txn.currency !== data.cards[e.card].currency && e.txn.billingCurrency !== data.cards[e.card].currency)
        bad.push(`${e.txn.id} foreign currency without billing amount`);
    }
    expect(bad).toEqual([]);
    expect(data.events.length).toBeGreaterThan(10_000);
  });

  it('injects every fraud pattern, at a realistic rate', () => {
    const s = synthSummary(data);
    for (const p of ['cardTesting', 'takeover', 'crossBorder', 'dormant', 'subtle']) expect(s[p], p).toBeGreaterThan(0);
    const frauds = data.events.filter((e) => e.fraud).length;
    expect(frauds / data.events.length).toBeGreaterThan(0.001);
    expect(frauds / data.events.length).toBeLessThan(0.02);
  });

  it('makes each pattern look like itself', () => {
    const cardOf = (i: number) => data.cards[i];
    const testing = data.events.filter((e) => e.pattern === 'cardTesting' && e.txn.cardPresent === false);
    const small = testing.filter((e) => e.txn.amount <= (defaultRules.smallAmount[e.txn.currency] ?? 0));
    expect(small.length / testing.length).toBeGreaterThan(0.5);
    const cross = data.events.filter((e) => e.pattern === 'crossBorder');
    for (const e of cross) expect(e.txn.merchantCountry).not.toBe(cardOf(e.card).country);
    // Takeover spends are several times the owner's median legit spend (in the card currency).
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const e of data.events.filter((x) => x.pattern === 'takeover')) {
      const own = data.events.filter((x) => x.card === e.card && !x.fraud && !x.txn.billingAmount).map((x) => x.txn.amount);
      if (own.length < 5) continue;
      expect(e.txn.billingAmount ?? e.txn.amount).toBeGreaterThan(2 * median(own));
    }
  });

  it('rejects nonsense sizes with a clear error', () => {
    expect(() => synthesize({ seed: 1, cards: 0, days: 10 })).toThrow(/cards/);
    expect(() => synthesize({ seed: 1, cards: 10, days: 1.5 })).toThrow(/days/);
  });
});
