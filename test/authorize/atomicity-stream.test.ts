// A rolled-back transaction whose settled-stream append was the stream's first in this process: its databases were
// opened, and their first msgpack structure minted, inside the aborted child transaction. Every later approval must
// still reach the stream (before the fix LMDB had closed those handles: "dbi out of range", every append refused)
// and decode when the environment is opened afresh (settledJournalHook().rolledBack).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerJournalHook } from '../../src/authorize/commit.js';
import { authorizeMany } from '../../src/authorize/engine.js';
import { closeState, openState } from '../../src/state/env.js';
import { settledJournalHook } from '../../src/stream/journal.js';
import { lastSettledSeq, openSettledStore, readSettled } from '../../src/stream/lmdb.js';
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

it('the stream sequence (one ~seq write per group) has no gap and no reuse around rolled-back plans', async () => {
  const store = openSettledStore(f.state.root);
  const before = lastSettledSeq(store);
  // Failures first, in the middle and last of a group: the fast path's child aborts, the group is redone one child
  // per plan, and each failed child hands its stream number back.
  const ts = [txn(10, 'purchase', 2_001), txn(11, 'purchase', 2_002), txn(12, 'preauth', 2_003), txn(13, 'purchase', 2_004), txn(14, 'purchase', 2_005), txn(15, 'purchase', 2_006)];
  for (const i of [0, 3, 5]) failFor.add(ts[i].id);
  expect((await authorizeMany(f.ctx, ts)).map((d) => d.responseCode)).toEqual(['96', '00', '00', '96', '00', '96']);
  const recs = readSettled(store, before + 1, 100);
  expect(recs.map((r) => [r.seq, r.txnId])).toEqual([
    [before + 1, ts[1].id],
    [before + 2, ts[2].id],
    [before + 3, ts[4].id],
  ]);
  expect(lastSettledSeq(store)).toBe(before + 3);
  // The next group continues from there (the cursor is not left over from the last transaction).
  failFor.clear();
  const next = [txn(16, 'purchase', 2_007), txn(17, 'purchase', 2_008)];
  expect((await authorizeMany(f.ctx, next)).map((d) => d.responseCode)).toEqual(['00', '00']);
  expect(readSettled(store, before + 1, 100).map((r) => r.seq)).toEqual([before + 1, before + 2, before + 3, before + 4, before + 5]);
  expect(lastSettledSeq(store)).toBe(before + 5);
  // A group whose every plan fails writes nothing, ~seq included.
  const bad = [txn(18, 'purchase', 2_009)];
  failFor.add(bad[0].id);
  expect((await authorizeMany(f.ctx, bad)).map((d) => d.responseCode)).toEqual(['96']);
  expect(lastSettledSeq(store)).toBe(before + 5);
  expect(readSettled(store, before + 6, 10)).toEqual([]);
});
