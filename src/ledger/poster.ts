// The ledger poster: the stream consumer that turns settled records into postings. One books transaction per
// batch of records holds their postings, transfer states, balances, batch movements, seller shares and the
// consumer offset, so a crash replays the batch from the stored offset and nothing posts twice (and a record id
// seen again, e.g. re-published on NATS past its duplicate window, is skipped).
import { metrics } from '../metrics/registry.js';
import { addDays, BusinessCalendar } from '../settlement/calendar.js';
import type { PricingConfig } from '../settlement/pricing.js';
import { MAX_READ, type SettledStream } from '../stream/api.js';
import { getOffset, setOffsetInTxn, type StreamConsumer } from '../stream/consumer.js';
import { isoMs, recordProblem, type SettledRecord } from '../stream/types.js';
import { parseAccountId } from './accounts.js';
import type { Books } from './books.js';
import type { Posting } from './posting.js';
import { recordToPosting, type RuleContext } from './rules.js';
import { transferState } from './transfers.js';
import { BalanceCache, LEDGER_GEN_KEY, LedgerWriter } from './writer.js';
import { mayWait, WaitingRoom } from './waiting.js';

const exceptions = metrics.counter('gerbang_ledger_exceptions_total', 'Postings that went to suspense or moved nothing, by kind');
const duplicates = metrics.counter('gerbang_ledger_duplicates_total', 'Settled records skipped because their id was already posted');
const waitingGauge = metrics.gauge('gerbang_ledger_waiting', 'Completions and reversals waiting for the record they refer to');
// The same metrics drainConsumer keeps (the registry returns the existing ones by name).
const lagGauge = metrics.gauge('gerbang_stream_consumer_lag', 'Settled records appended but not yet applied, per consumer');
const appliedCounter = metrics.counter('gerbang_stream_consumer_applied_total', 'Settled records applied, per consumer');

const log = (m: string) => process.stderr.write(m + '\n');
const EMPTY: readonly SettledRecord[] = [];

/** A seller's share of one capture, net of refunds and chargebacks; payable after its holding period or release. */
export interface ShareRecord {
  sellerId: string;
  captureId: string;
  currency: string;
  /** Net share, minor units (≥ 0). */
  amount: number;
  /** Business date of the capture. */
  date: string;
  /** Set by an explicit release (order delivered): payable from the next batch on, holding period or not. */
  released?: boolean;
}

export function shareKey(sellerId: string, captureId: string): string {
  return `${sellerId}|${captureId}`;
}

/** The first business date a new event may still land on: the day after the last closed batch. */
export function firstOpenDate(books: Books, cal: BusinessCalendar): string | undefined {
  const last = books.meta.get('lastClosed') as string | undefined;
  return last ? cal.nextBusinessDay(last) : undefined;
}

export interface PosterOptions {
  books: Books;
  pricing: PricingConfig;
  calendar: BusinessCalendar;
  /** Offset name (default 'ledger'); use one per stream source. */
  name?: string;
}

export class LedgerPoster implements StreamConsumer {
  readonly name: string;
  /** Balances and movements as this poster last committed them; reused while nobody else wrote the ledger. */
  private readonly cache = new BalanceCache();
  /** The latest occurredAt posted (ms): the stream's clock for records waiting for their original. */
  private latestMs = 0;
  constructor(private readonly o: PosterOptions) {
    this.name = o.name ?? 'ledger';
  }

  offset(): number {
    return getOffset(this.o.books.offsets, this.name);
  }

  async apply(records: SettledRecord[]): Promise<void> {
    let given = false;
    await this.applyPulled(() => {
      if (given) return EMPTY;
      given = true;
      return records;
    });
  }

  /**
   * Like apply, in ONE books transaction, over the records `pull` hands over chunk by chunk (an empty chunk ends
   * the transaction); resolves to how many records were pulled. A chunk is posted before the next is pulled, so a
   * record dies young instead of surviving as part of a 20,000-record batch (that batch's garbage collection was
   * ~15 % of the poster's CPU). `pull` runs inside the write transaction: it must be synchronous and never write.
   */
  async applyPulled(pull: () => readonly SettledRecord[]): Promise<number> {
    const { books } = this.o;
    let pulled = 0;
    await this.inBooksTransaction((t) => {
      const from = getOffset(books.offsets, this.name);
      let last = from;
      for (let records = pull(); records.length > 0; records = pull()) {
        pulled += records.length;
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          if (r.seq <= last) continue;
          last = r.seq;
          this.postOne(r, t.open, t.w, t.ctx, t.room);
        }
      }
      // Records whose original did not come within WAIT_MS of stream time post as they would have at once.
      if (t.room.size > 0) for (const x of t.room.takeExpired(this.latestMs)) this.postOne(x, t.open, t.w, t.ctx, null);
      if (last > from) setOffsetInTxn(books.offsets, this.name, last);
    });
    return pulled;
  }

  /**
   * Posts, as they would have been at once, the records still waiting for their original whose business date is
   * `upToDate` or earlier: before that date's batch closes, so its totals hold them. Resolves to how many.
   */
  async releaseWaiting(upToDate: string): Promise<number> {
    let n = 0;
    await this.inBooksTransaction((t) => {
      const due = t.room.takeDue((r) => this.dateOf(r, t.open) <= upToDate);
      for (const x of due) this.postOne(x, t.open, t.w, t.ctx, null);
      n = due.length;
    });
    return n;
  }

  /**
   * ONE books write transaction around `post`: the balance cache checked against the books' generation (and
   * invalid until the commit: an abort leaves values that never happened), a writer, the rule context and the
   * waiting room; then the room, the balances and movements are written, and the commit is awaited on disk.
   */
  private async inBooksTransaction(post: (t: { open: string | undefined; w: LedgerWriter; ctx: RuleContext; room: WaitingRoom }) => void): Promise<void> {
    const { books, calendar } = this.o;
    const cache = this.cache;
    const committedGen = books.root.transactionSync(() => {
      const gen = (books.meta.get(LEDGER_GEN_KEY) as number | undefined) ?? 0;
      if (gen !== cache.gen) cache.clear();
      cache.gen = -1;
      const w = new LedgerWriter(books, cache);
      // No state is held in memory across records: a state opened here is on its posting, a changed one is put
      // at once, and transferState reads either back (this transaction's writes are visible). Holding the ~20,000
      // states a transaction opens, or the ~8,000 it changes until its end, kept them alive through young-generation
      // collections, which cost more CPU than decoding the few that are looked up again (or than writing a state
      // twice when it changes twice in one transaction).
      const ctx: RuleContext = {
        pricing: this.o.pricing,
        state: (id) => transferState(books, id),
        posting: (id) => w.posting(id),
      };
      const room = new WaitingRoom(books);
      post({ open: firstOpenDate(books, calendar), w, ctx, room });
      room.save();
      waitingGauge.set(room.size);
      w.flush();
      return w.generation;
    });
    cache.gen = committedGen;
    await books.root.flushed;
  }

  /** A record's business date: by the calendar, never before the first open date. */
  private dateOf(r: SettledRecord, open: string | undefined, ms = isoMs(r.occurredAt)): string {
    const date = this.o.calendar.businessDateOf(ms, r.currency);
    return open && date < open ? open : date;
  }

  /**
   * Posts one record (its seq is past the offset) inside the caller's transaction. With a waiting room, a
   * completion or reversal whose original is unknown waits there instead (src/ledger/waiting.ts), and the records
   * waiting for this one are posted right after it.
   */
  private postOne(r: SettledRecord, open: string | undefined, w: LedgerWriter, ctx: RuleContext, room: WaitingRoom | null): void {
    const ms = isoMs(r.occurredAt);
    if (ms > this.latestMs) this.latestMs = ms;
    const date = this.dateOf(r, open, ms);
    const invalid = recordProblem(r);
    if (invalid) {
      // A poison record must not stall the consumer: post nothing, keep it visible for reconciliation.
      if (!w.tryPost({ id: r.id, seq: r.seq, kind: r.kind, currency: r.currency, businessDate: date, entries: [], note: `invalid record: ${invalid}` })) {
        duplicates.inc();
        return;
      }
      exceptions.inc({ kind: 'invalid' });
      log(`ledger: skipped invalid settled record seq ${r.seq}: ${invalid}`);
      return;
    }
    const res = recordToPosting(r, date, ctx);
    if (res.missingOriginal && room && mayWait(r)) {
      const got = room.park(r);
      if (got === 'parked') return;
      if (got === 'duplicate') {
        duplicates.inc();
        return;
      }
      // 'full': posted now, as without a waiting room.
    }
    // The id proves a record posted once (noOverwrite in the same write); a duplicate changes nothing.
    if (!w.tryPost(res.posting, r.amount)) {
      duplicates.inc();
      return;
    }
    if (res.posting.note) exceptions.inc({ kind: r.kind });
    const changed = res.states;
    for (let i = 0; i < changed.length; i++) {
      const [id, s] = changed[i];
      if (id !== r.id || !res.posting.transfer) void this.o.books.states.put(id, s);
    }
    if (res.shareCaptureId) applyShares(this.o.books, res.shareCaptureId, res.posting, ctx);
    if (room && room.awaits(r.id)) for (const x of room.release(r.id)) this.postOne(x, open, w, ctx, room);
  }
}

/** Moves seller shares of `captureId` by the posting's seller entries (credit adds, debit takes away). */
function applyShares(books: Books, captureId: string, p: Posting, ctx: RuleContext): void {
  // The capture's business date, looked up only when a share is created (a capture's own posting carries it).
  let capDate = captureId === p.id ? p.businessDate : undefined;
  for (const [a, f, n] of p.entries) {
    // Only seller entries move a share: the prefix test spares parsing every other account id.
    if ((f !== 'D' && f !== 'C') || !a.startsWith('seller:')) continue;
    const acct = parseAccountId(a);
    if (acct.type !== 'seller') continue;
    const key = shareKey(acct.owner, captureId);
    const existing = books.shares.get(key) as ShareRecord | undefined;
    // A matured share is deleted when its batch closes; a later refund then only reduces the balance.
    if (!existing && f === 'D') continue;
    const s = existing ?? {
      sellerId: acct.owner,
      captureId,
      currency: acct.currency,
      amount: 0,
      date: (capDate ??= ctx.state(captureId)?.businessDate ?? p.businessDate),
    };
    s.amount = Math.max(0, s.amount + (f === 'C' ? n : -n));
    books.shares.putSync(key, s);
  }
}

/** The date a share becomes payable when it is not released explicitly. */
export function shareMaturity(s: ShareRecord, holdDays: number): string {
  return addDays(s.date, holdDays);
}

/**
 * Records per books transaction when the ledger drains a stream (default). Every transaction rewrites each
 * touched balance and day movement (~2,500 accounts × 2 in the bench's traffic) and commits once, so 20,000
 * records per transaction halve that per record against one 10,000-record stream read. Not more: at 50,000 the
 * CPU per record measured higher again (likely GC of records that outlive the young generation, and a larger
 * dirty-page set); the records of one transaction are held in memory, which is the bound.
 */
export const LEDGER_TXN_RECORDS = 20_000;
const MAX_TXN_RECORDS = 200_000;
/**
 * Records per pull inside a transaction: small enough that a chunk is still young when it is dropped. A chunk's
 * records (~15 objects and strings each) are live until the chunk is done, so every young-generation collection
 * that falls inside a chunk copies (and on its second survival promotes) all of them: at 500 records per pull that
 * was ~8 % of the poster's instructions (callgrind, steady state); at 100 the collector's share fell to ~2 %,
 * against one more range read per 100 records.
 */
export const PULL_RECORDS = 100;

/**
 * Like drainConsumer, but joins several stream reads (each ≤ MAX_READ) into one poster transaction of up to
 * `recordsPerTxn` records. Applies everything up to the stream's end when called (or `upToSeq`); resolves to
 * the number of records read. Exactly-once is unchanged: each transaction stores its offset with its postings.
 */
export async function drainLedger(stream: SettledStream, poster: LedgerPoster, opts: { recordsPerTxn?: number; upToSeq?: number } = {}): Promise<number> {
  const per = opts.recordsPerTxn ?? LEDGER_TXN_RECORDS;
  if (!Number.isSafeInteger(per) || per < 1 || per > MAX_TXN_RECORDS) throw new Error(`recordsPerTxn must be 1..${MAX_TXN_RECORDS}, got ${per}`);
  const target = opts.upToSeq ?? (await stream.lastSeq());
  let read = 0;
  const readSync = stream.readSync?.bind(stream);
  while (readSync && poster.offset() < target) {
    // Chunks pulled inside the transaction: no record outlives its chunk (see applyPulled).
    let from = poster.offset() + 1;
    let n = 0;
    const got = await poster.applyPulled(() => {
      if (n >= per || from > target) return [];
      const chunk = readSync(from, Math.min(PULL_RECORDS, per - n, target - from + 1));
      if (chunk.length > 0) {
        n += chunk.length;
        from = chunk[chunk.length - 1].seq + 1;
      }
      return chunk;
    });
    if (got === 0) break; // trimmed or not yet visible: never spin
    read += got;
    appliedCounter.inc({ consumer: poster.name }, got);
  }
  while (!readSync && poster.offset() < target) {
    const batch: SettledRecord[] = [];
    let from = poster.offset() + 1;
    while (batch.length < per && from <= target) {
      const chunk = await stream.read(from, Math.min(MAX_READ, per - batch.length, target - from + 1));
      if (chunk.length === 0) break; // trimmed or not yet visible: never spin
      for (const r of chunk) batch.push(r);
      from = chunk[chunk.length - 1].seq + 1;
    }
    if (batch.length === 0) break;
    await poster.apply(batch);
    read += batch.length;
    appliedCounter.inc({ consumer: poster.name }, batch.length);
  }
  lagGauge.set(Math.max(0, (await stream.lastSeq()) - poster.offset()), { consumer: poster.name });
  return read;
}
