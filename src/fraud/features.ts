// Feature extraction: one pass over the card's small ring and buckets, written into a caller-owned Float64Array,
// with the fired rules as a bitmask. No allocation, no string building: this runs once per authorization.
import type { Txn } from '../model/txn.js';
import {
  cardAmount,
  COUNTRY_CURRENCY,
  isCardNotPresent,
  isForeign,
  isSmallAmount,
  localHour,
  merchantBaseAt,
  merchantHoursAt,
  merchantSmallBaseAt,
  merchantKey,
  normCountry,
} from './profile.js';
import { CARD_RING, DAY_BUCKETS, FLAG_DECLINED, FLAG_FOREIGN, type CardContext, type FraudConfig, type MerchantProfile } from './types.js';

/** Interpretable rules; each is also a 0/1 feature 'rule.<name>' of the model. Bit i of the mask = RULE_NAMES[i]. */
export const RULE_NAMES = [
  'velocity1h',
  'velocity24h',
  'merchantVelocity',
  'amountAnomaly',
  'mccRisk',
  'countryMismatch',
  'currencyMismatch',
  'cardTesting',
  'dormancy',
  'nightTime',
] as const;

const RAW_FEATURES = [
  'cnt1h', // ln(1 + events in the last hour, this one included)
  'amt1hRatio', // ln(1 + amount in the last hour / the card's typical amount)
  'cnt24h',
  'amt24hRatio',
  'amountZ', // z of ln(1+amount) against the card's history, clipped to [-4, 8]
  'mccRisk', // 0–1 from the MCC table
  'foreignCountry', // merchant country ≠ card country
  'foreignCurrency', // txn currency ≠ card currency
  'countryCurrencyMismatch', // txn currency ≠ the merchant country's currency
  'smallAuths1h', // ln(1 + small auths in the last hour)
  'merchants1h', // distinct merchants in the last hour
  'declines1h',
  'dormancy', // ln(1 + days since the last approved spend)
  'hourRarity', // ln(uniform odds / the card's odds of this local hour), ≥ 0
  'night', // local hour 00–05
  'cardNotPresent',
  'newMcc', // MCC not among the card's recent ones (with enough history)
  'thinHistory', // fewer than minHistory approved spends
  'foreign1h', // foreign events in the last hour
  'merchantVelocity', // ln((merchant events this hour + 1) / (hourly baseline + 1)), ≥ 0; 0 without merchantMinHours
  'merchantSmall1h', // ln((small auths at the merchant this hour + 1) / (its hourly small baseline + 1)), ≥ 0
  'cash',
  'rapidRepeat', // exp(-seconds since the card's last event / 300)
] as const;

export const FEATURE_NAMES: readonly string[] = [...RAW_FEATURES, ...RULE_NAMES.map((r) => `rule.${r}`)];
export const FEATURE_COUNT = FEATURE_NAMES.length;
const RULE_BASE = RAW_FEATURES.length;

/** Features whose weight the trainer keeps ≥ 0, so more of that signal never lowers the score (all but thinHistory). */
export const MONOTONE_FEATURES: readonly boolean[] = FEATURE_NAMES.map((n) => n !== 'thinHistory');

const seen = new Float64Array(CARD_RING + 1);

/**
 * Writes the features of `txn` (before it is folded into the profiles) into `out` (length FEATURE_COUNT) and
 * returns the fired-rule bitmask. `now` is epoch milliseconds.
 */
export function extractFeatures(
  out: Float64Array,
  txn: Txn,
  card: CardContext,
  merchant: MerchantProfile | undefined,
  now: number,
  config: FraudConfig,
): number {
  const p = card.profile;
  const r = config.rules;
  const sec = Math.floor(now / 1000);
  const amount = Math.max(0, cardAmount(txn, card.currency));
  const smallLimit = r.smallAmount[card.currency] ?? r.smallAmountDefault;
  const small = amount <= smallLimit;
  const foreign = isForeign(txn, card.country);
  const typical = Math.max(1, p.amtN > 0 ? Math.expm1(p.amtMean) : amount);

  // Last hour from the ring (this txn included).
  const since = sec - 3600;
  const mk = merchantKey(txn);
  let cnt1 = 1;
  let amt1 = amount;
  let small1 = small ? 1 : 0;
  let decl1 = 0;
  let foreign1 = foreign ? 1 : 0;
  let nSeen = 0;
  seen[nSeen++] = mk;
  for (let i = 0; i < CARD_RING; i++) {
    const t = p.ts[i];
    if (t === 0 || t <= since || t > sec) continue;
    cnt1++;
    const a = p.amt[i];
    amt1 += a;
    if (a <= smallLimit) small1++;
    const f = p.flg[i];
    if (f & FLAG_DECLINED) decl1++;
    if (f & FLAG_FOREIGN) foreign1++;
    const m = p.mer[i];
    let dup = false;
    for (let j = 0; j < nSeen; j++) if (seen[j] === m) { dup = true; break; }
    if (!dup) seen[nSeen++] = m;
  }

  // Last 24 h from the hourly buckets.
  const hour = Math.floor(sec / 3600);
  let cnt24 = 1;
  let amt24 = amount;
  for (let b = 0; b < DAY_BUCKETS; b++) {
    const id = p.hId[b];
    if (id > hour - DAY_BUCKETS && id <= hour) {
      cnt24 += p.hCnt[b];
      amt24 += p.hAmt[b];
    }
  }

  // Amount against the card's own history: variance shrunk toward a prior so two spends don't make a tiny sd.
  let z = 0;
  if (p.amtN > 0) {
    const k = 2;
    const variance = (p.amtM2 + k * 1.0) / (p.amtN - 1 + k);
    z = (Math.log1p(amount) - p.amtMean) / Math.sqrt(variance);
    z = z < -4 ? -4 : z > 8 ? 8 : z;
  }

  const mccRisk = txn.mcc === undefined ? config.mccRiskDefault : (config.mccRisk[txn.mcc] ?? config.mccRiskDefault);
  const foreignCurrency = txn.currency !== card.currency;
  let ccMismatch = false;
  if (txn.merchantCountry !== undefined) {
    const cur = COUNTRY_CURRENCY[normCountry(txn.merchantCountry)];
    ccMismatch = cur !== undefined && cur !== txn.currency;
  }

  const dormantDays = p.lastUsed > 0 && sec > p.lastUsed ? (sec - p.lastUsed) / 86_400 : 0;

  const h = localHour(txn, now);
  let total = 0;
  for (let i = 0; i < 24; i++) total += p.hours[i];
  let rarity = 0;
  if (total >= r.minHistory) {
    // Neighbouring hours count half: a 22:00 spend is not odd for someone who shops at 21:00.
    const near = p.hours[h] + 0.5 * (p.hours[(h + 23) % 24] + p.hours[(h + 1) % 24]);
    const prob = (near + 0.25) / (2 * total + 6);
    rarity = Math.log(1 / 24 / prob);
    rarity = rarity < 0 ? 0 : rarity > 5 ? 5 : rarity;
  }

  let newMcc = 0;
  if (p.amtN >= r.minHistory && txn.mcc !== undefined) {
    const code = Number.parseInt(txn.mcc, 10);
    newMcc = p.mccs.indexOf(code) < 0 ? 1 : 0;
  }

  // Merchant signals are judged against the merchant's own baseline, and only once it has one: a new merchant
  // (or one the switch has just started seeing) gives no velocity signal, however busy it is.
  let mVel = 0;
  let mSmallX = 0;
  let mCnt = 0;
  let mBase = 0;
  let mEstablished = false;
  if (merchant !== undefined) {
    mEstablished = merchantHoursAt(merchant, hour) >= r.merchantMinHours;
    if (mEstablished) {
      mCnt = (merchant.hourId === hour ? merchant.cnt : 0) + 1;
      const mSmall = (merchant.hourId === hour ? merchant.small : 0) + (isSmallAmount(txn.amount, txn.currency, r) ? 1 : 0);
      mBase = merchantBaseAt(merchant, hour);
      mVel = Math.log((mCnt + 1) / (mBase + 1));
      if (mVel < 0) mVel = 0;
      mSmallX = Math.log((mSmall + 1) / (merchantSmallBaseAt(merchant, hour) + 1));
      if (mSmallX < 0) mSmallX = 0;
    }
  }

  const gap = p.lastSeen > 0 && sec >= p.lastSeen ? sec - p.lastSeen : -1;

  out[0] = Math.log1p(cnt1);
  out[1] = Math.log1p(amt1 / typical);
  out[2] = Math.log1p(cnt24);
  out[3] = Math.log1p(amt24 / typical);
  out[4] = z;
  out[5] = mccRisk;
  out[6] = foreign ? 1 : 0;
  out[7] = foreignCurrency ? 1 : 0;
  out[8] = ccMismatch ? 1 : 0;
  out[9] = Math.log1p(small1);
  out[10] = nSeen;
  out[11] = decl1;
  out[12] = Math.log1p(dormantDays);
  out[13] = rarity;
  out[14] = h < 6 ? 1 : 0;
  out[15] = isCardNotPresent(txn) ? 1 : 0;
  out[16] = newMcc;
  out[17] = p.amtN < r.minHistory ? 1 : 0;
  out[18] = foreign1;
  out[19] = mVel;
  out[20] = mSmallX;
  out[21] = txn.kind === 'cash' || txn.mcc === '6011' ? 1 : 0;
  out[22] = gap >= 0 ? Math.exp(-gap / 300) : 0;

  let rules = 0;
  const history = p.amtN >= r.minHistory;
  if (cnt1 >= r.maxCount1h || (history && amt1 >= r.maxAmountRatio1h * typical)) rules |= 1 << 0;
  if (cnt24 >= r.maxCount24h || (history && amt24 >= r.maxAmountRatio24h * typical)) rules |= 1 << 1;
  if (mEstablished && mCnt >= r.merchantMinCount && mCnt >= r.merchantVelocityRatio * (mBase + 1))
    rules |= 1 << 2;
  if (history && z >= r.amountZ) rules |= 1 << 3;
  if (mccRisk >= r.highRiskMcc) rules |= 1 << 4;
  if (foreign) rules |= 1 << 5;
  if (foreignCurrency || ccMismatch) rules |= 1 << 6;
  if (small1 >= r.cardTestingSmall || nSeen >= r.cardTestingMerchants || decl1 >= r.cardTestingDeclines) rules |= 1 << 7;
  if (dormantDays >= r.dormantDays) rules |= 1 << 8;
  if (rarity >= r.hourRarity) rules |= 1 << 9;
  for (let i = 0; i < RULE_NAMES.length; i++) out[RULE_BASE + i] = (rules >> i) & 1;
  return rules;
}
