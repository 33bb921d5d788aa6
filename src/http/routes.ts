// The /v1 route table: one entry per operation with its schemas and handler. The uWS edge (./server.ts) and
// the OpenAPI document (./openapi.ts) are both generated from it, so a route cannot exist without its
// documentation or validation. Handlers are plain async functions of validated input.
import { disputeRoutes } from '../disputes/http.js';
import type { DisputeService } from '../disputes/service.js';
import { randomBytes } from 'node:crypto';
import { durable, type HttpMerchant, type HttpStore } from './store.js';
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
  /** Present when the request carries an Idempotency-Key: stores the response (status, JSON text) for the key.
   * Payment steps call it inside the payment's own write transaction, so key and payment commit together. */
  record?: (status: number, json: string) => void;
}

export interface RouteResult {
  status: number;
  body: unknown;
  /** The body already rendered as JSON (then `body` is ignored): exactly what was recorded for the key. */
  json?: string;
}

/** Renders an answer as the edge sends it; business errors (ApiError < 500, e.g. 402 declines) are answers
 * too. Hands it to `record` (the Idempotency-Key) when there is one. */
export function renderAnswer(answer: () => RouteResult, record: RouteCtx['record']): RouteResult {
  let out: RouteResult;
  try {
    const r = answer();
    out = { status: r.status, body: undefined, json: JSON.stringify(r.body) };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status >= 500 || Object.keys(e.headers).length > 0) throw e;
    out = { status: e.status, body: undefined, json: JSON.stringify(e.body()) };
  }
  record?.(out.status, out.json as string);
  return out;
}

/** Runs a payment step whose answer is rendered (and recorded) inside the step's write transaction. */
async function answered(
  step: (alsoWrite: (p: PaymentRecord) => void) => Promise<PaymentRecord | undefined>,
  answer: (p: PaymentRecord) => RouteResult,
  record: RouteCtx['record'],
): Promise<RouteResult> {
  let out: RouteResult | undefined;
  const p = await step((saved) => {
    out = renderAnswer(() => answer(saved), record);
  });
  if (!p) throw notFound('payment', 'id');
  return out ?? answer(p);
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
  /** The dispute module; when present, /v1/disputes is served. */
  disputes?: DisputeService;
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
  /** The card for a new payment. A new card's vault write is only queued: it commits before (or with) the
   * payment record queued after it; `written` is awaited once the payment is durable, so it never waits itself. */
  const ensureCard = (m: HttpMerchant, body: any): { card: DetokenizedCard; written: Promise<void> } => {
    try {
      if (body.token !== undefined) return { card: d.vault.detokenize(m.id, body.token as string), written: Promise.resolve() };
      const c = body.card as { number: string; exp_month: number; exp_year: number };
      const t = d.vault.tokenizeQueued(m.id, { pan: c.number, expMonth: c.exp_month, expYear: c.exp_year });
      t.written.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      // Object.assign, not a spread followed by more fields: V8's slow path there costs ~5 µs per payment.
      return { card: Object.assign({}, t.info, { pan: c.number, expiry: expiryYymm(c.exp_month, c.exp_year) }), written: t.written };
    } catch (e) {
      stateError(e);
    }
  };

  const captureAnswer = (p: PaymentRecord): RouteResult => {
    if (p.status !== 'captured') {
      throw new ApiError(402, 'card_error', 'capture_declined', `The capture was declined (${p.capture?.responseCode})`, null, {
        decline_code: p.capture?.responseCode ?? '96',
        payment_id: p.id,
      });
    }
    return { status: 200, body: toPublic(p) };
  };
  const voidAnswer = (p: PaymentRecord): RouteResult => {
    if (p.status !== 'voided') {
      throw new ApiError(402, 'card_error', 'void_declined', `The void was declined (${p.voidRef?.responseCode})`, null, {
        decline_code: p.voidRef?.responseCode ?? '96',
        payment_id: p.id,
      });
    }
    return { status: 200, body: toPublic(p) };
  };
  const refundAnswer = (p: PaymentRecord): RouteResult => {
    const last = p.refunds[p.refunds.length - 1];
    if (last.status !== 'succeeded') {
      throw new ApiError(402, 'card_error', 'refund_declined', `The refund was declined (${last.responseCode})`, null, {
        decline_code: last.responseCode,
        payment_id: p.id,
      });
    }
    return { status: 200, body: toPublic(p) };
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
      async handler({ merchant, body, record }) {
        const { card, written } = ensureCard(merchant, body);
        const input = {
          amount: body.amount,
          currency: body.currency,
          currencyNumeric: S.CURRENCIES[body.currency as string],
          capture: body.capture !== false,
          card,
          cvc: body.card?.cvc ?? body.cvc,
          description: body.description,
          reference: body.reference,
          metadata: body.metadata,
        };
        const r = await answered((alsoWrite) => d.service.create(merchant, input, alsoWrite), (p) => paymentResult(p, 201), record);
        await written; // already settled: it was queued before the payment record
        return r;
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
      async handler({ merchant, params, body, record }) {
        return answered((w) => d.service.capture(merchant, params.id, body.amount, w).catch(stateError), captureAnswer, record);
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
      async handler({ merchant, params, record }) {
        return answered((w) => d.service.void(merchant, params.id, w).catch(stateError), voidAnswer, record);
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
      async handler({ merchant, params, body, record }) {
        return answered((w) => d.service.refund(merchant, params.id, body.amount, body.reason, w).catch(stateError), refundAnswer, record);
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
        await durable(d.store.merchants, d.store.merchants.put(merchant.id, { ...fresh, webhook: { url: body.url, events, secretSealed: seal(d.dataKey, secret, secretAad(merchant.id)) } }));
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
    // Merchants answer their disputes here when the switch runs the dispute module (src/disputes/http.ts).
    ...(d.disputes ? disputeRoutes(d.disputes) : []),
  ];
}
