// Idempotency-Key: same key + same request → first response (engine called once); different request → 422;
// still running → 409; expiry after the TTL; scope is per merchant.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { IdempotencyStore, requestHash } from '../../src/http/idempotency.js';
import { card, startTestApi, type TestApi } from './helpers.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ idempotencyTtlMs: 800 });
});
afterAll(async () => {
  await t.close();
});

const body = (amount = 1234) => ({ amount, currency: 'USD', capture: false, card: card() });

describe('Idempotency-Key', () => {
  test('same key and body: the first response again, marked replayed, the engine called once', async () => {
    const n = t.issuer.seen.length;
    const a = await t.call('POST', '/v1/payments', body(), { 'idempotency-key': 'k-1' });
    const b = await t.call('POST', '/v1/payments', body(), { 'idempotency-key': 'k-1' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.text).toBe(a.text);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(a.headers.get('idempotent-replayed')).toBeNull();
    expect(t.issuer.seen.length).toBe(n + 1);
    // Captures are idempotent too: a retried partial capture does not capture twice.
    const c1 = await t.call('POST', `/v1/payments/${a.json.id}/capture`, { amount: 1000 }, { 'idempotency-key': 'cap-1' });
    const c2 = await t.call('POST', `/v1/payments/${a.json.id}/capture`, { amount: 1000 }, { 'idempotency-key': 'cap-1' });
    expect(c1.status).toBe(200);
    expect(c2.text).toBe(c1.text);
  });

  test('declines are replayed as declines (a 402 is a result, not an error to retry)', async () => {
    const big = { amount: 9_999_999, currency: 'USD', card: card() };
    const a = await t.call('POST', '/v1/payments', big, { 'idempotency-key': 'k-decl' });
    const b = await t.call('POST', '/v1/payments', big, { 'idempotency-key': 'k-decl' });
    expect(a.status).toBe(402);
    expect(b.status).toBe(402);
    expect(b.json.error.payment_id).toBe(a.json.error.payment_id);
  });

  test('same key, different body → 422 idempotency_key_reused; different path → 422 too', async () => {
    await t.call('POST', '/v1/payments', body(500), { 'idempotency-key': 'k-2' });
    const n = t.issuer.seen.length;
    const r = await t.call('POST', '/v1/payments', body(501), { 'idempotency-key': 'k-2' });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    const other = await t.call('POST', '/v1/tokens', { card: card() }, { 'idempotency-key': 'k-2' });
    expect(other.status).toBe(422);
    expect(t.issuer.seen.length).toBe(n);
  });

  test('same key while the first is still running → 409 idempotency_request_in_progress', async () => {
    t.issuer.delayMs = 300;
    try {
      const first = t.call('POST', '/v1/payments', body(700), { 'idempotency-key': 'k-slow' });
      await new Promise((r) => setTimeout(r, 100));
      const second = await t.call('POST', '/v1/payments', body(700), { 'idempotency-key': 'k-slow' });
      expect(second.status).toBe(409);
      expect(second.json.error.code).toBe('idempotency_request_in_progress');
      expect((await first).status).toBe(201);
    } finally {
      t.issuer.delayMs = 0;
    }
    const third = await t.call('POST', '/v1/payments', body(700), { 'idempotency-key': 'k-slow' });
    expect(third.headers.get('idempotent-replayed')).toBe('true');
  });

  test('keys are per merchant, and expire after the TTL', async () => {
    const other = await t.api.createMerchant({ name: 'Other', id: 'mer_idem2' });
    const mine = await t.call('POST', '/v1/payments', body(800), { 'idempotency-key': 'shared' });
    const theirs = await t.call('POST', '/v1/payments', body(800), { 'idempotency-key': 'shared' }, other.apiKey);
    expect(theirs.status).toBe(201);
    expect(theirs.json.id).not.toBe(mine.json.id);
    await new Promise((r) => setTimeout(r, 900)); // TTL 800 ms
    const after = await t.call('POST', '/v1/payments', body(801), { 'idempotency-key': 'shared' });
    expect(after.status).toBe(201); // a new request, not a 422
    expect(after.headers.get('idempotent-replayed')).toBeNull();
  });

  test('a malformed key is 400; a 5xx is not stored (the key may be retried)', async () => {
    const bad = await t.call('POST', '/v1/payments', body(), { 'idempotency-key': 'x'.repeat(256) });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('idempotency_key_invalid');
    t.issuer.fail = true;
    const down = await t.call('POST', '/v1/payments', body(900), { 'idempotency-key': 'k-5xx' });
    t.issuer.fail = false;
    expect(down.status).toBe(503);
    const retry = await t.call('POST', '/v1/payments', body(900), { 'idempotency-key': 'k-5xx' });
    expect(retry.status).toBe(201);
  });
});

describe('request hash', () => {
  test('the same value as the stored records were keyed with: SHA-256 over method, path and the exact body bytes', () => {
    const reference = (m: string, p: string, b: string | Buffer) => createHash('sha256').update(m).update('\0').update(p).update('\0').update(b).digest('hex');
    const bodies: (string | Buffer)[] = ['', '{"amount":1}', 'zł€ \u{1F600}', Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.alloc(16 * 1024, 0x41)];
    for (const b of bodies) expect(requestHash('post', '/v1/payments/pay_é', b)).toBe(reference('post', '/v1/payments/pay_é', b));
    expect(requestHash('post', '/a', '{}')).not.toBe(requestHash('post', '/b', '{}'));
  });
});

describe('Idempotency-Key durability', () => {
  test('the record is in LMDB (committed) when the response arrives: payments, declines and tokens', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `dur-${i}`);
    await Promise.all(
      keys.map(async (k, i) => {
        const big = i % 6 === 5; // some declines (402), recorded with the payment too
        const r = await t.call('POST', '/v1/payments', big ? { amount: 9_999_999, currency: 'USD', card: card() } : body(100 + i), { 'idempotency-key': k });
        // Read at once, in the event turn the response arrived in: the record must already be committed.
        const rec = t.api.store.idem.get(`${t.merchantId}|${k}`);
        expect(r.status).toBe(big ? 402 : 201);
        expect(rec).toMatchObject({ status: r.status, body: r.text });
        const payId = big ? r.json.error.payment_id : r.json.id;
        expect(t.api.store.payments.get(payId)?.merchantId).toBe(t.merchantId);
      }),
    );
    const tok = await t.call('POST', '/v1/tokens', { card: card() }, { 'idempotency-key': 'dur-token' });
    expect(tok.status).toBe(201);
    expect(t.api.store.idem.get(`${t.merchantId}|dur-token`)).toMatchObject({ status: 201, body: tok.text });
    // A capture records its answer with the payment's new state.
    const cap = await t.call('POST', `/v1/payments/${JSON.parse(t.api.store.idem.get(`${t.merchantId}|dur-0`)!.body).id}/capture`, {}, { 'idempotency-key': 'dur-cap' });
    expect(cap.status).toBe(200);
    expect(t.api.store.idem.get(`${t.merchantId}|dur-cap`)).toMatchObject({ status: 200, body: cap.text });
  });
});

describe('idempotency sweep', () => {
  test('removes expired records only', async () => {
    const store = new IdempotencyStore(t.api.store.idem, 1000);
    const now = Date.now();
    for (const k of ['a', 'b', 'c']) {
      expect(store.begin('mer_sweep', k, 'h', now).kind).toBe('new');
      await store.finish('mer_sweep', k, 'h', 200, '{}', k === 'c' ? now + 5000 : now);
    }
    const removed = await store.sweep(now + 2000);
    expect(removed).toBeGreaterThanOrEqual(2);
    expect(t.api.store.idem.get('mer_sweep|a')).toBeUndefined();
    expect(t.api.store.idem.get('mer_sweep|b')).toBeUndefined();
    expect(t.api.store.idem.get('mer_sweep|c')).toBeDefined();
    expect(store.begin('mer_sweep', 'c', 'h', now + 2000)).toEqual({ kind: 'replay', status: 200, body: '{}' });
  });
});
