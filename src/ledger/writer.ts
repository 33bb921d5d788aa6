// LedgerWriter: applies balanced postings inside ONE books write transaction, caching the touched account
// balances and batch movements and writing each once at flush(). Every posting is checked balanced before it
// touches a balance; a posting id is written once and never again (postings are immutable).
import { fromStored, toStored, type Balance } from './accounts.js';
import type { Books, KindStat, Movement } from './books.js';
import { applyEntry, assertBalanced, type Posting } from './posting.js';

export class LedgerWriter {
  private readonly balances = new Map<string, Balance>();
  private readonly moves = new Map<string, { d: bigint; c: bigint }>();
  private readonly kindStats = new Map<string, { n: number; amount: bigint }>();

  constructor(private readonly books: Books) {}

  hasPosting(id: string): boolean {
    return this.books.postings.doesExist(id);
  }

  posting(id: string): Posting | undefined {
    return this.books.postings.get(id);
  }

  balance(account: string): Balance {
    let b = this.balances.get(account);
    if (!b) {
      b = fromStored(this.books.accounts.get(account));
      this.balances.set(account, b);
    }
    return b;
  }

  /** Stores and applies a posting; `gross` (default: none) adds to the batch's per-kind statistics. */
  post(p: Posting, gross?: number): void {
    assertBalanced(p);
    if (this.books.postings.doesExist(p.id)) throw new Error(`posting ${p.id} already exists: postings are never rewritten`);
    this.books.postings.putSync(p.id, p);
    for (const [a, f, n] of p.entries) {
      applyEntry(this.balance(a), f, n);
      if (f === 'D' || f === 'C') {
        const key = `${p.businessDate}|${a}`;
        let m = this.moves.get(key);
        if (!m) {
          const stored = this.books.movements.get(key);
          m = stored ? { d: BigInt(stored.d), c: BigInt(stored.c) } : { d: 0n, c: 0n };
          this.moves.set(key, m);
        }
        if (f === 'D') m.d += BigInt(n);
        else m.c += BigInt(n);
      }
    }
    if (gross !== undefined) {
      const key = `${p.businessDate}|${p.currency}|${p.kind}`;
      let s = this.kindStats.get(key);
      if (!s) {
        const stored = this.books.stats.get(key);
        s = stored ? { n: stored.n, amount: BigInt(stored.amount) } : { n: 0, amount: 0n };
        this.kindStats.set(key, s);
      }
      s.n++;
      s.amount += BigInt(gross);
    }
  }

  /** Writes the touched balances, movements and statistics (still inside the caller's transaction). */
  flush(): void {
    for (const [a, b] of this.balances) this.books.accounts.putSync(a, toStored(b));
    for (const [k, m] of this.moves) this.books.movements.putSync(k, { d: m.d.toString(), c: m.c.toString() } satisfies Movement);
    for (const [k, s] of this.kindStats) this.books.stats.putSync(k, { n: s.n, amount: s.amount.toString() } satisfies KindStat);
    this.balances.clear();
    this.moves.clear();
    this.kindStats.clear();
  }
}
