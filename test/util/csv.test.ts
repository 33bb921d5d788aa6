import { describe, expect, it } from 'vitest';
import { CsvError, MAX_CSV_FIELDS, splitCsvBytes, splitCsvLine } from '../../src/util/csv.js';

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

describe('splitCsvBytes (the unquoted fast path)', () => {
  const starts = new Int32Array(MAX_CSV_FIELDS);
  const ends = new Int32Array(MAX_CSV_FIELDS);
  const fields = (line: string, pad = 3) => {
    const buf = Buffer.from('xx\n' + line + '\nyy', 'utf8'); // the line sits inside a bigger buffer
    const end = pad + Buffer.byteLength(line);
    const n = splitCsvBytes(buf, pad, end, starts, ends);
    return n < 0 ? n : Array.from({ length: n }, (_, k) => buf.toString('utf8', starts[k], ends[k]));
  };
  it('gives the same fields as splitCsvLine on unquoted lines, empty fields and non-ASCII included', () => {
    for (const line of ['a,b,,d', '', ',', 'T1:purchase,150000,360,2026-11-23', 'Zürich,€,x']) expect(fields(line)).toEqual(splitCsvLine(line));
  });
  it('hands quoted lines and lines of too many fields back to the general path (−1)', () => {
    expect(fields('"a,b",c')).toBe(-1);
    expect(fields('a,say "hi"')).toBe(-1);
    expect(fields(','.repeat(MAX_CSV_FIELDS - 1))).toHaveLength(MAX_CSV_FIELDS);
    expect(fields(','.repeat(MAX_CSV_FIELDS))).toBe(-1);
  });
});
