// Profiles: bounded whatever the traffic, deterministic, Welford statistics exact below the cap, declines kept
// out of the spending habit, and a msgpack round trip (how the engine stores them in LMDB) changes nothing.
import { describe, expect, it } from 'vitest';
import { pack, unpack } from 'msgpackr';
import { mulberry32, int, pick } from '../../src/fraud/prng.js';
import {
  CARD_MCCS,
  CARD_RING,
  defaultFraudConfig,
  emptyCardProfile,
  emptyMerchantProfile,
  scoreTxn,
  updateCardProfile,
  updateMerchantProfile,
  type CardProfile,
  type MerchantProfile,
} from '../../src/fraud/index.js';
import { decodeCardProfile, encodeCardProfile } from '../../src/fraud/profile-codec.js';
import type { Txn } from '../../src/model/txn.js';
import { CARD, DAY, HOUR, MIN, purchase, T0 } from './helpers.js';

/** A seeded stream of varied traffic: amounts over 6 orders of magnitude, 40 merchants, 30 MCCs, some declines. */
function traffic(seed: number, n: number): { txn: Txn; now: number; approved: boolean }[] {
  const r = mulberry32(seed);
  const out: { txn: Txn; now: number; approved: boolean }[] = [];
  let now = T0;
  for (let i = 0; i < n; i++) {
    now += int(r, 1, 90) * MIN;
    const txn = purchase(now, {
      amount: Math.round(10 ** (1 + r.next() * 6)),
      merchantId: `M${int(r, 0, 39)}`,
      mcc: String(5000 + int(r, 0, 29)),
      merchantCountry: pick(r, ['840', '702', 'US']),
      currency: pick(r, ['840', '840', '978']),
      kind: pick(r, ['purchase', 'purchase', 'cash', 'refund', 'balance'] as const),
    });
    out.push({ txn, now, approved: r.next() > 0.1 });
  }
  return out;
}

function feed(events: ReturnType<typeof traffic>): { card: CardProfile; merchant: MerchantProfile } {
  const card = emptyCardProfile();
  const merchant = emptyMerchantProfile();
  for (const e of events) {
    updateCardProfile(card, e.txn, e.approved, e.now, CARD);
    updateMerchantProfile(merchant, e.txn, e.approved, e.now);
  }
  return { card, merchant };
}

describe('card and merchant profiles', () => {
  it('stay bounded after 100k events (fixed arrays, small ints, a few hundred bytes of msgpack)', () => {
    const { card, merchant } = feed(traffic(1, 100_000));
    expect(card.n).toBeGreaterThan(70_000);
    for (const k of ['ts', 'amt', 'mer', 'flg'] as const) expect(card[k]).toHaveLength(CARD_RING);
    for (const k of ['hId', 'hCnt', 'hAmt'] as const) expect(card[k]).toHaveLength(24);
    expect(card.hours).toHaveLength(24);
    for (const h of card.hours) expect(h).toBeLessThan(255);
    expect(card.mccs.length).toBeLessThanOrEqual(CARD_MCCS);
    expect(Number.isFinite(card.amtMean) && Number.isFinite(card.amtM2)).toBe(true);
    expect(card.amtN).toBe(200);
    expect(pack(card).length).toBeLessThan(1_000);
    expect(pack(merchant).length).toBeLessThan(120);
    expect(Object.keys(card).length).toBe(Object.keys(emptyCardProfile()).length);
  });

  it('are deterministic: the same events give the same profile', () => {
    const a = feed(traffic(7, 5_000));
    const b = feed(traffic(7, 5_000));
    expect(a).toEqual(b);
    expect(feed(traffic(8, 5_000))).not.toEqual(a);
  });

  it('keep exact Welford mean and variance of ln(1+amount) below the cap, over approved spends only', () => {
    const p = emptyCardProfile();
    const xs: number[] = [];
    const r = mulberry32(3);
    let now = T0;
    for (let i = 0; i < 150; i++) {
      now += HOUR;
      const amount = int(r, 50, 500_000);
      const approved = i % 7 !== 0;
      updateCardProfile(p, purchase(now, { amount }), approved, now, CARD);
      if (approved) xs.push(Math.log1p(amount));
    }
    const mean = xs.reduce((a, v) => a + v, 0) / xs.length;
    const variance = xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (xs.length - 1);
    expect(p.amtN).toBe(xs.length);
    expect(p.amtMean).toBeCloseTo(mean, 9);
    expect(p.amtM2 / (p.amtN - 1)).toBeCloseTo(variance, 9);
  });

  it('count a decline for velocity but not as spending habit', () => {
    const p = emptyCardProfile();
    updateCardProfile(p, purchase(T0, { amount: 5000 }), true, T0, CARD);
    const habit = { amtN: p.amtN, amtMean: p.amtMean, hours: [...p.hours], mccs: [...p.mccs], lastUsed: p.lastUsed };
    const later = T0 + 2 * DAY;
    updateCardProfile(p, purchase(later, { amount: 900_000, mcc: '4829' }), false, later, CARD);
    expect({ amtN: p.amtN, amtMean: p.amtMean, hours: p.hours, mccs: p.mccs, lastUsed: p.lastUsed }).toEqual(habit);
    expect(p.n).toBe(2);
    expect(p.lastSeen).toBe(later / 1000);
    expect(p.flg.filter((f) => f & 1)).toHaveLength(1);
  });

  it('score the same after a msgpack round trip (as stored in LMDB)', () => {
    const { card, merchant } = feed(traffic(11, 2_000));
    const back = unpack(pack(card)) as CardProfile;
    const backM = unpack(pack(merchant)) as MerchantProfile;
    expect(back).toEqual(card);
    const now = T0 + 80 * DAY;
    const t = purchase(now, { amount: 77_000, merchantId: 'M3', mcc: '5003' });
    const a = scoreTxn(t, { ...CARD, profile: card }, merchant, now, defaultFraudConfig);
    const b = scoreTxn(t, { ...CARD, profile: back }, backM, now, defaultFraudConfig);
    expect(b).toEqual(a);
  });

  it('come back identical from their stored bytes (encodeCardProfile), empty and with history; other bytes are refused', () => {
    const { card } = feed(traffic(12, 2_000));
    for (const p of [emptyCardProfile(), card]) expect(decodeCardProfile(encodeCardProfile(p).slice())).toEqual(p);
    const bytes = encodeCardProfile(card).slice();
    expect(() => decodeCardProfile(bytes.subarray(0, bytes.length - 3))).toThrow(TypeError);
    expect(() => decodeCardProfile(Uint8Array.of(9, ...bytes.subarray(1)))).toThrow(TypeError);
    expect(() => decodeCardProfile(Uint8Array.of(...bytes, 0))).toThrow(TypeError);
  });

  it('keep every value exact in their stored bytes, whatever width an array needs', () => {
    const p = emptyCardProfile();
    p.amt[0] = 2 ** 40; // beyond u32: the array goes float64
    p.hAmt[3] = 12.5;
    p.mer[1] = 0xffffffff;
    p.ts[2] = -0;
    p.hCnt[0] = 300; // u16
    p.amtMean = Math.PI;
    const back = decodeCardProfile(encodeCardProfile(p).slice());
    expect(back).toEqual(p);
    expect(Object.is(back.ts[2], -0)).toBe(true);
    expect(encodeCardProfile(feed(traffic(13, 500)).card).length).toBeLessThan(700);
  });

  it('roll the merchant hour into its baseline, empty hours included', () => {
    const m = emptyMerchantProfile();
    for (let i = 0; i < 10; i++) updateMerchantProfile(m, purchase(T0 + i * MIN), true, T0 + i * MIN);
    expect(m.cnt).toBe(10);
    const next = T0 + 3 * HOUR;
    updateMerchantProfile(m, purchase(next), false, next);
    // One hour of 10 folded in (alpha 0.05 → 0.5), then two empty hours decay it (× 0.95²).
    expect(m.baseCnt).toBeCloseTo(0.5 * 0.95 ** 2, 12);
    expect(m.cnt).toBe(1);
    expect(m.declines).toBe(1);
  });
});

describe('bad input', () => {
  it('is refused with a clear error: corrupt profile, non-numeric amount, no time', () => {
    const now = T0 + DAY;
    const corrupt = { ...emptyCardProfile(), ts: [1, 2, 3] } as CardProfile;
    expect(() => scoreTxn(purchase(now), { ...CARD, profile: corrupt }, undefined, now, defaultFraudConfig)).toThrow(/not a v1 card profile/);
    expect(() => updateCardProfile(corrupt, purchase(now), true, now, CARD)).toThrow(/not a v1 card profile/);
    const nan = purchase(now, { amount: Number.NaN });
    expect(() => scoreTxn(nan, { ...CARD, profile: emptyCardProfile() }, undefined, now, defaultFraudConfig)).toThrow(/amount NaN/);
    expect(() => updateCardProfile(emptyCardProfile(), nan, true, now, CARD)).toThrow(/amount NaN/);
    expect(() => scoreTxn(purchase(now), { ...CARD, profile: emptyCardProfile() }, undefined, Number.NaN, defaultFraudConfig)).toThrow(/not a time/);
  });

  it('a late event (clock skew) never wipes the newer day buckets', () => {
    const p = emptyCardProfile();
    const now = T0 + 30 * DAY;
    updateCardProfile(p, purchase(now), true, now, CARD);
    const snapshot = [...p.hCnt];
    updateCardProfile(p, purchase(now - DAY), true, now - DAY, CARD); // same bucket index, a day older
    expect(p.hCnt).toEqual(snapshot);
    expect(p.n).toBe(2);
  });
});
