// Per-API-key token buckets: `burst` requests at once, refilled at `perSecond`. Over the limit → 429 with
// Retry-After (whole seconds until one token is back). The bucket map is bounded; evicting the oldest bucket
// only ever forgives a client, never blocks one.

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxBuckets: number;
  constructor(private readonly opts: RateLimitOptions) {
    if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new Error('rate limit: perSecond > 0 and burst >= 1');
    this.maxBuckets = opts.maxBuckets ?? 100_000;
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait (>= 1). */
  take(key: string, nowMs = Date.now()): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.opts.burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      const elapsed = Math.max(0, nowMs - b.at) / 1000;
      b.tokens = Math.min(this.opts.burst, b.tokens + elapsed * this.opts.perSecond);
      b.at = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond));
  }
}
