// The engine on its piscina pool (compiled workers from dist/: run `npx tsc -p tsconfig.json` first).
// No double spending across worker threads; bounded queue answers 91 at once when saturated.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../src/authorize/index.js';
import { demoPan, demoProvisionInput } from '../../src/demo/portfolio.js';
import { closeState, openState } from '../../src/state/env.js';
import { unlockForTest } from '../hsm-keys.js';
import { provision } from '../../src/state/provision.js';
import { checkInvariants, tempDir, txn } from '../authorize/helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function provisioned(extra: Parameters<typeof provision>[1]): Promise<string> {
  const dir = tempDir('gerbang-pool-');
  dirs.push(dir);
  await unlockForTest(dir);
  const s = openState(dir);
  await provision(s, demoProvisionInput(1, 10));
  await provision(s, extra);
  await closeState(s);
  return dir;
}

describe('no double spending', () => {
  it('1,000 concurrent authorizations against one account covering exactly N of them: exactly N approvals', async () => {
    const N = 137;
    const amount = 1_000;
    const pan = demoPan(777);
    const dir = await provisioned({
      cards: [{ pan, expiry: '3012', accountId: 'ONE', limits: { perTxn: 1e9, dailyAmount: 1e12, dailyCount: 1e6, dailyCash: 1e9 } }],
      accounts: [{ id: 'ONE', currency: '360', balance: N * amount }],
    });
    const auth = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 1 }, workers: 2, batchSize: 16, maxQueue: 10_000, fraud: { enabled: false } });
    // Mixed kinds all draw on the same balance: purchases, cash and preauths.
    const kinds = ['purchase', 'cash', 'preauth'] as const;
    const txns = Array.from({ length: 1000 }, (_, k) => txn(pan, kinds[k % 3], amount));
    const decisions = await Promise.all(txns.map((t) => auth.authorize(t)));
    const st = auth.stats();
    await auth.close();
    // The shared counters: every decision went through a group commit, and groups carried more than one each.
    expect(st.groupTxns).toBe(1000);
    expect(st.groups).toBeGreaterThanOrEqual(1);
    expect(st.groups).toBeLessThan(1000);
    const codes = new Map<string, number>();
    for (const d of decisions) codes.set(d.responseCode, (codes.get(d.responseCode) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual({ '00': N, '51': 1000 - N });

    const s = openState(dir);
    const a = s.accounts.get('ONE')!;
    expect(a.available).toBe(0);
    checkInvariants(s);
    // Every approval a client saw is in the journal, once.
    const journal = [...s.journal.getRange()].map((e) => e.value);
    const approvedIds = new Set(journal.filter((r) => r.approved && r.accountId === 'ONE').map((r) => r.txnId));
    expect(approvedIds.size).toBe(N);
    for (const d of decisions.filter((d) => d.approved)) expect(approvedIds.has(d.txnId)).toBe(true);
    await closeState(s);
  });
});

describe('bounded pool', () => {
  it('answers 91 at once beyond maxQueue and completes everything it admitted', async () => {
    const dir = await provisioned({});
    const auth = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 1 }, workers: 1, batchSize: 8, maxQueue: 50, fraud: { enabled: false } });
    const txns = Array.from({ length: 400 }, (_, k) => txn(k % 2 ? 8 : 9, 'purchase', 100));
    const order: string[] = [];
    const ps = txns.map((t) => auth.authorize(t).then((d) => (order.push(d.responseCode), d)));
    const ds = await Promise.all(ps);
    // Saturation answers do not wait for the pool: every 91 came back before the first admitted decision.
    expect(order.lastIndexOf('91')).toBeLessThan(order.indexOf('00'));
    const n91 = ds.filter((d) => d.responseCode === '91').length;
    expect(n91).toBeGreaterThanOrEqual(400 - 50);
    expect(ds.filter((d) => d.responseCode === '00').length).toBe(400 - n91);
    const st = auth.stats();
    expect(st.rejectedSaturated).toBe(n91);
    expect(st.completed).toBe(400 - n91);
    await auth.close();
  });

  it('a worker error becomes 96 for its batch, never a hang; a closed authorizer answers 96', async () => {
    const dir = await provisioned({});
    const auth = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 1 }, workers: 1, fraud: { enabled: false } });
    // Garbage that is not even an object: format error 30 from the worker, not a crash.
    const bad = await auth.authorize(null as never);
    expect(bad.responseCode).toBe('30');
    // A PIN check with the HSM unreachable: 91 (issuer's HSM unavailable), answered promptly.
    const d = await auth.authorize(txn(0, 'purchase', 100, { pin: { block: '0123456789ABCDEF', format: '01', keyRef: 'tpk.demo' } }));
    expect(['91', '96']).toContain(d.responseCode);
    await auth.close();
    expect((await auth.authorize(txn(0, 'purchase', 100))).responseCode).toBe('96');
  });
});

describe('warm-up on the pool', () => {
  it('runs once on every worker thread, keeps nothing, and the engine then decides as usual', async () => {
    const dir = await provisioned({ cards: [], accounts: [] });
    // No HSM listening (port 1): the warm-up goes on without it and says so.
    const auth = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 1 }, workers: 2, batchSize: 16 });
    try {
      const w = await auth.warm!(3);
      expect(w.workers).toHaveLength(2);
      expect(new Set(w.workers.map((x) => x.threadId)).size).toBe(2);
      for (const x of w.workers) expect(x).toMatchObject({ prepared: 32 + 3 * 32, dryCommits: 3 * 32, hsm: false, keysChecked: 0, keysMismatched: [] });
      expect(w.approved).toBeGreaterThan(0);
      // Nothing kept: no journal record, no hold, every balance as provisioned; the first real approval is seq 1.
      const s = openState(dir);
      try {
        expect(s.journal.getKeysCount()).toBe(0);
        expect(s.holds.getKeysCount()).toBe(0);
        checkInvariants(s);
      } finally {
        await closeState(s);
      }
      const d = await auth.authorize(txn(9, 'purchase', 5_000));
      expect(d.responseCode).toBe('00');
      const after = openState(dir);
      try {
        expect([...after.journal.getKeys()]).toEqual([1]);
      } finally {
        await closeState(after);
      }
    } finally {
      await auth.close();
    }
  }, 60_000);
});
