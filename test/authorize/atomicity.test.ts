// One transaction failing inside a group commit must leave no writes, while the rest of the group commits.
// The failure is injected by a journal hook that throws for chosen txn ids: it runs after commitBody has already
// written the balance, hold, velocity and journal record of that transaction, so a partial commit would show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeMany } from '../../src/authorize/engine.js';
import { registerJournalHook } from '../../src/authorize/commit.js';
import { idemKey } from '../../src/authorize/stages.js';
import { DEMO_BALANCE, demoCard } from '../../src/demo/portfolio.js';
import { cardProfileOf, closeState, openState, lastJournalSeq, merchantProfileKey } from '../../src/state/env.js';
import { makeFraudConfig } from '../../src/fraud/index.js';
import { panHash } from '../../src/state/pan.js';
import { checkInvariants, fixture, txn, type Fixture } from './helpers.js';

let f: Fixture;
const failFor = new Set<string>();
let unregister: () => void;

beforeAll(async () => {
  f = await fixture(30);
  unregister = registerJournalHook((_s, rec) => {
    if (failFor.has(rec.txnId)) throw new Error(`injected failure for ${rec.txnId}`);
  });
});
afterAll(async () => {
  unregister();
  await f?.close();
});

const acct = (i: number) => f.state.accounts.get(`A1-${i}`)!;
const journalOf = (id: string) => [...f.state.journal.getRange()].map((e) => e.value).filter((r) => r.txnId === id);

describe('group commit atomicity', () => {
  it('a transaction that throws mid-write answers 96 and leaves no writes; the rest of its group commits', async () => {
    const seq0 = lastJournalSeq(f.state);
    const hash12 = panHash(f.state.dataKeys.hashKey, demoCard(12).pan);
    const vel12 = f.state.velocity.get(hash12);
    const card12 = f.state.cards.get(hash12);
    // The first preauth of this data dir (its hold record is the holds database's first) fails; one succeeds.
    const ts = [
      txn(10, 'purchase', 1_000),
      txn(12, 'purchase', 2_000),
      txn(13, 'preauth', 3_000),
      txn(14, 'preauth', 4_000),
      txn(11, 'purchase', 5_000),
    ];
    failFor.add(ts[1].id);
    failFor.add(ts[2].id);
    const ds = await authorizeMany(f.ctx, ts);
    expect(ds.map((d) => d.responseCode)).toEqual(['00', '96', '96', '00', '00']);
    expect(ds[1].approved).toBe(false);

    // The failed ones: balances, hold, velocity, card, journal, idempotency key and aliases untouched.
    expect(acct(12)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE });
    expect(acct(13)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE });
    expect(f.state.velocity.get(hash12)).toEqual(vel12);
    expect(f.state.cards.get(hash12)).toEqual(card12);
    for (const t of [ts[1], ts[2]]) {
      expect(journalOf(t.id)).toEqual([]);
      expect(f.state.idem.get(idemKey(t, t.kind))).toBeUndefined();
      expect(f.state.refs.get(`i|${t.id}`)).toBeUndefined();
      expect(f.state.refs.get(`n|${t.acquirerId}|${t.rrn}`)).toBeUndefined();
    }
    expect([...f.state.holds.getRange()].map((e) => e.value.accountId)).toEqual(['A1-14']);

    // The others committed normally, and the journal sequence has no gap.
    expect(acct(10)).toMatchObject({ ledger: DEMO_BALANCE - 1_000, available: DEMO_BALANCE - 1_000 });
    expect(acct(14)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE - 4_000 });
    expect(acct(11)).toMatchObject({ ledger: DEMO_BALANCE - 5_000, available: DEMO_BALANCE - 5_000 });
    for (const t of [ts[0], ts[3], ts[4]]) expect(journalOf(t.id)).toHaveLength(1);
    expect(lastJournalSeq(f.state)).toBe(seq0 + 3);
    expect([...f.state.journal.getRange({ start: seq0 + 1 })].map((e) => e.key)).toEqual([seq0 + 1, seq0 + 2, seq0 + 3]);
    checkInvariants(f.state);

    // The failure was not remembered as an answer: once the fault is gone the retransmission is decided afresh.
    failFor.clear();
    const again = await authorizeMany(f.ctx, [ts[1], ts[2], txn(15, 'preauth', 6_000)]);
    expect(again.map((d) => d.responseCode)).toEqual(['00', '00', '00']);
    expect(again[0].reasons.some((r) => r.check === 'duplicate')).toBe(false);
    expect(acct(12)).toMatchObject({ ledger: DEMO_BALANCE - 2_000, available: DEMO_BALANCE - 2_000 });
    checkInvariants(f.state);
  });

  it('a plan redone after its group was rolled back updates the fraud profiles once', async () => {
    const lax = { ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 999, declineThreshold: 1000 }), now: () => 1_780_000_000_000 };
    const hash = panHash(f.state.dataKeys.hashKey, demoCard(20).pan);
    expect(cardProfileOf(f.state, hash)).toBeUndefined();
    const ok = txn(20, 'purchase', 1_000, { merchantId: 'M-redo' });
    const bad = txn(21, 'purchase', 1_000);
    failFor.add(bad.id);
    // Same profile, same score: what a lone transaction on a fresh card gets.
    const alone = (await authorizeMany(lax, [txn(22, 'purchase', 1_000, { merchantId: 'M-redo2' })]))[0].fraudScore;
    const ds = await authorizeMany(lax, [ok, bad]);
    failFor.clear();
    expect(ds.map((d) => d.responseCode)).toEqual(['00', '96']);
    expect(ds[0].fraudScore).toBe(alone);
    // The update was applied once, to the stored profile, not twice to one object.
    expect(cardProfileOf(f.state, hash)?.n).toBe(1);
    expect(f.state.merchantProfiles.get(merchantProfileKey(ok))?.n).toBe(1);
    checkInvariants(f.state);
  });

  it('records written after a rolled-back transaction decode in a freshly opened environment', async () => {
    // A rolled-back transaction may have minted a new shared msgpack structure (its hold record): the records
    // committed after it must not refer to a structure that was never persisted.
    const holds = [...f.state.holds.getRange()].map((e) => e.value);
    expect(holds.length).toBeGreaterThanOrEqual(3);
    await closeState(f.state);
    const s = openState(f.dir);
    try {
      const reread = [...s.holds.getRange()].map((e) => e.value);
      expect(reread).toEqual(holds);
      expect(s.accounts.get('A1-12')).toMatchObject({ ledger: DEMO_BALANCE - 2_000 });
    } finally {
      await closeState(s);
      f.state = openState(f.dir);
      f.ctx.state = f.state;
      delete f.ctx.group;
    }
  });
});
