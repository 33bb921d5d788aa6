// The payment operations: each step calls the engine with the matching Txn kind (preauth, purchase,
// completion, reversal, refund) so the journal sees everything, then persists the new state and queues the
// webhook. Steps on one payment are serialised (a per-payment lock) so capture/refund races cannot overdraw.
import { randomId, timeOrderedId } from '../http/ids.js';
import type { Authorizer } from '../authorize/index.js';
import type { Decision, Txn } from '../model/txn.js';
import { log } from '../runtime/log.js';
import { metrics } from '../metrics/registry.js';
import type { HttpMerchant, HttpStore } from '../http/store.js';
import type { Vault, DetokenizedCard } from '../vault/vault.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';
import {
  applyAuthorization,
  applyCapture,
  applyRefund,
  applyVoid,
  planCapture,
  planRefund,
  planVoid,
  toPublic,
  type PaymentRecord,
  type TxnRef,
} from './model.js';
import { getPayment, savePayment } from './store.js';
import { paymentToTxn, TraceNumbers, type MerchantTxnContext, type TxnStep } from './txn.js';

const plog = log.child({ component: 'payments' });
const decisions = metrics.counter('gerbang_http_decisions_total', 'Engine decisions for HTTP payment steps, by step kind and response code');
const engineLatency = metrics.latency('gerbang_http_engine_seconds', 'Engine call latency for HTTP payment steps');

/** The engine failed (threw) rather than deciding: the edge answers 503 and nothing is half-applied. */
export class EngineUnavailableError extends Error {
  constructor() {
    super('authorization engine unavailable');
    this.name = 'EngineUnavailableError';
  }
}

export interface CreatePaymentInput {
  amount: number;
  currency: string;
  currencyNumeric: string;
  capture: boolean;
  card: DetokenizedCard;
  cvc?: string;
  description?: string;
  reference?: string;
  metadata?: Record<string, string>;
}

export class PaymentService {
  private readonly trace = new TraceNumbers();
  private readonly idPrefix = 'H' + Date.now().toString(36);
  private seq = 0;
  /** Per-payment serialisation; bounded by the requests in flight. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: HttpStore,
    private readonly authorizer: Pick<Authorizer, 'authorize'>,
    private readonly vault: Vault,
    private readonly webhooks: WebhookDispatcher | undefined,
    /** An engine call that has not answered by then is treated as unavailable (503 + safety reversal). */
    private readonly engineTimeoutMs = 30_000,
  ) {
    if (!(engineTimeoutMs > 0)) throw new Error('engineTimeoutMs must be positive');
  }

  private nextTxnId(): string {
    return `${this.idPrefix}${(++this.seq).toString(36)}`;
  }

  private ctx(m: HttpMerchant): MerchantTxnContext {
    return { merchantId: m.id, merchantName: m.name, mcc: m.mcc, country: m.country, acquirerId: m.acquirerId };
  }

  private step(kind: TxnStep['kind'], amount: number, currencyNumeric: string, original?: TxnRef): TxnStep {
    const now = new Date();
    const { stan, rrn } = this.trace.next(now);
    const txnId = this.nextTxnId();
    return { kind, txnId, stan, rrn, amount, currencyNumeric, now, original };
  }

  private async decide(txn: Txn): Promise<Decision> {
    const t0 = performance.now();
    let d: Decision;
    try {
      d = await this.withDeadline(this.authorizer.authorize(txn));
    } catch (e) {
      plog.error('engine call failed', { txnId: txn.id, kind: txn.kind, err: (e as Error).message });
      throw new EngineUnavailableError();
    }
    engineLatency.recordMicros((performance.now() - t0) * 1000);
    decisions.inc({ kind: txn.kind, code: d.responseCode });
    if (d.txnId !== txn.id) throw new Error(`engine answered for ${d.txnId}, asked ${txn.id}`);
    return d;
  }

  /** Engine calls waiting for an answer, in call order, so deadlines are in order too: one timer checks the
   * oldest instead of a timer (and a Promise.race) per request. Bounded by the requests in flight. */
  private readonly waiting = new Set<{ deadline: number; expire: () => void }>();
  private deadlineTimer: NodeJS.Timeout | undefined;

  private withDeadline<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = { deadline: performance.now() + this.engineTimeoutMs, expire: () => reject(new Error(`no decision within ${this.engineTimeoutMs} ms`)) };
      this.waiting.add(w);
      this.armDeadline();
      p.then(
        (v) => {
          this.waiting.delete(w);
          resolve(v);
        },
        (e: unknown) => {
          this.waiting.delete(w);
          reject(e);
        },
      );
    });
  }

  private armDeadline(): void {
    if (this.deadlineTimer || this.waiting.size === 0) return;
    const oldest = this.waiting.values().next().value as { deadline: number };
    this.deadlineTimer = setTimeout(() => this.expireDeadlines(), Math.max(1, oldest.deadline - performance.now()));
    this.deadlineTimer.unref();
  }

  private expireDeadlines(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (const w of this.waiting) {
      if (w.deadline > now) break; // the rest are younger
      this.waiting.delete(w);
      w.expire();
    }
    this.armDeadline();
  }

  private ref(txn: Txn, d?: Decision): TxnRef {
    return { txnId: txn.id, stan: txn.stan, rrn: txn.rrn as string, transmittedAt: txn.transmittedAt as string, ...(d?.authCode ? { authCode: d.authCode } : {}) };
  }

  private async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /** Writes the event to the delivery log (an outbox) before the response; the POST itself happens off the request path. */
  private async emit(m: HttpMerchant, type: 'payment.succeeded' | 'payment.failed' | 'payment.refunded', p: PaymentRecord): Promise<void> {
    if (!this.webhooks || !m.webhook) return;
    await this.webhooks.emit(m, type, toPublic(p)).catch((e) => plog.error('webhook emit failed', { payment: p.id, err: String(e) }));
  }

  /** Authorize (capture=false → preauth hold) or authorize-and-capture (purchase). `alsoWrite` runs inside the
   * write transaction of the decided payment (see savePayment), never for a payment recorded after an engine failure. */
  async create(m: HttpMerchant, input: CreatePaymentInput, alsoWrite?: (p: PaymentRecord) => void): Promise<PaymentRecord> {
    const kind = input.capture ? 'purchase' : 'preauth';
    const s = this.step(kind, input.amount, input.currencyNumeric);
    const txn = paymentToTxn(this.ctx(m), { pan: input.card.pan, expiry: input.card.expiry, cvv2: input.cvc, token: input.card.token }, s);
    const now = Date.now();
    const draft: PaymentRecord = {
      id: timeOrderedId('pay_'),
      merchantId: m.id,
      status: 'declined',
      amount: input.amount,
      currency: input.currency,
      currencyNumeric: input.currencyNumeric,
      capturable: 0,
      captured: 0,
      refunded: 0,
      created: now,
      updated: now,
      token: input.card.token,
      masked: input.card.masked,
      last4: input.card.last4,
      expMonth: input.card.expMonth,
      expYear: input.card.expYear,
      responseCode: '96',
      auth: this.ref(txn),
      refunds: [],
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.reference !== undefined ? { reference: input.reference } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
    };
    let d: Decision;
    try {
      d = await this.decide(txn);
    } catch (e) {
      if (e instanceof EngineUnavailableError) {
        // We cannot know whether the engine committed: reverse it (idempotent on the engine side) and keep a record.
        this.reverseQuietly(m, input.card, txn, input.amount, input.currencyNumeric);
        await savePayment(this.store, undefined, { ...draft, declineReason: 'engine unavailable' });
      }
      throw e;
    }
    draft.auth = this.ref(txn, d); // draft is this call's own object: no copy needed
    const p = applyAuthorization(draft, d, input.capture, Date.now());
    await savePayment(this.store, undefined, p, alsoWrite);
    if (p.status === 'declined' && d.approved) {
      // Approved for a different amount (partial approval we did not ask for): give the money back.
      this.reverseQuietly(m, input.card, txn, d.approvedAmount, input.currencyNumeric);
    }
    if (p.status === 'captured') await this.emit(m, 'payment.succeeded', p);
    else if (p.status === 'declined') await this.emit(m, 'payment.failed', p);
    return p;
  }

  private reverseQuietly(m: HttpMerchant, card: DetokenizedCard, original: Txn, amount: number, currencyNumeric: string): void {
    const s = this.step('reversal', amount, currencyNumeric, this.ref(original));
    const txn = paymentToTxn(this.ctx(m), { pan: card.pan, expiry: card.expiry, token: card.token }, s);
    this.authorizer.authorize(txn).catch((e) => plog.error('safety reversal failed', { txnId: txn.id, original: original.id, err: String(e) }));
  }

  private card(m: HttpMerchant, p: PaymentRecord): DetokenizedCard {
    return this.vault.detokenize(m.id, p.token);
  }

  get(m: HttpMerchant, id: string): PaymentRecord | undefined {
    return getPayment(this.store, m.id, id);
  }

  /** Completion (0220) of a hold, full or partial; the rest of the hold is released by the engine. */
  async capture(m: HttpMerchant, id: string, amount: number | undefined, alsoWrite?: (p: PaymentRecord) => void): Promise<PaymentRecord | undefined> {
    return this.withLock(id, async () => {
      const p = getPayment(this.store, m.id, id);
      if (!p) return undefined;
      const a = planCapture(p, amount);
      const card = this.card(m, p);
      const s = this.step('completion', a, p.currencyNumeric, p.auth);
      const txn = paymentToTxn(this.ctx(m), { pan: card.pan, expiry: card.expiry, token: card.token }, s);
      const d = await this.decide(txn);
      const next = applyCapture(p, this.ref(txn, d), a, d, Date.now());
      await savePayment(this.store, p, next, alsoWrite);
      if (next.status === 'captured') await this.emit(m, 'payment.succeeded', next);
      return next;
    });
  }

  /** Reversal (0400) of an uncaptured authorization. */
  async void(m: HttpMerchant, id: string, alsoWrite?: (p: PaymentRecord) => void): Promise<PaymentRecord | undefined> {
    return this.withLock(id, async () => {
      const p = getPayment(this.store, m.id, id);
      if (!p) return undefined;
      planVoid(p);
      const card = this.card(m, p);
      const s = this.step('reversal', p.amount, p.currencyNumeric, p.auth);
      const txn = paymentToTxn(this.ctx(m), { pan: card.pan, expiry: card.expiry, token: card.token }, s);
      const d = await this.decide(txn);
      const next = applyVoid(p, this.ref(txn, d), d, Date.now());
      await savePayment(this.store, p, next, alsoWrite);
      return next;
    });
  }

  /** Refund (0200, processing code 20) of captured money: partial and many, never above what was captured. */
  async refund(
    m: HttpMerchant,
    id: string,
    amount: number | undefined,
    reason: string | undefined,
    alsoWrite?: (p: PaymentRecord) => void,
  ): Promise<PaymentRecord | undefined> {
    return this.withLock(id, async () => {
      const p = getPayment(this.store, m.id, id);
      if (!p) return undefined;
      const a = planRefund(p, amount);
      const card = this.card(m, p);
      const s = this.step('refund', a, p.currencyNumeric, p.auth);
      const txn = paymentToTxn(this.ctx(m), { pan: card.pan, expiry: card.expiry, token: card.token }, s);
      const d = await this.decide(txn);
      const refund = {
        id: randomId('re_'),
        amount: a,
        status: d.approved ? ('succeeded' as const) : ('failed' as const),
        responseCode: d.responseCode,
        txnId: txn.id,
        created: Date.now(),
        ...(reason !== undefined ? { reason } : {}),
      };
      const next = applyRefund(p, refund, Date.now());
      await savePayment(this.store, p, next, alsoWrite);
      if (refund.status === 'succeeded') await this.emit(m, 'payment.refunded', next);
      return next;
    });
  }
}
