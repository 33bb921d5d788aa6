// The fast per-field plan (codecs/plan.ts) against the general plan (every field through decodeField/encodeField),
// on every built-in spec: the same bytes from the same message, the same message from the same bytes, and on bad
// input the same CodecError (reason, field, offset, text). Also whole-message value noise on encode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, builtInSpecSource, getSpec, listSpecs, type IsoMessage } from '../../codecs/index.js';
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

function sameDecode(name: string, b: Uint8Array): void {
  const spec = getSpec(name);
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
  it('a spec is planned once', () => {
    const spec = getSpec('iso87-ascii-binbitmap');
    expect(planFor(spec)).toBe(planFor(spec));
    expect(planFor(getSpec('iso87-bcd'))).not.toBe(planFor(spec));
    expect(planFor(getSpec('iso87-bcd'))).toBe(planFor(getSpec('iso87-bcd')));
  });
});
