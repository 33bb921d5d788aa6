// JSON Schemas for every request and response of the merchant API. ajv validates requests with them and the
// OpenAPI document (./openapi.ts) embeds the very same objects, so the document cannot drift from the checks.
// Draft-07 keywords only (a subset of JSON Schema 2020-12, which OpenAPI 3.1 uses).

/** ISO 4217 alpha-3 → numeric for the currencies the switch knows (src/state/money.ts). */
export const CURRENCIES: Record<string, string> = {
  IDR: '360',
  USD: '840',
  EUR: '978',
  GBP: '826',
  SGD: '702',
  MYR: '458',
  THB: '764',
  PHP: '608',
  AUD: '036',
  CNY: '156',
  JPY: '392',
  KRW: '410',
  VND: '704',
  BHD: '048',
  KWD: '414',
  OMR: '512',
  TND: '788',
};
export const CURRENCY_BY_NUMERIC: Record<string, string> = Object.fromEntries(Object.entries(CURRENCIES).map(([a, n]) => [n, a]));

/** DE 4 is 12 digits: the largest amount in minor units. */
export const MAX_AMOUNT = 999_999_999_999;

type Schema = Record<string, unknown>;

const amount: Schema = { type: 'integer', minimum: 1, maximum: MAX_AMOUNT, description: 'Minor units of `currency` (integer, never a float).' };
const currency: Schema = { type: 'string', enum: Object.keys(CURRENCIES), description: 'ISO 4217 alphabetic code.' };
const metadata: Schema = {
  type: 'object',
  maxProperties: 20,
  propertyNames: { maxLength: 40 },
  additionalProperties: { type: 'string', maxLength: 500 },
  description: 'Up to 20 merchant key/value pairs, echoed back.',
};
const token: Schema = { type: 'string', pattern: '^tok_[A-Za-z0-9_-]{22}$' };

export const CardInput: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['number', 'exp_month', 'exp_year'],
  properties: {
    number: { type: 'string', pattern: '^[0-9]{12,19}$', description: 'The PAN; never stored in clear.' },
    exp_month: { type: 'integer', minimum: 1, maximum: 12 },
    exp_year: { type: 'integer', minimum: 2000, maximum: 2099 },
    cvc: { type: 'string', pattern: '^[0-9]{3,4}$', description: 'Checked by the issuer, never stored.' },
  },
};

export const CreatePaymentRequest: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'currency'],
  properties: {
    amount,
    currency,
    capture: { type: 'boolean', default: true, description: 'true: authorize and capture (purchase); false: authorize only (hold).' },
    card: CardInput,
    token: { ...token, description: 'A token from POST /v1/tokens instead of card data.' },
    cvc: { type: 'string', pattern: '^[0-9]{3,4}$', description: 'CVC to check with a token payment.' },
    description: { type: 'string', maxLength: 200 },
    reference: { type: 'string', maxLength: 64, description: "The merchant's own order reference." },
    metadata,
  },
  oneOf: [{ required: ['card'] }, { required: ['token'] }],
};

export const CaptureRequest: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { amount: { ...amount, description: 'Amount to capture; defaults to the whole authorization. The rest is released.' } },
};

export const VoidRequest: Schema = { type: 'object', additionalProperties: false, properties: {} };

export const RefundRequest: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    amount: { ...amount, description: 'Amount to refund; defaults to what is left to refund.' },
    reason: { type: 'string', maxLength: 200 },
  },
};

export const TokenizeRequest: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['card'],
  properties: { card: CardInput },
};

export const WebhookEndpointRequest: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', maxLength: 2000, pattern: '^https?://' },
    events: { type: 'array', maxItems: 10, uniqueItems: true, items: { type: 'string', enum: ['payment.succeeded', 'payment.failed', 'payment.refunded', 'dispute.opened', 'dispute.updated', 'dispute.closed'] } },
  },
};

export const ListPaymentsQuery: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    status: { type: 'string', enum: ['requires_capture', 'captured', 'voided', 'refunded', 'declined'] },
    created_gte: { type: 'integer', minimum: 0, description: 'Epoch milliseconds, inclusive.' },
    created_lt: { type: 'integer', minimum: 0, description: 'Epoch milliseconds, exclusive.' },
    starting_after: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'The next_cursor of the previous page.' },
  },
};

export const ListDeliveriesQuery: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
};

// ---- responses ----

export const ErrorResponse: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'code', 'message', 'param'],
      properties: {
        type: { type: 'string' },
        code: { type: 'string' },
        message: { type: 'string' },
        param: { type: ['string', 'null'] },
        decline_code: { type: 'string' },
        payment_id: { type: 'string' },
      },
    },
  },
};

export const CardSummary: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['masked', 'last4', 'exp_month', 'exp_year'],
  properties: {
    masked: { type: 'string', description: 'First 6 and last 4 digits.' },
    last4: { type: 'string' },
    exp_month: { type: 'integer' },
    exp_year: { type: 'integer' },
  },
};

export const Refund: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'amount', 'status', 'created', 'response_code'],
  properties: {
    id: { type: 'string' },
    amount: { type: 'integer' },
    status: { type: 'string', enum: ['succeeded', 'failed'] },
    reason: { type: 'string' },
    response_code: { type: 'string' },
    created: { type: 'integer' },
  },
};

export const Payment: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'object', 'status', 'amount', 'currency', 'amount_capturable', 'amount_captured', 'amount_refunded', 'created', 'card', 'token', 'refunds', 'response_code'],
  properties: {
    id: { type: 'string' },
    object: { const: 'payment' },
    status: { type: 'string', enum: ['requires_capture', 'captured', 'voided', 'refunded', 'declined'] },
    amount: { type: 'integer' },
    currency: { type: 'string' },
    amount_capturable: { type: 'integer' },
    amount_captured: { type: 'integer' },
    amount_refunded: { type: 'integer' },
    created: { type: 'integer', description: 'Epoch milliseconds.' },
    updated: { type: 'integer' },
    card: CardSummary,
    token: { type: 'string' },
    response_code: { type: 'string', description: 'ISO 8583 DE 39 of the authorization.' },
    decline_reason: { type: 'string' },
    auth_code: { type: 'string' },
    fraud_score: { type: 'integer' },
    review: { type: 'boolean' },
    description: { type: 'string' },
    reference: { type: 'string' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    refunds: { type: 'array', items: Refund },
  },
};

export const PaymentList: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['object', 'data', 'has_more', 'next_cursor'],
  properties: {
    object: { const: 'list' },
    data: { type: 'array', items: Payment },
    has_more: { type: 'boolean' },
    next_cursor: { type: ['string', 'null'] },
  },
};

export const TokenResponse: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'object', 'card', 'created'],
  properties: { id: { type: 'string' }, object: { const: 'token' }, card: CardSummary, created: { type: 'integer' } },
};

export const WebhookEndpoint: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['object', 'url', 'events'],
  properties: {
    object: { const: 'webhook_endpoint' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    secret: { type: 'string', description: 'Shown once, when the endpoint is set.' },
  },
};

export const Delivery: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'object', 'event_id', 'event_type', 'url', 'status', 'attempts', 'created'],
  properties: {
    id: { type: 'string' },
    object: { const: 'webhook_delivery' },
    event_id: { type: 'string' },
    event_type: { type: 'string' },
    url: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
    attempts: { type: 'integer' },
    last_status: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    next_attempt_at: { type: ['integer', 'null'] },
    created: { type: 'integer' },
  },
};

export const DeliveryList: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['object', 'data'],
  properties: { object: { const: 'list' }, data: { type: 'array', items: Delivery } },
};
