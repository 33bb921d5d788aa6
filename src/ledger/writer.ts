// LedgerWriter: applies balanced postings inside ONE books write transaction, caching the touched account
// balances and batch movements and writing each once at flush(). Every posting is checked balanced before it
// touches a balance; a posting id is written once and never again (postings are immutable).
// Hot path: per-batch deltas are plain Numbers, folded into the BigInt totals whenever one passes 2^52; each
// entry adds at most 999 999 999 999 < 2^40, so a delta never loses precision (no total can pass 2^53 − 1).
import { fromStored, toStored, type Balance } from './accounts.js';
import type { Books, KindStat, Movement } from './books.js';
import { assertBalanced, type Posting } from './posting.js';

const FOLD = 2 ** 52;

/** A cached account: its stored BigInt balance plus this batch's Number deltas. */
interface Cached {
  base: Balance;
  dp: number;
  cp: number;
  dpe: number;
  cpe: number;
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

interface Move {
  d: number;
  c: number;
  bd: bigint;
  bc: bigint;
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
 */
export class BalanceCache {
  /** Generation the cached values belong to; −1 = invalid (e.g. a transaction is open or was aborted). */
  gen = -1;
  readonly accounts = new Map<string, Balance>();
  readonly moves = new Map<string, { d: bigint; c: bigint }>();
  constructor(readonly maxEntries = 200_000) {}
  clear(): void {
    this.accounts.clear();
    this.moves.clear();
  }
}

export class LedgerWriter {
  /** The generation this writer's last flush wrote (meta LEDGER_GEN_KEY). */
  generation = -1;
  private readonly accounts = new Map<string, Cached>();
  /** date → account → movement. */
  private readonly moves = new Map<string, Map<string, Move>>();
  private readonly kindStats = new Map<string, KindDelta>();
  /** The kindStats entries of the last (date, currency) posted, by kind. */
  private statDate = '';
  private statCurrency = '';
  private statKinds = new Map<string, KindDelta>();

  constructor(
    private readonly books: Books,
    private readonly cache?: BalanceCache,
  ) {}

  hasPosting(id: string): boolean {
    return this.books.postings.doesExist(id);
  }

  posting(id: string): Posting | undefined {
    return this.books.postings.get(id);
  }

  private cached(account: string): Cached {
    let x = this.accounts.get(account);
    if (!x) {
      const hit = this.cache?.accounts.get(account);
      x = { base: hit ? { ...hit } : fromStored(this.books.accounts.get(account)), dp: 0, cp: 0, dpe: 0, cpe: 0, moveDate: undefined, move: undefined };
      this.accounts.set(account, x);
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
          if (!m) day.set(a, (m = { d: 0, c: 0, bd: 0n, bc: 0n }));
          x.moveDate = date;
          x.move = m;
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
    let day = this.moves.get(date);
    if (!day) this.moves.set(date, (day = new Map()));
    return day;
  }

  /** Writes the touched balances, movements and statistics (still inside the caller's transaction). */
  flush(): void {
    const cache = this.cache;
    if (cache && cache.accounts.size + cache.moves.size + this.accounts.size + this.moves.size > cache.maxEntries) cache.clear();
    for (const [a, x] of this.accounts) {
      fold(x);
      if (x.base.debitsPending < 0n || x.base.creditsPending < 0n) throw new Error(`account ${a}: pending balance went negative`);
      this.books.accounts.putSync(a, toStored(x.base));
      cache?.accounts.set(a, { ...x.base });
    }
    for (const [date, day] of this.moves) {
      for (const [a, m] of day) {
        const key = `${date}|${a}`;
        let prev = cache?.moves.get(key);
        if (!prev) {
          const stored = this.books.movements.get(key);
          prev = stored ? { d: BigInt(stored.d), c: BigInt(stored.c) } : { d: 0n, c: 0n };
        }
        const d = prev.d + m.bd + BigInt(m.d);
        const c = prev.c + m.bc + BigInt(m.c);
        this.books.movements.putSync(key, { d: d.toString(), c: c.toString() } satisfies Movement);
        cache?.moves.set(key, { d, c });
      }
    }
    this.generation = ((this.books.meta.get(LEDGER_GEN_KEY) as number | undefined) ?? 0) + 1;
    this.books.meta.putSync(LEDGER_GEN_KEY, this.generation);
    for (const [k, s] of this.kindStats) this.books.stats.putSync(k, { n: s.n, amount: (s.amount + BigInt(s.delta)).toString() } satisfies KindStat);
    this.accounts.clear();
    this.moves.clear();
    this.kindStats.clear();
    this.statDate = this.statCurrency = '';
    this.statKinds = new Map();
  }
}
