import { describe, expect, it } from 'vitest';
import { accountId, fromStored as storedBalance, netPosted } from '../../src/ledger/accounts.js';
import { LedgerPoster } from '../../src/ledger/poster.js';
import { closeBatch } from '../../src/settlement/batch.js';
import { settlementContext, type SettlementContext } from '../../src/settlement/context.js';
import { listPayouts } from '../../src/settlement/payouts.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import type { LmdbSettledStream } from '../../src/stream/lmdb.js';
import { DisputeService } from '../../src/disputes/service.js';
import { metrics } from '../../src/metrics/registry.js';
import type { DisputeEventType } from '../../src/disputes/types.js';
import { freshBooks, openStreamAt, tempDir, trialBalance, allBalances } from '../ledger/helpers.js';
import { beneficiaryConfig } from '../settlement/helpers.js';

const IDR = '360';
const rec = (txn: string, merchantId: string, amount: number, at: string) => ({
  id: `${txn}:purchase`, kind: 'purchase' as const, txnId: txn, amount, currency: IDR, merchantId, acquirerId: 'ACQ1', issuerId: 'ISS0', occurredAt: at,
});

async function setup() {
  const dir = tempDir('gerbang-disputes-');
  const { stream } = openStreamAt(dir);
  const books = freshBooks(dir);
  const ctx = settlementContext(books, beneficiaryConfig({}, 'M0049'));
  await stream.appendMany([
    rec('T1', 'M0001', 1_000_000, '2026-11-23T02:00:00Z'),
    rec('T2', 'M0001', 500_000, '2026-11-23T02:05:00Z'),
    rec('T3', 'M0002', 300_000, '2026-11-23T02:10:00Z'),
  ]);
  const poster = new LedgerPoster({ books, pricing: ctx.pricing, calendar: ctx.calendar });
  await drainConsumer(stream, poster);
  const events: [string, DisputeEventType, string][] = [];
  const svc = new DisputeService({
    books, stream, calendar: ctx.calendar,
    config: { fees: { mastercard: { chargeback: 15_000, arbitration: 50_000 }, visa: { chargeback: 10_000 } } },
    events: async (m, type, o) => void events.push([m, type, o.stage as string]),
    log: () => {},
  });
  const merchant = (id = 'M0001') => netPosted(accountId('merchant', id, IDR), fromStored(ctx, accountId('merchant', id, IDR)));
  const post = () => drainConsumer(stream, poster);
  return { dir, books, ctx, stream: stream as LmdbSettledStream, svc, events, merchant, post };
}

const fromStored = (ctx: SettlementContext, a: string) => storedBalance(ctx.books.accounts.get(a));

const day = (n: number) => new Date(Date.parse('2026-11-24T03:00:00Z') + n * 86_400_000);

describe('a dispute through every stage', () => {
  it('Mastercard 4853 (collaboration): retrieval → chargeback → representment → pre-arbitration → arbitration → won; balances right at every step and in the next payout', async () => {
    const t = await setup();
    const start = t.merchant();
    expect(start).toBe(980_000n + 490_000n); // captures less the 2 % MDR
    const d0 = await t.svc.open({ caseId: 'MC-CASE-1', network: 'mastercard', reasonCode: '4853', transactionId: 'T1:purchase', stage: 'retrieval_request' }, 'issuer', day(0));
    expect(d0).toMatchObject({ stage: 'retrieval_request', flow: 'collaboration', amount: 1_000_000, merchantId: 'M0001' });
    expect(d0.dueBy).toBe(new Date(day(0).getTime() + 45 * 86_400_000).toISOString()); // Mastercard: 45 days
    await t.post();
    expect(t.merchant()).toBe(start); // a retrieval request moves no money

    const d1 = await t.svc.act(d0.id, 'chargeback', 'issuer', 'issuer', { now: day(1) });
    await t.post();
    expect(d1.stage).toBe('chargeback');
    expect(t.merchant()).toBe(start - 1_000_000n - 15_000n); // provisional debit + chargeback fee
    expect(netPosted(accountId('disputes', 'M0001', IDR), fromStored(t.ctx, accountId('disputes', 'M0001', IDR)))).toBe(0n); // frozen, then settled with the issuer

    await expect(t.svc.act(d0.id, 'contest', 'merchant', 'M0001', { now: day(2) })).rejects.toThrow(/needs evidence/);
    await expect(t.svc.act(d0.id, 'issuer_accept', 'issuer', 'issuer', { now: day(2) })).rejects.toThrow(/cannot issuer_accept a dispute in chargeback/);
    await t.svc.addEvidence(d0.id, [{ kind: 'document', name: 'pod.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 signed delivery') }, { kind: 'note', name: 'summary', text: 'Delivered 2026-11-20, signed.' }], 'M0001', { merchantId: 'M0001', now: day(2) });
    const d2 = await t.svc.act(d0.id, 'contest', 'merchant', 'M0001', { now: day(2), merchantId: 'M0001' });
    await t.post();
    expect(d2.stage).toBe('representment');
    expect(t.merchant()).toBe(start - 1_015_000n); // still debited until the win

    const d3 = await t.svc.act(d0.id, 'pre_arbitration', 'issuer', 'issuer', { now: day(10) });
    expect(d3.stage).toBe('pre_arbitration');
    const d4 = await t.svc.act(d0.id, 'contest', 'merchant', 'M0001', { now: day(12) });
    await t.post();
    expect(d4.stage).toBe('arbitration');
    expect(t.merchant()).toBe(start - 1_015_000n - 50_000n); // arbitration fee

    const d5 = await t.svc.act(d0.id, 'ruling_won', 'network', 'mastercard', { now: day(40) });
    await t.post();
    expect(d5).toMatchObject({ stage: 'closed', outcome: 'won' });
    expect(t.merchant()).toBe(start - 65_000n); // the money is back, the fees stay
    expect(d5.ledger.chargebackRecordId).toBe(`DSP-${d0.id}:chargeback`);
    expect(d5.ledger.representmentRecordId).toBe(`DSP-${d0.id}:representment`);
    expect(d5.history.map((h) => h.to)).toEqual(['retrieval_request', 'chargeback', undefined, 'representment', 'pre_arbitration', 'arbitration', 'closed']);
    expect(t.events.map((e) => e[1])).toEqual(['dispute.opened', 'dispute.updated', 'dispute.updated', 'dispute.updated', 'dispute.updated', 'dispute.updated', 'dispute.closed']);
    expect(t.svc.document(d0.id, d5.evidence[0].id)!.toString()).toBe('%PDF-1.4 signed delivery');

    // The ledger balances, and the next payout pays exactly what the merchant is owed.
    for (const [, x] of trialBalance(allBalances(t.books))) expect([x.d, x.pd]).toEqual([x.c, x.pc]);
    await closeBatch(t.ctx, '2026-11-23', { now: new Date('2026-11-23T10:00:00Z') });
    const { batch } = await closeBatch(t.ctx, '2026-12-04', { now: new Date('2026-12-04T10:00:00Z'), force: true });
    const paid = listPayouts(t.ctx, (p) => p.beneficiary.id === 'M0001').reduce((s, p) => s + p.amount, 0);
    expect(BigInt(paid)).toBe(start - 65_000n);
    expect(t.merchant()).toBe(0n);
    expect(batch.id).toBe('B20261204');
  });

  it('Visa 10.4 (allocation) lost in arbitration: the debit stands, no representment stage, closed lost', async () => {
    const t = await setup();
    const start = t.merchant();
    const d = await t.svc.open({ caseId: 'VISA-CASE-9', network: 'visa', reasonCode: '10.4', transactionId: 'T2:purchase', amount: 200_000 }, 'issuer', day(0));
    await t.post();
    expect(d).toMatchObject({ stage: 'chargeback', flow: 'allocation', category: 'fraud' });
    expect(d.dueBy).toBe(new Date(day(0).getTime() + 30 * 86_400_000).toISOString()); // Visa: 30 days
    expect(t.merchant()).toBe(start - 200_000n - 10_000n);
    await t.svc.addEvidence(d.id, [{ kind: 'note', name: '3DS', text: 'Authenticated with 3-D Secure, ECI 05' }], 'M0001');
    const pre = await t.svc.act(d.id, 'contest', 'merchant', 'M0001', { now: day(3) });
    expect(pre.stage).toBe('pre_arbitration'); // allocation: the merchant's contest opens pre-arbitration with the issuer
    await expect(t.svc.act(d.id, 'accept', 'issuer', 'issuer', { now: day(4) })).rejects.toThrow(/cannot accept a dispute in pre_arbitration/);
    await t.svc.act(d.id, 'arbitration', 'issuer', 'issuer', { now: day(5) });
    const lost = await t.svc.act(d.id, 'ruling_lost', 'network', 'visa', { now: day(30) });
    await t.post();
    expect(lost).toMatchObject({ stage: 'closed', outcome: 'lost' });
    expect(lost.ledger.representmentRecordId).toBeUndefined();
    expect(t.merchant()).toBe(start - 210_000n);
    // The issuer got its money back (its position went down by the chargeback).
    const iss = netPosted(accountId('issuer', 'ISS0', IDR), fromStored(t.ctx, accountId('issuer', 'ISS0', IDR)));
    expect(iss).toBe(1_800_000n - 200_000n);
    await expect(t.svc.act(d.id, 'accept', 'merchant', 'M0001')).rejects.toThrow(/closed/);
  });
});

describe('deadlines', () => {
  it('an unanswered chargeback expires by the network rule (Visa 30 days, Mastercard 45); an unanswered representment is won', async () => {
    const t = await setup();
    const start = t.merchant();
    const v = await t.svc.open({ caseId: 'V1', network: 'visa', reasonCode: '13.1', transactionId: 'T1:purchase', amount: 100_000 }, 'issuer', day(0));
    const m = await t.svc.open({ caseId: 'M1', network: 'mastercard', reasonCode: '4837', transactionId: 'T2:purchase', amount: 100_000 }, 'issuer', day(0));
    expect(t.svc.dueSoon(day(27)).map((d) => d.id)).toEqual([v.id]); // warned 3 days ahead
    expect(await t.svc.sweep(day(29))).toEqual([]);
    expect(metrics.gauge('gerbang_disputes_due_soon', '').get({ waiting_on: 'merchant' })).toBe(1); // the dashboard's warning
    expect(metrics.gauge('gerbang_disputes_open', '').get({ stage: 'chargeback' })).toBe(2);
    const s1 = await t.svc.sweep(day(31));
    expect(s1.map((d) => [d.id, d.stage, d.outcome])).toEqual([[v.id, 'closed', 'expired']]);
    expect(t.svc.get(m.id)!.stage).toBe('chargeback');
    await t.svc.addEvidence(m.id, [{ kind: 'note', name: 'n', text: 'signed receipt' }], 'M0001');
    await t.svc.act(m.id, 'contest', 'merchant', 'M0001', { now: day(40) });
    const s2 = await t.svc.sweep(day(71));
    expect(s2.map((d) => [d.id, d.outcome])).toEqual([[m.id, 'won']]); // the issuer let 30 days pass
    await t.post();
    expect(t.merchant()).toBe(start - 100_000n - 10_000n - 15_000n); // the Visa one lost by expiry; the MC one reversed; both fees stay
  });

  it('refuses a chargeback filed after 120 days, an unknown reason code, and a second case for the same id is the same dispute', async () => {
    const t = await setup();
    await expect(t.svc.open({ caseId: 'X', network: 'visa', reasonCode: '13.1', transactionId: 'T1:purchase', filedAt: new Date('2027-04-01T00:00:00Z') }, 'issuer')).rejects.toThrow(/filed 129 days after/);
    await expect(t.svc.open({ caseId: 'X', network: 'visa', reasonCode: '99.9', transactionId: 'T1:purchase' })).rejects.toThrow(/unknown visa reason code 99.9/);
    await expect(t.svc.open({ caseId: 'X', network: 'amex', reasonCode: 'A01', transactionId: 'T1:purchase' })).rejects.toThrow(/network must be visa or mastercard/);
    await expect(t.svc.open({ caseId: 'X', network: 'visa', reasonCode: '13.1', transactionId: 'T9:purchase' })).rejects.toThrow(/not in the ledger/);
    await expect(t.svc.open({ caseId: 'X', network: 'visa', reasonCode: '13.1', transactionId: 'T1:purchase', amount: 2_000_000 })).rejects.toThrow(/must be 1..1000000/);
    const a = await t.svc.open({ caseId: 'X', network: 'visa', reasonCode: '13.1', transactionId: 'T1:purchase' }, 'issuer', day(0));
    const b = await t.svc.open({ caseId: 'X', network: 'visa', reasonCode: '13.1', transactionId: 'T1:purchase' }, 'issuer', day(0));
    expect(b.id).toBe(a.id);
    expect(await t.stream.lastSeq()).toBe(4); // one chargeback record, not two
  });
});
