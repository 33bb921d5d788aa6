import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoMs } from '../../src/stream/types.js';

const d = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
// Field values around and past their ranges, and now and then a non-digit, so both paths are exercised.
const field = (n: number) => fc.oneof({ weight: 8, arbitrary: d(n) }, { weight: 1, arbitrary: fc.string({ minLength: n, maxLength: n }) });
const iso = fc
  .tuple(field(4), field(2), field(2), field(2), field(2), field(2), field(3), fc.constantFrom('Z', 'Z', 'Z', '+07:00', 'z', ''))
  .map(([y, mo, da, h, mi, s, ms, z]) => `${y}-${mo}-${da}T${h}:${mi}:${s}.${ms}${z}`);

describe('isoMs', () => {
  it('equals Date.parse for stream timestamps, out-of-range fields and other forms', () => {
    fc.assert(
      fc.property(iso, (s) => {
        expect(isoMs(s)).toBe(Date.parse(s));
      }),
      { numRuns: 20_000 },
    );
    for (const s of ['2024-02-29T23:59:59.999Z', '2026-02-29T00:00:00.000Z', '2026-02-30T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2000-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2026-12-31T24:00:00.000Z', '2026-12-31T23:59:60.000Z', '0099-01-01T00:00:00.000Z', '0100-01-01T00:00:00.000Z', '2026-11-23T01:00:00Z', '2026-11-23T01:00:00.1234Z', '2026-11-23T08:00:00.000+07:00', 'not a date']) {
      expect(isoMs(s)).toBe(Date.parse(s));
    }
    expect(isoMs(null as unknown as string)).toBe(Date.parse(null as unknown as string));
  });

  it('answers a repeat from its one-entry memo, never a stale value for a different string', () => {
    // Pairs in sequence, each asked twice and interleaved, with equal text in different string objects.
    fc.assert(
      fc.property(fc.array(iso, { minLength: 2, maxLength: 6 }), (xs) => {
        for (const s of [...xs, ...xs.slice().reverse(), ...xs]) {
          const copy = (' ' + s).slice(1);
          expect(isoMs(s)).toBe(Date.parse(s));
          expect(isoMs(s)).toBe(Date.parse(s));
          expect(isoMs(copy)).toBe(Date.parse(s));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
