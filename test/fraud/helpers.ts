// Real profiles for the fraud tests: built by feeding event sequences through updateCardProfile /
// updateMerchantProfile exactly as the engine does, never by writing profile fields by hand.
import type { Txn } from '../../src/model/txn.js';
import {
  defaultFraudConfig,
  emptyCardProfile,
  emptyMerchantProfile,
  scoreTxn,
  updateCardProfile,
  updateMerchantProfile,
  type CardProfile,
  type FraudScore,
  type MerchantProfile,
} from '../../src/fraud/index.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);

/** A USD card at home in the US. */
export const CARD = { country: '840', currency: '840' };

let seq = 0;
/** A card-present US grocery purchase at `now` (UTC = local time here), overridable. */
export function purchase(now: number, over: Partial<Txn> = {}): Txn {
  seq++;
  return {
    id: `t${seq}`,
    kind: 'purchase',
    mti: '0200',
    processingCode: '000000',
    token: 'tok_test',
    amount: 3000,
    currency: '840',
    localTime: new Date(now).toISOString().slice(0, 19),
    stan: String(seq % 1_000_000).padStart(6, '0'),
    acquirerId: '100001',
    merchantId: 'GROCER-1',
    merchantCountry: '840',
    mcc: '5411',
    posEntryMode: '051',
    cardPresent: true,
    channel: 'test',
    ...over,
  };
}

export interface World {
  card: CardProfile;
  merchants: Map<string, MerchantProfile>;
  now: number;
}

/** Scores `txn` against the world's profiles, then folds it in (approved unless told otherwise). */
export function step(w: World, txn: Txn, now: number, approved = true): FraudScore {
  const mid = txn.merchantId ?? '';
  let m = w.merchants.get(mid);
  if (!m) {
    m = emptyMerchantProfile();
    w.merchants.set(mid, m);
  }
  const s = scoreTxn(txn, { ...CARD, profile: w.card }, m, now, defaultFraudConfig);
  updateCardProfile(w.card, txn, approved, now, CARD);
  updateMerchantProfile(m, txn, approved, now);
  w.now = now;
  return s;
}

/**
 * A cardholder with steady habits: `days` days of one or two purchases between 11:00 and 14:00 at a handful of
 * neighbourhood merchants (groceries, restaurants), $20–$45.
 */
export function routineCard(days = 60): World {
  const w: World = { card: emptyCardProfile(), merchants: new Map(), now: T0 };
  const shops = [
    ['GROCER-1', '5411'],
    ['GROCER-2', '5411'],
    ['CAFE-1', '5812'],
    ['DINER-1', '5812'],
    ['FUEL-1', '5541'],
  ];
  for (let d = 0; d < days; d++) {
    const perDay = d % 3 === 0 ? 2 : 1;
    for (let i = 0; i < perDay; i++) {
      const [merchantId, mcc] = shops[(d * 2 + i) % shops.length];
      const now = T0 + d * DAY + (11 + ((d + i * 2) % 3)) * HOUR + i * 40 * MIN;
      step(w, purchase(now, { merchantId, mcc, amount: 2000 + ((d * 37 + i * 11) % 26) * 100 }), now);
    }
  }
  return w;
}

/** A fresh copy of a world (profiles are mutated in place by the updates). */
export function clone(w: World): World {
  return structuredClone(w);
}
