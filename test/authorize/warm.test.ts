// The engine's start-up warm-up (src/authorize/warm.ts) runs the checks and the commit body on synthetic traffic
// and must keep nothing: every database reads back the same, entry for entry, the journal and stream sequences do
// not move, and the next real authorization takes the next numbers as if no warm-up had run.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerJournalHook } from '../../src/authorize/commit.js';
import { authorizeMany, prepare } from '../../src/authorize/engine.js';
import { warmEngine } from '../../src/authorize/warm.js';
import { makeFraudConfig } from '../../src/fraud/index.js';
import { WARM_KINDS, warmTxn } from '../../src/model/warm-txn.js';
import { closeState, lastJournalSeq, openState, type State } from '../../src/state/env.js';
import { settledJournalHook } from '../../src/stream/journal.js';
import { lastSettledSeq, openSettledStore, readSettled } from '../../src/stream/lmdb.js';
import { checkInvariants, fixture, txn, type Fixture } from './helpers.js';

let f: Fixture;
let unregister: () => void;

beforeAll(async () => {
  f = await fixture(20);
  f.ctx.fraud = makeFraudConfig({});
  const hook = settledJournalHook({ issuerId: 'ONUS' });
  unregister = registerJournalHook(hook);
  hook.open(f.state);
});
afterAll(async () => {
  unregister?.();
  await f?.close();
});

const STRUCTURES = Symbol.for('structures');

/** Every entry of every database the engine writes, and their shared msgpack structures, as JSON. */
function snapshot(s: State): string {
  const dbs = { cards: s.cards, accounts: s.accounts, holds: s.holds, velocity: s.velocity, journal: s.journal, idem: s.idem, refs: s.refs, cardProfiles: s.cardProfiles, merchantProfiles: s.merchantProfiles, meta: s.meta };
  const stream = openSettledStore(s.root);
  const out: Record<string, unknown> = {};
  for (const [name, db] of Object.entries({ ...dbs, settled: stream.records, settledIds: stream.ids })) {
    out[name] = [...(db as State['meta']).getRange()].map(({ key, value }) => [key, value]);
    // The journal has integer keys and no shared structures (src/state/env.ts).
    if (name !== 'journal') out[`${name}.structures`] = (db as unknown as { get(k: symbol): unknown }).get(STRUCTURES) ?? null;
  }
  return JSON.stringify(out);
}

it('runs the real commit path on synthetic plans and keeps nothing of it', async () => {
  // Some real history first, so balances, holds, profiles and the stream are not empty.
  const real = [txn(10, 'purchase', 25_000), txn(11, 'preauth', 40_000), txn(12, 'purchase', 12_500)];
  expect((await authorizeMany(f.ctx, real)).map((d) => d.responseCode)).toEqual(['00', '00', '00']);
  const before = snapshot(f.state);
  const seq = lastJournalSeq(f.state);
  const streamSeq = lastSettledSeq(openSettledStore(f.state.root));

  const r = await warmEngine(f.ctx, 4, 'test');

  expect(r.hsm).toBe(true);
  expect(r.keysChecked).toBe(f.state.keys.getKeysCount());
  expect(r.keysChecked).toBeGreaterThanOrEqual(5);
  expect(r.keysMismatched).toEqual([]);
  expect(r.prepared).toBe(4 * 32);
  expect(r.dryCommits).toBe(4 * 32);
  // The dry run decided for real: approvals with auth codes and balances, fraud scores on scored kinds.
  const approved = r.decisions.filter((d) => d.approved);
  expect(approved.length).toBeGreaterThan(0);
  expect(approved.every((d) => /^\w{6}$/.test(d.authCode ?? '') && typeof d.availableBalance === 'number')).toBe(true);
  expect(r.decisions.some((d) => typeof d.fraudScore === 'number')).toBe(true);

  expect(snapshot(f.state)).toBe(before);
  expect(lastJournalSeq(f.state)).toBe(seq);
  expect(lastSettledSeq(openSettledStore(f.state.root))).toBe(streamSeq);
  checkInvariants(f.state);

  // The next real approval takes the next journal and stream numbers: nothing was handed out and lost.
  const next = txn(13, 'purchase', 7_700);
  const [d] = await authorizeMany(f.ctx, [next]);
  expect(d.responseCode).toBe('00');
  expect(lastJournalSeq(f.state)).toBe(seq + 1);
  const recs = readSettled(openSettledStore(f.state.root), streamSeq + 1, 10);
  expect(recs.map((x) => [x.seq, x.txnId, x.amount])).toEqual([[streamSeq + 1, next.id, 7_700]]);
});

it('the synthetic card is unknown: the checks decline it at the card lookup, before any HSM call', async () => {
  for (const kind of WARM_KINDS) {
    const p = await prepare(f.ctx, warmTxn(1, kind, 'x'), Date.now());
    expect(p.immediate).toBeUndefined();
    expect(p.plan?.declineCode).toBe('14');
    expect(p.plan?.reasons.at(-1)).toEqual({ check: 'card', ok: false, detail: 'unknown card' });
  }
});

it('with no card in the state it still warms the checks and does no dry run', async () => {
  const empty = await fixture(1);
  try {
    for (const { key } of [...empty.state.cards.getRange()]) await empty.state.cards.remove(key);
    const r = await warmEngine(empty.ctx, 2, 'empty');
    expect([r.prepared, r.dryCommits]).toEqual([64, 0]);
  } finally {
    await empty.close();
  }
});

it('a warm-up that is the first thing a fresh worker does leaves the stream sound for the first real approval', async () => {
  // As in a worker just started: the stream hook opened, nothing appended yet in this process, then the warm-up,
  // whose appends (and first msgpack structures) all happen inside the aborted child transaction.
  const g = await fixture(20);
  g.ctx.fraud = makeFraudConfig({});
  const hook = settledJournalHook({ issuerId: 'ONUS' });
  const off = registerJournalHook(hook);
  try {
    hook.open(g.state);
    const r = await warmEngine(g.ctx, 2, 'fresh');
    expect(r.dryCommits).toBe(64);
    expect(lastJournalSeq(g.state)).toBe(0);
    expect(lastSettledSeq(openSettledStore(g.state.root))).toBe(0);
    const first = [txn(14, 'purchase', 3_300), txn(15, 'purchase', 4_400)];
    expect((await authorizeMany(g.ctx, first)).map((d) => d.responseCode)).toEqual(['00', '00']);
    await closeState(g.state);
    const reopened = openState(g.dir);
    try {
      const recs = readSettled(openSettledStore(reopened.root), 1, 10);
      expect(recs.map((x) => [x.seq, x.txnId, x.amount])).toEqual([
        [1, first[0].id, 3_300],
        [2, first[1].id, 4_400],
      ]);
      expect([...reopened.journal.getRange()].map(({ value }) => value.txnId)).toEqual(first.map((t) => t.id));
    } finally {
      await closeState(reopened);
    }
  } finally {
    off();
    await g.close();
  }
});

it('names a key whose stored check value is not what the HSM computes (a key not under its LMK)', async () => {
  const g = await fixture(3);
  try {
    const cvk = g.state.keys.get('cvk.demo')!;
    await g.state.keys.put('cvk.demo', { ...cvk, kcv: cvk.kcv === '000000' ? '111111' : '000000' });
    // A key field the HSM cannot decrypt under its LMK at all (last hex digit changed: parity or block check fails).
    const pvk = g.state.keys.get('pvk.demo')!;
    await g.state.keys.put('pvk.broken', { ...pvk, name: 'pvk.broken', key: pvk.key.slice(0, -1) + (pvk.key.endsWith('0') ? '1' : '0') });
    const r = await warmEngine(g.ctx, 1, 'keys');
    expect(r.keysMismatched.sort()).toEqual(['cvk.demo', 'pvk.broken']);
    expect(r.keysChecked).toBe(g.state.keys.getKeysCount());
  } finally {
    await g.close();
  }
});
