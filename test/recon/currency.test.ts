import { describe, expect, it } from 'vitest';
import { exponentOf, parseAmount } from '../../src/recon/currency.js';

describe('parseAmount (decimal text → minor units, no floats)', () => {
  it('reads plain amounts in the currency exponent (the digit-loop path)', () => {
    expect(parseAmount('12.50', 'IDR')).toBe(1250);
    expect(parseAmount('12.5', 'IDR')).toBe(1250);
    expect(parseAmount('12.', 'IDR')).toBe(1200);
    expect(parseAmount('0012.50', 'EUR')).toBe(1250);
    expect(parseAmount('7', 'JPY')).toBe(7);
    expect(parseAmount('1.234', 'BHD')).toBe(1234);
    expect(parseAmount('123456789012345', 'JPY')).toBe(123456789012345);
  });

  it('takes the general path for spaces, harmless trailing zeros and big amounts, with the same results', () => {
    expect(parseAmount(' 12.50 ', 'IDR')).toBe(1250);
    expect(parseAmount('10.500', 'EUR')).toBe(1050);
    expect(parseAmount('1234567890123.45', 'IDR')).toBe(123456789012345);
    expect(parseAmount('90071992547409.91', 'IDR')).toBe(Number.MAX_SAFE_INTEGER); // ≥ 10^15: general path
  });

  it('refuses junk, signs, extra decimals and amounts past 2^53', () => {
    for (const t of ['', '.5', '1.2.3', '-1', '+1', '1e3', '1,50', '１２', '0000000000000001']) expect(() => parseAmount(t, 'IDR')).toThrow(/bad amount/);
    expect(() => parseAmount('12.501', 'IDR')).toThrow(/more decimals/);
    expect(() => parseAmount('12.5', 'JPY')).toThrow(/more decimals/);
    expect(() => parseAmount('999999999999999.99', 'IDR')).toThrow(/too large/);
  });

  it('exponentOf answers per currency (its last-asked cache does not leak between currencies)', () => {
    expect(exponentOf('IDR')).toBe(2);
    expect(exponentOf('JPY')).toBe(0);
    expect(exponentOf('BHD')).toBe(3);
    expect(exponentOf('IDR')).toBe(2);
    expect(parseAmount('5', 'BHD')).toBe(5000);
    expect(parseAmount('5', 'JPY')).toBe(5);
    expect(() => exponentOf('XXX')).toThrow(/unknown currency/);
  });
});
