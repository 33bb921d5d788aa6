// The payment state machine as plain functions: random operation sequences (fast-check) against a simple money
// model; the invariants never break and every refusal is the one the model predicts.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Decision } from '../../src/model/txn.js';
import {
  applyAuthorization,
  applyCapture,
  applyRefund,
  applyVoid,
  assertInvariants,
  planCapture,
  planRefund,
  planVoid,
  PaymentStateError,
  type PaymentRecord,
} from '../../src/payments/model.js';

const ref = (id: string) => ({ txnId: id, stan: '000001', rrn: '000000000001', transmittedAt: '1125120000' });
const decision = (txnId: string, approved: boolean, amount: number): Decision => ({
  txnId,
  responseCode: approved ? '00' : '51',
  approved,
  approvedAmount: approved ? amount : 0,
  reasons: [],
});

function fresh(amount: number): PaymentRecord {
  return {
    id: 'pay_x',
    merchantId: 'mer',
    status: 'declined',
    amount,
    currency: 'USD',
    currencyNumeric: '840',
    capturable: 0,
    captured: 0,
    refunded: 0,
    created: 1,
    updated: 1,
    token: 'tok_x',
    masked: '411111******1111',
    last4: '1111',
    expMonth: 12,
    expYear: 2030,
    responseCode: '96',
    auth: ref('auth'),
    refunds: [],
  };
}

type Op = { op: 'capture' | 'refund'; amount?: number; approve: boolean } | { op: 'void'; approve: boolean };

describe('payment state machine', () => {
  test('random capture/void/refund sequences keep the invariants and match a money model', () => {
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constantFrom('capture' as const, 'refund' as const), amount: fc.option(fc.integer({ min: 1, max: 12_000 }), { nil: undefined }), approve: fc.boolean() }),
      fc.record({ op: fc.constant('void' as const), approve: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.boolean(), fc.boolean(), fc.array(opArb, { maxLength: 12 }), (amount, capture, approved, ops) => {
        let p = applyAuthorization(fresh(amount), decision('auth', approved, amount), capture, 2);
        assertInvariants(p);
        // The model: what is held, captured and refunded.
        let m = { status: p.status, held: approved && !capture ? amount : 0, captured: approved && capture ? amount : 0, refunded: 0 };
        let n = 0;
        for (const o of ops) {
          const id = `t${n++}`;
          try {
            if (o.op === 'capture') {
              const a = planCapture(p, o.amount);
              expect(m.status).toBe('requires_capture');
              expect(a).toBe(o.amount ?? m.held);
              p = applyCapture(p, ref(id), a, decision(id, o.approve, a), 3);
              if (o.approve) m = { ...m, status: 'captured', held: 0, captured: a };
            } else if (o.op === 'void') {
              planVoid(p);
              expect(m.status).toBe('requires_capture');
              p = applyVoid(p, ref(id), decision(id, o.approve, p.amount), 3);
              if (o.approve) m = { ...m, status: 'voided', held: 0 };
            } else {
              const a = planRefund(p, o.amount);
              expect(m.status).toBe('captured');
              expect(a).toBe(o.amount ?? m.captured - m.refunded);
              p = applyRefund(p, { id, amount: a, status: o.approve ? 'succeeded' : 'failed', responseCode: o.approve ? '00' : '51', txnId: id, created: 3 }, 3);
              if (o.approve) m = { ...m, refunded: m.refunded + a, status: m.refunded + a === m.captured ? 'refunded' : 'captured' };
            }
          } catch (e) {
            expect(e).toBeInstanceOf(PaymentStateError);
            const err = e as PaymentStateError;
            if (err.code === 'payment_unexpected_state') {
              expect(o.op === 'capture' || o.op === 'void' ? m.status !== 'requires_capture' : m.status !== 'captured').toBe(true);
            } else {
              const left = o.op === 'capture' ? m.held : m.captured - m.refunded;
              expect(err.code === 'amount_too_large' ? (o as { amount?: number }).amount! > left : left === 0 || (o as { amount?: number }).amount! < 1).toBe(true);
            }
          }
          assertInvariants(p);
          expect({ status: p.status, held: p.capturable, captured: p.captured, refunded: p.refunded }).toEqual(m);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('an approval for a different amount than asked is treated as a decline', () => {
    const p = applyAuthorization(fresh(1000), { ...decision('auth', true, 1000), approvedAmount: 600, responseCode: '10' }, true, 2);
    expect(p.status).toBe('declined');
    expect(p.captured).toBe(0);
  });
});

describe('resource ids', () => {
  test('pooled random ids: the format the schemas expect, no repeats across pool refills', async () => {
    const { randomId } = await import('../../src/http/ids.js');
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) seen.add(randomId('pay_')); // ~15 pool refills
    expect(seen.size).toBe(5_000);
    for (const id of [...seen].slice(0, 50)) expect(id).toMatch(/^pay_[A-Za-z0-9_-]{16}$/);
  });

  test('time-ordered ids: unique, in the payment id format, and byte order is creation-time order', async () => {
    const { timeOrderedId } = await import('../../src/http/ids.js');
    const times = [0, 1, 35, 36, 1_700_000_000_000, 1_700_000_000_001, Date.now(), Date.UTC(5000, 0, 1)];
    const ids = times.map((t) => timeOrderedId('pay_', 12, t));
    for (const id of ids) expect(id).toMatch(/^pay_[0-9a-z]{9}[A-Za-z0-9_-]{16}$/);
    const byBytes = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(byBytes).toEqual(ids);
    const same = new Set(Array.from({ length: 2_000 }, () => timeOrderedId('pay_', 12, 42)));
    expect(same.size).toBe(2_000); // the random part keeps ids of one millisecond apart
    expect(() => timeOrderedId('pay_', 12, -1)).toThrow();
    expect(() => timeOrderedId('pay_', 12, 36 ** 9)).toThrow(); // year 5188: the fixed width would break the order
  });
});
