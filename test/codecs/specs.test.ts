// Every built-in spec against bytes built by hand, and round trips of 0100/0110, 0200/0210, 0420/0430, 0800/0810.
// Bitmaps are worked out by hand from ISO 8583-1:1987 §4.3: field n is bit (n-1)%8 (MSB first) of byte (n-1)/8;
// bit 1 flags the secondary bitmap. Field layouts: ISO 8583:1987 data element table (as jPOS ISO87A/BPackager),
// ISO 8583:1993 for iso93-ascii. EBCDIC bytes from the IBM code page 037 chart.
import { describe, expect, it } from 'vitest';
import { decode, encode, getSpec, listSpecs } from '../../codecs/index.js';
import { ALL_1987, ALL_1993, EMV_REQUEST_BYTES, asc, cat, hex, msg0200, msg0420, msg0800, msg93 } from './fixtures.js';

const DE43 = 'ACME STORE               JAKARTA      ID';
const T2 = '4761739001010119=22122011758928889';

function roundTrip(spec: string, bytes: Buffer) {
  const m = decode(spec, bytes);
  expect(encode(spec, m).equals(bytes)).toBe(true);
  return m;
}

describe('built-in spec list', () => {
  it('names the five dialects', () => {
    expect(listSpecs().map((s) => s.name)).toEqual(['iso87-ascii', 'iso87-ascii-binbitmap', 'iso87-bcd', 'iso93-ascii', 'iso87-ebcdic']);
    for (const s of listSpecs()) expect(getSpec(s.name).name).toBe(s.name);
  });
});

describe('iso87-ascii (jPOS ISO87APackager)', () => {
  const b0200 = cat(
    asc('0200'),
    asc('723C448128E09200'), // fields 2 3 4 7 | 11 12 13 14 | 18 22 | 25 32 | 35 37 | 41 42 43 | 49 52 55
    asc('16' + '4761739001010119'),
    asc('000000' + '000000005000' + '1125103000' + '000123' + '173000' + '1125' + '2212' + '5411' + '051' + '00'),
    asc('06' + '423935'),
    asc('34' + T2),
    asc('532910000123' + 'TERM0001' + 'MERCHANT0000001' + DE43 + '360'),
    asc('7434F67813BAE545'), // DE 52 b8 as 16 hex characters (IFA_BINARY)
    asc('096'),
    EMV_REQUEST_BYTES, // DE 55 raw bytes after an ASCII LLL (IFA_LLLCHAR)
  );
  it('encodes the 0200 to the hand-built bytes and decodes them back', () => {
    expect(encode('iso87-ascii', msg0200()).toString('hex')).toBe(b0200.toString('hex'));
    expect(roundTrip('iso87-ascii', b0200)).toEqual(msg0200());
  });
  it('0800 with a secondary bitmap for DE 70', () => {
    const b = asc('0800' + '8220000000000000' + '0400000000000000' + '1125103000' + '000001' + '301');
    expect(encode('iso87-ascii', msg0800()).equals(b)).toBe(true);
    expect(roundTrip('iso87-ascii', b)).toEqual(msg0800());
  });
  it('0420 with DE 90 and DE 95 composites', () => {
    const b = asc(
      '0420' + 'F22000010AC08000' + '0000004200000000' + '16' + '4761739001010119' + '000000' + '000000005000' + '1125103100' + '000124' +
        '06423935' + '532910000123' + '68' + 'TERM0001' + 'MERCHANT0000001' + '360' +
        '0200' + '000123' + '1125103000' + '00000423935' + '00000000000' + // DE 90: MTI, STAN, DE 7, DE 32, DE 33 of the original
        '000000000000' + '000000000000' + 'C00000000' + 'C00000000', // DE 95
    );
    expect(encode('iso87-ascii', msg0420()).toString()).toBe(b.toString());
    expect(roundTrip('iso87-ascii', b)).toEqual(msg0420());
  });
});

describe('iso87-ascii-binbitmap', () => {
  it('is iso87-ascii with an 8-byte binary bitmap and DE 52 as 8 raw bytes (as npm iso_8583 packs it)', () => {
    const ascii = encode('iso87-ascii', msg0200());
    const bin = encode('iso87-ascii-binbitmap', msg0200());
    const at52 = ascii.indexOf(asc('7434F67813BAE545'));
    const expected = cat(asc('0200'), hex('723C448128E09200'), ascii.subarray(20, at52), hex('7434F67813BAE545'), ascii.subarray(at52 + 16));
    expect(bin.equals(expected)).toBe(true);
    expect(roundTrip('iso87-ascii-binbitmap', bin)).toEqual(msg0200());
  });
  it('0800: 16 binary bitmap bytes', () => {
    const b = cat(asc('0800'), hex('8220000000000000 0400000000000000'), asc('1125103000000001301'));
    expect(roundTrip('iso87-ascii-binbitmap', b)).toEqual(msg0800());
  });
});

describe('iso87-bcd (jPOS ISO87BPackager)', () => {
  const b0200 = cat(
    hex('0200'), // MTI, 2 BCD bytes
    hex('723C448128E09200'),
    hex('16 4761739001010119'), // LL BCD = 1 byte, 16 digits
    hex('000000 000000005000 1125103000 000123 173000 1125 2212 5411'),
    hex('0051'), // DE 22 n3: odd, padded on the left with a 0 nibble
    hex('00'),
    hex('06 423935'),
    hex('34 4761739001010119D22122011758928889'), // track 2, '=' as the D nibble
    asc('532910000123' + 'TERM0001' + 'MERCHANT0000001' + DE43 + '360'),
    hex('7434F67813BAE545'), // DE 52: 8 raw bytes
    hex('0096'), // LLL BCD = 2 bytes
    EMV_REQUEST_BYTES,
  );
  it('encodes the 0200 to the hand-built bytes and decodes them back', () => {
    expect(encode('iso87-bcd', msg0200()).toString('hex')).toBe(b0200.toString('hex'));
    expect(roundTrip('iso87-bcd', b0200)).toEqual(msg0200());
  });
  it('odd-length variable numerics are padded on the right (DE 2 of 15 digits, DE 32 of 5)', () => {
    const m = { mti: '0100', fields: { '2': '371449635398431', '32': '12345' } };
    const b = hex('0100 4000000100000000 15 3714496353984310 05 123450');
    expect(encode('iso87-bcd', m).equals(b)).toBe(true);
    expect(roundTrip('iso87-bcd', b)).toEqual(m);
  });
  it('DE 28 x+n: sign character then BCD digits', () => {
    const m = { mti: '0200', fields: { '28': 'D00000150' } };
    const b = hex('0200 0000001000000000 44 00000150');
    expect(encode('iso87-bcd', m).equals(b)).toBe(true);
    expect(roundTrip('iso87-bcd', b)).toEqual(m);
  });
});

describe('iso87-ebcdic (code page 037)', () => {
  it('0800 by hand', () => {
    const b = hex('F0F8F0F0 8220000000000000 0400000000000000 F1F1F2F5F1F0F3F0F0F0 F0F0F0F0F0F1 F3F0F1');
    expect(encode('iso87-ebcdic', msg0800()).equals(b)).toBe(true);
    expect(roundTrip('iso87-ebcdic', b)).toEqual(msg0800());
  });
  it('0110 text fields by hand', () => {
    const m = { mti: '0110', fields: { '2': '4761739001010119', '38': 'A1B2C3', '39': '00', '41': 'TERM0001' } };
    const b = hex(
      'F0F1F1F0 4000000006800000' + 'F1F6 F4F7F6F1F7F3F9F0F0F1F0F1F0F1F1F9' + 'C1F1C2F2C3F3' + 'F0F0' + 'E3C5D9D4F0F0F0F1',
    );
    expect(encode('iso87-ebcdic', m).toString('hex')).toBe(b.toString('hex'));
    expect(roundTrip('iso87-ebcdic', b)).toEqual(m);
  });
});

describe('iso93-ascii (ISO 8583:1993)', () => {
  it('1804 network management by hand: DE 24 function code 831 (echo)', () => {
    const b = asc('1804' + '0220010000000000' + '1125103000' + '000001' + '831');
    const m = msg93('1804');
    expect(encode('iso93-ascii', m).equals(b)).toBe(true);
    expect(roundTrip('iso93-ascii', b)).toEqual(m);
  });
  it('1210: DE 12 is 12 digits, DE 39 a 3-digit action code, DE 43 LL', () => {
    const m = { mti: '1210', fields: { '12': '251125173000', '39': '000', '43': 'ACME>JAKARTA ID' } };
    const b = asc('1210' + '0010000002200000' + '251125173000' + '000' + '15ACME>JAKARTA ID');
    expect(encode('iso93-ascii', m).equals(b)).toBe(true);
    expect(roundTrip('iso93-ascii', b)).toEqual(m);
  });
});

describe('round trips of every message class on every spec', () => {
  for (const spec of ['iso87-ascii', 'iso87-ascii-binbitmap', 'iso87-bcd', 'iso87-ebcdic']) {
    for (const [mti, make] of Object.entries(ALL_1987)) {
      it(`${spec} ${mti}`, () => {
        const m = make();
        const b = encode(spec, m);
        expect(decode(spec, b)).toEqual(m);
        expect(encode(spec, decode(spec, b)).equals(b)).toBe(true);
      });
    }
  }
  for (const mti of ALL_1993) {
    it(`iso93-ascii ${mti}`, () => {
      const m = msg93(mti);
      const b = encode('iso93-ascii', m);
      expect(decode('iso93-ascii', b)).toEqual(m);
      expect(encode('iso93-ascii', decode('iso93-ascii', b)).equals(b)).toBe(true);
    });
  }
});
