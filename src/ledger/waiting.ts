// Records that arrive before the record they refer to. Several switch instances relaying into one JetStream stream
// interleave in publish order, so a completion can arrive before its preauth (handled by another instance), or a
// reversal before its purchase. Posted at once, such a record finds no original: a completion captures with no hold
// to release (and the hold, when it comes, stays pending); a reversal moves nothing (and the original, when it
// comes, stands). So a completion or reversal whose original the ledger has not seen waits here, written in the
// same books transaction as the consumer offset (exactly once still holds), and is posted:
//   - right after its original posts (in the same transaction), as if it had come in order;
//   - or, if its original never comes, after WAIT_MS of stream time (the records' occurredAt, not the wall clock;
//     checked at the end of each books transaction) or when its business date's batch closes: then as it would
//     have been at once, with its note.
// Bounded: beyond MAX_WAITING records nothing more waits (they post at once, as before).
import { isoMs, type SettledRecord } from '../stream/types.js';
import type { Books } from './books.js';

/** How long a record waits for its original, in stream time. */
export const WAIT_MS = 10 * 60_000;
/** Most records waiting at once. */
export const MAX_WAITING = 100_000;
const COUNT_KEY = 'waitingCount';
const SEP = '\u0000';

/**
 * Kinds that wait (for a record whose original is missing): what they refer to is racing them across instances;
 * refunds and chargebacks come days later.
 */
export function mayWait(r: SettledRecord): boolean {
  return r.kind === 'completion' || r.kind === 'reversal';
}

/** The waiting room as one books write transaction sees it. Create inside the transaction; save() before it ends. */
export class WaitingRoom {
  private count: number;
  private readonly startCount: number;
  /** Originals someone waits for: loaded once per transaction, only when anything waits. */
  private awaited: Set<string> | undefined;

  constructor(private readonly books: Books) {
    this.count = (books.meta.get(COUNT_KEY) as number | undefined) ?? 0;
    this.startCount = this.count;
  }

  get size(): number {
    return this.count;
  }

  private awaitedSet(): Set<string> {
    if (!this.awaited) {
      this.awaited = new Set();
      if (this.count > 0) for (const k of this.books.waiting.getKeys()) this.awaited.add((k as string).slice(0, (k as string).indexOf(SEP)));
    }
    return this.awaited;
  }

  /**
   * Puts `r` in the room. 'full' when MAX_WAITING records already wait (post it at once); 'duplicate' when the
   * same record already waits (a re-delivery).
   */
  park(r: SettledRecord): 'parked' | 'full' | 'duplicate' {
    const key = r.originalId! + SEP + r.id;
    if (this.books.waiting.doesExist(key)) return 'duplicate';
    if (this.count >= MAX_WAITING) return 'full';
    this.books.waiting.putSync(key, r);
    this.count++;
    this.awaitedSet().add(r.originalId!);
    return 'parked';
  }

  /** True when a record waits for `id` (cheap when nothing waits). */
  awaits(id: string): boolean {
    return this.count > 0 && this.awaitedSet().has(id);
  }

  /** Takes out the records waiting for `id`, in stream order. */
  release(id: string): SettledRecord[] {
    const out: SettledRecord[] = [];
    const keys: string[] = [];
    for (const { key, value } of this.books.waiting.getRange({ start: id + SEP, end: id + SEP + '\uffff' })) {
      keys.push(key as string);
      out.push(value as SettledRecord);
    }
    for (const k of keys) this.books.waiting.removeSync(k);
    this.count -= keys.length;
    this.awaitedSet().delete(id);
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Takes out the records `due` selects (those that waited long enough, or whose day closes), in stream order. */
  takeDue(due: (r: SettledRecord) => boolean): SettledRecord[] {
    if (this.count === 0) return [];
    const out: SettledRecord[] = [];
    const keys: string[] = [];
    for (const { key, value } of this.books.waiting.getRange()) {
      const r = value as SettledRecord;
      if (!due(r)) continue;
      keys.push(key as string);
      out.push(r);
    }
    for (const k of keys) this.books.waiting.removeSync(k);
    this.count -= keys.length;
    this.awaited = undefined; // rebuilt on next use
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Records that waited WAIT_MS of stream time by `nowMs` (the latest occurredAt seen). */
  takeExpired(nowMs: number): SettledRecord[] {
    return this.takeDue((r) => isoMs(r.occurredAt) <= nowMs - WAIT_MS);
  }

  save(): void {
    if (this.count !== this.startCount) this.books.meta.putSync(COUNT_KEY, this.count);
  }
}

/** Records waiting for their original (outside a transaction: a snapshot). */
export function waitingCount(books: Books): number {
  return (books.meta.get(COUNT_KEY) as number | undefined) ?? 0;
}
