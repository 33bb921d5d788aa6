// Webhook delivery: signed POSTs (Gerbang-Signature: t=…,v1=… over `${t}.${body}` with the endpoint's secret),
// off the request path. Every delivery is first written to the LMDB delivery log, then queued in a bounded
// in-memory queue; when the queue is full it simply stays `pending` in the log and a periodic scan picks it up.
// Retries use exponential backoff with a cap and a maximum number of attempts; a failed or succeeded
// delivery can be replayed.
import { randomId, timeOrderedId } from '../http/ids.js';
import { log } from '../runtime/log.js';
import { metrics } from '../metrics/registry.js';
import { signatureHeader } from '../http/signing.js';
import type { DeliveryRecord, HttpMerchant, HttpStore } from '../http/store.js';
import { unseal } from '../vault/keys.js';

export type WebhookEvent = 'payment.succeeded' | 'payment.failed' | 'payment.refunded' | 'dispute.opened' | 'dispute.updated' | 'dispute.closed';
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ['payment.succeeded', 'payment.failed', 'payment.refunded', 'dispute.opened', 'dispute.updated', 'dispute.closed'];

export interface WebhookOptions {
  /** Deliveries held in memory waiting for their turn (default 10 000). */
  maxQueue?: number;
  /** Deliveries on the wire at once (default 16). */
  concurrency?: number;
  /** Attempts before a delivery is marked failed (default 8). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to maxDelayMs (defaults 1 s, 1 h). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** How often due retries and overflowed deliveries are picked up (default 250 ms). */
  pollMs?: number;
}

const wlog = log.child({ component: 'webhooks' });
const sent = metrics.counter('gerbang_webhook_attempts_total', 'Webhook delivery attempts by outcome');
const queued = metrics.gauge('gerbang_webhook_queue_depth', 'Webhook deliveries waiting in memory');

export function secretAad(merchantId: string): string {
  return `webhook|${merchantId}`;
}

/** Backoff before attempt n+1 after n failed attempts: base·2^(n−1), capped. */
export function backoffMs(failedAttempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

export class WebhookDispatcher {
  private readonly queue: { id: string; dueAt: number }[] = [];
  private readonly queuedIds = new Set<string>();
  private active = 0;
  private overflowed = true; // scan the log once at start: recovers pending deliveries after a restart
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly o: Required<WebhookOptions>;

  constructor(
    private readonly store: HttpStore,
    private readonly dataKey: Buffer,
    opts: WebhookOptions = {},
  ) {
    this.o = {
      maxQueue: opts.maxQueue ?? 10_000,
      concurrency: opts.concurrency ?? 16,
      maxAttempts: opts.maxAttempts ?? 8,
      baseDelayMs: opts.baseDelayMs ?? 1_000,
      maxDelayMs: opts.maxDelayMs ?? 3_600_000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      pollMs: opts.pollMs ?? 250,
    };
    this.timer = setInterval(() => this.tick(), this.o.pollMs);
    this.timer.unref();
  }

  /** Logs and queues an event for the merchant's endpoint (if it has one subscribed to `type`). */
  async emit(merchant: HttpMerchant, type: WebhookEvent, object: Record<string, unknown>, now = Date.now()): Promise<DeliveryRecord | undefined> {
    const ep = merchant.webhook;
    if (!ep || this.closed) return undefined;
    if (ep.events.length > 0 && !ep.events.includes(type)) return undefined;
    const eventId = randomId('evt_');
    const payload = JSON.stringify({ id: eventId, object: 'event', type, created: now, data: { object } });
    const d: DeliveryRecord = {
      id: timeOrderedId('whd_'),
      merchantId: merchant.id,
      eventId,
      eventType: type,
      url: ep.url,
      payload,
      status: 'pending',
      attempts: 0,
      lastStatus: null,
      lastError: null,
      nextAttemptAt: now,
      created: now,
    };
    await this.store.deliveries.transaction(() => {
      this.store.deliveries.put(d.id, d);
      this.store.deliveriesByMerchant.put([merchant.id, now, d.id], 1);
    });
    this.enqueue(d.id, now);
    return d;
  }

  /** Sends a delivery again now, whatever its state; returns the updated record or undefined if not the merchant's. */
  async replay(merchantId: string, deliveryId: string, now = Date.now()): Promise<DeliveryRecord | undefined> {
    const d = this.store.deliveries.get(deliveryId);
    if (!d || d.merchantId !== merchantId) return undefined;
    const updated: DeliveryRecord = { ...d, status: 'pending', nextAttemptAt: now };
    await this.store.deliveries.put(d.id, updated);
    this.enqueue(d.id, now);
    return updated;
  }

  get(merchantId: string, deliveryId: string): DeliveryRecord | undefined {
    const d = this.store.deliveries.get(deliveryId);
    return d && d.merchantId === merchantId ? d : undefined;
  }

  /** Newest first. */
  list(merchantId: string, limit: number): DeliveryRecord[] {
    const out: DeliveryRecord[] = [];
    for (const { key } of this.store.deliveriesByMerchant.getRange({ start: [merchantId, Number.MAX_SAFE_INTEGER], end: [merchantId, -1], reverse: true, limit })) {
      const d = this.store.deliveries.get(key[2] as string);
      if (d) out.push(d);
    }
    return out;
  }

  queueDepth(): number {
    return this.queue.length;
  }

  private enqueue(id: string, dueAt: number): void {
    if (this.queuedIds.has(id)) return;
    if (this.queue.length >= this.o.maxQueue) {
      this.overflowed = true; // stays pending in the log; the scan brings it back
      return;
    }
    this.queue.push({ id, dueAt });
    this.queuedIds.add(id);
    queued.set(this.queue.length);
    this.pump();
  }

  private tick(): void {
    if (this.closed) return;
    if (this.overflowed && this.queue.length < this.o.maxQueue / 2) this.rescan();
    this.pump();
  }

  /** Reloads pending deliveries from the log, up to the queue's free room. */
  private rescan(): void {
    this.overflowed = false;
    for (const { key, value } of this.store.deliveries.getRange({})) {
      if (this.queue.length >= this.o.maxQueue) {
        this.overflowed = true;
        break;
      }
      if (value.status === 'pending' && !this.queuedIds.has(key)) {
        this.queue.push({ id: key, dueAt: value.nextAttemptAt ?? Date.now() });
        this.queuedIds.add(key);
      }
    }
    queued.set(this.queue.length);
  }

  private pump(): void {
    const now = Date.now();
    while (!this.closed && this.active < this.o.concurrency) {
      const i = this.queue.findIndex((q) => q.dueAt <= now);
      if (i < 0) return;
      const [item] = this.queue.splice(i, 1);
      this.queuedIds.delete(item.id);
      queued.set(this.queue.length);
      this.active++;
      const p = this.attempt(item.id)
        .catch((e) => wlog.error('webhook attempt crashed', { delivery: item.id, err: String(e) }))
        .finally(() => {
          this.active--;
          this.inFlight.delete(p);
          this.pump();
        });
      this.inFlight.add(p);
    }
  }

  private async attempt(id: string): Promise<void> {
    const d = this.store.deliveries.get(id);
    if (!d || d.status !== 'pending') return;
    const merchant = this.store.merchants.get(d.merchantId);
    if (!merchant?.webhook) {
      await this.store.deliveries.put(id, { ...d, status: 'failed', lastError: 'endpoint removed', nextAttemptAt: null });
      return;
    }
    const secret = unseal(this.dataKey, merchant.webhook.secretSealed, secretAad(merchant.id));
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'gerbang-signature': signatureHeader(secret, d.payload),
          'gerbang-event-id': d.eventId,
          'gerbang-delivery-id': d.id,
          'user-agent': 'gerbang-webhooks/1',
        },
        body: d.payload,
        signal: AbortSignal.timeout(this.o.timeoutMs),
        redirect: 'manual',
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error = (e as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed';
    }
    const attempts = d.attempts + 1;
    const now = Date.now();
    let next: DeliveryRecord;
    if (error === null) next = { ...d, attempts, status: 'succeeded', lastStatus: status, lastError: null, nextAttemptAt: null };
    else if (attempts >= this.o.maxAttempts) next = { ...d, attempts, status: 'failed', lastStatus: status, lastError: error, nextAttemptAt: null };
    else next = { ...d, attempts, status: 'pending', lastStatus: status, lastError: error, nextAttemptAt: now + backoffMs(attempts, this.o.baseDelayMs, this.o.maxDelayMs) };
    sent.inc({ outcome: error === null ? 'ok' : next.status === 'failed' ? 'gave_up' : 'retry' });
    if (error !== null) wlog.warn('webhook delivery failed', { delivery: id, attempts, error, final: next.status === 'failed' });
    await this.store.deliveries.put(id, next);
    if (next.status === 'pending' && !this.closed) this.enqueue(id, next.nextAttemptAt as number);
  }

  /** Stops new attempts and waits for the ones on the wire (bounded by timeoutMs). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }
}

export function toPublicDelivery(d: DeliveryRecord): Record<string, unknown> {
  return {
    id: d.id,
    object: 'webhook_delivery',
    event_id: d.eventId,
    event_type: d.eventType,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    next_attempt_at: d.nextAttemptAt,
    created: d.created,
  };
}
