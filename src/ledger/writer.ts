// LedgerWriter: applies balanced postings inside ONE books write transaction, caching the touched account
// balances and batch movements and writing each once at flush(). Every posting is checked balanced before it
// touches a balance; a posting id is written once and never again (postings are immutable).
// Hot path: per-batch deltas are plain Numbers, folded into the BigInt totals whenever one passes 2^52; each
// entry adds at most 999 999 999 999 < 2^40, so a delta never loses precision (no total can pass 2^53 − 1).
import { fromStored, toStored, type Balance } from './accounts.js';
import type { Books, KindStat, Movement } from './books.js';
import { assertBalanced, type Posting } from './posting.js';

const FOLD = 2 ** 52;

/**
 * A cached account: its stored BigInt balance plus the open transaction's Number deltas. Kept by a BalanceCache
 * across transactions (one object per account for as long as the cache is valid), so a transaction allocates
 * nothing per account it touches again.
 */
interface Cached {
  account: string;
  base: Balance;
  dp: number;
  cp: number;
  dpe: number;
  cpe: number;
  /** The flush this account was last touched for (see LedgerWriter.stamp): once per flush it joins `touched`. */
  stamp: number;
  /** The account's movement of the date it was last posted on (saves the day-map lookup per entry). */
  moveDate: string | undefined;
  move: Move | undefined;
}

/** A (date, currency, kind) statistic: stored count and amount plus this batch's Number delta. */
interface KindDelta {
  n: number;
  amount: bigint;
  delta: number;
}

/** One account's movement of one date: the stored totals, plus the open transaction's deltas. */
interface Move {
  d: number;
  c: number;
  bd: bigint;
  bc: bigint;
  /** Stored totals (undefined until first read from the books at a flush). */
  td: bigint | undefined;
  tc: bigint | undefined;
  stamp: number;
  key: string;
}

function fold(x: Cached): void {
  x.base.debitsPosted += BigInt(x.dp);
  x.base.creditsPosted += BigInt(x.cp);
  x.base.debitsPending += BigInt(x.dpe);
  x.base.creditsPending += BigInt(x.cpe);
  x.dp = x.cp = x.dpe = x.cpe = 0;
}

/** meta key of the ledger generation: every flush bumps it, so a cache knows whether anyone else wrote since. */
export const LEDGER_GEN_KEY = 'ledgerGen';

/**
 * Committed balances and day movements kept by a long-lived owner (the poster) ACROSS transactions, so each
 * batch does not re-read every account it touches. Valid only while the books' ledger generation is the one the
 * owner saw commit (any other writer's flush, or an aborted transaction, clears it). Bounded by `maxEntries`.
 * The entries are the writer's own working objects (stored values plus the open transaction's deltas): a writer
 * changes them in place, which is why an aborted transaction must clear the cache (gen −1 until the commit).
 */
export class BalanceCache {
  /** Generation the cached values belong to; −1 = invalid (e.g. a transaction is open or was aborted). */
  gen = -1;
  readonly accounts = new Map<string, Cached>();
  /** date → account → movement. */
  readonly moves = new Map<string, Map<string, Move>>();
  /** Movements held (the sum of the day maps' sizes). */
  moveCount = 0;
  constructor(readonly maxEntries = 200_000) {}
  clear(): void {
    this.accounts.clear();
    this.moves.clear();
    this.moveCount = 0;
  }
}

/** Distinct per flush of any writer (a Cached or Move joins a writer's touched list once per flush). */
let nextStamp = 1;

export class LedgerWriter {
  /** The generation this writer's last flush wrote (meta LEDGER_GEN_KEY). */
  generation = -1;
  /** The long-lived cache, or one of this writer's own (then nothing outlives the writer). */
  private readonly cache: BalanceCache;
  private readonly accounts: Map<string, Cached>;
  /** Accounts and movements posted to since the last flush. */
  private touched: Cached[] = [];
  private touchedMoves: Move[] = [];
  private stamp = nextStamp++;
  private readonly kindStats = new Map<string, KindDelta>();
  /** The kindStats entries of the last (date, currency) posted, by kind. */
  private statDate = '';
  private statCurrency = '';
  private statKinds = new Map<string, KindDelta>();

  constructor(
    private readonly books: Books,
    cache?: BalanceCache,
  ) {
    this.cache = cache ?? new BalanceCache(Number.MAX_SAFE_INTEGER);
    this.accounts = this.cache.accounts;
  }

  hasPosting(id: string): boolean {
    return this.books.postings.doesExist(id);
  }

  posting(id: string): Posting | undefined {
    return this.books.postings.get(id);
  }

  private cached(account: string): Cached {
    let x = this.accounts.get(account);
    if (!x) {
      x = { account, base: fromStored(this.books.accounts.get(account)), dp: 0, cp: 0, dpe: 0, cpe: 0, stamp: 0, moveDate: undefined, move: undefined };
      this.accounts.set(account, x);
    }
    if (x.stamp !== this.stamp) {
      x.stamp = this.stamp;
      this.touched.push(x);
    }
    return x;
  }

  /** The account's balance including everything posted through this writer. */
  balance(account: string): Balance {
    const x = this.cached(account);
    fold(x);
    return { ...x.base };
  }

  /** Stores and applies a posting; `gross` (default: none) adds to the batch's per-kind statistics. */
  post(p: Posting, gross?: number): void {
    if (!this.tryPost(p, gross)) throw new Error(`posting ${p.id} already exists: postings are never rewritten`);
  }

  /**
   * Like post, but a posting whose id is already stored writes and applies nothing and returns false. One LMDB
   * operation both proves the id new and writes it (noOverwrite), so the poster needs no separate existence read.
   */
  tryPost(p: Posting, gross?: number): boolean {
    assertBalanced(p);
    const written = this.books.postings.putSync(p.id, p, { noOverwrite: true }) as unknown as boolean;
    if (!written) return false;
    const date = p.businessDate;
    let day: Map<string, Move> | undefined;
    for (const [a, f, n] of p.entries) {
      const x = this.cached(a);
      if (f === 'D') x.dp += n;
      else if (f === 'C') x.cp += n;
      else if (f === 'PD') x.dpe += n;
      else x.cpe += n;
      if (x.dp > FOLD || x.cp > FOLD || x.dpe > FOLD || x.dpe < -FOLD || x.cpe > FOLD || x.cpe < -FOLD) fold(x);
      if (f === 'D' || f === 'C') {
        let m = x.moveDate === date ? x.move : undefined;
        if (!m) {
          day ??= this.day(date);
          m = day.get(a);
          if (!m) {
            day.set(a, (m = { d: 0, c: 0, bd: 0n, bc: 0n, td: undefined, tc: undefined, stamp: 0, key: `${date}|${a}` }));
            this.cache.moveCount++;
          }
          x.moveDate = date;
          x.move = m;
        }
        if (m.stamp !== this.stamp) {
          m.stamp = this.stamp;
          this.touchedMoves.push(m);
        }
        if (f === 'D') m.d += n;
        else m.c += n;
        if (m.d > FOLD || m.c > FOLD) {
          m.bd += BigInt(m.d);
          m.bc += BigInt(m.c);
          m.d = m.c = 0;
        }
      }
    }
    if (gross !== undefined) {
      // Per (date, currency) a kind → statistic map: no key string is built per posting.
      if (p.businessDate !== this.statDate || p.currency !== this.statCurrency) {
        this.statDate = p.businessDate;
        this.statCurrency = p.currency;
        this.statKinds = new Map();
      }
      let s = this.statKinds.get(p.kind);
      if (!s) {
        const key = `${p.businessDate}|${p.currency}|${p.kind}`;
        s = this.kindStats.get(key);
        if (!s) {
          const stored = this.books.stats.get(key);
          s = stored ? { n: stored.n, amount: BigInt(stored.amount), delta: 0 } : { n: 0, amount: 0n, delta: 0 };
          this.kindStats.set(key, s);
        }
        this.statKinds.set(p.kind, s);
      }
      s.n++;
      s.delta += gross;
      if (s.delta > FOLD) {
        s.amount += BigInt(s.delta);
        s.delta = 0;
      }
    }
    return true;
  }

  private day(date: string): Map<string, Move> {
    let day = this.cache.moves.get(date);
    if (!day) this.cache.moves.set(date, (day = new Map()));
    return day;
  }

  /** Writes the touched balances, movements and statistics (still inside the caller's transaction). */
  flush(): void {
    const touched = this.touched;
    for (let i = 0; i < touched.length; i++) {
      const x = touched[i];
      fold(x);
      if (x.base.debitsPending < 0n || x.base.creditsPending < 0n) throw new Error(`account ${x.account}: pending balance went negative`);
      this.books.accounts.putSync(x.account, toStored(x.base));
    }
    const moves = this.touchedMoves;
    for (let i = 0; i < moves.length; i++) {
      const m = moves[i];
      if (m.td === undefined || m.tc === undefined) {
        const stored = this.books.movements.get(m.key);
        m.td = stored ? BigInt(stored.d) : 0n;
        m.tc = stored ? BigInt(stored.c) : 0n;
      }
      m.td += m.bd + BigInt(m.d);
      m.tc += m.bc + BigInt(m.c);
      m.d = m.c = 0;
      m.bd = m.bc = 0n;
      this.books.movements.putSync(m.key, { d: m.td.toString(), c: m.tc.toString() } satisfies Movement);
    }
    this.generation = ((this.books.meta.get(LEDGER_GEN_KEY) as number | undefined) ?? 0) + 1;
    this.books.meta.putSync(LEDGER_GEN_KEY, this.generation);
    for (const [k, s] of this.kindStats) this.books.stats.putSync(k, { n: s.n, amount: (s.amount + BigInt(s.delta)).toString() } satisfies KindStat);
    this.touched = [];
    this.touchedMoves = [];
    this.stamp = nextStamp++;
    const cache = this.cache;
    if (cache.accounts.size + cache.moveCount > cache.maxEntries) cache.clear();
    this.kindStats.clear();
    this.statDate = this.statCurrency = '';
    this.statKinds = new Map();
  }
}
