// The running engine (piscina workers from dist/: `npm test` builds first) feeds the settled-record stream:
// every approved purchase, refund and reversal the clients saw is in the stream exactly once, in journal order,
// and nothing declined is.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/authorize/index.js';
import { demoProvisionInput } from '../../src/demo/portfolio.js';
import { closeState, openState } from '../../src/state/env.js';
import { unlockForTest } from '../hsm-keys.js';
import { provision } from '../../src/state/provision.js';
import { openSettledStore, readSettled } from '../../src/stream/lmdb.js';
import { settledRecordId } from '../../src/stream/types.js';
import { ref, tempDir, txn } from '../authorize/helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('engine → settled-record stream', () => {
  it('appends each approved money movement once, in the journal transaction', async () => {
    const dir = tempDir('gerbang-stream-engine-');
    dirs.push(dir);
    await unlockForTest(dir);
  const s0 = openState(dir);
    await provision(s0, demoProvisionInput(1, 20));
    await closeState(s0);

    const auth = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 1 }, workers: 2, fraud: { enabled: false } });
    const purchases = Array.from({ length: 40 }, (_, k) => txn(10 + (k % 5), 'purchase', 1_000 + k));
    const decided = await Promise.all(purchases.map((t) => auth.authorize(t)));
    // A decline (unknown card) and a balance inquiry move no money.
    const decline = await auth.authorize(txn('4761739999999999', 'purchase', 500));
    const balance = await auth.authorize(txn(10, 'balance', 0));
    // Refund one purchase, reverse another (twice: the second reversal changes nothing).
    const refund = await auth.authorize(txn(10, 'refund', 700));
    const rev = txn(purchases[1].pan!, 'reversal', purchases[1].amount, { original: ref(purchases[1]) });
    const reversal = await auth.authorize(rev);
    await auth.authorize({ ...rev, id: rev.id + '-again', stan: '999999' });
    await auth.close();

    expect(decided.every((d) => d.approved)).toBe(true);
    expect(decline.approved).toBe(false);
    expect(balance.approved).toBe(true);
    expect(refund.approved && reversal.approved).toBe(true);

    const s = openState(dir);
    const store = openSettledStore(s.root);
    const records = readSettled(store, 1, 10_000);
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length); // exactly once
    for (const t of purchases) expect(ids).toContain(settledRecordId(t.id, 'purchase'));
    expect(records.filter((r) => r.kind === 'purchase').length).toBe(40);
    expect(records.filter((r) => r.kind === 'refund').length).toBe(1);
    expect(records.filter((r) => r.kind === 'reversal').length).toBe(1);
    expect(records.length).toBe(42);
    // Sequence numbers are dense and increasing; amounts are the approved minor units; no clear PAN anywhere.
    records.forEach((r, k) => expect(r.seq).toBe(records[0].seq + k));
    expect(records.find((r) => r.id === settledRecordId(purchases[3].id, 'purchase'))!.amount).toBe(purchases[3].amount);
    expect(JSON.stringify(records)).not.toContain(purchases[0].pan);
    await closeState(s);
  });
});
