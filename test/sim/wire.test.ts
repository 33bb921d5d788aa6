import { describe, expect, it } from 'vitest';
import { encode, frame, getSpec, type LengthHeader } from '../../codecs/index.js';
import { clockAt, freshRequest, type Envelope } from '../../src/sim/messages.js';
import { buildTxnPool } from '../../src/sim/pool.js';
import { patch, prepareWire } from '../../src/sim/wire.js';

const pool = buildTxnPool({ debitSize: 30, balanceSize: 5, onUsCards: 10, remoteCards: 3, terminals: 3, seed: 3 });

describe('prepared wire bytes (template + patch)', () => {
  const cases: [string, LengthHeader, boolean][] = [
    ['iso87-ascii', 'ascii4', false],
    ['iso87-ascii-binbitmap', 'len2', false],
    ['iso87-bcd', 'len2', true],
    ['iso87-ebcdic', 'bcd2', false],
  ];
  for (const [specName, header, tpdu] of cases) {
    it(`patched bytes equal the codec's encoding: ${specName} / ${header}${tpdu ? ' + TPDU' : ''}`, () => {
      const spec = getSpec(specName);
      const framing = { lengthHeader: header, tpdu };
      const w = prepareWire(pool, spec, framing, '123456', { purchase: true, preauth: true, balance: true });
      expect(w.unpatchable).toBe(0);
      let stan = 0;
      for (const [kind, entries, templates] of [
        ['purchase', pool.debit, w.purchase],
        ['preauth', pool.debit, w.preauth],
        ['balance', pool.balance, w.balance],
      ] as const) {
        entries.forEach((t, i) => {
          stan += 7919;
          const e: Envelope = { acquirerId: '123456', stan: String(stan % 1_000_000).padStart(6, '0'), rrn: String(stan * 31).padStart(12, '0'), clock: clockAt(Date.UTC(2026, i % 12, 1 + (i % 28), i % 24, (i * 7) % 60, (i * 13) % 60)) };
          const expected = frame(encode(spec, freshRequest(kind, t, pool, e)), framing, tpdu ? Buffer.alloc(5) : undefined);
          expect(templates[i], `${kind} ${i}`).not.toBeNull();
          expect(patch(templates[i]!, e).equals(expected), `${kind} ${i}`).toBe(true);
        });
      }
    });
  }
});

describe('RecentRing (approvals later messages refer to)', () => {
  it('pops newest first and drops the oldest when full', async () => {
    const { RecentRing } = await import('../../src/sim/acquirer.js');
    const r = new RecentRing<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.length).toBe(3);
    expect([r.takeNewest(), r.takeNewest(), r.takeNewest(), r.takeNewest()]).toEqual([5, 4, 3, undefined]);
    r.push(7);
    expect(r.takeNewest()).toBe(7);
  });
});
