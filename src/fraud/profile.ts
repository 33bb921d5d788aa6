// Card and merchant profiles: creation and the deterministic, bounded updates the engine runs inside its commit.
// Updates mutate the profile in place and return it (no allocation on the hot path); same inputs, same result.
import type { Txn } from '../model/txn.js';
import {
  CARD_MCCS,
  CARD_RING,
  DAY_BUCKETS,
  FLAG_CNP,
  FLAG_DECLINED,
  FLAG_FOREIGN,
  type CardProfile,
  type FraudRuleParams,
  type MerchantProfile,
} from './types.js';
import { defaultRules } from './rules.js';

/** Past this many spends the amount statistics become an exponentially weighted average (adapts to new habits). */
export const AMOUNT_CAP = 200;
/** Event counters stop here (they only feed "how much history" features). */
export const COUNT_CAP = 1_000_000;
/** Per-hour smoothing of the merchant baseline. */
export const MERCHANT_ALPHA = 0.05;

const HOUR_BIN_MAX = 255;

export function emptyCardProfile(): CardProfile {
  return {
    v: 1,
    n: 0,
    head: 0,
    ts: new Array<number>(CARD_RING).fill(0),
    amt: new Array<number>(CARD_RING).fill(0),
    mer: new Array<number>(CARD_RING).fill(0),
    flg: new Array<number>(CARD_RING).fill(0),
    hId: new Array<number>(DAY_BUCKETS).fill(0),
    hCnt: new Array<number>(DAY_BUCKETS).fill(0),
    hAmt: new Array<number>(DAY_BUCKETS).fill(0),
    amtN: 0,
    amtMean: 0,
    amtM2: 0,
    hours: new Array<number>(24).fill(0),
    mccs: [],
    lastUsed: 0,
    lastSeen: 0,
  };
}

export function emptyMerchantProfile(): MerchantProfile {
  return { v: 1, hourId: 0, cnt: 0, amt: 0, small: 0, declines: 0, baseCnt: 0, baseSmall: 0, hrs: 0, n: 0 };
}

/** Kinds that are new uses of the card; refunds, completions and reversals are follow-ups and are not scored. */
export function isScoredKind(kind: Txn['kind']): boolean {
  return kind === 'purchase' || kind === 'cash' || kind === 'preauth' || kind === 'incremental' || kind === 'balance';
}

/** 32-bit FNV-1a of a string (merchant ids): a number, so the ring stays plain numbers. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Merchant key of a txn: its merchant id, else its terminal id, else 0 (unknown). */
export function merchantKey(txn: Txn): number {
  const id = txn.merchantId ?? txn.terminalId;
  return id ? fnv1a(id) : 0;
}

/** The amount in the card's currency: DE 4 when it is already, else DE 6 when it is, else DE 4 unconverted. */
export function cardAmount(txn: Txn, cardCurrency: string | undefined): number {
  if (cardCurrency === undefined || txn.currency === cardCurrency) return txn.amount;
  if (txn.billingCurrency === cardCurrency && txn.billingAmount !== undefined) return txn.billingAmount;
  return txn.amount;
}

/** Local hour 0–23 from DE 12-style ISO 8601 `localTime` ("2026-03-01T21:05:00"), else the UTC hour of `now`. */
export function localHour(txn: Txn, nowMs: number): number {
  const t = txn.localTime;
  if (t !== undefined && t.length >= 13) {
    const a = t.charCodeAt(11) - 48;
    const b = t.charCodeAt(12) - 48;
    if (a >= 0 && a <= 2 && b >= 0 && b <= 9) {
      const h = a * 10 + b;
      if (h < 24) return h;
    }
  }
  return Math.floor(nowMs / 3_600_000) % 24;
}

/** Card not present: e-commerce / keyed (DE 22 starting 81 or 01) or flagged by the edge. */
export function isCardNotPresent(txn: Txn): boolean {
  if (txn.cardPresent === false) return true;
  const pem = txn.posEntryMode;
  if (pem === undefined) return txn.cardPresent === undefined && txn.cvv2 !== undefined;
  return pem.startsWith('81') || pem.startsWith('01') || pem.startsWith('10');
}

// Alpha-2 → numeric for the countries the switch commonly sees, so "ID" and "360" compare equal.
const ALPHA2_NUMERIC: Record<string, string> = {
  ID: '360', US: '840', SG: '702', MY: '458', TH: '764', PH: '608', VN: '704', AU: '036', GB: '826', DE: '276',
  FR: '250', NL: '528', JP: '392', CN: '156', HK: '344', IN: '356', AE: '784', NG: '566', RU: '643', BR: '076',
  KR: '410', CA: '124', IT: '380', ES: '724', TR: '792', SA: '682', RO: '642', UA: '804', MX: '484', ZA: '710',
};
/** Numeric country → its currency (ISO 4217 numeric), for the country/currency mismatch check. */
export const COUNTRY_CURRENCY: Record<string, string> = {
  '360': '360', '840': '840', '702': '702', '458': '458', '764': '764', '608': '608', '704': '704', '036': '036',
  '826': '826', '276': '978', '250': '978', '528': '978', '380': '978', '724': '978', '392': '392', '156': '156',
  '344': '344', '356': '356', '784': '784', '566': '566', '643': '643', '076': '986', '410': '410', '124': '124',
  '792': '949', '682': '682', '642': '946', '804': '980', '484': '484', '710': '710',
};

/** Country code as ISO 3166 numeric when known ("ID" → "360"), else as given. */
export function normCountry(c: string): string {
  return c.length === 2 ? (ALPHA2_NUMERIC[c.toUpperCase()] ?? c.toUpperCase()) : c;
}

/** True when the merchant is in another country than the card's home (unknown either side: false). */
export function isForeign(txn: Txn, cardCountry: string | undefined): boolean {
  const m = txn.merchantCountry;
  if (m === undefined || cardCountry === undefined) return false;
  return m === cardCountry ? false : normCountry(m) !== normCountry(cardCountry);
}

/**
 * Folds one decided transaction into the card's profile (mutates `p`, returns it).
 * Every scored kind enters the velocity ring and the 24 h buckets; only approved spends move the amount
 * statistics, the hour-of-day habit, the MCC list and lastUsed. `card` gives the home country and currency
 * (without it DE 4 is taken as-is and nothing counts as foreign).
 */
/** Throws a clear error for something that is not a v1 card profile (a corrupt or foreign LMDB value). */
export function assertCardProfile(p: CardProfile): void {
  if (
    p === null ||
    typeof p !== 'object' ||
    p.v !== 1 ||
    p.ts?.length !== CARD_RING ||
    p.amt?.length !== CARD_RING ||
    p.mer?.length !== CARD_RING ||
    p.flg?.length !== CARD_RING ||
    p.hId?.length !== DAY_BUCKETS ||
    p.hCnt?.length !== DAY_BUCKETS ||
    p.hAmt?.length !== DAY_BUCKETS ||
    p.hours?.length !== 24 ||
    !Array.isArray(p.mccs) ||
    p.mccs.length > CARD_MCCS ||
    !(p.head >= 0 && p.head < CARD_RING)
  )
    throw new TypeError('fraud: not a v1 card profile (corrupt or from another version)');
}

/** Throws a clear error when the amount is not a finite, non-negative number of minor units. */
export function assertAmount(txn: Txn): void {
  if (!(Number.isFinite(txn.amount) && txn.amount >= 0)) throw new RangeError(`fraud: txn ${txn.id} amount ${txn.amount} is not a non-negative number`);
  if (txn.billingAmount !== undefined && !(Number.isFinite(txn.billingAmount) && txn.billingAmount >= 0))
    throw new RangeError(`fraud: txn ${txn.id} billing amount ${txn.billingAmount} is not a non-negative number`);
}

export function updateCardProfile(
  p: CardProfile,
  txn: Txn,
  approved: boolean,
  now: number,
  card?: { country?: string; currency: string },
): CardProfile {
  if (!isScoredKind(txn.kind)) return p;
  assertCardProfile(p);
  assertAmount(txn);
  if (!Number.isFinite(now)) throw new RangeError('fraud: now is not a time');
  const sec = Math.floor(now / 1000);
  const amount = Math.max(0, cardAmount(txn, card?.currency));

  const slot = p.head;
  p.ts[slot] = sec;
  p.amt[slot] = amount;
  p.mer[slot] = merchantKey(txn);
  p.flg[slot] =
    (approved ? 0 : FLAG_DECLINED) | (card && isForeign(txn, card.country) ? FLAG_FOREIGN : 0) | (isCardNotPresent(txn) ? FLAG_CNP : 0);
  p.head = (slot + 1) % CARD_RING;

  const hour = Math.floor(sec / 3600);
  const b = hour % DAY_BUCKETS;
  // A late event (clock skew across workers) never wipes a newer bucket; one older than a day is simply left out.
  if (p.hId[b] < hour) {
    p.hId[b] = hour;
    p.hCnt[b] = 0;
    p.hAmt[b] = 0;
  }
  if (p.hId[b] === hour) {
    p.hCnt[b] += 1;
    p.hAmt[b] += amount;
  }

  if (p.n < COUNT_CAP) p.n += 1;
  if (sec > p.lastSeen) p.lastSeen = sec;
  if (!approved || txn.kind === 'balance') return p;

  // Welford on ln(1+amount); once capped, M2 is decayed so the variance tracks recent habits too.
  const x = Math.log1p(amount);
  if (p.amtN < AMOUNT_CAP) {
    p.amtN += 1;
    const d = x - p.amtMean;
    p.amtMean += d / p.amtN;
    p.amtM2 += d * (x - p.amtMean);
  } else {
    const d = x - p.amtMean;
    p.amtMean += d / AMOUNT_CAP;
    p.amtM2 = p.amtM2 * (1 - 1 / AMOUNT_CAP) + d * (x - p.amtMean);
  }

  const h = localHour(txn, now);
  p.hours[h] += 1;
  if (p.hours[h] >= HOUR_BIN_MAX) for (let i = 0; i < 24; i++) p.hours[i] = p.hours[i] >> 1;

  const mcc = txn.mcc === undefined ? -1 : Number.parseInt(txn.mcc, 10);
  if (mcc >= 0) {
    const m = p.mccs;
    let at = m.indexOf(mcc);
    if (at < 0) {
      if (m.length < CARD_MCCS) m.push(mcc);
      at = m.length - 1;
    }
    for (let i = at; i > 0; i--) m[i] = m[i - 1];
    m[0] = mcc;
  }
  if (sec > p.lastUsed) p.lastUsed = sec;
  return p;
}

/** Cap on the merchant's hour counter (it only says "enough history"; also bounds the bias correction). */
export const MERCHANT_HOURS_CAP = 1_000_000;

/** Hours between the merchant's current hour and `hour` that would be folded in (the finished one + empty ones). */
function hoursToFold(m: MerchantProfile, hour: number): number {
  if (m.hourId === hour || m.hourId === 0 || hour < m.hourId) return 0;
  return 1 + Math.min(hour - m.hourId - 1, 10_000);
}

/** Hours of history the merchant has as of `hour` (finished hours folded, empty ones included). */
export function merchantHoursAt(m: MerchantProfile, hour: number): number {
  return Math.min(MERCHANT_HOURS_CAP, (m.hrs ?? 0) + hoursToFold(m, hour));
}

/** Raw EWMA as of `hour` without mutating: the finished hour's `count` and any empty hours folded into `base`. */
function ewmaAt(m: MerchantProfile, base: number, count: number, hour: number): number {
  const fold = hoursToFold(m, hour);
  if (fold === 0) return base;
  let b = base + MERCHANT_ALPHA * (count - base);
  if (fold > 1) b *= Math.pow(1 - MERCHANT_ALPHA, fold - 1);
  return b;
}

/** The EWMA started at 0: divide by 1 − (1 − α)^hours so a young merchant's baseline is its real hourly mean. */
function unbias(raw: number, hours: number): number {
  if (hours <= 0) return 0;
  const w = 1 - Math.pow(1 - MERCHANT_ALPHA, hours);
  return w > 0 ? raw / w : 0;
}

/** The merchant's hourly event baseline as of `hour` (bias-corrected EWMA; 0 before its first finished hour). */
export function merchantBaseAt(m: MerchantProfile, hour: number): number {
  return unbias(ewmaAt(m, m.baseCnt, m.cnt, hour), merchantHoursAt(m, hour));
}

/** The merchant's hourly small-auth baseline as of `hour`, bias-corrected like merchantBaseAt. */
export function merchantSmallBaseAt(m: MerchantProfile, hour: number): number {
  return unbias(ewmaAt(m, m.baseSmall ?? 0, m.small, hour), merchantHoursAt(m, hour));
}

/** Rolls the merchant's hour forward to `hour`, folding finished hours (empty ones too) into the baselines. */
function rollMerchantHour(m: MerchantProfile, hour: number): void {
  if (m.hourId === hour) return;
  const fold = hoursToFold(m, hour);
  if (fold > 0) {
    m.baseCnt = ewmaAt(m, m.baseCnt, m.cnt, hour);
    m.baseSmall = ewmaAt(m, m.baseSmall ?? 0, m.small, hour);
    m.hrs = Math.min(MERCHANT_HOURS_CAP, (m.hrs ?? 0) + fold);
  }
  if (hour > m.hourId || m.hourId === 0) {
    m.hourId = hour;
    m.cnt = 0;
    m.amt = 0;
    m.small = 0;
    m.declines = 0;
  }
}

/** True when the amount is at or below the configured small-auth limit for its currency (card-testing signal). */
export function isSmallAmount(amount: number, currency: string | undefined, rules: FraudRuleParams): boolean {
  const limit = currency === undefined ? undefined : rules.smallAmount[currency];
  return amount <= (limit ?? rules.smallAmountDefault);
}

/** Folds one decided transaction into the merchant's profile (mutates `m`, returns it). */
export function updateMerchantProfile(
  m: MerchantProfile,
  txn: Txn,
  approved: boolean,
  now: number,
  rules: FraudRuleParams = defaultRules,
): MerchantProfile {
  const small = isSmallAmount(txn.amount, txn.currency, rules);
  if (!isScoredKind(txn.kind)) return m;
  const hour = Math.floor(now / 3_600_000);
  rollMerchantHour(m, hour);
  // An event older than the current hour (clock skew across workers) counts in the current hour.
  m.cnt += 1;
  m.amt += Math.max(0, txn.amount);
  if (small) m.small += 1;
  if (!approved) m.declines += 1;
  if (m.n < COUNT_CAP) m.n += 1;
  return m;
}
