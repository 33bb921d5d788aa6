// The merchant API on the real on-us engine (src/authorize, piscina workers from dist/, LMDB state): an HTTP
// payment becomes the same internal Txn as an ISO 8583 one and lands in the same journal, with balances
// moving as the state machine says. Needs `npx tsc -p tsconfig.json` first (the pool's worker is compiled JS).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuthorizer, type Authorizer } from '../../src/authorize/index.js';
import { openState, closeState, type State } from '../../src/state/env.js';
import { unlockForTest } from '../hsm-keys.js';
import { provision } from '../../src/state/provision.js';
import { startHttpApi, type HttpApi } from '../../src/http/server.js';

const PAN = '4761739001010010'; // Luhn-valid test PAN
const LOW = '5204730000001234';
let dir: string;
let authorizer: Authorizer;
let api: HttpApi;
let key: string;
let state: State;

function luhnFix(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = partial + d;
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      let x = Number(s[s.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}
const CARD = luhnFix(PAN.slice(0, 15));
const POOR = luhnFix(LOW.slice(0, 15));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gerbang-http-engine-'));
  await unlockForTest(dir);
  const s = openState(dir);
  await provision(s, {
    accounts: [
      { id: 'ACC-RICH', currency: '360', balance: 10_000_000 },
      { id: 'ACC-POOR', currency: '360', balance: 1_000 },
    ],
    cards: [
      { pan: CARD, expiry: '3012', accountId: 'ACC-RICH' },
      { pan: POOR, expiry: '3012', accountId: 'ACC-POOR' },
    ],
  });
  await closeState(s);
  authorizer = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 9 }, workers: 1, fraud: { enabled: false } });
  api = await startHttpApi({ port: 0, authorizer, dataDir: dir, dashboard: false });
  key = (await api.createMerchant({ name: 'Engine Shop', id: 'mer_engine' })).apiKey;
  state = openState(dir);
});
afterAll(async () => {
  await api?.close();
  await authorizer?.close();
  if (state) await closeState(state);
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${api.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const card = (number: string) => ({ number, exp_month: 12, exp_year: 2030 });
const available = (id: string) => state.accounts.get(id)!.available;
const ledger = (id: string) => state.accounts.get(id)!.ledger;
function journalFor(channel: string) {
  return [...state.journal.getRange({})].map((e) => e.value).filter((j) => j.channel === channel);
}

describe('HTTP payments through the real engine', () => {
  test('hold → partial capture → partial refunds: balances and journal follow', async () => {
    const a0 = available('ACC-RICH');
    const l0 = ledger('ACC-RICH');
    const auth = await call('POST', '/v1/payments', { amount: 50_000, currency: 'IDR', capture: false, card: card(CARD) });
    expect(auth.status).toBe(201);
    expect(auth.json).toMatchObject({ status: 'requires_capture', response_code: '00' });
    expect(auth.json.auth_code).toMatch(/^\w{6}$/);
    expect(available('ACC-RICH')).toBe(a0 - 50_000);
    expect(ledger('ACC-RICH')).toBe(l0);

    const cap = await call('POST', `/v1/payments/${auth.json.id}/capture`, { amount: 30_000 });
    expect(cap.status).toBe(200);
    expect(available('ACC-RICH')).toBe(a0 - 30_000);
    expect(ledger('ACC-RICH')).toBe(l0 - 30_000);

    const r = await call('POST', `/v1/payments/${auth.json.id}/refunds`, { amount: 10_000 });
    expect(r.status).toBe(200);
    expect(ledger('ACC-RICH')).toBe(l0 - 20_000);

    const kinds = journalFor('http:mer_engine').map((j) => [j.kind, j.mti, j.amount, j.responseCode]);
    expect(kinds).toEqual([
      ['preauth', '0100', 50_000, '00'],
      ['completion', '0220', 30_000, '00'],
      ['refund', '0200', 10_000, '00'],
    ]);
    // The journal holds the masked PAN, never the clear one.
    for (const j of journalFor('http:mer_engine')) {
      expect(JSON.stringify(j)).not.toContain(CARD);
      expect(j.panMasked).toBe(CARD.slice(0, 6) + '******' + CARD.slice(-4));
    }
  });

  test('void reverses the hold; a purchase debits at once; declines carry the engine’s code', async () => {
    const a0 = available('ACC-RICH');
    const auth = await call('POST', '/v1/payments', { amount: 7_000, currency: 'IDR', capture: false, card: card(CARD) });
    const v = await call('POST', `/v1/payments/${auth.json.id}/void`);
    expect(v.status).toBe(200);
    expect(v.json.status).toBe('voided');
    expect(available('ACC-RICH')).toBe(a0);
    const buy = await call('POST', '/v1/payments', { amount: 1_500, currency: 'IDR', card: card(CARD) });
    expect(buy.json.status).toBe('captured');
    expect(available('ACC-RICH')).toBe(a0 - 1_500);
    const poor = await call('POST', '/v1/payments', { amount: 5_000, currency: 'IDR', card: card(POOR) });
    expect(poor.status).toBe(402);
    expect(poor.json.error.decline_code).toBe('51');
    const wrongCurrency = await call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card(CARD) });
    expect(wrongCurrency.status).toBe(402);
    const unknown = await call('POST', '/v1/payments', { amount: 100, currency: 'IDR', card: card('4000000000000002') });
    expect(unknown.status).toBe(402);
    expect(unknown.json.error.decline_code).toBe('14');
  });
});
