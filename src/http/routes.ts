// The /v1 route table: one entry per operation with its schemas and handler. The uWS edge (./server.ts) and
// the OpenAPI document (./openapi.ts) are both generated from it, so a route cannot exist without its
// documentation or validation. Handlers are plain async functions of validated input.
import { randomBytes } from 'node:crypto';
import type { HttpMerchant, HttpStore } from './store.js';
import { ApiError, badRequest, notFound } from './errors.js';
import * as S from './schemas.js';
import { PaymentService } from '../payments/service.js';
import { PaymentStateError, toPublic, type PaymentRecord, type PaymentStatus } from '../payments/model.js';
import { listPayments } from '../payments/store.js';
import { Vault, VaultError, expiryYymm, type DetokenizedCard } from '../vault/vault.js';
import { seal } from '../vault/keys.js';
import { WebhookDispatcher, secretAad, toPublicDelivery } from '../webhooks/dispatcher.js';

export interface RouteCtx {
  merchant: HttpMerchant;
  params: Record<string, string>;
  body: any; // validated against the route's body schema
  query: any; // validated against the route's query schema
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface RouteDef {
  method: 'get' | 'post';
  /** OpenAPI path template, e.g. /v1/payments/{id}. */
  path: string;
  operationId: string;
  summary: string;
  body?: Record<string, unknown>;
  query?: Record<string, unknown>;
  /** Success and business responses (errors common to all routes are added by openapi.ts). */
  responses: Record<number, { description: string; schema: Record<string, unknown> }>;
  /** Mutating routes take Idempotency-Key. */
  idempotent: boolean;
  handler(ctx: RouteCtx): Promise<RouteResult>;
}

export interface RouteDeps {
  store: HttpStore;
  service: PaymentService;
  vault: Vault;
  webhooks: WebhookDispatcher;
  dataKey: Buffer;
  /** Called after a merchant record changed so cached copies are dropped. */
  merchantChanged(merchantId: string): void;
}

function stateError(e: unknown): never {
  if (e instanceof PaymentStateError) throw new ApiError(400, 'invalid_request_error', e.code, e.message, e.param);
  if (e instanceof VaultError) {
    if (e.code === 'invalid_number') throw new ApiError(402, 'card_error', 'invalid_number', e.message, 'card.number');
    if (e.code === 'token_not_found') throw new ApiError(400, 'invalid_request_error', 'token_invalid', e.message, 'token');
  }
  throw e;
}

/** Approved → 201/200 with the payment; declined → 402 card_error naming the payment so it can be fetched. */
function paymentResult(p: PaymentRecord, okStatus: number): RouteResult {
  if (p.status === 'declined') {
    throw new ApiError(402, 'card_error', 'card_declined', `The card was declined: ${p.declineReason ?? p.responseCode}`, null, {
      decline_code: p.responseCode,
      payment_id: p.id,
    });
  }
  return { status: okStatus, body: toPublic(p) };
}

const paymentResponses = (okStatus: number, description: string) => ({
  [okStatus]: { description, schema: S.Payment },
  402: { description: 'Declined by the issuer (the payment is recorded; see error.payment_id)', schema: S.ErrorResponse },
});

export function buildRoutes(d: RouteDeps): RouteDef[] {
  const ensureCard = async (m: HttpMerchant, body: any): Promise<DetokenizedCard> => {
    try {
      if (body.token !== undefined) return d.vault.detokenize(m.id, body.token as string);
      const c = body.card as { number: string; exp_month: number; exp_year: number };
      const t = await d.vault.tokenize(m.id, { pan: c.number, expMonth: c.exp_month, expYear: c.exp_year });
      return { ...t, pan: c.number, expiry: expiryYymm(c.exp_month, c.exp_year) };
    } catch (e) {
      stateError(e);
    }
  };

  return [
    {
      method: 'post',
      path: '/v1/payments',
      operationId: 'createPayment',
      summary: 'Authorize a card payment (capture=false: hold only) or authorize and capture it (default).',
      body: S.CreatePaymentRequest,
      responses: paymentResponses(201, 'The approved payment'),
      idempotent: true,
      async handler({ merchant, body }) {
        const card = await ensureCard(merchant, body);
        const p = await d.service.create(merchant, {
          amount: body.amount,
          currency: body.currency,
          currencyNumeric: S.CURRENCIES[body.currency as string],
          capture: body.capture !== false,
          card,
          cvc: body.card?.cvc ?? body.cvc,
          description: body.description,
          reference: body.reference,
          metadata: body.metadata,
        });
        return paymentResult(p, 201);
      },
    },
    {
      method: 'get',
      path: '/v1/payments',
      operationId: 'listPayments',
      summary: 'List payments, newest first, by time range and status, with cursor pagination.',
      query: S.ListPaymentsQuery,
      responses: { 200: { description: 'A page of payments', schema: S.PaymentList } },
      idempotent: false,
      async handler({ merchant, query }) {
        let page;
        try {
          page = listPayments(d.store, merchant.id, {
            limit: query.limit ?? 20,
            status: query.status as PaymentStatus | undefined,
            createdGte: query.created_gte,
            createdLt: query.created_lt,
            startingAfter: query.starting_after,
          });
        } catch {
          throw badRequest('parameter_invalid', 'Invalid cursor', 'starting_after');
        }
        return { status: 200, body: { object: 'list', data: page.data.map(toPublic), has_more: page.hasMore, next_cursor: page.nextCursor } };
      },
    },
    {
      method: 'get',
      path: '/v1/payments/{id}',
      operationId: 'getPayment',
      summary: 'Retrieve a payment.',
      responses: { 200: { description: 'The payment', schema: S.Payment } },
      idempotent: false,
      async handler({ merchant, params }) {
        const p = d.service.get(merchant, params.id);
        if (!p) throw notFound('payment', 'id');
        return { status: 200, body: toPublic(p) };
      },
    },
    {
      method: 'post',
      path: '/v1/payments/{id}/capture',
      operationId: 'capturePayment',
      summary: 'Capture an authorized payment, fully or partly (completion 0220); the rest of the hold is released.',
      body: S.CaptureRequest,
      responses: paymentResponses(200, 'The captured payment'),
      idempotent: true,
      async handler({ merchant, params, body }) {
        const p = await d.service.capture(merchant, params.id, body.amount).catch(stateError);
        if (!p) throw notFound('payment', 'id');
        if (p.status !== 'captured') {
          throw new ApiError(402, 'card_error', 'capture_declined', `The capture was declined (${p.capture?.responseCode})`, null, {
            decline_code: p.capture?.responseCode ?? '96',
            payment_id: p.id,
          });
        }
        return { status: 200, body: toPublic(p) };
      },
    },
    {
      method: 'post',
      path: '/v1/payments/{id}/void',
      operationId: 'voidPayment',
      summary: 'Void an uncaptured authorization (reversal 0400); the hold is released.',
      body: S.VoidRequest,
      responses: paymentResponses(200, 'The voided payment'),
      idempotent: true,
      async handler({ merchant, params }) {
        const p = await d.service.void(merchant, params.id).catch(stateError);
        if (!p) throw notFound('payment', 'id');
        if (p.status !== 'voided') {
          throw new ApiError(402, 'card_error', 'void_declined', `The void was declined (${p.voidRef?.responseCode})`, null, {
            decline_code: p.voidRef?.responseCode ?? '96',
            payment_id: p.id,
          });
        }
        return { status: 200, body: toPublic(p) };
      },
    },
    {
      method: 'post',
      path: '/v1/payments/{id}/refunds',
      operationId: 'refundPayment',
      summary: 'Refund captured money, fully or partly; many refunds are allowed, never above the captured amount.',
      body: S.RefundRequest,
      responses: paymentResponses(200, 'The payment with the new refund'),
      idempotent: true,
      async handler({ merchant, params, body }) {
        const p = await d.service.refund(merchant, params.id, body.amount, body.reason).catch(stateError);
        if (!p) throw notFound('payment', 'id');
        const last = p.refunds[p.refunds.length - 1];
        if (last.status !== 'succeeded') {
          throw new ApiError(402, 'card_error', 'refund_declined', `The refund was declined (${last.responseCode})`, null, {
            decline_code: last.responseCode,
            payment_id: p.id,
          });
        }
        return { status: 200, body: toPublic(p) };
      },
    },
    {
      method: 'post',
      path: '/v1/tokens',
      operationId: 'createToken',
      summary: 'Tokenize a card: the PAN goes into the vault (AES-256-GCM); store the returned token instead.',
      body: S.TokenizeRequest,
      responses: { 201: { description: 'The token', schema: S.TokenResponse } },
      idempotent: true,
      async handler({ merchant, body }) {
        const c = body.card as { number: string; exp_month: number; exp_year: number };
        const t = await d.vault.tokenize(merchant.id, { pan: c.number, expMonth: c.exp_month, expYear: c.exp_year }).catch(stateError);
        return {
          status: 201,
          body: { id: t.token, object: 'token', created: t.created, card: { masked: t.masked, last4: t.last4, exp_month: t.expMonth, exp_year: t.expYear } },
        };
      },
    },
    {
      method: 'post',
      path: '/v1/webhook_endpoint',
      operationId: 'setWebhookEndpoint',
      summary: "Set the merchant's webhook endpoint; the signing secret is returned once.",
      body: S.WebhookEndpointRequest,
      responses: { 200: { description: 'The endpoint, with its secret', schema: S.WebhookEndpoint } },
      idempotent: true,
      async handler({ merchant, body }) {
        const secret = 'whsec_' + randomBytes(24).toString('base64url');
        const events: string[] = body.events ?? [];
        const fresh = d.store.merchants.get(merchant.id);
        if (!fresh) throw notFound('merchant');
        await d.store.merchants.put(merchant.id, { ...fresh, webhook: { url: body.url, events, secretSealed: seal(d.dataKey, secret, secretAad(merchant.id)) } });
        d.merchantChanged(merchant.id);
        return { status: 200, body: { object: 'webhook_endpoint', url: body.url, events, secret } };
      },
    },
    {
      method: 'get',
      path: '/v1/webhook_endpoint',
      operationId: 'getWebhookEndpoint',
      summary: "The merchant's webhook endpoint (without its secret).",
      responses: { 200: { description: 'The endpoint', schema: S.WebhookEndpoint } },
      idempotent: false,
      async handler({ merchant }) {
        const ep = d.store.merchants.get(merchant.id)?.webhook;
        if (!ep) throw notFound('webhook endpoint');
        return { status: 200, body: { object: 'webhook_endpoint', url: ep.url, events: ep.events } };
      },
    },
    {
      method: 'get',
      path: '/v1/webhooks/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: 'The webhook delivery log, newest first.',
      query: S.ListDeliveriesQuery,
      responses: { 200: { description: 'Deliveries', schema: S.DeliveryList } },
      idempotent: false,
      async handler({ merchant, query }) {
        return { status: 200, body: { object: 'list', data: d.webhooks.list(merchant.id, query.limit ?? 20).map(toPublicDelivery) } };
      },
    },
    {
      method: 'get',
      path: '/v1/webhooks/deliveries/{id}',
      operationId: 'getWebhookDelivery',
      summary: 'One webhook delivery and its attempts.',
      responses: { 200: { description: 'The delivery', schema: S.Delivery } },
      idempotent: false,
      async handler({ merchant, params }) {
        const x = d.webhooks.get(merchant.id, params.id);
        if (!x) throw notFound('webhook delivery', 'id');
        return { status: 200, body: toPublicDelivery(x) };
      },
    },
    {
      method: 'post',
      path: '/v1/webhooks/deliveries/{id}/replay',
      operationId: 'replayWebhookDelivery',
      summary: 'Send a webhook delivery again now (same event, freshly signed).',
      body: S.VoidRequest,
      responses: { 200: { description: 'The delivery, pending again', schema: S.Delivery } },
      idempotent: true,
      async handler({ merchant, params }) {
        const x = await d.webhooks.replay(merchant.id, params.id);
        if (!x) throw notFound('webhook delivery', 'id');
        return { status: 200, body: toPublicDelivery(x) };
      },
    },
  ];
}
