// ISO 4217 codes and exponents as reconciliation meets them: bank files speak alphabetic codes (CHF and EUR in
// the real samples), the switch numeric ones. Decimal text is converted to minor units with string arithmetic,
// never floats.
const TABLE: [alpha: string, numeric: string, exponent: number][] = [
  ['IDR', '360', 2], ['USD', '840', 2], ['EUR', '978', 2], ['GBP', '826', 2], ['SGD', '702', 2], ['MYR', '458', 2],
  ['THB', '764', 2], ['PHP', '608', 2], ['AUD', '036', 2], ['CNY', '156', 2], ['JPY', '392', 0], ['KRW', '410', 0],
  ['VND', '704', 0], ['BHD', '048', 3], ['KWD', '414', 3], ['OMR', '512', 3], ['TND', '788', 3], ['CHF', '756', 2],
  ['SEK', '752', 2], ['NOK', '578', 2], ['DKK', '208', 2], ['HKD', '344', 2], ['CAD', '124', 2], ['NZD', '554', 2],
];
const BY_ALPHA = new Map(TABLE.map(([a, n, e]) => [a, { numeric: n, exponent: e }]));
const BY_NUMERIC = new Map(TABLE.map(([a, n]) => [n, a]));

// The last currency asked about: a statement is nearly always in one currency, and this runs per amount.
let lastAlpha = '';
let lastExponent = 0;

export function exponentOf(alpha: string): number {
  if (alpha === lastAlpha) return lastExponent;
  const e = BY_ALPHA.get(alpha)?.exponent;
  if (e === undefined) throw new Error(`unknown currency ${alpha}`);
  lastAlpha = alpha;
  lastExponent = e;
  return e;
}

/** Alphabetic code for a numeric or alphabetic one ('360' → 'IDR', 'idr' → 'IDR'). */
export function toAlpha(code: string): string {
  if (/^\d{3}$/.test(code)) {
    const a = BY_NUMERIC.get(code);
    if (!a) throw new Error(`unknown currency ${code}`);
    return a;
  }
  const a = code.toUpperCase();
  if (!BY_ALPHA.has(a)) throw new Error(`unknown currency ${code}`);
  return a;
}

export function toNumeric(alpha: string): string {
  const n = BY_ALPHA.get(alpha)?.numeric;
  if (!n) throw new Error(`unknown currency ${alpha}`);
  return n;
}

/** "1234.5" in a 2-decimal currency → 123450. Refuses more decimals than the currency has, signs and junk. */
export function parseAmount(text: string, alpha: string): number {
  const exp = exponentOf(alpha);
  // The common case without a string made: plain digits, at most one '.' after a digit, no more decimals than
  // the currency has, and few enough digits that the result is below 10^15 (exact). Anything else — spaces,
  // trailing zeros beyond the exponent, junk, big numbers — takes the general path below.
  const len = text.length;
  let v = 0;
  let digits = 0;
  let dot = -1;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else if (c === 46 && dot < 0 && i > 0) dot = i;
    else return parseAmountText(text, alpha, exp);
  }
  const decimals = dot < 0 ? 0 : len - dot - 1;
  if (digits === 0 || decimals > exp || digits + exp - decimals > 15) return parseAmountText(text, alpha, exp);
  for (let k = decimals; k < exp; k++) v *= 10;
  return v;
}

function parseAmountText(text: string, alpha: string, exp: number): number {
  const t = text.trim();
  const dot = t.indexOf('.');
  const whole = dot < 0 ? t : t.slice(0, dot);
  const frac = dot < 0 ? '' : t.slice(dot + 1);
  if (!/^\d{1,15}$/.test(whole) || !/^\d*$/.test(frac)) throw new Error(`bad amount "${text}"`);
  let f = frac;
  // Trailing zeros beyond the exponent are harmless ("10.500" EUR); real digits there are not.
  while (f.length > exp && f.endsWith('0')) f = f.slice(0, -1);
  if (f.length > exp) throw new Error(`amount "${text}" has more decimals than ${alpha} allows`);
  const n = Number(whole + f.padEnd(exp, '0'));
  if (!Number.isSafeInteger(n)) throw new Error(`amount "${text}" is too large`);
  return n;
}

/** 123450 → "1234.50" (sign kept). */
export function formatMinor(minor: number, alpha: string): string {
  const exp = exponentOf(alpha);
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(exp + 1, '0');
  const out = exp === 0 ? s : `${s.slice(0, s.length - exp)}.${s.slice(s.length - exp)}`;
  return neg ? '-' + out : out;
}
