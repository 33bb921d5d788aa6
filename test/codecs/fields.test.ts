// Unit tests per field type and encoding, on small custom specs (a spec is data: loadSpecJson).
import { describe, expect, it } from 'vitest';
import { CodecError, decode, encode, loadSpecJson, type FieldSpec, type MessageSpec } from '../../codecs/index.js';
import { asc, cat, hex } from './fixtures.js';

function spec(fields: Record<string, FieldSpec>, over: Partial<MessageSpec> = {}) {
  return loadSpecJson(
    JSON.stringify({
      name: 'unit',
      description: 'unit test spec',
      mtiEncoding: 'ascii',
      bitmapEncoding: 'binary',
      numericEncoding: 'ascii',
      textEncoding: 'ascii',
      binaryEncoding: 'binary',
      lengthEncoding: 'ascii',
      fields,
      ...over,
    }),
  );
}
const BM2 = hex('4000000000000000'); // only field 2
const catch_ = (fn: () => unknown): CodecError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error('expected a CodecError');
};

describe('numeric n', () => {
  it('fixed ASCII: left-pads short values with zeros on encode', () => {
    const s = spec({ 2: { name: 'x', type: 'n', length: 6 } });
    expect(encode(s, { mti: '0100', fields: { 2: '42' } }).equals(cat(asc('0100'), BM2, asc('000042')))).toBe(true);
  });
  it('rejects a non-digit on decode with field, offset, reason', () => {
    const s = spec({ 2: { name: 'x', type: 'n', length: 6 } });
    const e = catch_(() => decode(s, cat(asc('0100'), BM2, asc('00A042'))));
    expect([e.field, e.offset, e.reason]).toEqual([2, 14, 'bad-digit']);
  });
  it('BCD fixed odd length pads left; pad nibble must be 0', () => {
    const s = spec({ 2: { name: 'x', type: 'n', length: 3, encoding: 'bcd' } });
    expect(decode(s, cat(asc('0100'), BM2, hex('0123'))).fields['2']).toBe('123');
    expect(catch_(() => decode(s, cat(asc('0100'), BM2, hex('F123')))).reason).toBe('bad-digit');
    expect(catch_(() => decode(s, cat(asc('0100'), BM2, hex('01A3')))).reason).toBe('bad-digit');
  });
  it('BCD variable with binary LL prefix', () => {
    const s = spec({ 2: { name: 'x', type: 'n', length: 19, prefix: 'LL', encoding: 'bcd', prefixEncoding: 'binary' } });
    const b = cat(asc('0100'), BM2, hex('05 123450'));
    expect(decode(s, b).fields['2']).toBe('12345');
    expect(encode(s, decode(s, b)).equals(b)).toBe(true);
  });
  it('EBCDIC digits with EBCDIC LLL prefix', () => {
    const s = spec({ 2: { name: 'x', type: 'n', length: 999, prefix: 'LLL', encoding: 'ebcdic', prefixEncoding: 'ebcdic' } });
    const b = cat(asc('0100'), BM2, hex('F0F0F3 F1F2F3'));
    expect(decode(s, b).fields['2']).toBe('123');
    expect(encode(s, { mti: '0100', fields: { 2: '123' } }).equals(b)).toBe(true);
  });
  it('LLLL ASCII prefix', () => {
    const s = spec({ 2: { name: 'x', type: 'ans', length: 9999, prefix: 'LLLL' } });
    const b = cat(asc('0100'), BM2, asc('0003abc'));
    expect(decode(s, b).fields['2']).toBe('abc');
  });
});

describe('lengths are checked before allocating', () => {
  const s = spec({ 2: { name: 'x', type: 'ans', length: 20, prefix: 'LLL' } });
  it('declared length above max', () => {
    const e = catch_(() => decode(s, cat(asc('0100'), BM2, asc('999'), asc('x'))));
    expect([e.field, e.offset, e.reason]).toEqual([2, 12, 'length-exceeds-max']);
  });
  it('declared length past the end', () => {
    const e = catch_(() => decode(s, cat(asc('0100'), BM2, asc('010abc'))));
    expect([e.field, e.reason]).toEqual([2, 'truncated']);
  });
  it('prefix that is not digits', () => {
    expect(catch_(() => decode(s, cat(asc('0100'), BM2, asc('0x3abc')))).reason).toBe('bad-length');
  });
  it('value too long on encode', () => {
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: 'x'.repeat(21) } })).reason).toBe('length-exceeds-max');
  });
  it('a 2-byte binary LLLL prefix of 65535 on a max-999 field is refused', () => {
    const t = spec({ 2: { name: 'x', type: 'b', length: 999, prefix: 'LLL', prefixEncoding: 'binary' } });
    expect(catch_(() => decode(t, cat(asc('0100'), BM2, hex('FFFF')))).reason).toBe('length-exceeds-max');
  });
});

describe('text classes', () => {
  it('a: letters and space only', () => {
    const s = spec({ 2: { name: 'x', type: 'a', length: 3 } });
    expect(decode(s, cat(asc('0100'), BM2, asc('Ab '))).fields['2']).toBe('Ab ');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: 'A1' } })).reason).toBe('bad-char');
  });
  it('an: no punctuation; ans: printable ASCII; fixed text right-padded with spaces', () => {
    const an = spec({ 2: { name: 'x', type: 'an', length: 4 } });
    expect(catch_(() => decode(an, cat(asc('0100'), BM2, asc('A-12')))).reason).toBe('bad-char');
    const ans = spec({ 2: { name: 'x', type: 'ans', length: 4 } });
    expect(encode(ans, { mti: '0100', fields: { 2: 'A-' } }).subarray(12).toString()).toBe('A-  ');
    expect(catch_(() => decode(ans, cat(asc('0100'), BM2, hex('41420A43')))).reason).toBe('bad-char');
    expect(catch_(() => encode(ans, { mti: '0100', fields: { 2: 'é' } })).reason).toBe('bad-char');
  });
});

describe('binary b', () => {
  it('raw bytes ↔ upper-case hex; lower-case accepted on encode', () => {
    const s = spec({ 2: { name: 'x', type: 'b', length: 4 } });
    const b = cat(asc('0100'), BM2, hex('DEADBEEF'));
    expect(decode(s, b).fields['2']).toBe('DEADBEEF');
    expect(encode(s, { mti: '0100', fields: { 2: 'deadbeef' } }).equals(b)).toBe(true);
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: 'DEADBE' } })).reason).toBe('bad-length');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: 'DEADBEEG' } })).reason).toBe('bad-hex');
  });
  it("hex-ASCII on the wire (IFA_BINARY); the prefix counts bytes", () => {
    const s = spec({ 2: { name: 'x', type: 'b', length: 8, prefix: 'LL', encoding: 'hex' } });
    const b = cat(asc('0100'), BM2, asc('02BEEF'));
    expect(decode(s, b).fields['2']).toBe('BEEF');
    expect(encode(s, decode(s, b)).equals(b)).toBe(true);
    expect(catch_(() => decode(s, cat(asc('0100'), BM2, asc('02BEEZ')))).reason).toBe('bad-hex');
  });
});

describe('z and x+n', () => {
  it("track 2 ASCII accepts 'D' as separator and normalises it to '='", () => {
    const s = spec({ 2: { name: 'x', type: 'z', length: 37, prefix: 'LL' } });
    expect(encode(s, { mti: '0100', fields: { 2: '4111D2212' } }).subarray(12).toString()).toBe('094111=2212');
  });
  it("x+n requires 'C' or 'D'", () => {
    const s = spec({ 2: { name: 'x', type: 'xn', length: 9 } });
    expect(decode(s, cat(asc('0100'), BM2, asc('C00000100'))).fields['2']).toBe('C00000100');
    expect(catch_(() => decode(s, cat(asc('0100'), BM2, asc('X00000100')))).reason).toBe('bad-char');
  });
});

describe('message level', () => {
  const s = spec({ 2: { name: 'x', type: 'n', length: 2 }, 66: { name: 'y', type: 'n', length: 1 }, 130: { name: 't', type: 'n', length: 1 } });
  it('tertiary bitmap (bit 65) for fields 129..192', () => {
    const m = { mti: '2100', fields: { 2: '12', 130: '7' } };
    const b = cat(asc('2100'), hex('C000000000000000 8000000000000000 4000000000000000'), asc('127'));
    expect(encode(s, m).equals(b)).toBe(true);
    expect(decode(s, b)).toEqual(m);
  });
  it('decoded fields hold exactly the fields on the wire, also when the last bit set is a bitmap indicator', () => {
    // bit 65 (tertiary indicator) is the highest bit of the secondary bitmap, and the tertiary bitmap is empty
    const b = cat(asc('2100'), hex('C000000000000000 8000000000000000 0000000000000000'), asc('12'));
    const m = decode(s, b);
    expect(Object.keys(m.fields)).toEqual(['2']);
    expect(m).toEqual({ mti: '2100', fields: { 2: '12' } });
    // the highest field present is decoded with its real value, and keys stay in ascending order
    const m2 = { mti: '2100', fields: { 2: '34', 130: '9' } };
    const d = decode(s, encode(s, m2));
    expect(Object.keys(d.fields)).toEqual(['2', '130']);
    expect(d.fields[130]).toBe('9');
  });
  it('accepts a secondary bitmap with no field above 64 (as npm iso_8583 sends)', () => {
    const b = cat(asc('0100'), hex('C000000000000000 0000000000000000'), asc('12'));
    expect(decode(s, b)).toEqual({ mti: '0100', fields: { 2: '12' } });
  });
  it('bitmap naming an undefined field', () => {
    const e = catch_(() => decode(s, cat(asc('0100'), hex('2000000000000000'), asc('12'))));
    expect([e.field, e.reason]).toEqual([3, 'bad-bitmap']);
  });
  it('trailing bytes, bad MTI, unknown field on encode, non-string value', () => {
    expect(catch_(() => decode(s, cat(asc('0100'), BM2, asc('12X')))).reason).toBe('trailing-bytes');
    expect(catch_(() => decode(s, cat(asc('01A0'), BM2, asc('12')))).reason).toBe('bad-mti');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 3: '1' } })).reason).toBe('unknown-field');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: 12 as unknown as string } })).reason).toBe('bad-value');
    expect(catch_(() => encode(s, { mti: '100', fields: {} })).reason).toBe('bad-mti');
  });
  it('field keys: only canonical field numbers, checked however the fields object was built', () => {
    const b = encode(s, { mti: '0100', fields: { 2: '12' } });
    // an undefined value counts as absent; a key that is not a field number never does
    expect(encode(s, { mti: '0100', fields: { 2: '12', 66: undefined as unknown as string } }).equals(b)).toBe(true);
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: '12', '02': '12' } })).reason).toBe('unknown-field');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: '12', x: undefined as unknown as string } })).reason).toBe('unknown-field');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: '12', 193: '1' } })).reason).toBe('unknown-field');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: '12', 65: '1' } })).reason).toBe('unknown-field');
    expect(catch_(() => encode(s, { mti: '0100', fields: { 2: '12', 1: '1' } })).reason).toBe('unknown-field');
    const e = catch_(() => encode(s, { mti: '0100', fields: { 2: '12', 3: '1', 66: '7' } }));
    expect([e.reason, e.field]).toEqual(['unknown-field', 3]);
    // the same fields, inserted in any order, give the same bytes
    const m = { mti: '2100', fields: { 130: '7', 66: '5', 2: '12' } };
    expect(encode(s, m).equals(encode(s, { mti: '2100', fields: { 2: '12', 66: '5', 130: '7' } }))).toBe(true);
  });
  it('BCD MTI', () => {
    const t = spec({ 2: { name: 'x', type: 'n', length: 2 } }, { mtiEncoding: 'bcd' });
    expect(decode(t, cat(hex('0200'), BM2, asc('12'))).mti).toBe('0200');
  });
});

describe('spec validation', () => {
  it('refuses a bad spec with reason bad-spec', () => {
    expect(catch_(() => spec({ 2: { name: 'x', type: 'q' as 'n', length: 2 } })).reason).toBe('bad-spec');
    expect(catch_(() => spec({ 2: { name: 'x', type: 'n', length: 200, prefix: 'LL' } })).reason).toBe('bad-spec');
    expect(catch_(() => spec({ 65: { name: 'x', type: 'n', length: 2 } })).reason).toBe('bad-spec');
    expect(catch_(() => spec({ 2: { name: 'x', type: 'ans', length: 5, subfields: { kind: 'fixed', fields: [{ id: '1', name: 'a', length: 4, type: 'ans' }] } } })).reason).toBe('bad-spec');
    expect(catch_(() => loadSpecJson('{not json')).reason).toBe('bad-spec');
  });
});
