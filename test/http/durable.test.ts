// A payment (and an Idempotency-Key record) is answered only once it is on disk, not merely committed: lmdb-js
// resolves a put at its commit and syncs afterwards (overlappingSync), so the writers must also wait for `flushed`.
// The flush is held back here with a gate on the store's `flushed`; the commit itself goes through for real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { closeHttpStore, openHttpStore, type HttpStore } from '../../src/http/store.js';
import { IdempotencyStore } from '../../src/http/idempotency.js';
import { savePayment } from '../../src/payments/store.js';
import type { PaymentRecord } from '../../src/payments/model.js';

/** The same database, with `flushed` resolving only when `release` is called (after the real flush). */
function gated<T extends object>(db: T & { flushed: PromiseLike<unknown> }): { db: T; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const real = db.flushed;
  const flushed = { then: (ok: (v: unknown) => unknown, bad: (e: unknown) => unknown) => Promise.all([real, gate]).then(ok, bad) };
  return { db: Object.create(db, { flushed: { value: flushed } }) as T, release };
}

const record = (id: string): PaymentRecord => ({
  id,
  merchantId: 'mer_d',
  status: 'captured',
  amount: 500,
  currency: 'USD',
  currencyNumeric: '840',
  capturable: 0,
  captured: 500,
  refunded: 0,
  created: 1,
  updated: 1,
  token: 'tok_x',
  masked: '411111******1111',
  last4: '1111',
  expMonth: 12,
  expYear: 2030,
  responseCode: '00',
  auth: { txnId: 't1', stan: '000001', rrn: '000000000001', transmittedAt: '1202120000' },
  refunds: [],
});

/** Waits until `check` holds (the commit is visible to reads), then a little longer. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
  await new Promise((r) => setTimeout(r, 30));
}

describe('answers wait for the fsync, not only the commit', () => {
  let dir: string;
  let store: HttpStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gerbang-durable-'));
    store = openHttpStore(dir);
  });
  afterEach(async () => {
    await closeHttpStore(store);
    rmSync(dir, { recursive: true, force: true });
  });

  test('savePayment resolves only after the flush of its commit', async () => {
    const g = gated(store.payments);
    let done = false;
    const saving = savePayment({ ...store, payments: g.db }, undefined, record('pay_durable1')).then(() => (done = true));
    await until(() => store.payments.get('pay_durable1') !== undefined); // committed and readable
    expect(done).toBe(false);
    g.release();
    await saving;
    expect(done).toBe(true);
  });

  test('an Idempotency-Key record (finish) resolves only after the flush', async () => {
    const g = gated(store.idem);
    const idem = new IdempotencyStore(g.db, 60_000);
    expect(idem.begin('mer_d', 'k1', 'h1').kind).toBe('new');
    let done = false;
    const finishing = idem.finish('mer_d', 'k1', 'h1', 200, '{}').then(() => (done = true));
    await until(() => store.idem.get('mer_d|k1') !== undefined);
    expect(done).toBe(false);
    g.release();
    await finishing;
    expect(done).toBe(true);
  });
});
