// Property tests and a fuzz run (fast-check): valid messages round-trip both ways on every built-in spec;
// arbitrary and mutated bytes either decode or throw one CodecError, never anything else, never a hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, FrameSplitter, decode, encode, frame, listSpecs } from '../../codecs/index.js';
import { messageArb } from './arbitraries.js';

function decodesOrCodecError(spec: string, bytes: Uint8Array): void {
  try {
    const m = decode(spec, bytes);
    // Whatever decodes must encode back to the very same bytes… unless the input used an alternative the encoder
    // normalises (lower-case hex, secondary bitmap with no field above 64, 'D' in track 2 or garbage nibbles refused).
    expect(typeof m.mti).toBe('string');
    const again = encode(spec, m); // anything decoded can be encoded again, and decodes to the same message
    expect(decode(spec, again)).toEqual(m);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    expect(typeof e.reason).toBe('string');
    expect(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= bytes.length).toBe(true);
  }
}

const specs = listSpecs().map((s) => s.name);
/** CODEC_FUZZ_SCALE=20 npx vitest run test/codecs/property.test.ts for a long fuzz run; 1 keeps the suite quick. */
const SCALE = Number(process.env.CODEC_FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)) });

describe('valid messages round-trip', () => {
  for (const spec of specs) {
    it(`${spec}: decode(encode(m)) = m and encode(decode(b)) = b`, () => {
      fc.assert(
        fc.property(messageArb(spec), (m) => {
          const b = encode(spec, m);
          const d = decode(spec, b);
          expect(d).toEqual(m);
          expect(encode(spec, d).equals(b)).toBe(true);
        }),
        runs(120),
      );
    });
  }
});

describe('fuzz: arbitrary and mutated bytes', () => {
  for (const spec of specs) {
    it(`${spec}: random bytes`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => decodesOrCodecError(spec, b)), runs(400));
    });
    it(`${spec}: valid header then random bytes`, () => {
      const head = encode(spec, { mti: '0200', fields: {} }).subarray(0, spec === 'iso87-bcd' ? 2 : 4);
      fc.assert(fc.property(fc.uint8Array({ minLength: 8, maxLength: 600 }), (b) => decodesOrCodecError(spec, Buffer.concat([head, b]))), runs(400));
    });
    it(`${spec}: mutated valid messages`, () => {
      const mutation = fc.oneof(
        fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), v: fc.constant(0) }),
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
      );
      fc.assert(
        fc.property(messageArb(spec), fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, muts) => {
          let b = Buffer.from(encode(spec, m));
          for (const { kind, at, v } of muts) {
            const i = b.length ? at % b.length : 0;
            if (kind === 'set' && b.length) b[i] = v;
            else if (kind === 'cut') b = b.subarray(0, i);
            else b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)]);
          }
          decodesOrCodecError(spec, b);
        }),
        runs(300),
      );
    });
  }
  it('a huge declared length fails fast without allocating it', () => {
    // LLL '999' on DE 55 (max 255) and on DE 48 (max 999) with only a few bytes behind it.
    const head = Buffer.from('0200' + '0000000000010000', 'latin1'); // DE 48 only
    const t0 = performance.now();
    expect(() => decode('iso87-ascii', Buffer.concat([head, Buffer.from('999abc')]))).toThrow(CodecError);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('frame splitter under random chunking', () => {
  it('reassembles any chunking of a stream of frames', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => frame(p, { lengthHeader: 'len2' })));
        const s = new FrameSplitter({ lengthHeader: 'len2' });
        const got: Buffer[] = [];
        let i = 0;
        let c = 0;
        while (i < stream.length) {
          const n = cuts[c++ % cuts.length];
          got.push(...s.push(stream.subarray(i, i + n)).map((f) => f.payload));
          i += n;
        }
        expect(got.map((g) => g.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
      }),
      { numRuns: 300 },
    );
  });
  it('random bytes into a splitter: frames or one bad-frame error, bounded buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
        const s = new FrameSplitter({ lengthHeader: 'ascii4', maxFrame: 512 });
        try {
          s.push(b);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
        expect(s.buffered).toBeLessThanOrEqual(4 + 512);
      }),
      { numRuns: 500 },
    );
  });
});
