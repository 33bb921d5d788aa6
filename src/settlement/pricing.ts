// Pricing: the merchant discount rate (MDR) per merchant, interchange to the issuer, the scheme fee and the
// switch's processing fee, all from configuration. Every fee is `fixed + bps × amount / 10 000` in minor units.
// ROUNDING RULE: the percentage part is rounded half up to a whole minor unit, computed exactly in integers
// (no float ever touches money); the MDR is capped at the amount, so a merchant is never charged more than it sold.

export interface FeeRule {
  /** Basis points of the amount (150 = 1.50 %), integer 0..10 000. */
  bps: number;
  /** Fixed part per transaction, minor units, integer ≥ 0. */
  fixed: number;
}

export interface PricingConfig {
  /** MDR for merchants without their own rule. */
  defaultMdr: FeeRule;
  /** Per-merchant MDR overrides. */
  merchants?: Record<string, FeeRule>;
  /** Interchange paid to the issuer out of the MDR; per-issuer overrides in interchangeByIssuer. */
  interchange: FeeRule;
  interchangeByIssuer?: Record<string, FeeRule>;
  /** Scheme fee, paid to `schemeId`. */
  scheme: FeeRule;
  schemeId?: string;
  /** The switch's own processing fee (fee income). */
  switchFee?: FeeRule;
}

export const DEFAULT_PRICING: PricingConfig = {
  defaultMdr: { bps: 200, fixed: 0 },
  interchange: { bps: 100, fixed: 0 },
  scheme: { bps: 10, fixed: 0 },
  schemeId: 'SCHEME',
  switchFee: { bps: 0, fixed: 100 },
};

export interface Fees {
  /** Charged to the merchant. */
  mdr: number;
  interchange: number;
  scheme: number;
  switchFee: number;
  /** What the acquirer keeps: mdr − interchange − scheme − switchFee (negative when the acquirer subsidises). */
  acquirer: number;
}

/** fixed + round_half_up(amount × bps / 10 000), exact for every amount ≤ 999 999 999 999. */
export function applyRule(amount: number, rule: FeeRule): number {
  // amount = q·10 000 + r keeps every product below 2^53 (q·bps ≤ 10^8·10^4, r·bps ≤ 10^8).
  const q = Math.floor(amount / 10_000);
  const r = amount - q * 10_000;
  return rule.fixed + q * rule.bps + Math.floor((r * rule.bps + 5_000) / 10_000);
}

export function assertValidPricing(p: PricingConfig): void {
  const check = (name: string, r: FeeRule | undefined) => {
    if (!r) throw new Error(`pricing: ${name} missing`);
    if (!Number.isInteger(r.bps) || r.bps < 0 || r.bps > 10_000) throw new Error(`pricing: ${name}.bps must be an integer 0..10000`);
    if (!Number.isSafeInteger(r.fixed) || r.fixed < 0) throw new Error(`pricing: ${name}.fixed must be a non-negative integer`);
  };
  check('defaultMdr', p.defaultMdr);
  check('interchange', p.interchange);
  check('scheme', p.scheme);
  if (p.switchFee) check('switchFee', p.switchFee);
  for (const [k, v] of Object.entries(p.merchants ?? {})) check(`merchants.${k}`, v);
  for (const [k, v] of Object.entries(p.interchangeByIssuer ?? {})) check(`interchangeByIssuer.${k}`, v);
}

/** Fees for a capture of `amount` at `merchantId` on a card of `issuerId`. */
export function feesFor(amount: number, merchantId: string, issuerId: string, p: PricingConfig): Fees {
  const mdr = Math.min(amount, applyRule(amount, p.merchants?.[merchantId] ?? p.defaultMdr));
  const interchange = applyRule(amount, p.interchangeByIssuer?.[issuerId] ?? p.interchange);
  const scheme = applyRule(amount, p.scheme);
  const switchFee = p.switchFee ? applyRule(amount, p.switchFee) : 0;
  return { mdr, interchange, scheme, switchFee, acquirer: mdr - interchange - scheme - switchFee };
}
