import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openBooks } from '../../src/ledger/books.js';
import { drainLedger, LedgerPoster, PULL_RECORDS } from '../../src/ledger/poster.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import type { Posting } from '../../src/ledger/posting.js';
import { openedState, recordToPosting, type TransferState } from '../../src/ledger/rules.js';
import { transferState } from '../../src/ledger/transfers.js';
import { BusinessCalendar } from '../../src/settlement/calendar.js';
import { applyRule, DEFAULT_PRICING, feesFor, type PricingConfig } from '../../src/settlement/pricing.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import { generateRecords } from '../../src/stream/generate.js';
import type { NewSettledRecord, SettledRecord, Split } from '../../src/stream/types.js';
import { allBalances, freshBooks, openStreamAt, replay, tempDir, trialBalance } from './helpers.js';

const pricing: PricingConfig = {
  defaultMdr: { bps: 250, fixed: 150 },
  merchants: { M0003: { bps: 70, fixed: 0 } },
  interchange: { bps: 120, fixed: 0 },
  scheme: { bps: 15, fixed: 5 },
  schemeId: 'SCHEME',
  switchFee: { bps: 0, fixed: 50 },
};
const cal = new BusinessCalendar();

/** An independent model of what each merchant and seller is owed (BigInt, written from the rules' prose). */
function oracle(records: NewSettledRecord[], p: PricingConfig) {
  const owed = new Map<string, bigint>();
  const add = (k: string, n: bigint) => owed.set(k, (owed.get(k) ?? 0n) + n);
  const mdr = (x: number, m: string) => {
    const r = p.merchants?.[m] ?? p.defaultMdr;
    const pct = (BigInt(x) * BigInt(r.bps) * 2n + 10_000n) / 20_000n; // round half up
    const f = BigInt(r.fixed) + pct;
    return f > BigInt(x) ? BigInt(x) : f;
  };
  const share = (x: number, split: Split | undefined, m: string): [string, bigint][] => {
    if (!split) return [[`merchant:${m}`, BigInt(x)]];
    const total = BigInt(split.platformFee + split.sellers.reduce((s, v) => s + v.amount, 0));
    let given = 0n;
    const out: [string, bigint][] = [];
    for (const s of split.sellers) {
      const part = (BigInt(x) * BigInt(s.amount)) / total;
      given += part;
      out.push([`seller:${s.sellerId}`, part]);
    }
    out.push([`merchant:${m}`, BigInt(x) - given]);
    return out;
  };
  const byId = new Map<string, NewSettledRecord>();
  const effect = new Map<string, [string, bigint][]>();
  for (const r of records) {
    byId.set(r.id, r);
    let eff: [string, bigint][] = [];
    if (r.kind === 'purchase' || r.kind === 'advice' || r.kind === 'completion') {
      const fee = mdr(r.amount, r.merchantId);
      eff = r.split
        ? [...r.split.sellers.map((s) => [`seller:${s.sellerId}`, BigInt(s.amount)] as [string, bigint]), [`merchant:${r.merchantId}`, BigInt(r.split.platformFee) - fee]]
        : [[`merchant:${r.merchantId}`, BigInt(r.amount) - fee]];
    } else if (r.kind === 'refund' || r.kind === 'chargeback') {
      const o = byId.get(r.originalId!)!;
      eff = share(r.amount, o.split, o.merchantId).map(([k, v]) => [k, -v]);
    } else if (r.kind === 'reversal' || r.kind === 'representment') {
      eff = (effect.get(r.originalId!) ?? []).map(([k, v]) => [k, -v]);
    }
    effect.set(r.id, eff);
    for (const [k, v] of eff) add(k, v);
  }
  return owed;
}

describe('double-entry ledger over a long random stream', () => {
  it('balances per currency, equals the replay of its postings, and owes each merchant exactly what it earned', async () => {
    const dir = tempDir();
    const { root, stream } = openStreamAt(dir);
    const books = freshBooks(dir);
    const records = [...generateRecords(12_000, { seed: 7, currencies: ['360', '840'], splitShare: 0.3 })];
    for (let i = 0; i < records.length; i += 2_000) await stream.appendMany(records.slice(i, i + 2_000));
    const poster = new LedgerPoster({ books, pricing, calendar: cal });
    await drainConsumer(stream, poster, { batchSize: 1_500 });
    expect(poster.offset()).toBe(records.length);

    const bal = allBalances(books);
    // Debits = credits per currency, posted and pending.
    const tb = trialBalance(bal);
    expect([...tb.keys()].sort()).toEqual(['360', '840']);
    for (const [, t] of tb) {
      expect(t.d).toBe(t.c);
      expect(t.pd).toBe(t.pc);
      expect(t.d).toBeGreaterThan(0n);
    }
    // Every balance equals the replay of its postings.
    const rep = replay(books);
    expect(rep.size).toBe(bal.size);
    for (const [a, b] of bal) expect(rep.get(a), a).toEqual(b);
    // Pending balances are exactly the holds still open.
    const open = records.filter((r) => r.kind === 'preauth' && !records.some((x) => x.originalId === r.id));
    const pendingIssuer = [...bal].filter(([a]) => a.startsWith('issuer:')).reduce((s, [, b]) => s + b.debitsPending, 0n);
    expect(pendingIssuer).toBe(open.reduce((s, r) => s + BigInt(r.amount), 0n));
    // Each merchant and seller is owed exactly what the independent model says — never more.
    const owed = oracle(records, pricing);
    for (const [k, v] of owed) {
      const [type, owner] = k.split(':');
      const cur = records.find((r) => r.merchantId === owner || r.split?.sellers.some((s) => s.sellerId === owner))!.currency;
      const b = bal.get(`${type}:${owner}:${cur}`);
      const net = b ? b.creditsPosted - b.debitsPosted : 0n;
      if (type === 'seller') {
        // Sellers can span currencies; sum over all of theirs.
        const all = [...bal].filter(([a]) => a.startsWith(`seller:${owner}:`)).reduce((s, [, x]) => s + x.creditsPosted - x.debitsPosted, 0n);
        expect(all, k).toBe(v);
      } else expect(net, k).toBe(v);
    }
    // No posting went to suspense: the generator never refunds more than was captured.
    expect([...bal.keys()].some((a) => a.startsWith('suspense:'))).toBe(false);
    await books.root.close();
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a crash inside a batch posts nothing of it; a record id seen again is skipped', async () => {
    const dir = tempDir();
    const books = freshBooks(dir);
    const poster = new LedgerPoster({ books, pricing, calendar: cal });
    const recs = [...generateRecords(50, { seed: 8 })].map((r, i) => ({ ...r, seq: i + 1 })) as SettledRecord[];
    // The disk fails while the batch's balances are written, after its postings: the whole batch rolls back.
    const putSync = books.accounts.putSync.bind(books.accounts);
    books.accounts.putSync = () => {
      throw new Error('disk full');
    };
    await expect(poster.apply(recs.slice(0, 30))).rejects.toThrow('disk full');
    books.accounts.putSync = putSync;
    expect(poster.offset()).toBe(0);
    expect(books.postings.getKeysCount()).toBe(0);
    await poster.apply(recs.slice(0, 30));
    expect(poster.offset()).toBe(30);
    // Re-delivery (offsets ≤ 30) and the same ids under new sequence numbers (a NATS re-publish) change nothing.
    const before = allBalances(books);
    const statesBefore = [...books.states.getRange()].map(({ key, value }) => [key, value]);
    await poster.apply([...recs.slice(20, 30), ...recs.slice(0, 5).map((r, i) => ({ ...r, seq: 31 + i }))]);
    expect(allBalances(books)).toEqual(before);
    // The duplicate is detected by the posting write itself: its transfer-state changes are not applied either.
    expect([...books.states.getRange()].map(({ key, value }) => [key, value])).toEqual(statesBefore);
    expect(poster.offset()).toBe(35);
    expect(books.postings.getKeysCount()).toBe(30);
    // A malformed record (a split that does not add up) posts nothing, is noted, and does not stall the poster.
    const bad = { ...recs[40], seq: 36, split: { platformFee: -5, sellers: [{ sellerId: 'S', amount: recs[40].amount + 5 }] } } as SettledRecord;
    await poster.apply([bad]);
    expect(poster.offset()).toBe(36);
    expect(books.postings.get(bad.id)).toMatchObject({ entries: [], note: expect.stringMatching(/invalid record: .*platformFee/) });
    expect(allBalances(books)).toEqual(before);
    await books.root.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('poster balance cache across transactions', () => {
  it('re-reads balances and movements after another writer or an aborted batch, and matches a cold poster', async () => {
    const recs = [...generateRecords(300, { seed: 11, merchants: 5, sellers: 3, splitShare: 0.3 })].map((r, i) => ({ ...r, seq: i + 1 })) as SettledRecord[];
    const dirA = tempDir();
    const dirB = tempDir();
    const a = freshBooks(dirA);
    const b = freshBooks(dirB);
    const warm = new LedgerPoster({ books: a, pricing, calendar: cal });
    await warm.apply(recs.slice(0, 100));
    // Another writer (recon, disputes, a batch close) moves money on an account the poster has cached.
    const acct = [...allBalances(a).keys()].find((k) => k.startsWith('merchant:'))!;
    const cur = acct.slice(acct.lastIndexOf(':') + 1);
    const date = recs[0].occurredAt.slice(0, 10);
    const other = (books: typeof a) =>
      books.root.transactionSync(() => {
        const w = new LedgerWriter(books);
        w.post({ id: 'manual:1', seq: 0, kind: 'adjustment', currency: cur, businessDate: date, entries: [[acct, 'D', 777], [`suspense:recon:${cur}`, 'D', 1], [`fees:switch:${cur}`, 'C', 778]] });
        w.flush();
      });
    other(a);
    // An aborted batch: its values must not survive in the cache.
    const putSync = a.accounts.putSync.bind(a.accounts);
    a.accounts.putSync = ((k: string, v: unknown) => {
      if (k.startsWith('fees:')) throw new Error('disk full');
      return putSync(k, v as never);
    }) as typeof a.accounts.putSync;
    await expect(warm.apply(recs.slice(100, 200))).rejects.toThrow('disk full');
    a.accounts.putSync = putSync;
    await warm.apply(recs.slice(100, 200));
    await warm.apply(recs.slice(200, 300));
    // The same history on books that never had a cache warm between batches.
    const cold1 = new LedgerPoster({ books: b, pricing, calendar: cal });
    await cold1.apply(recs.slice(0, 100));
    other(b);
    await new LedgerPoster({ books: b, pricing, calendar: cal }).apply(recs.slice(100, 200));
    await new LedgerPoster({ books: b, pricing, calendar: cal }).apply(recs.slice(200, 300));
    expect(allBalances(a)).toEqual(allBalances(b));
    expect([...a.movements.getRange()].map(({ key, value }) => [key, value])).toEqual([...b.movements.getRange()].map(({ key, value }) => [key, value]));
    expect(allBalances(a).get(acct)!.debitsPosted).toBeGreaterThanOrEqual(777n);
    await a.root.close();
    await b.root.close();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });
});

describe('ledger totals past 2^53 − 1', () => {
  it('stays exact: 10 000 postings of the largest amount in one batch', async () => {
    const dir = tempDir();
    const books = freshBooks(dir);
    const max = 999_999_999_999;
    books.root.transactionSync(() => {
      const w = new LedgerWriter(books);
      for (let i = 0; i < 10_000; i++) {
        w.post({ id: `big${i}`, seq: i + 1, kind: 'purchase', currency: '360', businessDate: '2026-11-23', entries: [['issuer:X:360', 'D', max], ['merchant:Y:360', 'C', max]] });
      }
      w.flush();
    });
    const total = 10_000n * BigInt(max);
    expect(total > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const bal = allBalances(books);
    expect(bal.get('issuer:X:360')!.debitsPosted).toBe(total);
    expect(bal.get('merchant:Y:360')!.creditsPosted).toBe(total);
    expect(books.movements.get('2026-11-23|merchant:Y:360')).toEqual({ d: '0', c: total.toString() });
    // An unbalanced posting never touches a balance.
    expect(() =>
      books.root.transactionSync(() => new LedgerWriter(books).post({ id: 'bad', seq: 0, kind: 'x', currency: '360', businessDate: '2026-11-23', entries: [['issuer:X:360', 'D', 2], ['merchant:Y:360', 'C', 1]] })),
    ).toThrow(/debits 2 ≠ credits 1/);
    await books.root.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('posting rules', () => {
  const ctxFor = (states: Map<string, TransferState>, postings = new Map()) => ({ pricing, state: (id: string) => states.get(id), posting: (id: string) => postings.get(id) });
  const base = { merchantId: 'M0001', acquirerId: 'ACQ1', issuerId: 'ISS1', currency: '360', occurredAt: '2026-11-24T02:00:00.000Z' };

  it('prices a purchase: MDR 2.50 % + 150, interchange 1.20 %, scheme 0.15 % + 5, switch 50; acquirer keeps the rest', () => {
    const r: SettledRecord = { ...base, id: 'T1:purchase', seq: 1, kind: 'purchase', txnId: 'T1', amount: 1_000_050 };
    const { posting } = recordToPosting(r, '2026-11-24', ctxFor(new Map()));
    // 1 000 050 × 2.5 % = 25 001.25 → 25 001 (+150 = 25 151); × 1.2 % = 12 000.6 → 12 001; × 0.15 % = 1 500.075 → 1 500 (+5).
    expect(posting.entries).toEqual([
      ['issuer:ISS1:360', 'D', 1_000_050],
      ['interchange:ISS1:360', 'C', 12_001],
      ['scheme:SCHEME:360', 'C', 1_505],
      ['fees:switch:360', 'C', 50],
      ['acquirer:ACQ1:360', 'C', 25_151 - 12_001 - 1_505 - 50],
      ['merchant:M0001:360', 'C', 1_000_050 - 25_151],
    ]);
  });

  it('holds, captures partly and releases the rest (two-phase), and voids a reversed hold', () => {
    const states = new Map<string, TransferState>();
    const pa: SettledRecord = { ...base, id: 'T2:preauth', seq: 1, kind: 'preauth', txnId: 'T2', amount: 500_000 };
    const r1 = recordToPosting(pa, '2026-11-24', ctxFor(states));
    expect(r1.posting.entries).toEqual([['issuer:ISS1:360', 'PD', 500_000], ['merchant:M0001:360', 'PC', 500_000]]);
    for (const [k, v] of r1.states) states.set(k, v);
    const comp: SettledRecord = { ...base, id: 'T2:completion', seq: 2, kind: 'completion', txnId: 'T2', amount: 320_000, originalId: 'T2:preauth' };
    const r2 = recordToPosting(comp, '2026-11-24', ctxFor(states));
    expect(r2.posting.entries.slice(0, 3)).toEqual([['issuer:ISS1:360', 'PD', -500_000], ['merchant:M0001:360', 'PC', -500_000], ['issuer:ISS1:360', 'D', 320_000]]);
    expect(r2.states.find(([k]) => k === 'T2:preauth')![1].status).toBe('posted');
    // A hold reversed before completion is voided.
    const s2 = new Map<string, TransferState>(r1.states);
    const rev: SettledRecord = { ...base, id: 'T2:reversal', seq: 3, kind: 'reversal', txnId: 'T2', amount: 500_000, originalId: 'T2:preauth' };
    const r3 = recordToPosting(rev, '2026-11-24', ctxFor(s2, new Map([['T2:preauth', r1.posting]])));
    expect(r3.posting.entries).toEqual([['issuer:ISS1:360', 'PD', -500_000], ['merchant:M0001:360', 'PC', -500_000]]);
  });

  it('takes a refund of a split payment from the sellers pro rata and sends an excess to suspense', () => {
    const split = { platformFee: 10_000, sellers: [{ sellerId: 'SA', amount: 60_000 }, { sellerId: 'SB', amount: 30_000 }] };
    const cap: SettledRecord = { ...base, id: 'T3:purchase', seq: 1, kind: 'purchase', txnId: 'T3', amount: 100_000, split };
    const states = new Map(recordToPosting(cap, '2026-11-24', ctxFor(new Map())).states);
    const ref: SettledRecord = { ...base, id: 'T4:refund', seq: 2, kind: 'refund', txnId: 'T4', amount: 150_001, originalId: 'T3:purchase' };
    const { posting } = recordToPosting(ref, '2026-11-24', ctxFor(states));
    expect(posting.entries).toEqual([
      ['merchant:M0001:360', 'D', 10_000],
      ['seller:SA:360', 'D', 60_000],
      ['seller:SB:360', 'D', 30_000],
      ['suspense:recon:360', 'D', 50_001],
      ['issuer:ISS1:360', 'C', 150_001],
    ]);
    expect(posting.note).toMatch(/exceeds/);
  });

  it('rounds fee percentages half up, exactly, for every amount up to 12 digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 1_000_000 }), (amount, bps, fixed) => {
        const exact = (BigInt(amount) * BigInt(bps) * 2n + 10_000n) / 20_000n + BigInt(fixed);
        expect(BigInt(applyRule(amount, { bps, fixed }))).toBe(exact);
      }),
      { numRuns: 2_000 },
    );
    expect(applyRule(50, { bps: 100, fixed: 0 })).toBe(1); // 0.5 → 1 (half up)
    expect(applyRule(49, { bps: 100, fixed: 0 })).toBe(0);
    expect(feesFor(100, 'M', 'I', { ...DEFAULT_PRICING, defaultMdr: { bps: 0, fixed: 500 } }).mdr).toBe(100); // capped
  });
});

describe('drainLedger: several stream reads joined into one books transaction', () => {
  it('caps each transaction at recordsPerTxn, resumes after a failed one, and books exactly what small transactions book', async () => {
    const N = 23_000; // > 2 stream reads of MAX_READ (10,000)
    const dir = tempDir();
    const { root, stream } = openStreamAt(dir);
    const recs = [...generateRecords(N, { seed: 21, merchants: 20, sellers: 6, splitShare: 0.2 })];
    await stream.appendMany(recs);
    const big = openBooks(join(dir, 'big'));
    const small = openBooks(join(dir, 'small'));
    const poster = new LedgerPoster({ books: big, pricing, calendar: cal });
    // Records per books transaction, and the chunks each was pulled in (inside the transaction, LMDB stream).
    const sizes: number[] = [];
    const chunks: number[] = [];
    const applyPulled = poster.applyPulled.bind(poster);
    poster.applyPulled = (pull) => {
      sizes.push(0);
      return applyPulled(() => {
        const chunk = pull();
        sizes[sizes.length - 1] += chunk.length;
        if (chunk.length > 0) chunks.push(chunk.length);
        return chunk;
      });
    };
    // The second transaction fails while writing balances: nothing of it stays, the first one does.
    const putSync = big.accounts.putSync.bind(big.accounts);
    big.accounts.putSync = ((k: string, v: unknown) => {
      if (sizes.length === 2) throw new Error('disk full');
      return putSync(k, v as never);
    }) as typeof big.accounts.putSync;
    await expect(drainLedger(stream, poster, { recordsPerTxn: 12_000 })).rejects.toThrow('disk full');
    big.accounts.putSync = putSync;
    expect(poster.offset()).toBe(12_000);
    expect(big.postings.getKeysCount()).toBe(12_000);
    expect(await drainLedger(stream, poster, { recordsPerTxn: 12_000 })).toBe(N - 12_000);
    expect(sizes).toEqual([12_000, 11_000, 11_000]);
    expect(Math.max(...chunks)).toBe(PULL_RECORDS); // no transaction's records held at once
    expect(await drainLedger(stream, poster, { recordsPerTxn: 12_000 })).toBe(0);
    expect(sizes.length).toBe(3);
    await expect(drainLedger(stream, poster, { recordsPerTxn: 0 })).rejects.toThrow(/recordsPerTxn/);
    await expect(drainLedger(stream, poster, { recordsPerTxn: 200_001 })).rejects.toThrow(/recordsPerTxn/);

    // The same stream in 1,000-record transactions: same balances, day movements, statistics and transfer states.
    await drainConsumer(stream, new LedgerPoster({ books: small, pricing, calendar: cal }), { batchSize: 1_000 });
    const dump = (db: typeof big.movements | typeof big.stats | typeof big.states) => [...db.getRange()].map(({ key, value }) => [key, value]);
    expect(allBalances(big)).toEqual(allBalances(small));
    expect(dump(big.movements)).toEqual(dump(small.movements));
    expect(dump(big.stats)).toEqual(dump(small.stats));
    expect(dump(big.states)).toEqual(dump(small.states));
    expect(allBalances(big)).toEqual(replay(big));
    for (const t of trialBalance(allBalances(big)).values()) {
      expect(t.d).toBe(t.c);
      expect(t.pd).toBe(t.pc);
    }
    await big.root.close();
    await small.root.close();
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('transfer states: opened on the posting, stored only once changed', () => {
  it('transferState returns for every record exactly the state a full state table would hold, with fewer writes', async () => {
    const N = 6_000;
    const dir = tempDir();
    const { root, stream } = openStreamAt(dir);
    const recs = [...generateRecords(N, { seed: 33, merchants: 15, sellers: 5, splitShare: 0.3 })];
    await stream.appendMany(recs);
    const books = openBooks(join(dir, 'books'));
    const poster = new LedgerPoster({ books, pricing, calendar: cal });
    // 1,000 records per transaction: follow-ups find their originals both in the same and in earlier transactions.
    await drainLedger(stream, poster, { recordsPerTxn: 1_000 });
    // The model: every state every rule ever set, kept in memory (what books.states held before).
    const model = new Map<string, TransferState>();
    const postings = new Map<string, Posting>();
    const ctx = { pricing, state: (id: string) => model.get(id), posting: (id: string) => postings.get(id) };
    let opened = 0;
    for (const r of await stream.read(1, N)) {
      const res = recordToPosting(r, cal.businessDateOf(Date.parse(r.occurredAt), r.currency), ctx);
      postings.set(r.id, res.posting);
      for (const [id, s] of res.states) model.set(id, s);
      const own = res.states.find(([id]) => id === r.id)?.[1];
      // The opened state is rebuilt from the posting field for field, in the same order.
      expect(openedState(res.posting)).toStrictEqual(own);
      if (own) expect(Object.keys(openedState(res.posting)!)).toEqual(Object.keys(own));
      if (own) opened++;
    }
    expect(opened).toBeGreaterThan(N / 2);
    for (const [id, s] of model) expect(transferState(books, id)).toStrictEqual(s);
    // Only changed states were written (voided, posted holds, refunded/charged-back/reversed captures).
    const stored = books.states.getKeysCount();
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(model.size - opened / 2);
    expect(transferState(books, 'no-such-record')).toBeUndefined();
    await books.root.close();
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
