// End to end: settled records → ledger → batch close → the real pacs.008 and pain.001 files → a camt.053 "bank
// statement" made from those files with planted faults → reconcile (library and CLI) → exactly the planted
// breaks, with the right categories and amounts, parked in suspense; resolutions audited.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountId, fromStored, netPosted } from '../../src/ledger/accounts.js';
import { getBreak, listBreaks, resolveBreak } from '../../src/recon/breaks.js';
import { writeCamt053, type StatementEntrySpec } from '../../src/recon/camtWriter.js';
import { reportHtml } from '../../src/recon/report.js';
import { persistBreaks, reconcile } from '../../src/recon/run.js';
import { matchedPercent, openBreaks } from '../../src/recon/metrics.js';
import { clearingItems, payoutItems, positionItems } from '../../src/recon/sources.js';
import { openSettlement, settleDate } from '../../src/settlement/run.js';
import type { SettledRecord } from '../../src/stream/types.js';
import { allBalances, trialBalance } from '../ledger/helpers.js';
import { beneficiaryConfig, multiDayRecords } from '../settlement/helpers.js';
import { repoRoot, tempDir } from './helpers.js';

const bin = join(repoRoot, 'bin/gerbang.js');
const AS_OF = '2026-12-01';
const BOOKED = '2026-11-24';

interface FileTx {
  e2e: string;
  amount: number;
  cdi: 'CRDT' | 'DBIT';
}

/** Transactions of a pain.001 / pacs.008 file: EndToEndId, amount, and the switch account's side. */
function fileTransactions(xml: string, switchName: string): FileTx[] {
  return [...xml.matchAll(/<CdtTrfTxInf>(.*?)<\/CdtTrfTxInf>/gs)].map(([, tx]) => {
    const e2e = /<EndToEndId>([^<]+)</.exec(tx)![1];
    const amt = /<(?:InstdAmt|IntrBkSttlmAmt) Ccy="IDR">([\d.]+)</.exec(tx)![1];
    const creditor = /<Cdtr><Nm>([^<]+)</.exec(tx)![1];
    return { e2e, amount: Math.round(Number(amt) * 100), cdi: creditor === switchName ? 'CRDT' : 'DBIT' };
  });
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('reconciliation end to end', () => {
  const dir = tempDir('gerbang-recon-e2e-');
  const cfg = beneficiaryConfig({ payouts: { minAmount: 10_000, holdDays: 0, manualApprovalThreshold: 1e9 } });
  const planted = new Map<string, { category: string; amount: number }>();
  let statement: string;
  let clearing: string;
  let records: SettledRecord[] = [];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist/src/cli/commands/recon.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
    const h = openSettlement(dir, cfg);
    for (const r of multiDayRecords(900, { seed: 11 })) await h.stream.append(r);
    const res = await settleDate(h, '2026-11-23', join(dir, 'out'), { now: new Date('2026-11-23T10:00:00Z') });
    records = await h.stream.read(1, 10_000);
    await h.close();

    const name = cfg.switchParty!.name;
    const pain = fileTransactions(readFileSync(res.paths.find((p) => p.includes('pain001'))!, 'utf8'), name);
    const pacs = fileTransactions(readFileSync(res.paths.find((p) => p.includes('pacs008'))!, 'utf8'), name);
    expect(pain.length).toBeGreaterThan(20);
    expect(pacs.length).toBeGreaterThan(2);

    // The bank's statement of the custodian account, made from what the files asked for, with faults planted.
    const entries: StatementEntrySpec[] = [];
    let n = 0;
    const book = (t: FileTx, extra: Partial<StatementEntrySpec> = {}) =>
      entries.push({ amount: t.amount, currency: 'IDR', cdi: t.cdi, bookingDate: BOOKED, servicerRef: `BNK${++n}`, details: [{ endToEndId: t.e2e, amount: extra.amount ?? t.amount }], ...extra });
    const [altered, missing, duplicated, late, wrongCcy, feeCut, b1, b2, b3, ...rest] = pain;
    book(altered, { amount: altered.amount + 5_000 });
    planted.set(altered.e2e, { category: 'amountMismatch', amount: -5_000 });
    planted.set(missing.e2e, { category: 'missingAtBank', amount: missing.amount });
    book(duplicated);
    book(duplicated);
    planted.set(duplicated.e2e, { category: 'duplicate', amount: -duplicated.amount });
    book(late, { bookingDate: '2026-11-30' });
    planted.set(late.e2e, { category: 'late', amount: 0 });
    entries.push({ amount: wrongCcy.amount, currency: 'USD', cdi: 'DBIT', bookingDate: BOOKED, servicerRef: `BNK${++n}`, details: [{ endToEndId: wrongCcy.e2e }] });
    planted.set(wrongCcy.e2e, { category: 'currencyMismatch', amount: wrongCcy.amount });
    book(feeCut, { amount: feeCut.amount + 2_500 }); // the bank took a 25.00 fee: within tolerance, matched
    // One batch-booked debit carrying three payouts as transaction details.
    entries.push({
      amount: b1.amount + b2.amount + b3.amount, currency: 'IDR', cdi: 'DBIT', bookingDate: BOOKED, servicerRef: `BNK${++n}`, batch: { count: 3 },
      details: [b1, b2, b3].map((t) => ({ endToEndId: t.e2e, amount: t.amount })),
    });
    for (const t of rest) book(t);
    for (const t of pacs) book(t);
    entries.push({ amount: 777_700, currency: 'IDR', cdi: 'CRDT', bookingDate: BOOKED, servicerRef: 'BNK-UNKNOWN', details: [{ endToEndId: 'SOMEONE-ELSES-1' }] });
    planted.set('SOMEONE-ELSES-1', { category: 'missingInSwitch', amount: 777_700 });
    entries.push({ amount: 123_400, currency: 'IDR', cdi: 'CRDT', bookingDate: BOOKED, servicerRef: 'BNK-PENDING', status: 'PDNG' }); // not booked: skipped
    statement = join(dir, 'camt053.xml');
    await writeCamt053(statement, { msgId: 'STMT-1', statementId: 'S-20261124', account: 'ID12GERB00000000001', currency: 'IDR', createdAt: '2026-11-25T01:00:00Z', opening: { amount: 0, cdi: 'CRDT', date: BOOKED } }, entries);

    // The network's clearing file from the settled records, with its own faults.
    const lines = ['record_id,amount,currency,cleared_date,kind'];
    const live = records.filter((r) => ['purchase', 'advice', 'completion', 'refund', 'chargeback', 'representment'].includes(r.kind));
    const reversed = new Set(records.filter((r) => r.kind === 'reversal').map((r) => r.originalId));
    const cleared = live.filter((r) => !reversed.has(r.id));
    cleared.forEach((r, i) => {
      if (i === 3) return; // the network never cleared it
      const amount = i === 5 ? r.amount - 10_000 : r.amount;
      lines.push(`${r.id},${amount},${r.currency},${(r.businessDate ?? r.occurredAt).slice(0, 10)},${r.kind}`);
      if (i === 7) lines.push(`${r.id},${r.amount},${r.currency},${r.occurredAt.slice(0, 10)},${r.kind}`);
    });
    lines.push('NOT-OURS:purchase,5000,360,2026-11-23,purchase');
    clearing = join(dir, 'clearing.csv');
    writeFileSync(clearing, lines.join('\n') + '\n');
    const sign = (r: SettledRecord) => (['refund', 'chargeback'].includes(r.kind) ? -1 : 1);
    planted.set(`clr:${cleared[3].id}`, { category: 'missingAtBank', amount: -sign(cleared[3]) * cleared[3].amount });
    planted.set(`clr:${cleared[5].id}`, { category: 'amountMismatch', amount: -sign(cleared[5]) * 10_000 });
    planted.set(`clr:${cleared[7].id}`, { category: 'duplicate', amount: sign(cleared[7]) * cleared[7].amount });
    planted.set('clr:NOT-OURS:purchase', { category: 'missingInSwitch', amount: 5_000 });
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports exactly the planted breaks, with categories and amounts, and parks them in suspense', async () => {
    const h = openSettlement(dir, cfg);
    try {
      const books = h.ctx.books;
      const out = await reconcile({
        statements: [statement],
        clearing: [clearing],
        bankSide: [...payoutItems(books), ...positionItems(books)],
        clearingSide: await clearingItems(h.stream),
        rules: { amountTolerance: 2_500, windowDays: 2 },
        asOf: AS_OF,
      });
      const r = out.report;
      const got = new Map(r.breaks.map((b) => [(b.recon === 'clearing' ? 'clr:' : '') + b.ref, { category: b.category, amount: b.amount }]));
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(planted));
      expect(r.expected).toEqual([]);
      expect(r.summary.skippedBank).toBe(1);
      expect(r.summary.byRule.tolerant).toBe(1);
      expect(r.summary.breaks).toEqual({ missingAtBank: 2, missingInSwitch: 2, amountMismatch: 2, currencyMismatch: 1, duplicate: 2, late: 1 });
      // Every switch item not planted is matched.
      const plantedSwitch = [...planted.entries()].filter(([k, v]) => v.category !== 'missingInSwitch' && !(k.startsWith('clr:') && v.category === 'duplicate') && !(!k.startsWith('clr:') && v.category === 'duplicate')).length;
      expect(r.summary.matched).toBe(r.summary.switchItems - plantedSwitch);

      // Suspense holds every break's money; the books still balance; a second run records nothing new.
      const first = await persistBreaks(books, r, new Date('2026-12-01T08:00:00Z'));
      expect(first.created).toBe(10);
      // The dashboard's gauges: matched % of the day, open breaks by category across age buckets.
      expect(matchedPercent.get({ date: AS_OF })).toBe(r.summary.matchedPercent);
      const byCat = new Map<string, number>();
      for (const [k, v] of openBreaks.entries()) byCat.set(/category="(\w+)"/.exec(k)![1], (byCat.get(/category="(\w+)"/.exec(k)![1]) ?? 0) + v);
      expect(Object.fromEntries(byCat)).toEqual(r.summary.breaks);
      const suspense = netPosted(accountId('suspense', 'recon', '360'), fromStored(books.accounts.get(accountId('suspense', 'recon', '360'))));
      const idrBreaks = r.breaks.filter((b) => b.category !== 'currencyMismatch').reduce((s, b) => s + b.amount, 0) + planted.get(r.breaks.find((b) => b.category === 'currencyMismatch')!.ref)!.amount;
      // suspense is debit-normal: + bank-holds-more breaks are credits to it.
      expect(suspense).toBe(BigInt(-idrBreaks));
      const usd = netPosted(accountId('suspense', 'recon', '840'), fromStored(books.accounts.get(accountId('suspense', 'recon', '840'))));
      expect(usd).toBe(BigInt(planted.get(r.breaks.find((b) => b.category === 'currencyMismatch')!.ref)!.amount));
      for (const [, x] of trialBalance(allBalances(books))) expect(x.d).toBe(x.c);
      expect((await persistBreaks(books, r, new Date('2026-12-02T08:00:00Z'))).created).toBe(0);

      // Resolving: a write-off and a manual match, each audited; suspense goes back by their amounts.
      const missing = r.breaks.find((b) => b.category === 'missingInSwitch' && b.recon !== 'clearing')!;
      const mism = r.breaks.find((b) => b.category === 'amountMismatch' && b.recon !== 'clearing')!;
      await resolveBreak(books, missing.id, { reason: 'manual-match', by: 'ana@finance', note: 'credit belongs to the ISS1 settlement of 20 Nov', now: new Date('2026-12-02T09:00:00Z') });
      await resolveBreak(books, mism.id, { reason: 'write-off', by: 'budi@finance', note: 'bank charge, agreed', now: new Date('2026-12-02T09:05:00Z') });
      await expect(resolveBreak(books, mism.id, { reason: 'write-off', by: 'x', note: 'again' })).rejects.toThrow(/already resolved/);
      await expect(resolveBreak(books, 'brk_nope', { reason: 'write-off', by: 'x', note: 'y' })).rejects.toThrow(/no break/);
      await expect(resolveBreak(books, missing.id, { reason: 'write-off', by: '', note: 'y' })).rejects.toThrow(/identity/);
      const after = netPosted(accountId('suspense', 'recon', '360'), fromStored(books.accounts.get(accountId('suspense', 'recon', '360'))));
      expect(after).toBe(suspense + BigInt(missing.amount) + BigInt(mism.amount));
      const m = getBreak(books, mism.id)!;
      expect(m.resolution).toMatchObject({ reason: 'write-off', by: 'budi@finance', note: 'bank charge, agreed', at: '2026-12-02T09:05:00.000Z' });
      expect(m.audit.map((a) => a.action)).toEqual(['opened', 'seen', 'resolved']);
      expect(listBreaks(books, { status: 'open' })).toHaveLength(8);
      for (const [, x] of trialBalance(allBalances(books))) expect(x.d).toBe(x.c);

      const html = reportHtml(r);
      expect(html).toContain('Missing at bank');
      expect(html).toContain(missing.ref);
      expect(html).not.toMatch(/<script|https?:\/\//);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('gerbang recon prints the summary, writes JSON/CSV/HTML and ends with the JSON headline', async () => {
    const outDir = join(dir, 'report');
    const r = await run(['recon', '--statement', statement, '--clearing', clearing, '--data', dir, '--config', join(dir, 'cfg.json'), '--out', outDir, '--as-of', AS_OF, '--tolerance', '2500', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toEqual({ matched: expect.any(Number), expected: 0, breaks: { missingAtBank: 2, missingInSwitch: 2, amountMismatch: 2, currencyMismatch: 1, duplicate: 2, late: 1 } });
    expect(r.stdout).toMatch(/Amount mismatch\s+2/);
    const csv = readFileSync(join(outDir, `recon-${AS_OF}.csv`), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(11);
    expect(JSON.parse(readFileSync(join(outDir, `recon-${AS_OF}.json`), 'utf8')).breaks).toHaveLength(10);
    expect(readFileSync(join(outDir, `recon-${AS_OF}.html`), 'utf8')).toContain('<h1>Reconciliation report</h1>');
    const bad = await run(['recon', '--data', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/give at least one --statement/);
  }, 60_000);
});
