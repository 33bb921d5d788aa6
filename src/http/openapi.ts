// The OpenAPI 3.1 document, generated from the route table and the very schemas ajv validates with.
import type { RouteDef } from './routes.js';
import { ErrorResponse } from './schemas.js';

const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid request (schema validation, bad state or bad JSON)',
  401: 'Missing or invalid API key, or bad request signature',
  404: 'No such resource (or it belongs to another merchant)',
  413: 'Body larger than the limit',
  429: 'Rate limit for this API key exceeded (see Retry-After)',
  500: 'Internal error (no internals are returned)',
  503: 'Engine unavailable or overloaded',
};
const IDEMPOTENCY_ERRORS: Record<number, string> = {
  409: 'idempotency_request_in_progress: a request with this key is still running',
  422: 'idempotency_key_reused: this key was used with a different request',
};

export function openApiDocument(routes: RouteDef[], serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const m of r.path.matchAll(/\{(\w+)\}/g)) parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    const qprops = (r.query?.properties ?? {}) as Record<string, unknown>;
    for (const [name, schema] of Object.entries(qprops)) parameters.push({ name, in: 'query', required: false, schema });
    if (r.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Same key and body within the TTL returns the first response; a different body is rejected with 422.',
        schema: { type: 'string', maxLength: 255 },
      });
    }
    parameters.push({
      name: 'Gerbang-Signature',
      in: 'header',
      required: false,
      description: 't=<unix seconds>,v1=<hex HMAC-SHA-256 of "t.body" under the signing secret>; required when the merchant enforces signing.',
      schema: { type: 'string' },
    });
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      responses[status] = { description: resp.description, content: { 'application/json': { schema: resp.schema } } };
    }
    const errors = { ...COMMON_ERRORS, ...(r.idempotent ? IDEMPOTENCY_ERRORS : {}) };
    for (const [status, description] of Object.entries(errors)) {
      if (!responses[status]) responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary, parameters, responses };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.body } } };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'gerbang merchant API',
      version: '1.0.0',
      description:
        'Card payments through the gerbang switch. Amounts are integers in minor units with an ISO 4217 currency. ' +
        'Authenticate with `Authorization: Bearer gk_live_…`.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'gk_live_… API key' } },
      schemas: { Error: ErrorResponse },
    },
    paths,
  };
}
