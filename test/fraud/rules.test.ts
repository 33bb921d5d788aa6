// Each rule fires on the pattern it targets and stays quiet on the routine cardholder's normal spending.
// Profiles come from real event sequences (helpers.routineCard) run through updateCardProfile.
import { describe, expect, it } from 'vitest';
import { defaultFraudConfig, emptyCardProfile, emptyMerchantProfile, scoreTxn, updateMerchantProfile } from '../../src/fraud/index.js';
import { CARD, clone, DAY, HOUR, MIN, purchase, routineCard, step, T0 } from './helpers.js';

const base = routineCard(60);
const NEXT = T0 + 60 * DAY + 12 * HOUR; // the day after the history, at the card's usual hour

describe('fraud rules on a routine cardholder', () => {
  it('normal spending fires no rule once the habit is learnt', () => {
    const w = routineCard(10);
    const fired: string[] = [];
    for (let d = 10; d < 40; d++) {
      const now = T0 + d * DAY + 12 * HOUR;
      fired.push(...step(w, purchase(now, { merchantId: d % 2 ? 'GROCER-1' : 'CAFE-1', mcc: d % 2 ? '5411' : '5812', amount: 2500 + (d % 7) * 200 }), now).rulesFired);
    }
    expect(fired).toEqual([]);
    const s = step(clone(base), purchase(NEXT), NEXT);
    expect(s.rulesFired).toEqual([]);
    expect(s.action).toBe('approve');
  });

  it('velocity1h fires at the sixth purchase in an hour, not before', () => {
    const w = clone(base);
    const fired: boolean[] = [];
    for (let i = 0; i < 6; i++) fired.push(step(w, purchase(NEXT + i * 5 * MIN), NEXT + i * 5 * MIN).rulesFired.includes('velocity1h'));
    expect(fired).toEqual([false, false, false, false, false, true]);
  });

  it('velocity24h fires at the fifteenth purchase in a day spread thinly over the hours', () => {
    const w = clone(base);
    const fired: boolean[] = [];
    for (let i = 0; i < 15; i++) {
      const now = NEXT - 11 * HOUR + i * 90 * MIN;
      const s = step(w, purchase(now), now);
      expect(s.rulesFired).not.toContain('velocity1h');
      fired.push(s.rulesFired.includes('velocity24h'));
    }
    expect(fired.indexOf(true)).toBe(14);
  });

  it('merchantVelocity fires when a quiet merchant suddenly takes many auths in an hour', () => {
    const m = emptyMerchantProfile();
    // Ten days at one event every two hours: a baseline of about half an auth per hour.
    for (let t = T0; t < T0 + 10 * DAY; t += 2 * HOUR) updateMerchantProfile(m, purchase(t, { merchantId: 'SHOP-X' }), true, t);
    const hour = T0 + 10 * DAY + 5 * HOUR;
    const fired: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const now = hour + i * 4 * MIN;
      const txn = purchase(now, { merchantId: 'SHOP-X', token: `tok_${i}` });
      fired.push(scoreTxn(txn, { ...CARD, profile: emptyCardProfile() }, m, now, defaultFraudConfig).rulesFired.includes('merchantVelocity'));
      updateMerchantProfile(m, txn, true, now);
    }
    expect(fired.slice(0, 2)).toEqual([false, false]);
    expect(fired[11]).toBe(true);
  });

  it('amountAnomaly fires on twenty times the usual amount, not on a somewhat larger one', () => {
    expect(step(clone(base), purchase(NEXT, { amount: 60_000 }), NEXT).rulesFired).toContain('amountAnomaly');
    expect(step(clone(base), purchase(NEXT, { amount: 4_800 }), NEXT).rulesFired).not.toContain('amountAnomaly');
  });

  it('mccRisk fires on money transfer, not on groceries', () => {
    expect(step(clone(base), purchase(NEXT, { mcc: '4829' }), NEXT).rulesFired).toContain('mccRisk');
    expect(step(clone(base), purchase(NEXT, { mcc: '5411' }), NEXT).rulesFired).not.toContain('mccRisk');
  });

  it('countryMismatch fires abroad; alpha-2 and numeric codes of the home country compare equal', () => {
    expect(step(clone(base), purchase(NEXT, { merchantCountry: '702', currency: '840' }), NEXT).rulesFired).toContain('countryMismatch');
    expect(step(clone(base), purchase(NEXT, { merchantCountry: 'US' }), NEXT).rulesFired).not.toContain('countryMismatch');
  });

  it('currencyMismatch fires on a foreign currency, and on a merchant charging other than its country currency', () => {
    const eur = purchase(NEXT, { merchantCountry: '250', currency: '978', amount: 2800, billingAmount: 3000, billingCurrency: '840' });
    expect(step(clone(base), eur, NEXT).rulesFired).toContain('currencyMismatch');
    expect(step(clone(base), purchase(NEXT, { merchantCountry: '840', currency: '978' }), NEXT).rulesFired).toContain('currencyMismatch');
    expect(step(clone(base), purchase(NEXT), NEXT).rulesFired).not.toContain('currencyMismatch');
  });

  it('cardTesting fires on a burst of tiny card-not-present auths across merchants', () => {
    const w = clone(base);
    const fired: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const now = NEXT + i * 2 * MIN;
      const t = purchase(now, { amount: 100, merchantId: `WEBSHOP-${i}`, mcc: '5816', posEntryMode: '812', cardPresent: false });
      fired.push(step(w, t, now).rulesFired.includes('cardTesting'));
    }
    expect(fired).toEqual([false, false, true, true, true]);
  });

  it('cardTesting fires after three declines in the hour, even at normal amounts', () => {
    const w = clone(base);
    for (let i = 0; i < 3; i++) expect(step(w, purchase(NEXT + i * MIN), NEXT + i * MIN, false).rulesFired).not.toContain('cardTesting');
    expect(step(w, purchase(NEXT + 3 * MIN), NEXT + 3 * MIN).rulesFired).toContain('cardTesting');
  });

  it('dormancy fires on first use after 90 quiet days, not after 30', () => {
    const later = (days: number) => NEXT + days * DAY;
    expect(step(clone(base), purchase(later(90)), later(90)).rulesFired).toContain('dormancy');
    expect(step(clone(base), purchase(later(30)), later(30)).rulesFired).not.toContain('dormancy');
  });

  it('nightTime fires at 03:00 local for a lunchtime shopper, using DE 12 local time when present', () => {
    const three = T0 + 60 * DAY + 3 * HOUR;
    expect(step(clone(base), purchase(three), three).rulesFired).toContain('nightTime');
    expect(step(clone(base), purchase(NEXT), NEXT).rulesFired).not.toContain('nightTime');
    // 20:00 UTC, but the terminal says 03:00 local: the local hour is what the habit is about.
    const utc20 = T0 + 60 * DAY + 20 * HOUR;
    expect(step(clone(base), purchase(utc20, { localTime: '2026-03-02T03:10:00+07:00' }), utc20).rulesFired).toContain('nightTime');
  });

  it('a card with no history is not flagged by history-based rules', () => {
    const s = scoreTxn(purchase(NEXT, { amount: 90_000 }), { ...CARD, profile: emptyCardProfile() }, undefined, NEXT, defaultFraudConfig);
    expect(s.rulesFired).not.toContain('amountAnomaly');
    expect(s.rulesFired).not.toContain('nightTime');
    expect(s.rulesFired).not.toContain('dormancy');
  });
});
