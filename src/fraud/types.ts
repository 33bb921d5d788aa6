// Plain-data shapes of the fraud stage. Profiles are stored per card / per merchant in LMDB as msgpack, so they hold
// only numbers and fixed-length number arrays: bounded size whatever the traffic.

/** Slots in a card's ring of recent events: enough to see a 1 h burst (card testing fires at 5–8). */
export const CARD_RING = 16;
/** Hourly buckets for the 24 h window. */
export const DAY_BUCKETS = 24;
/** Most-recently-used MCCs remembered per card. */
export const CARD_MCCS = 8;

/** Ring flag bits. */
export const FLAG_DECLINED = 1;
export const FLAG_FOREIGN = 2;
export const FLAG_CNP = 4;

/** Compact rolling state per card. Times are epoch seconds; amounts are minor units of the card currency. */
export interface CardProfile {
  v: 1;
  /** Events folded in (approved or declined), capped. */
  n: number;
  /** Ring of the last CARD_RING events; `head` is the next slot to write. Empty slots have ts 0. */
  head: number;
  ts: number[];
  amt: number[];
  /** FNV-1a hash of the merchant id (terminal id when absent). */
  mer: number[];
  /** FLAG_* bits. */
  flg: number[];
  /** 24 h window as hourly buckets: epoch-hour id, count, amount. */
  hId: number[];
  hCnt: number[];
  hAmt: number[];
  /** Welford mean / M2 of ln(1+amount) over approved spending; past AMOUNT_CAP it behaves as an EWMA. */
  amtN: number;
  amtMean: number;
  amtM2: number;
  /** Approved spends per local hour of day; halved when one bin reaches 255 so it stays small ints. */
  hours: number[];
  /** MCCs used recently (numeric), most recent first, at most CARD_MCCS. */
  mccs: number[];
  /** Epoch seconds of the last approved spend (0 = never) and of the last event of any kind. */
  lastUsed: number;
  lastSeen: number;
}

/** Per-merchant velocity: the current hour's counters against an hourly baseline (EWMA over past hours). */
export interface MerchantProfile {
  v: 1;
  /** Epoch-hour id the current counters belong to (0 = none yet). */
  hourId: number;
  cnt: number;
  amt: number;
  small: number;
  declines: number;
  /** EWMA of hourly event counts, empty hours included (raw: read it through merchantBaseAt, bias-corrected). */
  baseCnt: number;
  /** EWMA of hourly small-auth counts, same smoothing (absent in profiles written before it: 0). */
  baseSmall?: number;
  /** Finished hours folded into the baselines, empty ones included, capped (absent before: 0). */
  hrs?: number;
  /** Events folded in, capped. */
  n: number;
}

/** What the card side of scoring knows: the card's home country, its currency and its profile. */
export interface CardContext {
  /** ISO 3166 numeric ("360") or alpha-2 ("ID"). */
  country?: string;
  /** ISO 4217 numeric ("360"). */
  currency: string;
  profile: CardProfile;
}

export interface FraudContribution {
  /** Feature name, e.g. 'smallAuths1h' or 'rule.cardTesting'. */
  feature: string;
  /** weight × standardised feature, in hundredths of a logit: +150 raised the log-odds by 1.5. */
  points: number;
}

export type FraudAction = 'approve' | 'review' | 'decline';

export interface FraudScore {
  /** 0–999: round(999 × P(fraud)) from the logistic model. */
  score: number;
  action: FraudAction;
  /** Top positive contributions, largest first (at most config.topContributions). */
  contributions: FraudContribution[];
  /** Names of the rules that fired ('velocity1h', 'cardTesting', ...). */
  rulesFired: string[];
}

/** Logistic regression over standardised features; the trainer writes it (src/fraud/model.json). */
export interface FraudModel {
  /** Feature names in FEATURE_NAMES order; checked at load. */
  features: string[];
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
}

export interface FraudRuleParams {
  /** Events in the last hour (this one included) at which 'velocity1h' fires. */
  maxCount1h: number;
  /** Amount in the last hour (this one included) over the card's typical amount at which 'velocity1h' fires. */
  maxAmountRatio1h: number;
  maxCount24h: number;
  maxAmountRatio24h: number;
  /** Merchant events this hour at least this many and this many times its hourly baseline: 'merchantVelocity'. */
  merchantMinCount: number;
  merchantVelocityRatio: number;
  /** Hours of history a merchant needs before its velocity is judged at all (a new merchant has no baseline). */
  merchantMinHours: number;
  /** z-score of ln(1+amount) against the card's history at which 'amountAnomaly' fires (needs minHistory spends). */
  amountZ: number;
  minHistory: number;
  /** MCC risk (0–1) at which 'mccRisk' fires. */
  highRiskMcc: number;
  /** 'cardTesting': this many small auths, or distinct merchants, or declines in the last hour. */
  cardTestingSmall: number;
  cardTestingMerchants: number;
  cardTestingDeclines: number;
  /** Amount (minor units, by ISO 4217 numeric currency) at or below which an auth counts as small; the defaults
   *  are set in major units per currency and scaled by its ISO 4217 exponent (rules.ts). */
  smallAmount: Record<string, number>;
  smallAmountDefault: number;
  /** Days without an approved spend after which the next use fires 'dormancy'. */
  dormantDays: number;
  /** Hour-of-day rarity (ln of uniform odds over the card's own odds) at which 'nightTime' fires. */
  hourRarity: number;
}

export interface FraudConfig {
  /** Score at or above which the action is 'decline' (the engine answers 59). */
  declineThreshold: number;
  /** Score at or above which the action is 'review' (approved, flagged). */
  reviewThreshold: number;
  rules: FraudRuleParams;
  /** MCC → risk 0–1; mccRiskDefault for unknown codes. */
  mccRisk: Record<string, number>;
  mccRiskDefault: number;
  /** Contributions reported per score. */
  topContributions: number;
  model: FraudModel;
}
