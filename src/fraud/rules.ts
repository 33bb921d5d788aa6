// Default rule parameters and the merchant-category risk table. Everything here is configuration: the engine may
// pass its own FraudConfig; these are the values the trainer and the shipped model were built with.
import { currencyExponent } from '../state/money.js';
import type { FraudRuleParams } from './types.js';

/**
 * The largest "small" auth per currency, in MAJOR units: the amounts card testers use to check a card works, set
 * below what an everyday purchase costs in that currency, not by exchange rate. About USD 3 in hard currencies; in
 * IDR a coffee or a bus fare is IDR 5,000–25,000, so only IDR 3,000 and below counts as small there.
 */
export const SMALL_AMOUNT_MAJOR: Record<string, number> = {
  '840': 3, // USD
  '978': 3, // EUR
  '826': 2.5, // GBP
  '702': 4, // SGD
  '458': 12, // MYR
  '036': 4.5, // AUD
  '764': 100, // THB
  '608': 150, // PHP
  '392': 450, // JPY
  '410': 3_000, // KRW
  '704': 20_000, // VND
  '360': 3_000, // IDR
};

/** Major-unit limits → minor units with each currency's ISO 4217 exponent (src/state/money.ts). */
export function smallAmountTable(major: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cur, v] of Object.entries(major)) {
    const exp = currencyExponent(cur);
    if (exp === undefined) throw new Error(`fraud rules: no ISO 4217 exponent for currency ${cur}`);
    out[cur] = Math.round(v * 10 ** exp);
  }
  return out;
}

export const defaultRules: FraudRuleParams = {
  maxCount1h: 6,
  maxAmountRatio1h: 8,
  maxCount24h: 15,
  maxAmountRatio24h: 15,
  merchantMinCount: 8,
  merchantVelocityRatio: 6,
  // A day of history before a merchant's own baseline means anything: a new merchant is not a burst.
  merchantMinHours: 24,
  amountZ: 3,
  minHistory: 5,
  highRiskMcc: 0.6,
  cardTestingSmall: 3,
  cardTestingMerchants: 4,
  cardTestingDeclines: 3,
  smallAmount: smallAmountTable(SMALL_AMOUNT_MAJOR),
  smallAmountDefault: 0,
  dormantDays: 60,
  hourRarity: 1.5,
};

/** Risk 0–1 by MCC: quasi-cash, money transfer, gambling, jewellery and electronics are where stolen cards go. */
export const defaultMccRisk: Record<string, number> = {
  '4829': 0.9, // money transfer
  '6051': 0.9, // quasi-cash, crypto
  '6540': 0.8, // stored-value card load
  '7995': 0.8, // gambling
  '5944': 0.7, // jewellery
  '5732': 0.65, // electronics
  '5816': 0.6, // digital goods: games
  '5967': 0.6, // direct marketing, inbound telemarketing
  '6011': 0.5, // ATM cash
  '4814': 0.4, // telecom, top-ups
  '5999': 0.4, // miscellaneous retail
  '5818': 0.4, // digital goods: large merchants
  '4511': 0.3, // airlines
  '7011': 0.2, // hotels
  '5311': 0.2, // department stores
  '5691': 0.2, // clothing
  '5912': 0.1, // pharmacies
  '5541': 0.1, // fuel
  '4121': 0.1, // taxis, ride hailing
  '5411': 0.05, // groceries
  '5812': 0.05, // restaurants
  '5814': 0.05, // fast food
  '4111': 0.05, // commuter transport
  '4900': 0.05, // utilities
};

export const defaultMccRiskUnknown = 0.3;
