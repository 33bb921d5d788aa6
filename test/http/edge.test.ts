// The uWS edge: schema validation with clear error bodies, limits on body and header size, unknown routes and
// methods, bad JSON, floats on the money path, and no internals in any response — over real sockets.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { card, startTestApi, type TestApi } from './helpers.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ maxBodyBytes: 2048, engineTimeoutMs: 400 });
});
afterAll(async () => {
  await t.close();
});

function expectErrorShape(json: any): void {
  expect(Object.keys(json)).toEqual(['error']);
  expect(typeof json.error.type).toBe('string');
  expect(typeof json.error.code).toBe('string');
  expect(typeof json.error.message).toBe('string');
  expect(json.error.param === null || typeof json.error.param === 'string').toBe(true);
}

/** Raw HTTP/1.1 over a socket: for requests fetch will not send (huge headers, lying lengths). */
function raw(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (/\r\n\r\n/.test(out)) {
        const len = /content-length: (\d+)/i.exec(out);
        const head = out.indexOf('\r\n\r\n') + 4;
        if (!len || out.length - head >= Number(len[1])) s.end();
      }
    });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write(request);
  });
}

describe('validation and errors', () => {
  test.each([
    [{ amount: 10.5, currency: 'USD', card: card() }, 'amount', 'parameter_invalid'],
    [{ amount: '100', currency: 'USD', card: card() }, 'amount', 'parameter_invalid'],
    [{ amount: 0, currency: 'USD', card: card() }, 'amount', 'parameter_invalid'],
    [{ amount: 1e13, currency: 'USD', card: card() }, 'amount', 'parameter_invalid'],
    [{ amount: 100, currency: 'usd', card: card() }, 'currency', 'parameter_invalid'],
    [{ amount: 100, card: card() }, 'currency', 'parameter_missing'],
    [{ amount: 100, currency: 'USD', card: card(), tip: 5 }, 'tip', 'parameter_unknown'],
    [{ amount: 100, currency: 'USD', card: { ...card(), exp_month: 13 } }, 'card.exp_month', 'parameter_invalid'],
    [{ amount: 100, currency: 'USD', card: { ...card(), number: '4111-1111' } }, 'card.number', 'parameter_invalid'],
    [{ amount: 100, currency: 'USD' }, null, 'parameter_invalid'],
  ])('%j → 400 on %s', async (body, param, code) => {
    const before = t.issuer.seen.length;
    const r = await t.call('POST', '/v1/payments', body);
    expect(r.status).toBe(400);
    expectErrorShape(r.json);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code, param });
    expect(t.issuer.seen.length).toBe(before); // nothing reached the engine
  });

  test('bad JSON, wrong content type, body on a GET', async () => {
    const bad = await t.call('POST', '/v1/payments', '{"amount": 1,');
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_json');
    const ct = await t.call('POST', '/v1/payments', 'amount=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(ct.status).toBe(415);
    expectErrorShape(ct.json);
    const q = await t.call('GET', '/v1/payments?limit=500');
    expect(q.status).toBe(400);
    expect(q.json.error.param).toBe('limit');
    const unknownQ = await t.call('GET', '/v1/payments?foo=1');
    expect(unknownQ.json.error).toMatchObject({ code: 'parameter_unknown', param: 'foo' });
  });

  test('body over the limit: 413 from the declared length and from a streamed body', async () => {
    const big = JSON.stringify({ amount: 1, currency: 'USD', card: card(), description: 'x'.repeat(3000) });
    const r = await t.call('POST', '/v1/payments', big);
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('body_too_large');
    // Chunked: no Content-Length to refuse up front; the bounded reader stops at the limit.
    const chunk = 'x'.repeat(1500);
    const head = `POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
    const out = await raw(t.api.port, head + body);
    expect(out).toMatch(/^HTTP\/1\.1 413 /);
    // The server still serves after both.
    expect((await t.call('GET', '/v1/payments?limit=1')).status).toBe(200);
  });

  test('headers over the limit are refused (uWS: 431 or a closed connection), never processed', async () => {
    const before = t.issuer.seen.length;
    const out = await raw(t.api.port, `GET /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.key}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(out.startsWith('HTTP/1.1 200')).toBe(false);
    expect(out === '' || /^HTTP\/1\.1 431/.test(out)).toBe(true);
    expect(t.issuer.seen.length).toBe(before);
    expect((await t.call('GET', '/v1/payments?limit=1')).status).toBe(200);
  });

  test('unknown route 404, wrong method 405, both in the error shape', async () => {
    const nf = await t.call('GET', '/v1/nothing');
    expect(nf.status).toBe(404);
    expectErrorShape(nf.json);
    const m = await t.call('DELETE', '/v1/payments');
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST, GET');
    expectErrorShape(m.json);
  });

  test('an engine failure is 503 with no internals, the payment is recorded as not approved, a reversal is sent', async () => {
    t.issuer.fail = true;
    try {
      const r = await t.call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card() });
      expect(r.status).toBe(503);
      expectErrorShape(r.json);
      expect(r.json.error.code).toBe('engine_unavailable');
      expect(r.text).not.toMatch(/engine down|at .*\.ts|Error:/);
    } finally {
      t.issuer.fail = false;
    }
    await new Promise((r) => setTimeout(r, 50));
    // The safety reversal reached the engine once it was back (it was sent while failing: it is logged, not retried).
    const list = await t.call('GET', '/v1/payments?status=declined&limit=100');
    expect(list.json.data.some((p: any) => p.decline_reason === 'engine unavailable' && p.response_code === '96')).toBe(true);
  });

  test('an engine that does not answer in time: 503 after the deadline, never a stalled request; a reversal follows', async () => {
    t.issuer.delayMs = 1500;
    const t0 = Date.now();
    try {
      const r = await t.call('POST', '/v1/payments', { amount: 321, currency: 'USD', card: card() });
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('engine_unavailable');
      expect(Date.now() - t0).toBeLessThan(1400);
    } finally {
      t.issuer.delayMs = 0;
    }
    // The late purchase and then the safety reversal of it reach the engine.
    await new Promise((r) => setTimeout(r, 2000));
    const purchase = t.issuer.seen.find((x) => x.kind === 'purchase' && x.amount === 321)!;
    expect(t.issuer.seen.some((x) => x.kind === 'reversal' && x.original?.txnId === purchase.id)).toBe(true);
  });

  test('an unexpected exception is a bare 500: no message, no stack', async () => {
    const orig = t.issuer.authorize.bind(t.issuer);
    // A decision for the wrong transaction is an invariant break inside the service, not an engine outage.
    t.issuer.authorize = async (txn) => ({ ...(await orig(txn)), txnId: 'someone-else' });
    try {
      const r = await t.call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card() });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ error: { type: 'api_error', code: 'internal_error', message: 'An internal error occurred; it was logged', param: null } });
    } finally {
      t.issuer.authorize = orig;
    }
  });
});
