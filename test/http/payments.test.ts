// The payment lifecycle over real HTTP against a started uWS server: authorize → capture (partial) →
// refunds (partial, many) → refunded; void; declines; tokens; listing with cursors; merchant isolation.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { card, MC, startTestApi, VISA, type TestApi } from './helpers.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t.close();
});

describe('payments', () => {
  test('authorize, partial capture releases the rest, many partial refunds up to the captured amount', async () => {
    const before = t.issuer.accounts.get(VISA)!.available;
    const a = await t.call('POST', '/v1/payments', { amount: 10_000, currency: 'USD', capture: false, card: card(VISA, { cvc: '123' }), reference: 'order-1' });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ status: 'requires_capture', amount: 10_000, amount_capturable: 10_000, amount_captured: 0, currency: 'USD', response_code: '00', reference: 'order-1' });
    expect(a.json.card).toEqual({ masked: '411111******1111', last4: '1111', exp_month: 12, exp_year: 2030 });
    expect(a.text).not.toContain(VISA);
    expect(t.issuer.accounts.get(VISA)!.available).toBe(before - 10_000);
    // The engine saw a preauth 0100 from channel http:<merchant>, e-commerce, with the CVC and the PAN in memory.
    const pre = t.issuer.seen.at(-1)!;
    expect(pre).toMatchObject({ kind: 'preauth', mti: '0100', processingCode: '000000', amount: 10_000, currency: '840', channel: 'http:mer_test1', posEntryMode: '812', cvv2: '123', expiry: '3012', pan: VISA });

    const cap = await t.call('POST', `/v1/payments/${a.json.id}/capture`, { amount: 7_500 });
    expect(cap.status).toBe(200);
    expect(cap.json).toMatchObject({ status: 'captured', amount_captured: 7_500, amount_capturable: 0 });
    const comp = t.issuer.seen.at(-1)!;
    expect(comp).toMatchObject({ kind: 'completion', mti: '0220', amount: 7_500 });
    expect(comp.original?.txnId).toBe(pre.id);
    expect(t.issuer.accounts.get(VISA)!.available).toBe(before - 7_500); // 2 500 released

    const r1 = await t.call('POST', `/v1/payments/${a.json.id}/refunds`, { amount: 2_000, reason: 'one item back' });
    expect(r1.status).toBe(200);
    expect(r1.json).toMatchObject({ status: 'captured', amount_refunded: 2_000 });
    expect(t.issuer.seen.at(-1)).toMatchObject({ kind: 'refund', mti: '0200', processingCode: '200000', amount: 2_000 });
    const tooMuch = await t.call('POST', `/v1/payments/${a.json.id}/refunds`, { amount: 5_501 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.json.error).toMatchObject({ type: 'invalid_request_error', code: 'amount_too_large', param: 'amount' });
    const r2 = await t.call('POST', `/v1/payments/${a.json.id}/refunds`, {}); // the rest
    expect(r2.status).toBe(200);
    expect(r2.json).toMatchObject({ status: 'refunded', amount_refunded: 7_500 });
    expect(r2.json.refunds.map((r: any) => r.amount)).toEqual([2_000, 5_500]);
    expect(t.issuer.accounts.get(VISA)!.available).toBe(before);
    const again = await t.call('POST', `/v1/payments/${a.json.id}/refunds`, { amount: 1 });
    expect(again.json.error.code).toBe('payment_unexpected_state');

    const got = await t.call('GET', `/v1/payments/${a.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(r2.json);
  });

  test('void releases the hold; a voided payment cannot be captured', async () => {
    const before = t.issuer.accounts.get(VISA)!.available;
    const a = await t.call('POST', '/v1/payments', { amount: 3_000, currency: 'USD', capture: false, card: card() });
    const v = await t.call('POST', `/v1/payments/${a.json.id}/void`);
    expect(v.status).toBe(200);
    expect(v.json).toMatchObject({ status: 'voided', amount_capturable: 0 });
    expect(t.issuer.seen.at(-1)).toMatchObject({ kind: 'reversal', mti: '0400', amount: 3_000 });
    expect(t.issuer.accounts.get(VISA)!.available).toBe(before);
    const c = await t.call('POST', `/v1/payments/${a.json.id}/capture`, {});
    expect(c.status).toBe(400);
    expect(c.json.error.code).toBe('payment_unexpected_state');
  });

  test('a decline is 402 card_error with the response code, and the declined payment is recorded', async () => {
    const r = await t.call('POST', '/v1/payments', { amount: 6_000, currency: 'USD', card: card(MC) }); // MC has 5 000
    expect(r.status).toBe(402);
    expect(r.json.error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: '51', param: null });
    const p = await t.call('GET', `/v1/payments/${r.json.error.payment_id}`);
    expect(p.json).toMatchObject({ status: 'declined', response_code: '51', amount_captured: 0, decline_reason: 'insufficient funds' });
    // The engine's check names and details (fraud rules, limits) stay internal.
    expect(r.json.error.message).toBe('The card was declined: insufficient funds');
    expect(p.text).not.toContain('test-issuer');
    expect(t.api.store.payments.get(p.json.id)!.declineDetail).toBe('test-issuer: 51');
    const expired = await t.call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card(MC, { exp_year: 2031 }) });
    expect(expired.json.error.decline_code).toBe('54');
  });

  test('tokenize once, pay with the token; the same card gives the same token; a bad PAN is refused', async () => {
    const tok = await t.call('POST', '/v1/tokens', { card: card(MC) });
    expect(tok.status).toBe(201);
    expect(tok.json.id).toMatch(/^tok_[A-Za-z0-9_-]{22}$/);
    expect(tok.json.card.masked).toBe('555555******4444');
    const tok2 = await t.call('POST', '/v1/tokens', { card: card(MC) });
    expect(tok2.json.id).toBe(tok.json.id);
    const pay = await t.call('POST', '/v1/payments', { amount: 250, currency: 'USD', token: tok.json.id, cvc: '999' });
    expect(pay.status).toBe(201);
    expect(pay.json.token).toBe(tok.json.id);
    expect(t.issuer.seen.at(-1)).toMatchObject({ pan: MC, token: tok.json.id, expiry: '3012', cvv2: '999' });
    const bad = await t.call('POST', '/v1/tokens', { card: card('4111111111111112') });
    expect(bad.status).toBe(402);
    expect(bad.json.error).toMatchObject({ type: 'card_error', code: 'invalid_number', param: 'card.number' });
    const both = await t.call('POST', '/v1/payments', { amount: 1, currency: 'USD', token: tok.json.id, card: card() });
    expect(both.status).toBe(400);
    const unknown = await t.call('POST', '/v1/payments', { amount: 1, currency: 'USD', token: 'tok_AAAAAAAAAAAAAAAAAAAAAA' });
    expect(unknown.json.error).toMatchObject({ code: 'token_invalid', param: 'token' });
  });

  test('a merchant never sees another merchant’s payments or tokens', async () => {
    const other = await t.api.createMerchant({ name: 'Other', id: 'mer_other' });
    const mine = await t.call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card() });
    const peek = await t.call('GET', `/v1/payments/${mine.json.id}`, undefined, {}, other.apiKey);
    expect(peek.status).toBe(404);
    expect(peek.json.error.code).toBe('resource_missing');
    const refund = await t.call('POST', `/v1/payments/${mine.json.id}/refunds`, {}, {}, other.apiKey);
    expect(refund.status).toBe(404);
    const useToken = await t.call('POST', '/v1/payments', { amount: 1, currency: 'USD', token: mine.json.token }, {}, other.apiKey);
    expect(useToken.json.error.code).toBe('token_invalid');
    const list = await t.call('GET', '/v1/payments?limit=100', undefined, {}, other.apiKey);
    expect(list.json.data).toEqual([]);
  });

  test('list newest first with cursor pagination, status and time filters', async () => {
    const m = await t.api.createMerchant({ name: 'Lister', id: 'mer_list' });
    t.issuer.addCard('4000000000000002', 1_000_000);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.call('POST', '/v1/payments', { amount: 100 + i, currency: 'EUR', capture: i % 2 === 0, card: card('4000000000000002') }, {}, m.apiKey);
      ids.push(r.json.id);
      await new Promise((r) => setTimeout(r, 2)); // distinct creation times
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: any = await t.call('GET', `/v1/payments?limit=3${cursor ? `&starting_after=${cursor}` : ''}`, undefined, {}, m.apiKey);
      expect(r.status).toBe(200);
      seen.push(...r.json.data.map((p: any) => p.id));
      cursor = r.json.next_cursor;
      expect(r.json.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const held = await t.call('GET', '/v1/payments?status=requires_capture', undefined, {}, m.apiKey);
    expect(held.json.data.map((p: any) => p.id)).toEqual([ids[5], ids[3], ids[1]]);
    const all = (await t.call('GET', '/v1/payments?limit=100', undefined, {}, m.apiKey)).json.data;
    const from = all[4].created; // ids[2]
    const to = all[1].created; // ids[5], exclusive
    const range = await t.call('GET', `/v1/payments?created_gte=${from}&created_lt=${to}`, undefined, {}, m.apiKey);
    expect(range.json.data.map((p: any) => p.id)).toEqual([ids[4], ids[3], ids[2]]);
    // Capturing moves it between status indexes.
    await t.call('POST', `/v1/payments/${ids[3]}/capture`, {}, {}, m.apiKey);
    const held2 = await t.call('GET', '/v1/payments?status=requires_capture', undefined, {}, m.apiKey);
    expect(held2.json.data.map((p: any) => p.id)).toEqual([ids[5], ids[1]]);
    const badCursor = await t.call('GET', '/v1/payments?starting_after=bm90LWEtY3Vyc29y', undefined, {}, m.apiKey);
    expect(badCursor.status).toBe(400);
    expect(badCursor.json.error.param).toBe('starting_after');
  });

  test('concurrent captures and refunds on one payment never overdraw', async () => {
    const a = await t.call('POST', '/v1/payments', { amount: 1_000, currency: 'USD', card: card() });
    const results = await Promise.all(Array.from({ length: 8 }, () => t.call('POST', `/v1/payments/${a.json.id}/refunds`, { amount: 300 })));
    expect(results.filter((r) => r.status === 200).length).toBe(3);
    expect(results.filter((r) => r.status === 400).every((r) => r.json.error.code === 'amount_too_large')).toBe(true);
    const p = await t.call('GET', `/v1/payments/${a.json.id}`);
    expect(p.json.amount_refunded).toBe(900);
  });
});
