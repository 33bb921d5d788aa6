// API keys (hash-only storage), request signing with a replay window, per-key rate limits — over real HTTP.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeSignature, verifySignature } from '../../src/http/signing.js';
import { hashApiKey } from '../../src/http/auth.js';
import { card, signed, startTestApi, type TestApi } from './helpers.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ rateLimit: { perSecond: 5, burst: 5 } });
});
afterAll(async () => {
  await t.close();
});

describe('API keys', () => {
  test('gk_live_ keys with 32 random bytes; only the SHA-256 reaches disk', async () => {
    expect(t.key).toMatch(/^gk_live_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t.key.slice(8), 'base64url').length).toBe(32);
    expect(t.api.store.merchants.get(t.merchantId)!.keyHashes).toEqual([hashApiKey(t.key).toString('hex')]);
    await t.api.store.root.flushed;
    const files = readdirSync(t.dir).filter((f) => f.startsWith('http.mdb'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(join(t.dir, f));
      expect(bytes.includes(Buffer.from(t.key))).toBe(false);
      expect(bytes.includes(Buffer.from(t.key.slice(8)))).toBe(false);
      expect(bytes.includes(Buffer.from(t.signingSecret))).toBe(false);
    }
  });

  test('merchant ids are unique and DE 42-shaped', async () => {
    await expect(t.api.createMerchant({ name: 'Again', id: t.merchantId })).rejects.toThrow(/already exists/);
    await expect(t.api.createMerchant({ name: 'Bad', id: 'mer-with-dash' })).rejects.toThrow(/merchant id/);
    await expect(t.api.createMerchant({ name: 'Way too long id', id: 'mer_0123456789abc' })).rejects.toThrow(/merchant id/);
  });

  test.each([
    ['no header', undefined],
    ['not bearer', 'Basic abc'],
    ['wrong key', 'Bearer gk_live_' + 'A'.repeat(43)],
    ['malformed', 'Bearer gk_live_short'],
  ])('%s → 401 authentication_error', async (_name, authz) => {
    const res = await fetch(`${t.base}/v1/payments`, { headers: authz ? { authorization: authz } : {} });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatchObject({ type: 'authentication_error', code: 'api_key_invalid' });
  });
});

describe('request signing', () => {
  test('HMAC-SHA-256 over "t.body" matches an independent computation (Python hmac, see comment)', () => {
    // python3 -c "import hmac,hashlib;print(hmac.new(b'gss_test',b'1700000000.{\"a\":1}',hashlib.sha256).hexdigest())"
    expect(computeSignature('gss_test', 1700000000, '{"a":1}')).toBe('55757c64a1056428f6f87a78d3ad48564abbdf1dcc820c7e567c4638c4ea0f43');
  });

  test('verifySignature: valid, tampered body, wrong secret, outside the window, malformed, rotated secrets', () => {
    const body = '{"amount":1}';
    const h = `t=1000,v1=${computeSignature('s1', 1000, body)}`;
    expect(verifySignature(h, 's1', body, 1000)).toEqual({ ok: true });
    expect(verifySignature(h, 's1', body + ' ', 1000)).toMatchObject({ ok: false, code: 'signature_invalid' });
    expect(verifySignature(h, 's2', body, 1000)).toMatchObject({ ok: false, code: 'signature_invalid' });
    expect(verifySignature(h, 's1', body, 1301)).toMatchObject({ ok: false, code: 'signature_expired' });
    expect(verifySignature(h, 's1', body, 1300)).toEqual({ ok: true });
    expect(verifySignature(h, 's1', body, 699)).toMatchObject({ ok: false, code: 'signature_expired' });
    expect(verifySignature('v1=abc', 's1', body, 1000)).toMatchObject({ ok: false, code: 'signature_malformed' });
    const two = `t=1000,v1=${computeSignature('old', 1000, body)},v1=${computeSignature('s1', 1000, body)}`;
    expect(verifySignature(two, 's1', body, 1000)).toEqual({ ok: true });
  });

  test('a signed request passes; a bad or stale signature is 401 and never reaches the engine', async () => {
    const body = JSON.stringify({ amount: 100, currency: 'USD', card: card() });
    const ok = await t.call('POST', '/v1/payments', body, signed(t.signingSecret, body));
    expect(ok.status).toBe(201);
    const before = t.issuer.seen.length;
    const tampered = await t.call('POST', '/v1/payments', body.replace('100', '900'), signed(t.signingSecret, body));
    expect(tampered.status).toBe(401);
    expect(tampered.json.error.code).toBe('signature_invalid');
    const stale = await t.call('POST', '/v1/payments', body, signed(t.signingSecret, body, Math.floor(Date.now() / 1000) - 301));
    expect(stale.json.error.code).toBe('signature_expired');
    expect(t.issuer.seen.length).toBe(before);
  });

  test('a merchant that requires signing refuses unsigned requests', async () => {
    const m = await t.api.createMerchant({ name: 'Strict', id: 'mer_strict', requireSignature: true });
    const unsigned = await t.call('GET', '/v1/payments', undefined, {}, m.apiKey);
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.error.code).toBe('signature_required');
    const sig = await t.call('GET', '/v1/payments', undefined, signed(m.signingSecret, ''), m.apiKey);
    expect(sig.status).toBe(200);
  });
});

describe('rate limit', () => {
  test('token bucket per key: over the burst → 429 with Retry-After; other keys unaffected', async () => {
    const m = await t.api.createMerchant({ name: 'Burst', id: 'mer_burst' });
    const other = await t.api.createMerchant({ name: 'Calm', id: 'mer_calm' });
    const started = performance.now();
    const rs = await Promise.all(Array.from({ length: 20 }, () => t.call("GET", "/v1/payments?limit=1", undefined, {}, m.apiKey)));
    const elapsedS = (performance.now() - started) / 1000;
    const codes = rs.map((r) => r.status).sort();
    // Burst 5, refilled at 5/s: on a slow box the requests spread out and earn refills, never more.
    const ok = codes.filter((c) => c === 200).length;
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(5 + Math.floor(elapsedS * 5));
    expect(codes.filter((c) => c !== 200 && c !== 429)).toEqual([]);
    const limited = rs.find((r) => r.status === 429)!;
    expect(limited.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.call('GET', '/v1/payments?limit=1', undefined, {}, other.apiKey)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // 5 tokens/s refill
    expect((await t.call('GET', '/v1/payments?limit=1', undefined, {}, m.apiKey)).status).toBe(200);
  });
});
