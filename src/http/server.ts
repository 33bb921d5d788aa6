// The merchant API's edge on uWebSockets.js: reads each body into a bounded buffer (413 over the limit), then
// runs the plain pipeline auth → rate limit → signature → JSON + schema → idempotency → handler, and writes
// one JSON response. Also mounts /metrics and the live dashboard. Nothing internal ever reaches a response.
import type { DisputeService } from '../disputes/service.js';
import uWS from 'uWebSockets.js';
import type { Authorizer } from '../authorize/index.js';
import { metrics } from '../metrics/registry.js';
import { log } from '../runtime/log.js';
import { PaymentService, EngineUnavailableError } from '../payments/service.js';
import { Vault } from '../vault/vault.js';
import { loadVaultKeys, unlockVaultKeys, type VaultKeys } from '../vault/keys.js';
import { vaultKeysOf } from '../state/keyring.js';
import type { HostKeyHsm } from '../state/host-keys.js';
import { WebhookDispatcher, type WebhookEvent, type WebhookOptions } from '../webhooks/dispatcher.js';
import { mountDashboard, type DashboardOptions } from '../dashboard/server.js';
import { ApiError, internalError, statusLine } from './errors.js';
import { createMerchant, KeyAuthenticator, type CreateMerchantInput, type CreatedMerchant } from './auth.js';
import { IDEMPOTENCY_HEADER, IdempotencyStore, KEY_PATTERN, requestHash } from './idempotency.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter, type RateLimitOptions } from './ratelimit.js';
import { buildRoutes, type RouteDef } from './routes.js';
import { SIGNATURE_HEADER, DEFAULT_TOLERANCE_S, verifySignature } from './signing.js';
import { closeHttpStore, openHttpStore, type HttpStore } from './store.js';
import { bodyValidator, queryValidator, type Validator } from './validate.js';

export interface HttpApiOptions {
  port: number;
  host?: string;
  /** What decides each payment step: the engine's Authorizer, or the switch pipeline
   * (`{ authorize: (t) => pipeline.decide(t) }`) so HTTP payments are routed like ISO ones (on-us or remote issuer). */
  authorizer: Pick<Authorizer, 'authorize'>;
  dataDir: string;
  /**
   * The HSM that holds the vault keys (src/state/host-keys.ts). Not needed when they are already unlocked in this
   * process (src/runtime/unlock.ts).
   */
  hsm?: HostKeyHsm;
  /** Largest request body accepted (default 16 KiB) → 413. */
  maxBodyBytes?: number;
  /** Largest total of header names and values (default 8 KiB) → 431. uWS accepts up to ~512 KiB by itself. */
  maxHeaderBytes?: number;
  /** How long an Idempotency-Key's response is kept (default 24 h). */
  idempotencyTtlMs?: number;
  /** Per API key (default 1000/s, burst 2000). */
  rateLimit?: RateLimitOptions;
  /** Request-signature replay window in seconds (default 300). */
  signatureToleranceS?: number;
  webhooks?: WebhookOptions;
  /** An engine call without an answer by then → 503 engine_unavailable and a safety reversal (default 30 s). */
  engineTimeoutMs?: number;
  /** Dashboard at /dashboard (default on). */
  dashboard?: DashboardOptions | false;
  /** Serve /v1/disputes (list, get, accept, submit evidence) from this dispute service. */
  disputes?: DisputeService;
}

export interface HttpApi {
  port: number;
  close(): Promise<void>;
  /** Creates a merchant and its first API key (shown once) — the same as `gerbang merchants create`. */
  createMerchant(input: CreateMerchantInput): Promise<CreatedMerchant>;
  /** Queues a webhook for a merchant (e.g. dispute.opened from the settlement side). */
  emitEvent(merchantId: string, type: WebhookEvent, object: Record<string, unknown>): Promise<void>;
  store: HttpStore;
}

const hlog = log.child({ component: 'http' });
const requests = metrics.counter('gerbang_http_requests_total', 'HTTP API requests by operation and status');
const latency = metrics.latency('gerbang_http_request_seconds', 'HTTP API request latency by operation');

interface Compiled {
  def: RouteDef;
  body?: Validator;
  query?: Validator;
  paramNames: string[];
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  close?: boolean;
}

function jsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(body), headers };
}

/** The `error.code` of a rendered error body, for the log line (never the body itself: it may echo input). */
function errorCode(body: string): string | undefined {
  const m = /"code":"([a-z_]{1,64})"/.exec(body);
  return m ? m[1] : undefined;
}

function errorReply(e: ApiError): Reply {
  return jsonReply(e.status, e.body(), e.headers);
}

export async function startHttpApi(opts: HttpApiOptions): Promise<HttpApi> {
  const maxBody = opts.maxBodyBytes ?? 16 * 1024;
  const maxHeaders = opts.maxHeaderBytes ?? 8 * 1024;
  const store = openHttpStore(opts.dataDir);
  let keys: VaultKeys;
  try {
    keys = opts.hsm && !vaultKeysOf(opts.dataDir) ? await unlockVaultKeys(opts.dataDir, store.meta, opts.hsm) : loadVaultKeys(opts.dataDir);
  } catch (e) {
    await closeHttpStore(store);
    throw e;
  }
  const vault = new Vault(store.tokens, store.fingerprints, keys);
  const webhooks = new WebhookDispatcher(store, keys.dataKey, opts.webhooks);
  const service = new PaymentService(store, opts.authorizer, vault, webhooks, opts.engineTimeoutMs);
  const auth = new KeyAuthenticator(store, keys.dataKey);
  const idem = new IdempotencyStore(store.idem, opts.idempotencyTtlMs ?? 24 * 3600_000);
  const limiter = new RateLimiter(opts.rateLimit ?? { perSecond: 1000, burst: 2000 });
  const tolerance = opts.signatureToleranceS ?? DEFAULT_TOLERANCE_S;
  const routes = buildRoutes({ store, service, vault, webhooks, dataKey: keys.dataKey, merchantChanged: (id) => auth.invalidate(id), ...(opts.disputes ? { disputes: opts.disputes } : {}) });
  const host = opts.host ?? '127.0.0.1';

  const app = uWS.App();
  let inFlight = 0;
  let closing = false;
  /** Replies waiting for this turn's flush: one per request in flight, so bounded by the open sockets. */
  const MAX_OUTBOX = 100_000;

  const send = (res: uWS.HttpResponse, r: Reply, op: string, t0: number, state: { aborted: boolean }) => {
    requests.inc({ op, status: String(r.status) });
    // Bad input is logged once, here (declines are results, not bad input; 429s are counted, not logged).
    if (r.status >= 400 && r.status < 500 && r.status !== 402 && r.status !== 429 && hlog.enabled('info')) {
      hlog.info('request rejected', { op, status: r.status, code: errorCode(r.body) });
    }
    latency.recordMicros((performance.now() - t0) * 1000, { op });
    if (state.aborted) return;
    if (outbox.length >= MAX_OUTBOX) return writeReply(res, r); // never expected (one reply per open request): write now, maybe uncorked
    outbox.push({ res, r, state });
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flushOutbox);
    }
  };

  // Replies are written once per loop turn from setImmediate, outside uWS's own callbacks. Inside them the socket
  // that just received data holds the loop's single cork buffer, so res.cork() on any other response silently
  // writes uncorked: one sendto per status/header fragment (strace of the bench: ~23 syscalls per reply, most
  // of the edge's CPU). From here every reply corks: one send each.
  const outbox: { res: uWS.HttpResponse; r: Reply; state: { aborted: boolean } }[] = [];
  let flushQueued = false;
  const flushOutbox = () => {
    flushQueued = false;
    const batch = outbox.splice(0, outbox.length);
    for (const { res, r, state } of batch) {
      if (!state.aborted) writeReply(res, r); // else the client went away between the reply and this turn
    }
  };
  const writeReply = (res: uWS.HttpResponse, r: Reply) => {
    res.cork(() => {
      res.writeStatus(statusLine(r.status)).writeHeader('content-type', 'application/json');
      if (r.headers) for (const k in r.headers) res.writeHeader(k, r.headers[k]);
      res.end(r.body, r.close === true);
    });
  };

  const openapiBody = JSON.stringify(openApiDocument(routes));
  app.get('/v1/openapi.json', (res) => {
    res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(openapiBody));
  });

  async function pipeline(
    c: Compiled,
    h: { authorization: string; idem: string; signature: string; contentType: string },
    params: Record<string, string>,
    rawQuery: string,
    body: Buffer,
  ): Promise<Reply> {
    const who = auth.authenticate(h.authorization);
    if (!who) throw new ApiError(401, 'authentication_error', 'api_key_invalid', 'Missing or invalid API key (Authorization: Bearer gk_live_…)');
    const wait = limiter.take(who.keyHash);
    if (wait > 0) throw new ApiError(429, 'rate_limit_error', 'rate_limited', 'Too many requests for this API key', null, {}, { 'retry-after': String(wait) });
    if (h.signature || who.merchant.requireSignature) {
      if (!h.signature) throw new ApiError(401, 'authentication_error', 'signature_required', 'This merchant requires a Gerbang-Signature header');
      const v = verifySignature(h.signature, who.signingSecret, body, Math.floor(Date.now() / 1000), tolerance);
      if (!v.ok) throw new ApiError(401, 'authentication_error', v.code, v.message);
    }
    let parsed: unknown = {};
    if (c.def.body) {
      if (body.length > 0) {
        if (!/^application\/json\b/i.test(h.contentType)) throw new ApiError(415, 'invalid_request_error', 'content_type_invalid', 'Send the body as application/json');
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          throw new ApiError(400, 'invalid_request_error', 'invalid_json', 'The body is not valid JSON');
        }
      }
      c.body!(parsed);
    } else if (body.length > 0) {
      throw new ApiError(400, 'invalid_request_error', 'body_unexpected', 'This operation takes no body');
    }
    let query: Record<string, unknown> = {};
    if (c.query) {
      const sp = new URLSearchParams(rawQuery);
      for (const [k, v] of sp) {
        if (k in query) throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', `Repeated parameter: ${k}`, k);
        query[k] = v;
      }
      c.query(query);
    } else if (rawQuery) {
      query = {};
    }
    const ctx = { merchant: who.merchant, params, body: parsed, query };
    if (!(c.def.idempotent && h.idem)) return runHandler(c, ctx);

    if (!KEY_PATTERN.test(h.idem)) throw new ApiError(400, 'invalid_request_error', 'idempotency_key_invalid', 'Idempotency-Key: 1–255 printable ASCII characters', 'Idempotency-Key');
    const path = c.paramNames.length === 0 ? c.def.path : c.def.path.replace(/\{(\w+)\}/g, (_m, n: string) => params[n]);
    const hash = requestHash(c.def.method, path, body);
    const begun = idem.begin(who.merchant.id, h.idem, hash);
    switch (begun.kind) {
      case 'replay':
        return { status: begun.status, body: begun.body, headers: { 'idempotent-replayed': 'true' } };
      case 'reused':
        throw new ApiError(422, 'idempotency_error', 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request');
      case 'in_progress':
        throw new ApiError(409, 'idempotency_error', 'idempotency_request_in_progress', 'A request with this Idempotency-Key is still in progress; retry later');
      case 'saturated':
        throw new ApiError(503, 'api_error', 'overloaded', 'Too many requests in progress; retry later', null, {}, { 'retry-after': '1' });
    }
    // The response is stored for the key before it is sent. Payment steps record it inside the payment's own
    // write transaction (one commit, group-committed with the other requests'); the other routes store it in a
    // commit of their own, awaited. The in-memory entry answers a concurrent replay until then.
    let recorded = false;
    const merchantId = who.merchant.id;
    const key = h.idem;
    const keyed = {
      merchant: ctx.merchant,
      params: ctx.params,
      body: ctx.body,
      query: ctx.query, // a literal, not `...ctx` plus a field: V8's slow path for that costs ~5 µs
      record: (status: number, json: string) => {
        // Same commit as the payment: its failure surfaces through the payment's own awaited write.
        idem.stage(merchantId, key, hash, status, json).catch(() => undefined);
        recorded = true;
      },
    };
    let reply: Reply;
    try {
      reply = await runHandler(c, keyed);
    } catch (e) {
      if (recorded) idem.settled(merchantId, key);
      else idem.abandon(merchantId, key);
      throw e;
    }
    if (recorded) idem.settled(merchantId, key);
    else if (reply.status >= 500) idem.abandon(merchantId, key);
    else await idem.finish(merchantId, key, hash, reply.status, reply.body);
    return reply;
  }

  async function runHandler(c: Compiled, ctx: Parameters<RouteDef['handler']>[0]): Promise<Reply> {
    try {
      const r = await c.def.handler(ctx);
      return r.json !== undefined ? { status: r.status, body: r.json } : jsonReply(r.status, r.body);
    } catch (e) {
      // Business answers (402 declines, 400 state errors) are results worth replaying under an Idempotency-Key.
      if (e instanceof ApiError && e.status < 500) return errorReply(e);
      throw e;
    }
  }

  for (const def of routes) {
    const paramNames = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const c: Compiled = {
      def,
      paramNames,
      body: def.body ? bodyValidator(def.body) : undefined,
      query: def.query ? queryValidator(def.query) : undefined,
    };
    const pattern = def.path.replace(/\{(\w+)\}/g, ':$1');
    app[def.method](pattern, (res, req) => {
      const t0 = performance.now();
      const state = { aborted: false };
      res.onAborted(() => {
        state.aborted = true;
      });
      const h = {
        authorization: req.getHeader('authorization'),
        idem: req.getHeader(IDEMPOTENCY_HEADER),
        signature: req.getHeader(SIGNATURE_HEADER),
        contentType: req.getHeader('content-type'),
      };
      const params: Record<string, string> = {};
      paramNames.forEach((n, i) => (params[n] = decodeURIComponent(req.getParameter(i))));
      const rawQuery = req.getQuery() ?? '';
      const op = def.operationId;
      let headerBytes = 0;
      req.forEach((k, v) => {
        headerBytes += k.length + v.length + 4;
      });
      if (headerBytes > maxHeaders) {
        return send(res, { ...errorReply(new ApiError(431, 'invalid_request_error', 'headers_too_large', `Headers larger than ${maxHeaders} bytes`)), close: true }, op, t0, state);
      }
      if (closing) return send(res, errorReply(new ApiError(503, 'api_error', 'shutting_down', 'The server is shutting down')), op, t0, state);

      const run = (body: Buffer) => {
        inFlight++;
        pipeline(c, h, params, rawQuery, body)
          .catch((e: unknown) => {
            if (e instanceof ApiError) return errorReply(e);
            if (e instanceof EngineUnavailableError) return errorReply(new ApiError(503, 'api_error', 'engine_unavailable', 'The authorization engine is unavailable; retry later'));
            hlog.error('request failed', { op, err: e instanceof Error ? e.message : String(e) });
            return errorReply(internalError());
          })
          .then((r) => send(res, r, op, t0, state))
          .finally(() => inFlight--);
      };

      if (def.method === 'get') return run(Buffer.alloc(0));
      const declared = Number(req.getHeader('content-length') || '0');
      if (declared > maxBody) {
        return send(res, { ...errorReply(new ApiError(413, 'invalid_request_error', 'body_too_large', `Body larger than ${maxBody} bytes`)), close: true }, op, t0, state);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      res.onData((ab, isLast) => {
        if (over) return;
        size += ab.byteLength;
        if (size > maxBody) {
          over = true;
          send(res, { ...errorReply(new ApiError(413, 'invalid_request_error', 'body_too_large', `Body larger than ${maxBody} bytes`)), close: true }, op, t0, state);
          return;
        }
        chunks.push(Buffer.from(ab.slice(0))); // the ArrayBuffer is only valid during this callback: copy
        if (isLast) run(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      });
    });
  }

  // A known path with the wrong method (one handler per path: uWS refuses a pattern registered twice).
  for (const path of new Set(routes.map((r) => r.path))) {
    const allowed = routes.filter((r) => r.path === path).map((r) => r.method);
    app.any(path.replace(/\{(\w+)\}/g, ':$1'), (res, req) => {
      const method = req.getMethod().toLowerCase();
      const body = new ApiError(405, 'invalid_request_error', 'method_not_allowed', `${method.toUpperCase()} is not allowed here`).body();
      res.cork(() =>
        res
          .writeStatus(statusLine(405))
          .writeHeader('allow', allowed.map((m) => m.toUpperCase()).join(', '))
          .writeHeader('content-type', 'application/json')
          .end(JSON.stringify(body)),
      );
    });
  }

  app.get('/metrics', (res) => {
    const text = metrics.render();
    res.cork(() => res.writeStatus('200 OK').writeHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8').end(text));
  });

  const dashboard = opts.dashboard === false ? undefined : mountDashboard(app, { ...(opts.dashboard ?? {}), extra: () => ({ webhookQueue: webhooks.queueDepth(), idempotencyInFlight: idem.inFlightCount() }) });

  app.any('/*', (res, req) => {
    const body = new ApiError(404, 'invalid_request_error', 'route_unknown', `Unrecognized request URL (${req.getMethod().toUpperCase()} ${req.getUrl()})`).body();
    res.cork(() => res.writeStatus(statusLine(404)).writeHeader('content-type', 'application/json').end(JSON.stringify(body)));
  });

  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(host, opts.port, (s) => (s ? resolve(s) : reject(new Error(`HTTP API could not listen on ${host}:${opts.port}`))));
  });
  const port = uWS.us_socket_local_port(listenSocket);
  hlog.info('merchant API listening', { host, port });

  const sweep = setInterval(() => {
    idem.sweep().catch((e) => hlog.error('idempotency sweep failed', { err: String(e) }));
  }, 60_000);
  sweep.unref();

  return {
    port,
    store,
    createMerchant: (input) => createMerchant(store, keys.dataKey, input),
    async emitEvent(merchantId, type, object) {
      const m = store.merchants.get(merchantId);
      if (!m) throw new Error(`no merchant ${merchantId}`);
      await webhooks.emit(m, type, object);
    },
    async close() {
      if (closing) return;
      closing = true;
      uWS.us_listen_socket_close(listenSocket);
      clearInterval(sweep);
      dashboard?.close();
      // Drain: requests already inside the pipeline finish (bounded wait).
      const deadline = Date.now() + 5_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await webhooks.close();
      await closeHttpStore(store);
    },
  };
}
