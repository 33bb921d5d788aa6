// The main thread's start-up warm-up (src/switch/warm.ts): synthetic requests and answers through every built-in
// spec and framing, each round trip checked; a spec that cannot carry the switch's messages is reported, not hidden.
import { expect, it } from 'vitest';
import { compileSpec, getSpec, listSpecs } from '../../codecs/index.js';
import { warmCodecs, type WarmSpec } from '../../src/switch/warm.js';

it('every built-in spec carries the warm-up traffic both ways', () => {
  const specs: WarmSpec[] = listSpecs().map(({ name }) => ({ spec: getSpec(name), framing: 'ascii4' }));
  expect(specs.length).toBeGreaterThanOrEqual(5);
  const r = warmCodecs([...specs, ...specs.map((w) => ({ ...w, framing: 'len2' as const }))], 10);
  expect(r.failed).toEqual([]);
  expect(r.messages).toBe(2 * 10 * 2 * specs.length);
});

it('a spec the same name and framing share is warmed once', () => {
  const w: WarmSpec = { spec: getSpec('iso87-ascii'), framing: 'ascii4' };
  expect(warmCodecs([w, w, w], 5).messages).toBe(10);
});

it('reports a spec that cannot carry a field the switch sends, and goes on with the others', () => {
  const src = structuredClone(getSpec('iso87-ascii').source);
  delete src.fields['55'];
  const noChip: WarmSpec = { spec: compileSpec({ ...src, name: 'no-chip' }), framing: 'ascii4' };
  const r = warmCodecs([noChip, { spec: getSpec('iso87-bcd'), framing: 'len2' }], 3);
  expect(r.failed).toHaveLength(1);
  expect(r.failed[0].spec).toBe('no-chip/ascii4');
  expect(r.failed[0].error).toMatch(/55/);
  expect(r.messages).toBe(6);
});
