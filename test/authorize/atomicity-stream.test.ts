// A rolled-back transaction whose settled-stream append was the stream's first in this process: its databases were
// opened, and their first msgpack structure minted, inside the aborted child transaction. Every later approval must
// still reach the stream (before the fix LMDB had closed those handles: "dbi out of range", every append refused)
// and decode when the environment is opened afresh (settledJournalHook().rolledBack).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerJournalHook } from '../../src/authorize/commit.js';
import { authorizeMany } from '../../src/authorize/engine.js';
import { closeState, openState } from '../../src/state/env.js';
import { settledJournalHook } from '../../src/stream/journal.js';
import { openSettledStore, readSettled } from '../../src/stream/lmdb.js';
import { fixture, txn, type Fixture } from './helpers.js';

let f: Fixture;
const failFor = new Set<string>();
const unregister: (() => void)[] = [];

beforeAll(async () => {
  f = await fixture(20);
  // In this order, as a worker runs them: the stream append first, then a hook that fails for chosen txns.
  unregister.push(registerJournalHook(settledJournalHook({ issuerId: 'ONUS' })));
  unregister.push(
    registerJournalHook((_s, rec) => {
      if (failFor.has(rec.txnId)) throw new Error(`injected failure for ${rec.txnId}`);
    }),
  );
});
afterAll(async () => {
  for (const u of unregister) u();
  await f?.close();
});

it('stream records committed after a rolled-back first append decode in a freshly opened environment', async () => {
  const first = txn(10, 'purchase', 1_100);
  failFor.add(first.id);
  expect((await authorizeMany(f.ctx, [first])).map((d) => d.responseCode)).toEqual(['96']);
  const later = [txn(11, 'purchase', 1_200), txn(12, 'purchase', 1_300)];
  expect((await authorizeMany(f.ctx, later)).map((d) => d.responseCode)).toEqual(['00', '00']);

  await closeState(f.state);
  const s = openState(f.dir);
  try {
    const recs = readSettled(openSettledStore(s.root), 1, 100);
    expect(recs.map((r) => [r.kind, r.amount])).toEqual([
      ['purchase', 1_200],
      ['purchase', 1_300],
    ]);
    expect(recs.some((r) => r.txnId === first.id)).toBe(false);
  } finally {
    await closeState(s);
    f.state = openState(f.dir);
    f.ctx.state = f.state;
    delete f.ctx.group;
  }
});
