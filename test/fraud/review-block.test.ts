// A fraud verdict blocks the card: the engine names the card (its keyed PAN hash, never the PAN) on a decision it
// flags for review, the switch queues the item, an analyst resolves it as fraud with `gerbang fraud review resolve`
// from another process, and the next authorization on that card is declined 62 by the same engine. A legitimate
// verdict leaves the card alone; a lost card keeps its stronger status.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeMany, type EngineContext } from '../../src/authorize/engine.js';
import { DEMO_SPECIAL } from '../../src/demo/portfolio.js';
import { makeFraudConfig } from '../../src/fraud/index.js';
import { ReviewQueue } from '../../src/fraud/review.js';
import type { Txn } from '../../src/model/txn.js';
import { openSwitchStore, type SwitchStore } from '../../src/runtime/store.js';
import { panHash } from '../../src/state/pan.js';
import { fixture, txn, type Fixture } from '../authorize/helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gerbang.js');
let f: Fixture;
let store: SwitchStore;
let queue: ReviewQueue;
let flagging: EngineContext;

beforeAll(async () => {
  f = await fixture(12);
  // Every approval is flagged for review; nothing is declined for fraud.
  flagging = { ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 0, declineThreshold: 1000 }) };
  store = openSwitchStore(f.dir);
  queue = new ReviewQueue(store);
});
afterAll(async () => {
  await store.close();
  await f.close();
});

async function flagged(t: Txn) {
  const d = (await authorizeMany(flagging, [t]))[0];
  expect(d.responseCode).toBe('00');
  expect(d.review).toBe(true);
  expect(queue.add(t, d)).toBe(true);
  await store.flushLater();
  return d;
}

function resolve(txnId: string, outcome: string) {
  return spawnSync(process.execPath, [BIN, 'fraud', 'review', 'resolve', txnId, '--outcome', outcome, '--by', 'analyst.a', '--note', 'cardholder called', '--data', f.dir], { encoding: 'utf8' });
}

/** The next request arrives on a later event turn, as it would over a socket. */
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('fraud review verdicts and the card', () => {
  it('a flagged decision names the card by its keyed hash, never by the PAN', async () => {
    const t = txn(8, 'purchase', 1_500);
    const d = await flagged(t);
    expect(d.cardRef).toBe(panHash(f.state.dataKeys.hashKey, t.pan!));
    // The decision's optional fields are assigned in the commit (not spread): the wire/JSON key order is unchanged.
    expect(Object.keys(d)).toEqual(['txnId', 'responseCode', 'approved', 'approvedAmount', 'authCode', 'availableBalance', 'ledgerBalance', 'fraudScore', 'review', 'cardRef', 'reasons']);
    expect(queue.get(t.id)?.cardRef).toBe(d.cardRef);
    expect(JSON.stringify(queue.get(t.id))).not.toContain(t.pan);
    // unflagged decisions carry no card reference
    const plain = (await authorizeMany({ ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 999, declineThreshold: 1000 }) }, [txn(8, 'purchase', 100)]))[0];
    expect(plain.cardRef).toBeUndefined();
  });

  it('fraud blocks the card: the next authorization on it is declined 62, other cards still approve', async () => {
    const t = txn(9, 'purchase', 2_000);
    await flagged(t);
    const r = resolve(t.id, 'fraud');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ fraud by analyst\.a /);
    expect(r.stdout).toMatch(/card \d{6}\*{6}\d{4} blocked \(was active\)/);
    expect(r.stdout).not.toContain(t.pan);
    await nextTurn();
    const after = (await authorizeMany(f.ctx, [txn(9, 'purchase', 2_000)]))[0];
    expect(after.responseCode).toBe('62');
    expect(after.reasons.some((x) => !x.ok && /blocked/.test(`${x.check} ${x.detail ?? ''}`))).toBe(true);
    expect((await authorizeMany(f.ctx, [txn(10, 'purchase', 2_000)]))[0].responseCode).toBe('00');
  });

  it('legit leaves the card active; a second verdict on the same item is refused', async () => {
    const t = txn(11, 'purchase', 700);
    await flagged(t);
    const r = resolve(t.id, 'legit');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/blocked/);
    await nextTurn();
    expect((await authorizeMany(f.ctx, [txn(11, 'purchase', 700)]))[0].responseCode).toBe('00');
    const again = resolve(t.id, 'fraud');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already resolved as legit/);
    expect((await authorizeMany(f.ctx, [txn(11, 'purchase', 700)]))[0].responseCode).toBe('00');
  });

  it('a lost card keeps its status (a verdict never weakens it)', async () => {
    // A lost card is declined before scoring, so its item is queued as the switch would have queued an earlier
    // approval on it: the engine's reference for that card.
    const t = txn(DEMO_SPECIAL.lost, 'purchase', 900);
    const ref = panHash(f.state.dataKeys.hashKey, t.pan!);
    expect(queue.add(t, { txnId: t.id, responseCode: '00', approved: true, approvedAmount: 900, fraudScore: 700, review: true, cardRef: ref, reasons: [] })).toBe(true);
    await store.flushLater();
    const r = resolve(t.id, 'fraud');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/card \d{6}\*{6}\d{4} already lost/);
    await nextTurn();
    expect((await authorizeMany(f.ctx, [txn(DEMO_SPECIAL.lost, 'purchase', 900)]))[0].responseCode).toBe('41');
  });
});
