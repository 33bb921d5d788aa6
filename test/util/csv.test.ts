import { describe, expect, it } from 'vitest';
import { CsvError, splitCsvLine } from '../../src/util/csv.js';

describe('splitCsvLine (RFC 4180 quoting)', () => {
  it('splits plain lines and keeps empty fields', () => {
    expect(splitCsvLine('a,b,,d')).toEqual(['a', 'b', '', 'd']);
    expect(splitCsvLine('')).toEqual(['']);
  });
  it('keeps commas and doubled quotes inside quotes', () => {
    expect(splitCsvLine('"PT Toko, Tbk",100,"say ""hi"""')).toEqual(['PT Toko, Tbk', '100', 'say "hi"']);
  });
  it('refuses an unterminated quote', () => {
    expect(() => splitCsvLine('"open,1')).toThrow(CsvError);
  });
});
