// The merchant API's dispute routes (/v1/disputes: list, get, accept, submit evidence), written as entries of
// the HTTP route table (src/http/routes.ts RouteDef): handler + schemas, so the OpenAPI document and request
// validation come from the same objects. Register with one line in buildRoutes:
//   ...disputeRoutes(disputeService),
// A merchant only ever sees and answers its own disputes (another merchant's id is a 404).
import { ApiError, badRequest, notFound } from '../http/errors.js';
import type { RouteDef } from '../http/routes.js';
import { DisputeStateError, stageRule, type Stage } from './machine.js';
import { MAX_EVIDENCE, MAX_NOTE_CHARS, toPublicDispute, type DisputeService, type EvidenceInput } from './service.js';

type Schema = Record<string, unknown>;
const STAGES: Stage[] = ['retrieval_request', 'chargeback', 'representment', 'pre_arbitration', 'arbitration', 'closed'];

export const ListDisputesQuery: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    stage: { type: 'string', enum: STAGES },
    open: { type: 'boolean', description: 'true: only disputes not closed; false: only closed ones.' },
    starting_after: { type: 'string', maxLength: 64, pattern: '^dp_[A-Za-z0-9_-]+$', description: 'The last id of the previous page.' },
  },
};

export const AcceptDisputeRequest: Schema = { type: 'object', additionalProperties: false, properties: {} };

export const SubmitEvidenceRequest: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['evidence'],
  properties: {
    evidence: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_EVIDENCE,
      items: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'text'],
            properties: { type: { const: 'note' }, name: { type: 'string', minLength: 1, maxLength: 200 }, text: { type: 'string', minLength: 1, maxLength: MAX_NOTE_CHARS } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'name', 'content_base64'],
            properties: {
              type: { const: 'document' },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              content_type: { type: 'string', maxLength: 100, pattern: '^[a-z]+/[a-zA-Z0-9.+-]+$' },
              content_base64: { type: 'string', minLength: 4, maxLength: 7_000_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' },
            },
          },
        ],
      },
    },
    submit: { type: 'boolean', default: false, description: 'true: answer the current stage with the evidence (contest, or fulfil a retrieval request).' },
  },
};

export const DisputeSchema: Schema = {
  type: 'object',
  required: ['id', 'object', 'amount', 'currency', 'status', 'stage', 'network', 'reason_code', 'payment', 'evidence_details', 'created'],
  properties: {
    id: { type: 'string' },
    object: { const: 'dispute' },
    amount: { type: 'integer' },
    currency: { type: 'string' },
    status: { type: 'string', enum: ['warning_needs_response', 'needs_response', 'under_review', 'won', 'lost'] },
    stage: { type: 'string', enum: STAGES },
    outcome: { type: ['string', 'null'], enum: ['won', 'lost', 'accepted', 'expired', null] },
    network: { type: 'string', enum: ['visa', 'mastercard'] },
    reason_code: { type: 'string' },
    reason: { type: 'string' },
    category: { type: 'string' },
    flow: { type: 'string', enum: ['allocation', 'collaboration'] },
    payment: { type: 'string' },
    case_id: { type: 'string' },
    evidence: { type: 'array', items: { type: 'object' } },
    evidence_details: {
      type: 'object',
      properties: { due_by: { type: ['string', 'null'] }, waiting_on: { type: ['string', 'null'] }, has_evidence: { type: 'boolean' }, submission_count: { type: 'integer' } },
    },
    history: { type: 'array', items: { type: 'object' } },
    created: { type: 'string' },
    updated: { type: 'string' },
  },
};

export const DisputeList: Schema = {
  type: 'object',
  required: ['object', 'data', 'has_more'],
  properties: { object: { const: 'list' }, data: { type: 'array', items: DisputeSchema }, has_more: { type: 'boolean' } },
};

function stateError(e: unknown): never {
  if (e instanceof DisputeStateError) {
    if (e.message.startsWith('no dispute')) throw notFound('dispute', 'id');
    throw new ApiError(400, 'invalid_request_error', `dispute_${e.code}`, e.message);
  }
  if (e instanceof Error && !(e instanceof ApiError)) throw badRequest('dispute_invalid', e.message);
  throw e;
}

export function disputeRoutes(svc: DisputeService): RouteDef[] {
  const own = (merchantId: string, id: string) => {
    const d = svc.get(id);
    if (!d || d.merchantId !== merchantId) throw notFound('dispute', 'id');
    return d;
  };
  return [
    {
      method: 'get',
      path: '/v1/disputes',
      operationId: 'listDisputes',
      summary: "List the merchant's disputes, newest first, by stage or open/closed, with cursor pagination.",
      query: ListDisputesQuery,
      responses: { 200: { description: 'A page of disputes', schema: DisputeList } },
      idempotent: false,
      async handler({ merchant, query }) {
        const page = svc.list({ merchantId: merchant.id, limit: query.limit ?? 20, ...(query.stage ? { stage: query.stage } : {}), ...(query.open !== undefined ? { open: query.open } : {}), ...(query.starting_after ? { startingAfter: query.starting_after } : {}) });
        return { status: 200, body: { object: 'list', data: page.data.map(toPublicDispute), has_more: page.hasMore } };
      },
    },
    {
      method: 'get',
      path: '/v1/disputes/{id}',
      operationId: 'getDispute',
      summary: 'Retrieve a dispute: stage, reason code, deadline (evidence_details.due_by), evidence and history.',
      responses: { 200: { description: 'The dispute', schema: DisputeSchema } },
      idempotent: false,
      async handler({ merchant, params }) {
        return { status: 200, body: toPublicDispute(own(merchant.id, params.id)) };
      },
    },
    {
      method: 'post',
      path: '/v1/disputes/{id}/accept',
      operationId: 'acceptDispute',
      summary: 'Accept the dispute: the chargeback stands and the dispute closes as accepted.',
      body: AcceptDisputeRequest,
      responses: { 200: { description: 'The closed dispute', schema: DisputeSchema } },
      idempotent: true,
      async handler({ merchant, params }) {
        own(merchant.id, params.id);
        const d = await svc.act(params.id, 'accept', 'merchant', merchant.id, { merchantId: merchant.id }).catch(stateError);
        return { status: 200, body: toPublicDispute(d) };
      },
    },
    {
      method: 'post',
      path: '/v1/disputes/{id}/evidence',
      operationId: 'submitDisputeEvidence',
      summary: 'Attach evidence (notes, documents as base64); with submit=true answer the current stage with it.',
      body: SubmitEvidenceRequest,
      responses: { 200: { description: 'The dispute with its evidence', schema: DisputeSchema } },
      idempotent: true,
      async handler({ merchant, params, body }) {
        const cur = own(merchant.id, params.id);
        const items: EvidenceInput[] = (body.evidence as any[]).map((e) =>
          e.type === 'note'
            ? { kind: 'note', name: e.name ?? 'note', text: e.text }
            : { kind: 'document', name: e.name, contentType: e.content_type, content: Buffer.from(e.content_base64, 'base64') },
        );
        const answer = cur.stage === 'retrieval_request' ? 'fulfil' : 'contest';
        // Refuse a submit the stage does not allow before storing anything.
        if (body.submit && (cur.stage === 'closed' || !stageRule(cur.flow, cur.stage)?.transitions[answer]?.by.includes('merchant'))) {
          throw new ApiError(400, 'invalid_request_error', 'dispute_invalid_transition', `a dispute in ${cur.stage} is not waiting for the merchant's answer`);
        }
        let d = await svc.addEvidence(params.id, items, merchant.id, { merchantId: merchant.id }).catch(stateError);
        if (body.submit) d = await svc.act(params.id, answer, 'merchant', merchant.id, { merchantId: merchant.id }).catch(stateError);
        return { status: 200, body: toPublicDispute(d) };
      },
    },
  ];
}
