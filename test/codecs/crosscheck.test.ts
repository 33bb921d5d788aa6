// Cross-check iso87-ascii-binbitmap against the npm iso_8583 package (2.6.7, devDependency): what it packs we decode
// to the same values, and what we pack it decodes to the same values. iso_8583 always sends a secondary bitmap and a
// 2-byte length header; it carries DE 55 as text, so DE 55 is left out here (see tlv.test.ts for DE 55).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decode, encode, getSpec, type IsoMessage } from '../../codecs/index.js';
import { ALL_1987 } from './fixtures.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Iso8583 = require('iso_8583') as any;
const SPEC = 'iso87-ascii-binbitmap';

/** Our canonical message → iso_8583's flat {0: mti, n: string} (composites joined, DE 55 dropped). */
function flatten(m: IsoMessage): Record<string, string> {
  const spec = getSpec(SPEC);
  const out: Record<string, string> = { 0: m.mti };
  for (const [k, v] of Object.entries(m.fields)) {
    if (k === '55') continue;
    out[k] = typeof v === 'string' ? v : spec.fields[+k]!.subfields!.map((sf) => v[sf.id]).join('');
  }
  return out;
}
const upperHexFields = (flat: Record<string, string>) => {
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(flat)) o[k] = ['52', '64', '96', '128'].includes(k) ? v.toUpperCase() : v;
  return o;
};

describe('npm iso_8583 cross-check (iso87-ascii-binbitmap)', () => {
  for (const [mti, make] of Object.entries(ALL_1987)) {
    const m = make();
    delete m.fields['55'];
    const flat = flatten(m);

    it(`${mti}: iso_8583 packs, we decode the same values`, () => {
      const theirs: Buffer | { error: string } = new Iso8583(flat).getBufferMessage();
      expect(Buffer.isBuffer(theirs)).toBe(true);
      const wire = (theirs as Buffer).subarray(2); // 2-byte length header
      expect(wire[4] & 0x80).toBe(0x80); // iso_8583 always sets bit 1 (secondary bitmap)
      expect(flatten(decode(SPEC, wire))).toEqual(flat);
    });

    it(`${mti}: we pack, iso_8583 decodes the same values`, () => {
      const ours = encode(SPEC, m);
      const header = Buffer.alloc(2);
      header.writeUInt16BE(ours.length);
      const theirs = new Iso8583().getIsoJSON(Buffer.concat([header, ours]));
      expect(theirs.error).toBeUndefined();
      expect(upperHexFields(theirs)).toEqual(flat);
    });
  }
});
