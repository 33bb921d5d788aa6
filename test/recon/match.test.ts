import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseClearing, readClearing } from '../../src/recon/clearing.js';
import { bankItems, categorise, match, Matcher } from '../../src/recon/match.js';
import type { BankEntry, BankItem, SwitchItem } from '../../src/recon/types.js';
import { collect, repoRoot } from './helpers.js';

const sw = (ref: string, amount: number, extra: Partial<SwitchItem> = {}): SwitchItem => ({ ref, amount, currency: 'IDR', cdi: 'DBIT', date: '2026-11-23', kind: 'payout', ...extra });
let k = 0;
const bk = (refs: string[], amount: number, extra: Partial<BankItem> = {}): BankItem => ({ key: `s#${k++}`, refs, amount, currency: 'IDR', cdi: 'DBIT', date: '2026-11-24', source: 's', label: 'e', ...extra });

describe('matching rules', () => {
  it('exact by reference, tolerant within the fee tolerance, amount mismatch beyond it', () => {
    const r = match([sw('A', 1000), sw('B', 2000), sw('C', 3000)], [bk(['x', 'A'], 1000), bk(['B'], 1995), bk(['C'], 2900)], { amountTolerance: 10 }, '2026-11-24');
    expect(r.matches.map((m) => [m.rule, m.switchRefs[0], m.difference])).toEqual([['exact', 'A', 0], ['tolerant', 'B', 5]]);
    expect(r.breaks.map((b) => [b.category, b.ref, b.amount])).toEqual([['amountMismatch', 'C', 100]]);
    expect(r.stats.matchedSwitch).toBe(2);
  });

  it('tolerant by amount and date window when the bank gives no known reference', () => {
    const r = match([sw('A', 1000, { date: '2026-11-20' }), sw('B', 5000)], [bk(['?'], 5004), bk(['??'], 1000, { date: '2026-11-24' })], { amountTolerance: 5, windowDays: 2 }, '2026-11-30');
    // B matches by amount within 5; A's only candidate is booked 4 days after its date: outside the window.
    expect(r.matches.map((m) => [m.rule, m.switchRefs[0]])).toEqual([['tolerant', 'B']]);
    expect(r.breaks.map((b) => b.category).sort()).toEqual(['missingAtBank', 'missingInSwitch']);
  });

  it('one-to-many: a batch-booked debit carrying the PmtInfId nets its payouts', () => {
    const items = [sw('P1', 100, { group: 'B1-IDR' }), sw('P2', 200, { group: 'B1-IDR' }), sw('P3', 300, { group: 'B2-IDR' })];
    const r = match(items, [bk(['B1-IDR'], 300), bk(['B2-IDR'], 301)], {}, '2026-11-24');
    expect(r.matches).toEqual([{ rule: 'oneToMany', switchRefs: ['P1', 'P2'], bankKeys: [expect.any(String)], difference: 0, currency: 'IDR' }]);
    // P3 is still within its window; the 301 entry is not (yet) a break either.
    expect(r.expected.map((e) => [e.side, e.ref])).toEqual([['switch', 'P3'], ['bank', 'B2-IDR']]);
  });

  it('many-to-one: parts naming one item that add up; parts that do not are a mismatch and duplicates', () => {
    const r = match([sw('P1', 1000), sw('P2', 1000)], [bk(['P1'], 400), bk(['P2'], 300), bk(['P1'], 600), bk(['P2'], 300)], {}, '2026-11-24');
    expect(r.matches.map((m) => [m.rule, m.switchRefs[0], m.bankKeys.length])).toEqual([['manyToOne', 'P1', 2]]);
    expect(r.breaks.map((b) => [b.category, b.ref, b.amount])).toEqual([['amountMismatch', 'P2', 700], ['duplicate', 'P2', -300]]);
  });

  it('duplicates, currency mismatches and late bookings are breaks with their categories', () => {
    const r = match(
      [sw('A', 1000), sw('B', 2000), sw('C', 3000, { date: '2026-11-20' })],
      [bk(['A'], 1000), bk(['A'], 1000), bk(['B'], 2000, { currency: 'USD' }), bk(['C'], 3000, { date: '2026-11-24' })],
      { windowDays: 2 },
      '2026-11-24',
    );
    expect(r.matches.map((m) => m.switchRefs[0])).toEqual(['A']);
    expect(r.breaks.map((b) => [b.category, b.ref, b.amount])).toEqual([['duplicate', 'A', -1000], ['currencyMismatch', 'B', 2000], ['late', 'C', 0]]);
    expect(r.breaks[1]).toMatchObject({ bankCurrency: 'USD', bankAmount: -2000 });
    expect(r.breaks[2].ageDays).toBe(4);
    const c = categorise(r.breaks);
    expect([c.duplicate.count, c.currencyMismatch.count, c.late.count, c.missingAtBank.count]).toEqual([1, 1, 1, 0]);
  });

  it('expected until the window closes, then missing at bank / missing in switch, with an age', () => {
    const items = [sw('A', 1000, { date: '2026-11-23' })];
    const bank = [bk(['Z'], 777, { date: '2026-11-23' })];
    const early = match(items, bank, { windowDays: 2 }, '2026-11-25');
    expect(early.breaks).toEqual([]);
    expect(early.expected.map((e) => [e.side, e.windowEnds])).toEqual([['switch', '2026-11-25'], ['bank', '2026-11-25']]);
    const late = match(items, bank, { windowDays: 2 }, '2026-11-26');
    expect(late.expected).toEqual([]);
    expect(late.breaks.map((b) => [b.category, b.amount, b.ageDays])).toEqual([['missingAtBank', 1000, 3], ['missingInSwitch', -777, 3]]);
  });

  it('is streaming: bank items offered one by one give the same result as the batch call, ids are stable', () => {
    const items = Array.from({ length: 200 }, (_, i) => sw(`P${i}`, 100 + i));
    const bank = items.filter((_, i) => i % 7 !== 0).map((s, i) => bk([s.ref], i % 11 === 0 ? s.amount + 1 : s.amount, { key: `f#${i}` }));
    const a = match(items, bank, {}, '2026-12-01');
    const m = new Matcher(items, {}, '2026-12-01');
    for (const b of bank) m.offer(b);
    const b = m.finish();
    expect(b).toEqual(a);
    expect(a.breaks.filter((x) => x.category === 'missingAtBank')).toHaveLength(29);
    expect(a.breaks.filter((x) => x.category === 'amountMismatch')).toHaveLength(Math.ceil(bank.length / 11));
  });
});

describe('the allocation-free path for big statements', () => {
  it('offerEntry with the match list full counts the same as the general path', () => {
    const items = Array.from({ length: 300 }, (_, i) => sw(`P${i}`, 100 + i));
    const entries: BankEntry[] = items.map((s, i) => ({
      source: 'f', index: i, message: '053', statementId: 'S', account: 'A', amount: i % 13 === 0 ? s.amount + 7 : s.amount, currency: i % 29 === 0 ? 'USD' : 'IDR',
      cdi: 'DBIT', reversal: false, status: 'BOOK', bookingDate: i % 31 === 0 ? '2026-11-30' : '2026-11-24', details: [{ endToEndId: i % 17 === 0 ? `X${i}` : s.ref }],
      ...(i % 17 === 0 ? { servicerRef: s.ref } : {}),
    }));
    entries.push({ ...entries[5], index: 999 }); // a duplicate
    const run = (fast: boolean) => {
      const m = new Matcher(items, { keepMatches: 0 }, '2026-12-05');
      for (const e of entries) if (fast) m.offerEntry(e);
      else for (const b of bankItems(e)) m.offer(b);
      const r = m.finish();
      return { stats: r.stats, breaks: r.breaks.map((b) => [b.category, b.ref, b.amount]) };
    };
    const fast = run(true);
    expect(fast).toEqual(run(false));
    expect(fast.stats.byRule.exact).toBeGreaterThan(200);
    expect(fast.breaks.filter((b) => b[0] === 'duplicate')).toHaveLength(1);
  });
});

describe('clearing CSV', () => {
  it('reads columns by header in any order, quoted fields, CRLF, and debits for refunds', async () => {
    const csv = 'arn,cleared_date,currency,amount,record_id,kind\r\n"A,1",2026-11-23,360,150000,T1:purchase,purchase\r\n,2026-11-23,IDR,5000,T2:refund,refund\n';
    const items = (await collect(parseClearing([csv.slice(0, 30), csv.slice(30)], { source: 'c.csv' }))).flat();
    expect(items.map((b) => [b.refs, b.amount, b.currency, b.cdi, b.date])).toEqual([
      [['T1:purchase', 'A,1'], 150000, 'IDR', 'CRDT', '2026-11-23'],
      [['T2:refund'], 5000, 'IDR', 'DBIT', '2026-11-23'],
    ]);
  });
  it('reads the documented sample in test/fixtures/recon', async () => {
    const items = (await collect(readClearing(join(repoRoot, 'test/fixtures/recon/clearing-sample.csv')))).flat();
    expect(items.map((b) => [b.refs[0], b.amount, b.cdi, b.date])).toEqual([
      ['Tb-0000001:purchase', 150000, 'CRDT', '2026-11-23'],
      ['Tb-0000002:refund', 5000, 'DBIT', '2026-11-23'],
      ['Tb-0000003:completion', 98000, 'CRDT', '2026-11-24'],
    ]);
    expect(items[0].refs[1]).toBe('74000012026112300000017');
  });
  it('names the line of a bad field', async () => {
    const head = 'record_id,amount,currency,cleared_date\n';
    await expect(collect(parseClearing([head + 'A,12.5,360,2026-11-23\n'], { source: 'c.csv' }))).rejects.toThrow(/c\.csv: line 2: amount "12.5"/);
    await expect(collect(parseClearing([head + 'A,1,999,2026-11-23\n']))).rejects.toThrow(/line 2: unknown currency/);
    await expect(collect(parseClearing([head + 'A,1,360,23/11/2026\n']))).rejects.toThrow(/line 2: cleared_date/);
    await expect(collect(parseClearing(['id,amount\nA,1\n']))).rejects.toThrow(/header lacks column record_id/);
  });
});
