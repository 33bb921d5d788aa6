// The OpenAPI 3.1 document is kept true: every route in the server is in the document and vice versa, each
// operation is exercised over HTTP, and every response body validates against the schema the document gives
// for that status.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Ajv } from 'ajv';
import { card, startTestApi, type TestApi } from './helpers.js';
import { buildRoutes } from '../../src/http/routes.js';

let t: TestApi;
let doc: any;
beforeAll(async () => {
  t = await startTestApi();
  const res = await fetch(`${t.base}/v1/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(async () => {
  await t.close();
});

const ajv = new Ajv({ strict: false });
const covered = new Set<string>();

/** Checks a live response against the document: the status must be declared, the body must fit its schema. */
function conforms(method: string, template: string, r: { status: number; json: any }): void {
  const op = doc.paths[template]?.[method];
  expect(op, `${method} ${template} in the document`).toBeDefined();
  const resp = op.responses[String(r.status)];
  expect(resp, `${method} ${template} declares ${r.status}`).toBeDefined();
  let schema = resp.content['application/json'].schema;
  if (schema.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()];
  const ok = ajv.validate(schema, r.json);
  expect(ok, `${method} ${template} ${r.status}: ${ajv.errorsText()}`).toBe(true);
  covered.add(`${method} ${template} ${r.status}`);
}

describe('OpenAPI document', () => {
  test('is OpenAPI 3.1 with unique operation ids and declared path parameters', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [, op] of Object.entries<any>(ops)) {
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        const declared = op.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name);
        expect(declared).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
        for (const status of Object.keys(op.responses)) expect(Number(status)).toBeGreaterThanOrEqual(200);
      }
    }
  });

  test('lists exactly the routes the server serves, and each path answers (not 404 route_unknown)', async () => {
    const routes = buildRoutes({} as any).map((r) => `${r.method} ${r.path}`).sort();
    const documented = Object.entries<any>(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    expect(documented).toEqual(routes);
    for (const entry of documented) {
      const [method, template] = entry.split(' ');
      const path = template.replace(/\{\w+\}/g, 'pay_doesnotexist');
      const r = await t.call(method.toUpperCase(), path, method === 'post' ? {} : undefined);
      expect(r.json?.error?.code, entry).not.toBe('route_unknown');
      expect(r.status, entry).not.toBe(405);
    }
  });

  test('every operation’s live responses match the documented schemas', async () => {
    const created = await t.call('POST', '/v1/payments', { amount: 5000, currency: 'IDR', capture: false, card: card(), metadata: { order: '7' } });
    conforms('post', '/v1/payments', created);
    conforms('post', '/v1/payments', await t.call('POST', '/v1/payments', { amount: 5000, currency: 'IDR', card: card('4000000000000002') }));
    conforms('post', '/v1/payments', await t.call('POST', '/v1/payments', { amount: 'x' }));
    conforms('get', '/v1/payments/{id}', await t.call('GET', `/v1/payments/${created.json.id}`));
    conforms('get', '/v1/payments/{id}', await t.call('GET', '/v1/payments/pay_nope'));
    conforms('post', '/v1/payments/{id}/capture', await t.call('POST', `/v1/payments/${created.json.id}/capture`, { amount: 4000 }));
    conforms('post', '/v1/payments/{id}/capture', await t.call('POST', `/v1/payments/${created.json.id}/capture`, {}));
    conforms('post', '/v1/payments/{id}/refunds', await t.call('POST', `/v1/payments/${created.json.id}/refunds`, { amount: 1000, reason: 'r' }));
    const held = await t.call('POST', '/v1/payments', { amount: 10, currency: 'JPY', capture: false, card: card() });
    conforms('post', '/v1/payments/{id}/void', await t.call('POST', `/v1/payments/${held.json.id}/void`));
    conforms('get', '/v1/payments', await t.call('GET', '/v1/payments?limit=2'));
    conforms('get', '/v1/payments', await t.call('GET', '/v1/payments?limit=0'));
    conforms('post', '/v1/tokens', await t.call('POST', '/v1/tokens', { card: card() }));
    conforms('get', '/v1/webhook_endpoint', await t.call('GET', '/v1/webhook_endpoint'));
    conforms('post', '/v1/webhook_endpoint', await t.call('POST', '/v1/webhook_endpoint', { url: 'http://127.0.0.1:9/hook', events: ['payment.refunded'] }));
    conforms('get', '/v1/webhook_endpoint', await t.call('GET', '/v1/webhook_endpoint'));
    await t.call('POST', `/v1/payments/${created.json.id}/refunds`, { amount: 1 });
    const deliveries = await t.call('GET', '/v1/webhooks/deliveries');
    conforms('get', '/v1/webhooks/deliveries', deliveries);
    const d = deliveries.json.data[0];
    expect(d.event_type).toBe('payment.refunded');
    conforms('get', '/v1/webhooks/deliveries/{id}', await t.call('GET', `/v1/webhooks/deliveries/${d.id}`));
    conforms('post', '/v1/webhooks/deliveries/{id}/replay', await t.call('POST', `/v1/webhooks/deliveries/${d.id}/replay`));
    conforms('post', '/v1/webhooks/deliveries/{id}/replay', await t.call('POST', `/v1/webhooks/deliveries/whd_nope/replay`));
    conforms('get', '/v1/payments', await t.call('GET', '/v1/payments', undefined, {}, 'gk_live_' + 'B'.repeat(43)));
    // Every operation was exercised at least once.
    const ops = new Set([...covered].map((c) => c.split(' ').slice(0, 2).join(' ')));
    expect(ops.size).toBe(Object.values<any>(doc.paths).reduce((n, o) => n + Object.keys(o).length, 0));
  });
});
