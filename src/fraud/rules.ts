// Default rule parameters and the merchant-category risk table. Everything here is configuration: the engine may
// pass its own FraudConfig; these are the values the trainer and the shipped model were built with.
import type { FraudRuleParams } from './types.js';

export const defaultRules: FraudRuleParams = {
  maxCount1h: 6,
  maxAmountRatio1h: 8,
  maxCount24h: 15,
  maxAmountRatio24h: 15,
  merchantMinCount: 8,
  merchantVelocityRatio: 6,
  amountZ: 3,
  minHistory: 5,
  highRiskMcc: 0.6,
  cardTestingSmall: 3,
  cardTestingMerchants: 4,
  cardTestingDeclines: 3,
  // About USD 3 worth: the tiny auths card testers use to check a card works.
  smallAmount: {
    '840': 300, // USD
    '978': 300, // EUR
    '826': 250, // GBP
    '702': 400, // SGD
    '458': 1_200, // MYR
    '360': 5_000_000, // IDR (exponent 2)
    '392': 450, // JPY (exponent 0)
    '036': 450, // AUD
  },
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
