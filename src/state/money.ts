// ISO 4217 minor-unit exponents for the currencies the switch meets. Amounts are always integers in minor units.

const EXPONENTS: Record<string, number> = {
  '360': 2, // IDR (ISO 4217 lists 2; most domestic schemes send whole rupiah × 100)
  '840': 2, // USD
  '978': 2, // EUR
  '826': 2, // GBP
  '702': 2, // SGD
  '458': 2, // MYR
  '764': 2, // THB
  '608': 2, // PHP
  '036': 2, // AUD
  '156': 2, // CNY
  '392': 0, // JPY
  '410': 0, // KRW
  '704': 0, // VND
  '048': 3, // BHD
  '414': 3, // KWD
  '512': 3, // OMR
  '788': 3, // TND
};

/** Minor-unit exponent of an ISO 4217 numeric currency, or undefined when the switch does not know it. */
export function currencyExponent(currency: string): number | undefined {
  return EXPONENTS[currency];
}

export function isKnownCurrency(currency: string): boolean {
  return currency in EXPONENTS;
}

/** Largest amount the switch accepts: DE 4 is 12 digits. */
export const MAX_AMOUNT = 999_999_999_999;

export function isValidAmount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_AMOUNT;
}
