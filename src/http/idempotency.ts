// Idempotency-Key semantics as merchants know them from the big processors. Scope: merchant + key.
//   same key, same request (method, path, body hash) → the first response again (Idempotent-Replayed: true)
//   same key, different request                      → 422 idempotency_key_reused
//   same key while the first is still running       → 409 idempotency_request_in_progress
// Finished responses are stored in LMDB with an expiry (TTL configurable), durable before the response is sent;
// the in-flight set is memory-only (a crash mid-request leaves no stale lock) and bounded.
import { hash } from 'node:crypto';
import type { Database } from 'lmdb';
import { durable, type IdemEntry } from './store.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** In-flight requests with a key at once; beyond it the edge answers 503 rather than grow memory. */
export const MAX_IN_FLIGHT = 65_536;
/** Expired records removed per sweep call, and records looked at per call (the sweep runs on a timer and
 * resumes where it stopped, so it never scans the whole table at once). */
const SWEEP_BATCH = 1_000;
const SWEEP_SCAN = 20_000;

/** SHA-256 (hex) of `method \0 path \0 body`, the body's exact bytes. One buffer and a one-shot hash instead of a
 * Hash object fed five times (the same bytes, so the same hash as records stored before). */
export function requestHash(method: string, path: string, body: string | Buffer): string {
  const head = `${method}\0${path}\0`;
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const headBytes = Buffer.byteLength(head, 'utf8');
  const all = Buffer.allocUnsafe(headBytes + b.length);
  all.write(head, 0, 'utf8');
  b.copy(all, headBytes);
  return hash('sha256', all, 'hex');
}

export type IdemBegin =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'reused' }
  | { kind: 'in_progress' }
  | { kind: 'saturated' };

interface InFlight {
  hash: string;
  done?: { status: number; body: string };
}

export class IdempotencyStore {
  private readonly inFlight = new Map<string, InFlight>();
  private sweepFrom: string | undefined;
  constructor(
    private readonly db: Database<IdemEntry, string>,
    readonly ttlMs: number,
  ) {
    if (!(ttlMs > 0)) throw new Error('idempotency TTL must be positive');
  }

  private scope(merchantId: string, key: string): string {
    return `${merchantId}|${key}`;
  }

  begin(merchantId: string, key: string, hash: string, now = Date.now()): IdemBegin {
    const scoped = this.scope(merchantId, key);
    const f = this.inFlight.get(scoped);
    if (f) {
      if (f.hash !== hash) return { kind: 'reused' };
      return f.done ? { kind: 'replay', ...f.done } : { kind: 'in_progress' };
    }
    const stored = this.db.get(scoped);
    if (stored && stored.expiresAt > now) {
      return stored.hash === hash ? { kind: 'replay', status: stored.status, body: stored.body } : { kind: 'reused' };
    }
    if (this.inFlight.size >= MAX_IN_FLIGHT) return { kind: 'saturated' };
    this.inFlight.set(scoped, { hash });
    return { kind: 'new' };
  }

  /** Records the response of a request that began as 'new' and resolves once the record is durable. */
  async finish(merchantId: string, key: string, hash: string, status: number, body: string, now = Date.now()): Promise<void> {
    const put = durable(this.db, this.stage(merchantId, key, hash, status, body, now));
    try {
      await put;
    } finally {
      this.settled(merchantId, key);
    }
  }

  /** Queues the record (inside a caller's write transaction, it joins that transaction) and answers replays
   * from memory until `settled`. Call `settled` once the write is durable. */
  stage(merchantId: string, key: string, hash: string, status: number, body: string, now = Date.now()): Promise<boolean> {
    const scoped = this.scope(merchantId, key);
    const f = this.inFlight.get(scoped);
    if (!f || f.hash !== hash) throw new Error('idempotency finish without a matching begin');
    f.done = { status, body };
    return this.db.put(scoped, { hash, status, body, created: now, expiresAt: now + this.ttlMs });
  }

  /** The record is durable (or its transaction failed and the key may be retried): LMDB answers from now on. */
  settled(merchantId: string, key: string): void {
    this.inFlight.delete(this.scope(merchantId, key));
  }

  /** Forgets a request that produced nothing worth replaying (e.g. a 5xx): the key may be retried. */
  abandon(merchantId: string, key: string): void {
    this.inFlight.delete(this.scope(merchantId, key));
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Deletes up to SWEEP_BATCH expired records; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const expired: string[] = [];
    let scanned = 0;
    let last: string | undefined;
    for (const { key, value } of this.db.getRange(this.sweepFrom !== undefined ? { start: this.sweepFrom } : {})) {
      last = key;
      if (value.expiresAt <= now) expired.push(key);
      if (expired.length >= SWEEP_BATCH || ++scanned >= SWEEP_SCAN) break;
    }
    // Resume after the last key looked at next time; wrap around at the end of the table.
    this.sweepFrom = scanned >= SWEEP_SCAN || expired.length >= SWEEP_BATCH ? last : undefined;
    if (expired.length === 0) return 0;
    await this.db.transaction(() => {
      for (const k of expired) {
        const v = this.db.get(k);
        if (v && v.expiresAt <= now) this.db.remove(k);
      }
    });
    return expired.length;
  }
}
