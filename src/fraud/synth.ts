// Synthetic labelled card traffic, deterministic from a seed. Cardholders have habits (home country and currency,
// usual hours, typical amounts, favourite merchants, some travel, some go quiet for months); a fraction of cards is
// compromised and gets labelled fraud patterns on top of its owner's own spending:
//   cardTesting  — campaigns of tiny auths across a few test merchants, many cards at once, some declined,
//                  sometimes followed by a cash-out;
//   takeover     — account takeover: large CNP spends at odd hours in high-risk MCCs;
//   crossBorder  — a skimmed clone used abroad: a burst of card-present cash and electronics;
//   dormant      — a card quiet for two months or more suddenly spending at new MCCs;
//   subtle       — one plausible, slightly larger purchase (keeps the task honest: not every fraud is catchable).
// Legitimate look-alikes are there too: travel abroad, occasional big purchases, night owls, dormant owners coming
// back, declines for insufficient funds.
import type { Txn } from '../model/txn.js';
import { chance, int, mulberry32, normal, pick, poisson, subSeed, uniform, type Rng } from './prng.js';

export interface SynthOptions {
  seed: number;
  cards: number;
  days: number;
  /** Fraction of cards compromised (default 0.05). */
  fraudCardRate?: number;
  /** Epoch ms of day 0, 00:00 UTC (default 2026-01-01). */
  start?: number;
  /** Legitimate high-volume IDR merchants (default 2; 0 for none), see busyMerchantTraffic. */
  busyMerchants?: number;
}

export interface SynthCard {
  index: number;
  token: string;
  country: string;
  currency: string;
}

export interface SynthEvent {
  /** Epoch ms. */
  now: number;
  card: number;
  txn: Txn;
  /** What the synthetic issuer decided (independent of the fraud model: funds, wrong CVV on tested cards). */
  approved: boolean;
  fraud: boolean;
  /** Fraud pattern name, or 'legit'. */
  pattern: string;
}

export interface SynthData {
  cards: SynthCard[];
  /** All events in time order. */
  events: SynthEvent[];
}

interface Country {
  code: string;
  currency: string;
  tz: number;
  weight: number;
}

const COUNTRIES: Country[] = [
  { code: '360', currency: '360', tz: 7, weight: 0.55 }, // Indonesia, IDR
  { code: '702', currency: '702', tz: 8, weight: 0.15 }, // Singapore, SGD
  { code: '458', currency: '458', tz: 8, weight: 0.12 }, // Malaysia, MYR
  { code: '840', currency: '840', tz: -5, weight: 0.12 }, // United States, USD
  { code: '764', currency: '764', tz: 7, weight: 0.03 }, // Thailand, THB
  { code: '250', currency: '978', tz: 1, weight: 0.03 }, // France, EUR
];

/** USD value of one minor unit, to convert between currencies and scale amounts. */
const USD_PER_MINOR: Record<string, number> = {
  '840': 0.01,
  '702': 0.0074,
  '458': 0.0021,
  '360': 6.3e-7,
  '764': 0.00028,
  '978': 0.0108,
};

/** Everyday MCCs and their weights in normal spending. */
const EVERYDAY_MCCS: [string, number][] = [
  ['5411', 0.25],
  ['5812', 0.15],
  ['5814', 0.12],
  ['5541', 0.1],
  ['4121', 0.07],
  ['5912', 0.05],
  ['5311', 0.05],
  ['5691', 0.05],
  ['4111', 0.04],
  ['4900', 0.03],
  ['4814', 0.03],
  ['5999', 0.03],
  ['5732', 0.015],
  ['7011', 0.01],
  ['4511', 0.01],
  ['6011', 0.02],
];
/** Fraud patterns and their share of compromised cards. */
const PATTERNS: [string, number][] = [
  ['cardTesting', 0.35],
  ['takeover', 0.2],
  ['crossBorder', 0.2],
  ['dormant', 0.15],
  ['subtle', 0.1],
];
const HIGH_RISK_MCCS = ['4829', '6051', '7995', '5944', '5732', '6540'];
const TESTING_MCCS = ['5816', '5999', '4814', '5967', '5818'];

interface Merchant {
  id: string;
  country: Country;
  mcc: string;
  ecommerce: boolean;
}

interface Habit {
  home: Country;
  perDay: number;
  peakHour: number;
  hourSd: number;
  /** ln of the median amount in USD. */
  muUsd: number;
  sigma: number;
  favourites: Merchant[];
  cnpShare: number;
  /** Active-day window [from, to) for quiet cards; otherwise the whole period. */
  activeUntil: number;
  returnsAt: number;
}

function weighted<T>(r: Rng, xs: readonly T[], weight: (x: T) => number): T {
  let total = 0;
  for (const x of xs) total += weight(x);
  let u = r.next() * total;
  for (const x of xs) {
    u -= weight(x);
    if (u <= 0) return x;
  }
  return xs[xs.length - 1];
}

function convert(amount: number, from: string, to: string): number {
  if (from === to) return amount;
  return Math.max(1, Math.round((amount * USD_PER_MINOR[from]) / USD_PER_MINOR[to]));
}

function usdToMinor(usd: number, currency: string): number {
  return Math.max(1, Math.round(usd / USD_PER_MINOR[currency]));
}

/** A card tester's amount: USD 0.50–2.50 worth, but in IDR (where that buys a coffee) IDR 1,000–3,000. */
function testerAmount(r: Rng, currency: string): number {
  if (currency === '360') return 100 * 100 * int(r, 10, 30);
  return usdToMinor(uniform(r, 0.5, 2.5), currency);
}

function localIso(utcMs: number, tz: number): string {
  return new Date(utcMs + tz * 3_600_000).toISOString().slice(0, 19);
}

/** Generates the whole data set in time order. Same options, same events, byte for byte. */
export function synthesize(opts: SynthOptions): SynthData {
  const { seed, cards: nCards, days } = opts;
  if (!(Number.isInteger(nCards) && nCards > 0 && nCards <= 1_000_000)) throw new Error('synth: cards must be 1..1e6');
  if (!(Number.isInteger(days) && days > 0 && days <= 3650)) throw new Error('synth: days must be 1..3650');
  const fraudRate = opts.fraudCardRate ?? 0.05;
  const start = opts.start ?? Date.UTC(2026, 0, 1);
  const DAY = 86_400_000;
  const g = mulberry32(subSeed(seed, 0xfeed));

  // Merchants: mostly in the cardholders' countries, a share of them online.
  const nMerchants = Math.max(150, Math.floor(nCards / 4));
  const merchants: Merchant[] = [];
  for (let i = 0; i < nMerchants; i++) {
    const country = weighted(g, COUNTRIES, (c) => c.weight + 0.05);
    const mcc = weighted(g, EVERYDAY_MCCS, (m) => m[1])[0];
    merchants.push({ id: `M${String(i).padStart(6, '0')}`, country, mcc, ecommerce: mcc !== '6011' && chance(g, 0.2) });
  }
  const byCountry = new Map<string, Merchant[]>();
  for (const m of merchants) {
    const list = byCountry.get(m.country.code) ?? [];
    list.push(m);
    byCountry.set(m.country.code, list);
  }
  const atms = (c: Country) => (byCountry.get(c.code) ?? []).filter((m) => m.mcc === '6011');
  let extra = 0;
  const extraMerchant = (country: Country, mcc: string, ecommerce: boolean): Merchant => ({
    id: `X${String(extra++).padStart(6, '0')}`,
    country,
    mcc,
    ecommerce,
  });
  // Risky merchants fraudsters use (legit cardholders rarely).
  const riskyShops: Merchant[] = [];
  for (let i = 0; i < 40; i++) riskyShops.push(extraMerchant(pick(g, COUNTRIES), pick(g, HIGH_RISK_MCCS), chance(g, 0.8)));

  const cards: SynthCard[] = [];
  const events: SynthEvent[] = [];
  let stan = 0;

  const emit = (
    card: SynthCard,
    utc: number,
    m: Merchant,
    amountLocal: number,
    cnp: boolean,
    fraud: boolean,
    pattern: string,
    approved: boolean,
  ) => {
    const cash = m.mcc === '6011';
    const txn: Txn = {
      id: `S${seed}-${events.length}`,
      kind: cash ? 'cash' : 'purchase',
      mti: '0200',
      processingCode: cash ? '010000' : '000000',
      token: card.token,
      amount: amountLocal,
      currency: m.country.currency,
      localTime: localIso(utc, m.country.tz),
      stan: String(++stan % 1_000_000).padStart(6, '0'),
      acquirerId: '100001',
      terminalId: `T${m.id.slice(1)}`,
      merchantId: m.id,
      merchantCountry: m.country.code,
      mcc: m.mcc,
      posEntryMode: cnp ? '812' : '051',
      cardPresent: !cnp,
      channel: 'synth',
    };
    if (m.country.currency !== card.currency) {
      txn.billingAmount = convert(amountLocal, m.country.currency, card.currency);
      txn.billingCurrency = card.currency;
    }
    events.push({ now: utc, card: card.index, txn, approved, fraud, pattern });
  };

  const hourAt = (r: Rng, h: Habit) => {
    let hr = h.peakHour + normal(r) * h.hourSd;
    hr = ((hr % 24) + 24) % 24;
    return hr;
  };
  const utcFor = (day: number, localHour: number, tz: number) => start + day * DAY + Math.round((localHour - tz) * 3_600_000);

  // Card-testing campaigns share test merchants and time windows across many cards.
  interface Campaign {
    day: number;
    hour: number;
    shops: Merchant[];
  }
  const campaigns: Campaign[] = [];
  const nCampaigns = Math.max(2, Math.round((nCards * fraudRate) / 12));
  for (let i = 0; i < nCampaigns; i++) {
    const country = pick(g, COUNTRIES);
    const shops: Merchant[] = [];
    const k = int(g, 2, 4);
    for (let j = 0; j < k; j++) shops.push(extraMerchant(country, pick(g, TESTING_MCCS), true));
    campaigns.push({ day: int(g, Math.min(14, days - 1), days - 1), hour: uniform(g, 0, 24), shops });
  }

  for (let c = 0; c < nCards; c++) {
    const r = mulberry32(subSeed(seed, c + 1));
    const home = weighted(r, COUNTRIES, (x) => x.weight);
    const card: SynthCard = { index: c, token: `tok_${seed}_${c}`, country: home.code, currency: home.currency };
    cards.push(card);
    const local = byCountry.get(home.code) ?? merchants;
    const favourites: Merchant[] = [];
    const nFav = int(r, 4, 12);
    for (let i = 0; i < nFav; i++) favourites.push(pick(r, local));
    // Compromise is decided up front: a card picked for the dormant pattern must be one that went quiet.
    const compromised = chance(r, fraudRate);
    const canSleep = days >= 80;
    const kind = compromised ? weighted(r, PATTERNS.filter((p) => canSleep || p[0] !== 'dormant'), (p) => p[1])[0] : 'legit';
    const nightOwl = chance(r, 0.06);
    const quiet = canSleep && (kind === 'dormant' || (kind === 'legit' && chance(r, 0.08)));
    const habit: Habit = {
      home,
      perDay: Math.exp(normal(r) * 0.6) * 0.9,
      peakHour: nightOwl ? uniform(r, 22, 26) : uniform(r, 8, 20),
      hourSd: uniform(r, 1.2, 3.5),
      muUsd: Math.log(25) + normal(r) * 0.7,
      sigma: uniform(r, 0.4, 0.9),
      favourites,
      cnpShare: uniform(r, 0, 0.35),
      activeUntil: quiet ? int(r, 3, 12) : days,
      returnsAt: quiet && kind !== 'dormant' ? int(r, Math.min(days - 5, 75), days - 1) : days,
    };
    const typicalUsd = () => Math.exp(habit.muUsd);

    // Travel: some cardholders spend a few days abroad.
    let tripFrom = -1;
    let tripTo = -1;
    let tripCountry: Country = home;
    if (chance(r, 0.12)) {
      tripFrom = int(r, 0, days - 1);
      tripTo = tripFrom + int(r, 2, 9);
      tripCountry = weighted(r, COUNTRIES.filter((x) => x !== home), (x) => x.weight);
    }

    // The owner's own spending.
    for (let d = 0; d < days; d++) {
      if (d >= habit.activeUntil && d < habit.returnsAt) continue;
      const abroad = d >= tripFrom && d < tripTo;
      const n = poisson(r, habit.perDay * (abroad ? 1.6 : 1));
      for (let i = 0; i < n; i++) {
        const hr = hourAt(r, habit);
        const where = abroad ? tripCountry : home;
        const utc = utcFor(d, hr, where.tz) + int(r, 0, 59_999);
        let m: Merchant;
        if (abroad) m = pick(r, byCountry.get(where.code) ?? merchants);
        else if (chance(r, 0.8)) m = pick(r, habit.favourites);
        else m = pick(r, local);
        let usd = Math.exp(habit.muUsd + normal(r) * habit.sigma);
        if (chance(r, 0.03)) usd *= uniform(r, 4, 12); // a rare big purchase
        if (abroad) usd *= 1.5;
        if (m.mcc === '6011') usd = Math.max(20, Math.round(usd * 3));
        const cnp = m.ecommerce || (m.mcc !== '6011' && chance(r, habit.cnpShare * 0.3));
        const approved = !chance(r, 0.02);
        emit(card, utc, m, usdToMinor(usd, where.currency), cnp, false, 'legit', approved);
      }
    }

    // Compromise: at most one pattern per card, after a warm-up so the profile knows its owner.
    if (kind === 'legit') continue;
    const warm = Math.min(14, days - 1);
    if (kind === 'cardTesting') {
      const camp = pick(r, campaigns);
      const t0 = start + camp.day * DAY + (camp.hour + uniform(r, 0, 2)) * 3_600_000;
      const k = int(r, 3, 9);
      let t = t0;
      for (let i = 0; i < k; i++) {
        t += int(r, 20_000, 8 * 60_000);
        const shop = pick(r, camp.shops);
        emit(card, t, shop, testerAmount(r, shop.country.currency), true, true, 'cardTesting', !chance(r, 0.25));
      }
      if (chance(r, 0.5)) {
        const n = int(r, 1, 3);
        for (let i = 0; i < n; i++) {
          t += int(r, 10 * 60_000, 12 * 3_600_000);
          const shop = pick(r, riskyShops);
          emit(card, t, shop, usdToMinor(typicalUsd() * uniform(r, 3, 12), shop.country.currency), true, true, 'cardTesting', true);
        }
      }
    } else if (kind === 'takeover') {
      const d = int(r, warm, days - 1);
      const hr = (habit.peakHour + 12 + normal(r) * 2 + 48) % 24; // the owner's off-hours
      let t = utcFor(d, hr, home.tz);
      const n = int(r, 1, 4);
      for (let i = 0; i < n; i++) {
        const shop = chance(r, 0.7) ? pick(r, riskyShops) : pick(r, local);
        const amount = usdToMinor(typicalUsd() * uniform(r, 3, 15), shop.country.currency);
        emit(card, t, shop, amount, chance(r, 0.85), true, 'takeover', true);
        t += int(r, 5 * 60_000, 3 * 3_600_000);
      }
    } else if (kind === 'crossBorder') {
      const d = int(r, warm, days - 1);
      const where = weighted(r, COUNTRIES.filter((x) => x !== home), (x) => x.weight);
      let t = utcFor(d, uniform(r, 0, 24), where.tz);
      const n = int(r, 3, 8);
      const cashPoints = atms(where);
      for (let i = 0; i < n; i++) {
        const m = cashPoints.length > 0 && chance(r, 0.6) ? pick(r, cashPoints) : extraMerchant(where, pick(r, ['5732', '5944', '5311']), false);
        const usd = m.mcc === '6011' ? uniform(r, 100, 400) : typicalUsd() * uniform(r, 2, 8);
        emit(card, t, m, usdToMinor(usd, where.currency), false, true, 'crossBorder', !chance(r, 0.1));
        t += int(r, 3 * 60_000, 40 * 60_000);
      }
    } else if (kind === 'dormant') {
      // Quiet card whose owner does not come back within the period: the thief is its first use in months.
      const d = int(r, Math.min(habit.activeUntil + 60, days - 1), days - 1);
      let t = utcFor(d, uniform(r, 0, 24), home.tz);
      const n = int(r, 2, 5);
      for (let i = 0; i < n; i++) {
        const shop = chance(r, 0.6) ? pick(r, riskyShops) : pick(r, local);
        emit(card, t, shop, usdToMinor(typicalUsd() * uniform(r, 2, 10), shop.country.currency), chance(r, 0.7), true, 'dormant', true);
        t += int(r, 10 * 60_000, 6 * 3_600_000);
      }
    } else {
      const d = int(r, warm, days - 1);
      const shop = pick(r, local);
      const utc = utcFor(d, hourAt(r, habit), home.tz);
      emit(card, utc, shop, usdToMinor(Math.exp(habit.muUsd + 0.5 + normal(r) * habit.sigma), shop.country.currency), shop.ecommerce, true, 'subtle', true);
    }
  }

  busyMerchantTraffic(seed, opts.busyMerchants ?? 2, Math.min(2000, Math.max(300, Math.round(nCards / 2))), days, start, cards, emit, extraMerchant);

  // Time order across cards (stable: ties keep generation order, so the result is deterministic).
  const end = start + days * DAY;
  const inRange = events.filter((e) => e.now >= start && e.now < end);
  inRange.sort((a, b) => a.now - b.now);
  return { cards, events: inRange };
}

/**
 * Legitimate high-volume merchants: a new IDR convenience store / transit gate opens on some day and at once serves
 * `perHour` authorizations an hour from many distinct walk-in cards (new to the data, 1–3 visits each, IDR 5,000–
 * 24,000), in two peak hours a day for three days, plus a trickle in between. Labelled legit, so the model learns
 * that a busy new merchant and cards with no history buying small everyday things are normal.
 */
function busyMerchantTraffic(
  seed: number,
  count: number,
  perHour: number,
  days: number,
  start: number,
  cards: SynthCard[],
  emit: (card: SynthCard, utc: number, m: Merchant, amount: number, cnp: boolean, fraud: boolean, pattern: string, approved: boolean) => void,
  extraMerchant: (country: Country, mcc: string, ecommerce: boolean) => Merchant,
): void {
  if (!(Number.isInteger(count) && count >= 0 && count <= 100)) throw new Error('synth: busyMerchants must be 0..100');
  const r = mulberry32(subSeed(seed, 0xb05e));
  const idr = COUNTRIES[0];
  const DAY = 86_400_000;
  const HOUR = 3_600_000;
  for (let b = 0; b < count; b++) {
    const shop = extraMerchant(idr, b % 2 === 0 ? '5411' : '4111', false);
    const open = int(r, 0, Math.max(0, days - 3));
    for (let d = open; d < Math.min(days, open + 3); d++) {
      for (const peakLocal of [7, 12]) {
        // Walk-in cards for this peak hour: each visits 1–4 times, minutes apart.
        const hourStart = start + d * DAY + (peakLocal - idr.tz) * HOUR;
        let made = 0;
        while (made < perHour) {
          const card: SynthCard = { index: cards.length, token: `tok_${seed}_b${cards.length}`, country: idr.code, currency: idr.currency };
          cards.push(card);
          const visits = Math.min(perHour - made, int(r, 1, 3));
          let t = hourStart + int(r, 0, 40 * 60_000);
          for (let v = 0; v < visits; v++) {
            emit(card, t, shop, 100 * int(r, 50, 240) * 100, false, false, 'legit', !chance(r, 0.01));
            t += int(r, 5 * 60_000, 30 * 60_000);
          }
          made += visits;
        }
        // The quieter hours after the peak: a tenth of the rate.
        for (let k = 0; k < Math.round(perHour / 10); k++) {
          const card: SynthCard = { index: cards.length, token: `tok_${seed}_b${cards.length}`, country: idr.code, currency: idr.currency };
          cards.push(card);
          emit(card, hourStart + HOUR + int(r, 0, 4 * HOUR), shop, 100 * int(r, 50, 240) * 100, false, false, 'legit', true);
        }
      }
    }
  }
}

/** Counts by pattern, for reports. */
export function synthSummary(data: SynthData): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of data.events) out[e.pattern] = (out[e.pattern] ?? 0) + 1;
  return out;
}
