// Duplicate transmission detection. A repeat of the same request — same acquirer (listener + DE 32), DE 7, DE 11,
// DE 41 and message class (a repeat MTI such as 0201 counts as its 0200) — within the window gets the stored answer
// and is never authorized twice. A repeat that arrives while the first is still being decided joins it.
// Stored answers are Decisions (no PAN); the edge rebuilds the response from the repeat's own request.
// A lookup is one LMDB read; records are written behind in batches (the store's one transaction per turn) together
// with ONE expiry index entry per batch, [newest at in the batch, batch id] → the batch's keys, that the sweep walks
// from the oldest end (one index put per turn instead of one per request; older stores' [at, key] → 1 still sweep).
import type { SwitchStore } from '../runtime/store.js';

export interface DupParts {
  listenerId: string;
  mti: string;
  acquirerId: string;
  transmittedAt?: string;
  stan: string;
  terminalId?: string;
}

/** '0201' → '0200', '0421' → '0420': repeats share the key of the first transmission. */
export function baseMti(mti: string): string {
  return mti.length === 4 && (mti[3] === '1' || mti[3] === '3') ? mti.slice(0, 3) + String(Number(mti[3]) - 1) : mti;
}

export function dupKey(p: DupParts): string {
  return `${p.listenerId}|${p.acquirerId}|${baseMti(p.mti)}|${p.transmittedAt ?? ''}|${p.stan}|${p.terminalId ?? ''}`;
}

interface Stored<T> {
  at: number;
  value: T;
}

/** Records written per LMDB transaction by the write-behind flush. */
const FLUSH_BATCH = 2048;
/** Tags this process's expiry batch ids so two processes (or restarts) never share one. */
const BATCH_TAG = `#${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}-`;

/** Answers held in memory while LMDB commits lag (or fail); past it the oldest are forgotten. */
const MAX_RECENT = 200_000;

export class DuplicateDetector<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  /** Answers decided but not yet committed (write-behind): LMDB sees them after the next flush commits. */
  private readonly recent = new Map<string, Stored<T>>();
  private unflushed: [string, Stored<T>][] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private sweepTimer: NodeJS.Timeout | null = null;
  private batchSeq = 0;
  duplicates = 0;

  constructor(
    private readonly store: SwitchStore,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(windowMs > 0)) throw new RangeError('duplicate window must be positive');
  }

  /** Starts the periodic sweep of expired records (every window/10, at least 1 s, at most 60 s). */
  startSweeper(): void {
    const every = Math.min(60_000, Math.max(1000, Math.floor(this.windowMs / 10)));
    this.sweepTimer = setInterval(() => void this.sweep(), every);
    this.sweepTimer.unref();
  }

  /**
   * Runs `work` once per key inside the window. Returns its value and whether this call was a duplicate.
   * `work` failing is not remembered (the acquirer may retry a request that got no answer).
   */
  private lookup(key: string): Stored<T> | undefined {
    return this.recent.get(key) ?? (this.store.dup.get(key) as Stored<T> | undefined);
  }

  async once(key: string, work: () => Promise<T>): Promise<{ value: T; duplicate: boolean }> {
    const pending = this.inFlight.get(key);
    if (pending) {
      this.duplicates++;
      return { value: await pending, duplicate: true };
    }
    const t = this.now();
    const cached = this.lookup(key);
    if (cached && t - cached.at <= this.windowMs) {
      this.duplicates++;
      return { value: cached.value, duplicate: true };
    }
    const p = work();
    this.inFlight.set(key, p);
    try {
      const value = await p;
      const rec: Stored<T> = { at: this.now(), value };
      this.recent.set(key, rec);
      if (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value as string);
      this.unflushed.push([key, rec]);
      if (this.unflushed.length >= FLUSH_BATCH) void this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
      return { value, duplicate: false };
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Writes the pending records in one LMDB transaction (one put per record is far costlier at 10k/s). */
  flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.unflushed;
    if (batch.length === 0) return this.flushing;
    this.unflushed = [];
    let newest = 0;
    const keys: string[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      keys[i] = batch[i][0];
      if (batch[i][1].at > newest) newest = batch[i][1].at;
    }
    const batchId = BATCH_TAG + ++this.batchSeq;
    // Through the store's write-behind batch: the same LMDB transaction as the turn's other records (one commit
    // hand-off per turn instead of two).
    for (const [key, rec] of batch) this.store.putLater(this.store.dup, key, rec);
    this.store.putExpiryLater([newest, batchId], keys);
    const write = this.store.flushLater();
    this.flushing = this.flushing.then(() => write).then((ok) => {
      // On failure keep them in `recent` (still answered as duplicates while this process runs).
      if (ok) for (const [key, rec] of batch) if (this.recent.get(key) === rec) this.recent.delete(key);
    });
    return this.flushing;
  }

  /** Deletes records older than the window; returns how many. Bounded work per call (`limit` index entries). */
  async sweep(limit = 50_000): Promise<number> {
    const cutoff = this.now() - this.windowMs;
    const expired: { key: [number, string]; value: unknown }[] = [];
    for (const e of this.store.dupExpiry.getRange({ start: [0, ''], end: [cutoff, '\uffff'], limit })) expired.push(e as { key: [number, string]; value: unknown });
    if (expired.length === 0) return 0;
    let removed = 0;
    await this.store.root.transaction(() => {
      for (const { key: k, value } of expired) {
        // A batch entry lists its keys and is stamped with the batch's newest record; an older store's entry is [at, key].
        const batchKeys = Array.isArray(value) ? (value as string[]) : [k[1]];
        for (const dk of batchKeys) {
          const rec = this.store.dup.get(dk) as Stored<T> | undefined;
          // A newer answer under the same key (after an earlier one expired) keeps its record.
          if (rec && rec.at <= k[0]) {
            this.store.dup.remove(dk);
            removed++;
          }
        }
        this.store.dupExpiry.remove(k);
      }
    });
    return removed;
  }

  /** Stops the sweeper and writes what is pending. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.flush();
  }
}
