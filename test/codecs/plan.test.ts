// The fast per-field plan (codecs/plan.ts) against the general plan (every field through decodeField/encodeField),
// on every built-in spec: the same bytes from the same message, the same message from the same bytes, and on bad
// input the same CodecError (reason, field, offset, text). Also whole-message value noise on encode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, builtInSpecSource, decode, encode, getSpec, listSpecs, loadSpecJson, type CompiledSpec, type IsoMessage } from '../../codecs/index.js';
import { decodeWith, encodeWith, generalPlan } from '../../codecs/engine.js';
import { planFor } from '../../codecs/plan.js';
import { fieldArb, messageArb } from './arbitraries.js';

const specs = listSpecs().map((s) => s.name);
const SCALE = Number(process.env.CODEC_FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)) });

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string; field: number | null; offset: number; message: string };

function outcome(fn: () => unknown): Outcome {
  try {
    const v = fn();
    return { ok: true, value: Buffer.isBuffer(v) ? v.toString('hex') : v };
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    return { ok: false, reason: e.reason, field: e.field, offset: e.offset, message: e.message };
  }
}

function sameDecode(name: string | CompiledSpec, b: Uint8Array): void {
  const spec = typeof name === 'string' ? getSpec(name) : name;
  const fast = outcome(() => decodeWith(spec, b, planFor(spec)));
  const general = outcome(() => decodeWith(spec, b, generalPlan(spec)));
  expect(fast).toEqual(general);
  // and the decoded message encodes to the same bytes either way
  if (fast.ok && general.ok) {
    const m = fast.value as IsoMessage, g = general.value as IsoMessage;
    expect(outcome(() => encodeWith(spec, m, planFor(spec)))).toEqual(outcome(() => encodeWith(spec, g, generalPlan(spec))));
  }
}

function sameEncode(name: string, m: IsoMessage): void {
  const spec = getSpec(name);
  expect(outcome(() => encodeWith(spec, m, planFor(spec)))).toEqual(outcome(() => encodeWith(spec, m, generalPlan(spec))));
}

/** A value that is sometimes right and often wrong for field num: bad characters, odd hex, too long, short, not a string. */
function noisyValue(name: string, num: number): fc.Arbitrary<unknown> {
  const f = builtInSpecSource(name).fields[num];
  const chars = fc.constantFrom(...'0123456789=DCabcdefABCDEF xyz!~é\u0100\u2603'.split(''));
  return fc.oneof(
    { weight: 3, arbitrary: fieldArb(f) },
    { weight: 3, arbitrary: fc.string({ unit: chars, maxLength: Math.min(f.length * 2 + 3, 60) }) },
    { weight: 1, arbitrary: fc.constantFrom(42, null, [], ['1'], { x: '1' }, { 1: 1 }, undefined, true) },
  );
}

function noisyMessage(name: string): fc.Arbitrary<IsoMessage> {
  const nums = Object.keys(builtInSpecSource(name).fields).map(Number);
  return fc
    .tuple(fc.subarray(nums, { minLength: 1, maxLength: 12 }), fc.constantFrom('0200', '0110', '02x0'))
    .chain(([chosen, mti]) =>
      fc.tuple(...chosen.map((n) => noisyValue(name, n))).map((vals) => {
        const fields: Record<string, unknown> = {};
        chosen.forEach((n, i) => (fields[n] = vals[i]));
        return { mti, fields } as IsoMessage;
      }),
    );
}

describe('fast plan = general plan', () => {
  for (const name of specs) {
    it(`${name}: valid messages encode and decode identically`, () => {
      fc.assert(
        fc.property(messageArb(name), (m) => {
          sameEncode(name, m);
          const spec = getSpec(name);
          sameDecode(name, encodeWith(spec, m, generalPlan(spec)));
        }),
        runs(150),
      );
    });
    it(`${name}: noisy values give the same bytes or the same error`, () => {
      fc.assert(fc.property(noisyMessage(name), (m) => sameEncode(name, m)), runs(400));
    });
    it(`${name}: mutated and random bytes give the same message or the same error`, () => {
      const spec = getSpec(name);
      fc.assert(
        fc.property(messageArb(name), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 4 }), (m, muts) => {
          let b = Buffer.from(encodeWith(spec, m, generalPlan(spec)));
          for (const [at, v, cut] of muts) {
            if (b.length === 0) break;
            if (cut) b = b.subarray(0, at % b.length);
            else b[at % b.length] = v;
          }
          sameDecode(name, b);
        }),
        runs(400),
      );
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => sameDecode(name, b)), runs(200));
    });
  }
  // every byte value on the mixed spec; class edges (controls, space, digits, '=', 'C', 'D', letters, DEL, high) elsewhere
  const ALL_BYTES = Array.from({ length: 256 }, (_, i) => i);
  const EDGE_BYTES = [0, 31, 32, 33, 47, 48, 57, 58, 61, 64, 65, 67, 68, 90, 91, 96, 97, 122, 123, 126, 127, 128, 255];
  it('byte values at every position of a fixed composite decode the same either way', () => {
    // the built-in composites plus one whose sub-field classes are narrower than the field's (n, xn, a, an in ans)
    const src = { ...builtInSpecSource('iso87-ascii'), name: 'mixed-43' };
    src.fields[43] = { ...src.fields[43], length: 20, subfields: { kind: 'fixed', fields: [
      { id: '1', name: '1', length: 4, type: 'n' }, { id: '2', name: '2', length: 5, type: 'xn' }, { id: '3', name: '3', length: 4, type: 'a' }, { id: '4', name: '4', length: 4, type: 'an' }, { id: 'x', name: 'x', length: 3, type: 'ans' },
    ] } };
    const cases: [CompiledSpec, IsoMessage['fields']][] = [[loadSpecJson(src), { 43: { 1: '0042', 2: 'C1234', 3: 'AB C', 4: 'A1b2', x: '#!~' } }]];
    for (const name of specs) {
      const fields: IsoMessage['fields'] = {};
      for (const n of [43, 90, 95]) {
        const f = builtInSpecSource(name).fields[n];
        if (f?.subfields?.kind === 'fixed') fields[n] = fc.sample(fieldArb(f), { numRuns: 1, seed: n })[0];
      }
      cases.push([getSpec(name), fields]);
    }
    for (const [spec, fields] of cases) {
      const head = encodeWith(spec, { mti: '0200', fields: {} }, generalPlan(spec)).length;
      const b = Buffer.from(encodeWith(spec, { mti: '0200', fields }, generalPlan(spec)));
      const bitmaps = Object.keys(fields).some((k) => +k > 64) ? (spec.bitmapHex ? 16 : 8) : 0;
      for (let at = head + bitmaps; at < b.length; at++) {
        const keep = b[at];
        for (const v of spec.name === 'mixed-43' ? ALL_BYTES : EDGE_BYTES) {
          b[at] = v;
          sameDecode(spec, b);
        }
        b[at] = keep;
      }
    }
  });
  it('decoded field objects have exactly their bitmap\'s keys, past the template cache and after a caller mutates one', () => {
    const spec = getSpec('iso87-ascii');
    const sets = Array.from({ length: 40 }, (_, i) => [2, 3, 4, 7, 11, 12, 37, 41, 42, 49, 70, 100, 102].filter((n, k) => ((i * 2654435761) >>> k) & 1));
    const value = (n: number) => (n === 2 ? '4761739001010119' : n === 100 || n === 102 ? '12345' : n === 37 ? '123456789012' : n === 41 ? 'TERM0001' : n === 42 ? 'MERCHANT0000001' : n === 49 ? '360' : n === 70 ? '301' : n === 7 ? '1125103000' : n === 4 ? '000000005000' : '000001');
    for (let round = 0; round < 3; round++) {
      for (const set of sets) {
        const fields: IsoMessage['fields'] = {};
        for (const n of set) fields[n] = value(n);
        const got = decode(spec, encode(spec, { mti: '0800', fields }));
        expect(got.fields).toEqual(fields);
        expect(Object.keys(got.fields)).toEqual(set.map(String));
        got.fields['999'] = 'x'; // the caller's object, not the template
        delete got.fields[String(set[0])];
      }
    }
  });
  it('a spec is planned once', () => {
    const spec = getSpec('iso87-ascii-binbitmap');
    expect(planFor(spec)).toBe(planFor(spec));
    expect(planFor(getSpec('iso87-bcd'))).not.toBe(planFor(spec));
    expect(planFor(getSpec('iso87-bcd'))).toBe(planFor(getSpec('iso87-bcd')));
  });
});
