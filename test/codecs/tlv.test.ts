// BER-TLV (EMV Book 3 Annex B: tag bits b5..b1 = 11111 → subsequent bytes while b8 = 1; length 0x81 xx / 0x82 xxxx)
// and private TLV sub-fields.
import { describe, expect, it } from 'vitest';
import {
  CodecError, EMV_TAGS, TLV_ORDER, decode, decodePrivateTlv, decodeTlv, encode, encodePrivateTlv, encodeTlv, getEmvTag,
  getEmvTags, loadSpecJson, builtInSpecSource, setEmvTags,
} from '../../codecs/index.js';
import { hexUpper } from '../../codecs/tlv.js';
import { EMV_REQUEST, EMV_REQUEST_BYTES, hex, msg0200 } from './fixtures.js';

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as CodecError).reason;
  }
  return 'no error';
};

describe('BER-TLV', () => {
  it('decodes a terminal DE 55 and keeps wire order', () => {
    const t = decodeTlv(EMV_REQUEST_BYTES);
    expect(t).toEqual(EMV_REQUEST);
    expect(t[TLV_ORDER]).toEqual(Object.keys(EMV_REQUEST).sort((a, b) => EMV_REQUEST_BYTES.indexOf(hex(a)) - EMV_REQUEST_BYTES.indexOf(hex(b))));
    expect(encodeTlv(t).equals(EMV_REQUEST_BYTES)).toBe(true);
  });
  it('without the order, integer-like tags come first (documented): same tags, different order', () => {
    const plain = JSON.parse(JSON.stringify(decodeTlv(EMV_REQUEST_BYTES)));
    const b = encodeTlv(plain);
    expect(b.subarray(0, 4).toString('hex').toUpperCase()).toBe('8202' + '1980');
    expect(decodeTlv(b)).toEqual(EMV_REQUEST);
  });
  it('long-form lengths 0x81 and 0x82, three-byte tags', () => {
    const v = 'AB'.repeat(200);
    const b = encodeTlv({ '9F8101': '01', DF01: v });
    expect(b.subarray(0, 9).toString('hex').toUpperCase()).toBe('9F8101' + '01' + '01' + 'DF01' + '81C8');
    expect(decodeTlv(b).DF01).toBe(v);
    const c = encodeTlv({ DF02: '00'.repeat(256) });
    expect(c.subarray(0, 5).toString('hex').toUpperCase()).toBe('DF02' + '82' + '0100');
    expect(c.length).toBe(2 + 3 + 256);
    expect(encodeTlv(decodeTlv(c)).equals(c)).toBe(true);
  });
  it('rejects truncation, non-minimal length, duplicates, padding, long tags', () => {
    expect(reason(() => decodeTlv(hex('9F2608 11223344')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(hex('9F')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(hex('9F2681 05 1122334455')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(hex('9A01 01 9A01 02')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(hex('00 9A0101')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(hex('9F8181818101 00')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(hex('9A83 000001 00')))).toBe('bad-tlv');
    expect(reason(() => encodeTlv({ '9F': '00' }))).toBe('bad-tlv');
    expect(reason(() => encodeTlv({ '9A': 'ABC' }))).toBe('bad-value');
  });
  it('error offsets point into the message', () => {
    const m = msg0200();
    const b = encode('iso87-ascii', m);
    const at = b.indexOf(EMV_REQUEST_BYTES);
    b[at + 2] = 0x7f; // 9F26's length byte now runs past the field
    try {
      decode('iso87-ascii', b);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
      expect([(e as CodecError).field, (e as CodecError).reason, (e as CodecError).offset]).toEqual([55, 'bad-tlv', at + 3]);
    }
  });
  it('the EMV dictionary names the common tags', () => {
    for (const t of ['9F26', '9F27', '9F10', '9F37', '9F36', '95', '9A', '9C', '9F02', '5F2A', '82', '9F1A', '9F33', '9F34', '84']) expect(EMV_TAGS[t]).toBeTruthy();
  });
});

describe('DE 55 helpers', () => {
  it('get and set tags keep wire order and upper-case', () => {
    const m = decode('iso87-ascii', encode('iso87-ascii', msg0200()));
    expect(getEmvTag(m, '9f26')).toBe('1122334455667788');
    setEmvTags(m, { '9F26': undefined, '9f27': '40', '9F6E': 'abcd' });
    const b = encode('iso87-ascii', m);
    const tags = getEmvTags(decode('iso87-ascii', b))!;
    expect(tags['9F26']).toBeUndefined();
    expect(tags['9F6E']).toBe('ABCD');
    expect((tags as Record<symbol, string[]>)[TLV_ORDER].slice(0, 2)).toEqual(['9F27', '9F10']);
  });
});

describe('private TLV (DE 48 / 62 / 127 style)', () => {
  it('2-character tags, 3-digit lengths', () => {
    const t = decodePrivateTlv('01003ABC02000', 2, 3);
    expect(t).toEqual({ '01': 'ABC', '02': '' });
    expect(encodePrivateTlv(t, 2, 3)).toBe('01003ABC02000');
  });
  it('3-character tags, 2-digit lengths; errors', () => {
    expect(decodePrivateTlv('CVV03123', 3, 2)).toEqual({ CVV: '123' });
    expect(reason(() => decodePrivateTlv('CVV09123', 3, 2))).toBe('bad-tlv');
    expect(reason(() => decodePrivateTlv('CVVx3123', 3, 2))).toBe('bad-tlv');
    expect(reason(() => decodePrivateTlv('CVV01aCVV01b', 3, 2))).toBe('bad-tlv');
  });
  it('as a field layout in a spec derived from a built-in one', () => {
    const src = builtInSpecSource('iso87-ascii');
    src.name = 'with-tlv-48';
    src.fields[48] = { ...src.fields[48], subfields: { kind: 'tlv', tagLength: 2, lengthDigits: 2 } };
    const s = loadSpecJson(src);
    const m = { mti: '0100', fields: { '48': { '10': 'HELLO', '20': '42' } } };
    const b = encode(s, m);
    expect(b.subarray(20).toString()).toBe('015' + '1005HELLO' + '200242');
    expect(decode(s, b)).toEqual(m);
  });
});

describe('DE 55 on encode (one pass into the message buffer)', () => {
  const err = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      const c = e as CodecError;
      return { reason: c.reason, field: c.field, message: c.message };
    }
    return null;
  };
  const withDe55 = (de55: Record<string, string>) => ({ mti: '0200', fields: { '3': '000000', '55': de55 } });

  it('writes the LLL prefix after the TLV, for short and long-form lengths, on every built-in with raw DE 55', () => {
    for (const spec of ['iso87-ascii', 'iso87-ascii-binbitmap', 'iso87-bcd', 'iso93-ascii', 'iso87-ebcdic']) {
      const long = { '9F10': 'AB'.repeat(200), '82': '1980' }; // 9F10 81 C8 <200 bytes> 82 02 1980 = 208 bytes
      const b = encode(spec, withDe55(long));
      const m = decode(spec, b);
      expect(m.fields['55']).toEqual(long);
      expect(encode(spec, m).equals(b)).toBe(true);
      const tlv = encodeTlv(long);
      expect(tlv.length).toBe(208);
      expect(b.subarray(b.length - 208).equals(tlv)).toBe(true);
    }
    // ASCII LLL prefix right before the TLV bytes
    const b = encode('iso87-ascii-binbitmap', withDe55({ '9F26': '1122334455667788' }));
    expect(b.subarray(b.length - 14).toString('latin1', 0, 3)).toBe('011');
  });
  it('over the 255-byte maximum: length-exceeds-max naming the total', () => {
    const e = err(() => encode('iso87-ascii', withDe55({ '9F10': 'AB'.repeat(250), '9F26': '1122334455667788' })));
    expect(e).toMatchObject({ reason: 'length-exceeds-max', field: 55 });
    expect(e!.message).toMatch(/TLV length 265 exceeds max 255/);
  });
  it('problems reported in a fixed order: bad value, then total length, then bad hex', () => {
    // a bad value in a later tag wins over an earlier tag that already passes the maximum
    expect(err(() => encode('iso87-ascii', withDe55({ '9F10': 'AB'.repeat(300), '9F26': 'ABC' })))?.reason).toBe('bad-value');
    // a bad value in a later tag wins over bad hex in an earlier one
    expect(err(() => encode('iso87-ascii', withDe55({ '9F10': 'ZZ', '9F26': 'ABC' })))?.reason).toBe('bad-value');
    // too long wins over bad hex
    expect(err(() => encode('iso87-ascii', withDe55({ '9F10': 'ZZ', '9F26': 'AB'.repeat(300) })))?.reason).toBe('length-exceeds-max');
    expect(err(() => encode('iso87-ascii', withDe55({ '9F10': 'ZZ' })))).toMatchObject({ reason: 'bad-hex', field: 55 });
    expect(err(() => encode('iso87-ascii', withDe55({ '9F2': '00' })))).toMatchObject({ reason: 'bad-tlv', field: 55 });
  });
  it('a failed encode leaves no trace in the next one', () => {
    const good = encode('iso87-ascii', msg0200());
    expect(err(() => encode('iso87-ascii', withDe55({ '9F10': 'AB'.repeat(300) })))?.reason).toBe('length-exceeds-max');
    expect(encode('iso87-ascii', msg0200()).equals(good)).toBe(true);
  });
});

describe('DE 55 wire order after decode (tag-sequence shapes)', () => {
  const b55 = (h: string) => hex(h);
  it('each tag sequence keeps its own order; the order is shared, frozen and not an own key', () => {
    const a = decodeTlv(b55('9F2701 80 9501 00 8201 19'));
    const b = decodeTlv(b55('8201 19 9F2701 80 9501 00'));
    const a2 = decodeTlv(b55('9F2701 40 9501 01 8201 20'));
    expect(a[TLV_ORDER]).toEqual(['9F27', '95', '82']);
    expect(b[TLV_ORDER]).toEqual(['82', '9F27', '95']);
    expect(a2[TLV_ORDER]).toBe(a[TLV_ORDER]);
    expect(Object.isFrozen(a[TLV_ORDER])).toBe(true);
    expect(Object.getOwnPropertySymbols(a)).toEqual([]);
    expect(a2).toEqual({ '9F27': '40', '95': '01', '82': '20' });
    expect(encodeTlv(a).equals(b55('9F2701 80 9501 00 8201 19'))).toBe(true);
    expect(encodeTlv(b).equals(b55('8201 19 9F2701 80 9501 00'))).toBe(true);
  });
  it('a sequence that starts like the last one still finds duplicates after it diverges', () => {
    decodeTlv(b55('9F2701 80 9501 00 8201 19'));
    expect(reason(() => decodeTlv(b55('9F2701 80 9501 00 9A01 01 9501 00')))).toBe('bad-tlv');
    expect(reason(() => decodeTlv(b55('9F2701 80 9F2701 80')))).toBe('bad-tlv');
  });
  it('more sequences than the shape cache holds still decode and re-encode exactly', () => {
    for (let i = 0; i < 200; i++) {
      const t = (0xdf01 + i).toString(16).toUpperCase(); // DF01.. 2-byte tags (second byte < 0x80 up to DF7F)
      if (parseInt(t.slice(2), 16) >= 0x80) break;
      const bytes = b55(`${t}01 ${(i & 0xff).toString(16).padStart(2, '0')} 8201 19`);
      const d = decodeTlv(bytes);
      expect(d[TLV_ORDER]).toEqual([t, '82']);
      expect(encodeTlv(d).equals(bytes)).toBe(true);
    }
  });
  it('an edited decoded object is encoded from its keys: deleted and added tags are honoured', () => {
    const spec = 'iso87-ascii-binbitmap';
    const m = decode(spec, encode(spec, msg0200()));
    const t55 = m.fields['55'] as Record<string, string>;
    const tags = [...(t55 as Record<symbol, string[]>)[TLV_ORDER]];
    delete t55[tags[0]];
    const d1 = decode(spec, encode(spec, m)).fields['55'] as Record<string, string>;
    expect(d1[tags[0]]).toBeUndefined();
    expect(Object.keys(d1).length).toBe(tags.length - 1);
    t55['9F6E'] = 'ABCD';
    const d2 = decode(spec, encode(spec, m)).fields['55'] as Record<string, string>;
    expect(d2['9F6E']).toBe('ABCD');
    expect(Object.keys(d2).length).toBe(tags.length);
    // a stale order with a bad value: reported as for the object's own keys
    const m3 = decode(spec, encode(spec, msg0200()));
    const t3 = m3.fields['55'] as Record<string, string>;
    t3[tags[0]] = 'ABC';
    delete t3[tags[1]];
    expect(reason(() => encode(spec, m3))).toBe('bad-value');
  });
});

describe('hexUpper', () => {
  it('is upper-case hex for every byte, every length up to past its first scratch size, at any offset', () => {
    for (const n of [0, 1, 2, 3, 96, 255, 511, 512, 513, 700, 2000]) {
      const b = Buffer.from(Array.from({ length: n + 3 }, (_, i) => (i * 151 + n) & 255));
      expect(hexUpper(b, 3, n + 3)).toBe(b.subarray(3).toString('hex').toUpperCase());
    }
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(hexUpper(all, 0, 256)).toBe(all.toString('hex').toUpperCase());
    expect(hexUpper(all, 0, 100)).toBe(all.subarray(0, 100).toString('hex').toUpperCase()); // after growing
  });
});
