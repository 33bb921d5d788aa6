// What every settlement operation works with: the books, the calendar, the pricing, the payout policy,
// the parties' bank details and the watch list, resolved from a SettlementConfig with documented defaults.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Books } from '../ledger/books.js';
import { Watchlist } from './aml.js';
import { BusinessCalendar } from './calendar.js';
import { assertValidPricing, DEFAULT_PRICING, type PricingConfig } from './pricing.js';
import type { BankParty, PayoutPolicy, SettlementConfig } from './types.js';

export interface SettlementContext {
  books: Books;
  calendar: BusinessCalendar;
  pricing: PricingConfig;
  policy: Required<PayoutPolicy>;
  switchParty: BankParty & { id: string };
  participants: Record<string, BankParty>;
  beneficiaries: Record<string, BankParty>;
  watchlist: Watchlist;
}

export const DEFAULT_POLICY: Required<PayoutPolicy> = { minAmount: 10_000, holdDays: 3, manualApprovalThreshold: 100_000_000 };

export function settlementContext(books: Books, cfg: SettlementConfig = {}): SettlementContext {
  const pricing = cfg.pricing ?? DEFAULT_PRICING;
  assertValidPricing(pricing);
  const policy = { ...DEFAULT_POLICY, ...(cfg.payouts ?? {}) };
  for (const [k, v] of Object.entries(policy)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`payouts.${k} must be a non-negative integer`);
  }
  return {
    books,
    calendar: new BusinessCalendar(cfg.calendar),
    pricing,
    policy,
    switchParty: { id: 'GERBANG', name: 'Gerbang Switch', account: 'GERBANG-CUSTODY-001', ...(cfg.switchParty ?? {}) },
    participants: cfg.participants ?? {},
    beneficiaries: cfg.beneficiaries ?? {},
    watchlist: cfg.watchlistFile ? Watchlist.fromFile(cfg.watchlistFile) : new Watchlist([]),
  };
}

/** Reads a settlement configuration file (JSON or YAML). */
export function loadSettlementConfig(path: string): SettlementConfig {
  const text = readFileSync(path, 'utf8');
  const cfg = (path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as SettlementConfig;
  if (!cfg || typeof cfg !== 'object') throw new Error(`${path}: not a settlement configuration`);
  return cfg;
}
