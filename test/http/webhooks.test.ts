// Webhooks against a real local HTTP receiver: signed deliveries, retries with exponential backoff and a cap,
// the delivery log, giving up after the maximum attempts, and replay.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifySignature } from '../../src/http/signing.js';
import { backoffMs } from '../../src/webhooks/dispatcher.js';
import { card, startTestApi, type TestApi } from './helpers.js';

interface Received {
  at: number;
  headers: IncomingMessage['headers'];
  body: string;
}

let t: TestApi;
let server: Server;
let url: string;
const received: Received[] = [];
/** Status the receiver answers with, per call (then 200). */
let script: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = script.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  t = await startTestApi({ webhooks: { baseDelayMs: 60, maxDelayMs: 150, maxAttempts: 4, pollMs: 20, timeoutMs: 2000 } });
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => server.close(r));
});

async function until<T>(f: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('webhooks', () => {
  test('backoff doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1000, 10_000))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  let secret = '';
  test('payment events arrive signed with the endpoint secret (Gerbang-Signature t=…,v1=…)', async () => {
    const ep = await t.call('POST', '/v1/webhook_endpoint', { url });
    expect(ep.status).toBe(200);
    secret = ep.json.secret;
    expect(secret).toMatch(/^whsec_/);
    expect((await t.call('GET', '/v1/webhook_endpoint')).json.secret).toBeUndefined();
    const pay = await t.call('POST', '/v1/payments', { amount: 4200, currency: 'USD', card: card() });
    const declined = await t.call('POST', '/v1/payments', { amount: 99_999_999, currency: 'USD', card: card() });
    await t.call('POST', `/v1/payments/${pay.json.id}/refunds`, { amount: 200 });
    const got = await until(() => (received.length >= 3 ? received.slice(0, 3) : undefined));
    const events = got.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type).sort()).toEqual(['payment.failed', 'payment.refunded', 'payment.succeeded']);
    const ok = events.find((e) => e.type === 'payment.succeeded');
    expect(ok.data.object).toMatchObject({ id: pay.json.id, status: 'captured', amount: 4200 });
    expect(events.find((e) => e.type === 'payment.failed').data.object.id).toBe(declined.json.error.payment_id);
    expect(events.find((e) => e.type === 'payment.refunded').data.object.amount_refunded).toBe(200);
    for (const r of got) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(verifySignature(String(r.headers['gerbang-signature']), secret, r.body)).toEqual({ ok: true });
      expect(verifySignature(String(r.headers['gerbang-signature']), 'whsec_wrong', r.body).ok).toBe(false);
      expect(r.body).not.toContain('4111111111111111');
    }
  });

  test('a failing receiver is retried with growing delays until it answers 2xx; the log shows each attempt', async () => {
    received.length = 0;
    script = [500, 503];
    const pay = await t.call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card() });
    const got = await until(() => (received.length >= 3 ? received.slice(0, 3) : undefined));
    expect(got.every((r) => r.headers['gerbang-event-id'] === got[0].headers['gerbang-event-id'])).toBe(true);
    const gap1 = got[1].at - got[0].at;
    const gap2 = got[2].at - got[1].at;
    expect(gap1).toBeGreaterThanOrEqual(55); // base 60 ms
    expect(gap2).toBeGreaterThanOrEqual(110); // doubled
    const id = String(got[0].headers['gerbang-delivery-id']);
    const log = await until(() => {
      const x = t.api.store.deliveries.get(id);
      return x && x.status === 'succeeded' ? x : undefined;
    });
    expect(log).toMatchObject({ attempts: 3, lastStatus: 200, status: 'succeeded', lastError: null });
    const viaApi = await t.call('GET', `/v1/webhooks/deliveries/${id}`);
    expect(viaApi.json).toMatchObject({ id, status: 'succeeded', attempts: 3, event_type: 'payment.succeeded' });
    expect(JSON.parse(got[0].body).data.object.id).toBe(pay.json.id);
  });

  test('after the maximum attempts the delivery is failed; replay sends it again and it can succeed', async () => {
    received.length = 0;
    script = [500, 500, 500, 500];
    await t.call('POST', '/v1/payments', { amount: 101, currency: 'USD', card: card() });
    const id = String((await until(() => received[0])).headers['gerbang-delivery-id']);
    const failed = await until(() => {
      const x = t.api.store.deliveries.get(id);
      return x && x.status === 'failed' ? x : undefined;
    });
    expect(failed).toMatchObject({ attempts: 4, lastStatus: 500, lastError: 'HTTP 500', nextAttemptAt: null });
    expect(received.length).toBe(4);
    const replay = await t.call('POST', `/v1/webhooks/deliveries/${id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.json.status).toBe('pending');
    await until(() => received[4]);
    const done = await until(() => {
      const x = t.api.store.deliveries.get(id);
      return x && x.status === 'succeeded' ? x : undefined;
    });
    expect(done.attempts).toBe(5);
    expect(received[4].headers['gerbang-event-id']).toBe(received[0].headers['gerbang-event-id']);
    const list = await t.call('GET', '/v1/webhooks/deliveries?limit=100');
    expect(list.json.data[0].id).toBe(id); // newest first
  });

  test('dispute.opened from the settlement side (HttpApi.emitEvent) is delivered signed', async () => {
    received.length = 0;
    script = [];
    await t.api.emitEvent(t.merchantId, 'dispute.opened', { object: 'dispute', payment: 'pay_x', amount: 4200, reason: '4837' });
    const r = await until(() => received[0]);
    const e = JSON.parse(r.body);
    expect(e).toMatchObject({ type: 'dispute.opened', data: { object: { object: 'dispute', payment: 'pay_x', amount: 4200 } } });
    expect(verifySignature(String(r.headers['gerbang-signature']), secret, r.body)).toEqual({ ok: true });
  });

  test('an unreachable endpoint is retried and logged as a connection failure, never blocking payments', async () => {
    await t.call('POST', '/v1/webhook_endpoint', { url: 'http://127.0.0.1:9/nothing-listens' });
    const t0 = Date.now();
    const pay = await t.call('POST', '/v1/payments', { amount: 102, currency: 'USD', card: card() });
    expect(pay.status).toBe(201);
    expect(Date.now() - t0).toBeLessThan(1000);
    const d = await until(() => {
      const list = [...t.api.store.deliveries.getRange({})].map((e) => e.value);
      return list.find((x) => x.url.includes(':9/') && x.attempts >= 1);
    });
    expect(d.lastError).toBe('connection failed');
  });
});
