import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { disputeRoutes, DisputeSchema, SubmitEvidenceRequest } from '../../src/disputes/http.js';
import type { HttpMerchant } from '../../src/http/store.js';
import { disputeWorld } from './helpers.js';

const merchant = (id: string) => ({ id, name: id, mcc: '5999', country: 'ID', acquirerId: 'ACQ1', created: 0, keyHashes: [], signingSecretSealed: '', requireSignature: false }) as HttpMerchant;

describe('dispute routes (handlers + schemas for the /v1 route table)', () => {
  it('list, get, submit evidence (contest), accept — merchant-scoped, responses match the schema, webhooks fire', async () => {
    const w = await disputeWorld();
    try {
      const routes = new Map(disputeRoutes(w.svc).map((r) => [r.operationId, r]));
      expect([...routes.keys()]).toEqual(['listDisputes', 'getDispute', 'acceptDispute', 'submitDisputeEvidence']);
      const ajv = new Ajv({ strict: false });
      const validDispute = ajv.compile(DisputeSchema);
      const validEvidence = ajv.compile(SubmitEvidenceRequest);
      const a = await w.svc.open({ caseId: 'C-1', network: 'visa', reasonCode: '13.1', transactionId: 'T1:purchase' }, 'issuer', new Date('2026-11-24T00:00:00Z'));
      const b = await w.svc.open({ caseId: 'C-2', network: 'mastercard', reasonCode: '4837', transactionId: 'T2:purchase', amount: 100_000 }, 'issuer', new Date('2026-11-24T01:00:00Z'));
      await w.svc.open({ caseId: 'C-3', network: 'visa', reasonCode: '10.4', transactionId: 'T3:purchase' });
      const m1 = merchant('M0001');

      const list = await routes.get('listDisputes')!.handler({ merchant: m1, params: {}, body: undefined, query: { limit: 1 } });
      expect((list.body as any).data.map((d: any) => d.id)).toEqual([b.id]);
      expect((list.body as any).has_more).toBe(true);
      const page2 = await routes.get('listDisputes')!.handler({ merchant: m1, params: {}, body: undefined, query: { limit: 10, starting_after: b.id } });
      expect((page2.body as any).data.map((d: any) => d.id)).toEqual([a.id]);

      const got = await routes.get('getDispute')!.handler({ merchant: m1, params: { id: a.id }, body: undefined, query: {} });
      expect(validDispute(got.body), JSON.stringify(validDispute.errors)).toBe(true);
      expect(got.body).toMatchObject({ status: 'needs_response', stage: 'chargeback', currency: 'IDR', amount: 1_000_000, reason_code: '13.1', network: 'visa' });
      // Another merchant's dispute does not exist for M0002.
      await expect(routes.get('getDispute')!.handler({ merchant: merchant('M0002'), params: { id: a.id }, body: undefined, query: {} })).rejects.toMatchObject({ status: 404 });

      const body = { evidence: [{ type: 'note', text: 'Tracking 123, delivered' }, { type: 'document', name: 'receipt.png', content_type: 'image/png', content_base64: Buffer.from('PNG…').toString('base64') }], submit: true };
      expect(validEvidence(body)).toBe(true);
      expect(validEvidence({ evidence: [{ type: 'video', text: 'x' }] })).toBe(false);
      const sub = await routes.get('submitDisputeEvidence')!.handler({ merchant: m1, params: { id: a.id }, body, query: {} });
      expect(sub.body).toMatchObject({ stage: 'representment', status: 'under_review', evidence_details: { has_evidence: true, submission_count: 1, waiting_on: 'issuer' } });
      expect(validDispute(sub.body)).toBe(true);
      await expect(routes.get('submitDisputeEvidence')!.handler({ merchant: m1, params: { id: a.id }, body: { evidence: [{ type: 'note', text: 'again' }], submit: true }, query: {} })).rejects.toMatchObject({ status: 400, code: 'dispute_invalid_transition' });

      const acc = await routes.get('acceptDispute')!.handler({ merchant: m1, params: { id: b.id }, body: {}, query: {} });
      expect(acc.body).toMatchObject({ stage: 'closed', outcome: 'accepted', status: 'lost' });
      expect(w.events.filter(([m]) => m === 'M0001').map(([, t]) => t)).toEqual(['dispute.opened', 'dispute.opened', 'dispute.updated', 'dispute.updated', 'dispute.closed']);
      expect(w.events.every(([, , o]) => validDispute(o))).toBe(true);
    } finally {
      await w.h.close();
    }
  });
});
