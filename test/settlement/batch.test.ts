import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allBalances, freshBooks, openStreamAt, tempDir, trialBalance } from '../ledger/helpers.js';
import { LedgerPoster } from '../../src/ledger/poster.js';
import { closeBatch, getBatch, writeBatchFiles } from '../../src/settlement/batch.js';
import { settlementContext } from '../../src/settlement/context.js';
import { feesFor } from '../../src/settlement/pricing.js';
import { listPayouts } from '../../src/settlement/payouts.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import { beneficiaryConfig, endToEndIds, multiDayRecords, validateAgainst } from './helpers.js';

function snapshot(books: ReturnType<typeof freshBooks>): string {
  const out: string[] = [];
  for (const db of [books.accounts, books.postings, books.states, books.movements, books.stats, books.batches, books.shares, books.payouts, books.offsets, books.meta]) {
    for (const { key, value } of db.getRange()) out.push(JSON.stringify([key, value]));
  }
  return out.join('\n');
}

describe('closing a batch', () => {
  it('computes totals and net positions, writes schema-valid pacs.008 and pain.001, and a second close changes nothing', async () => {
    const dir = tempDir('gerbang-batch-');
    const { root, stream } = openStreamAt(dir);
    const books = freshBooks(dir);
    const records = multiDayRecords(3_000);
    // The busiest merchant of Monday morning gets the name on the watch list.
    const sales = new Map<string, number>();
    for (const r of records.slice(0, 300)) if (r.kind === 'purchase') sales.set(r.merchantId, (sales.get(r.merchantId) ?? 0) + r.amount);
    const aml = [...sales].sort((a, b) => b[1] - a[1])[0][0];
    const cfg = beneficiaryConfig({}, aml);
    const ctx = settlementContext(books, cfg);
    await stream.appendMany(records);
    await drainConsumer(stream, new LedgerPoster({ books, pricing: ctx.pricing, calendar: ctx.calendar }));

    const now = new Date('2026-11-23T09:30:00Z'); // 16:30 in Jakarta, after the 16:00 IDR cut-off
    await expect(closeBatch(ctx, '2026-11-23', { now: new Date('2026-11-23T08:59:00Z') })).rejects.toThrow(/cut-off/);
    await expect(closeBatch(ctx, '2026-11-22', { now })).rejects.toThrow(/not a business day/);
    const { batch, created } = await closeBatch(ctx, '2026-11-23', { now });
    expect(created).toBe(true);
    expect(batch.id).toBe('B20261123');

    // Everything before 16:00 Jakarta on Monday (09:00Z) is Monday's; the rest is Tuesday's.
    const monday = records.filter((r) => Date.parse(r.occurredAt) < Date.parse('2026-11-23T09:00:00Z'));
    expect(monday.length).toBeGreaterThan(100);
    expect(monday.length).toBeLessThan(records.length);
    const t = batch.totals.find((x) => x.currency === '360')!;
    expect(Object.values(t.kinds).reduce((s, k) => s + k.n, 0)).toBe(monday.length);
    expect(BigInt(t.kinds.purchase.amount)).toBe(monday.filter((r) => r.kind === 'purchase').reduce((s, r) => s + BigInt(r.amount), 0n));

    // Issuer positions, computed independently from the records: captures less interchange, less refunds and
    // chargebacks, plus representments; a reversal undoes what its original did.
    const byId = new Map(records.map((r) => [r.id, r]));
    const effect = (id: string): bigint => {
      const r = byId.get(id)!;
      if (r.kind === 'purchase' || r.kind === 'advice' || r.kind === 'completion') return BigInt(r.amount - feesFor(r.amount, r.merchantId, r.issuerId, ctx.pricing).interchange);
      if (r.kind === 'refund' || r.kind === 'chargeback') return -BigInt(r.amount);
      if (r.kind === 'representment') return BigInt(r.amount);
      if (r.kind === 'reversal') {
        const o = byId.get(r.originalId!)!;
        return o.kind === 'preauth' ? 0n : -effect(o.id);
      }
      return 0n;
    };
    const expected = new Map<string, bigint>();
    for (const r of monday) expected.set(r.issuerId, (expected.get(r.issuerId) ?? 0n) + effect(r.id));
    for (const [iss, v] of expected) expect(BigInt(batch.positions.find((p) => p.participant === iss)!.amount), iss).toBe(v);
    // What issuers pay in = what scheme, acquirer and the payables get: the positions net to the custodian's movement.
    const scheme = batch.positions.find((p) => p.participant === 'SCHEME')!;
    expect(BigInt(scheme.amount)).toBeLessThan(0n);

    // Files: names carry the batch id; both validate against the official schemas.
    const out = join(dir, 'out');
    const files = await writeBatchFiles(ctx, batch, out);
    expect(files.paths.map((p) => p.slice(out.length + 1))).toEqual(['pacs008-B20261123.xml', 'pain001-B20261123.xml']);
    const pacs = readFileSync(files.paths[0], 'utf8');
    const pain = readFileSync(files.paths[1], 'utf8');
    expect(await validateAgainst(pacs, 'pacs.008.001.09.xsd')).toEqual([]);
    expect(await validateAgainst(pain, 'pain.001.001.10.xsd')).toEqual([]);
    expect(pacs).toContain('<MsgId>B20261123-PACS008</MsgId>');
    expect(pacs).toContain('<BICFI>BNINIDJA</BICFI>');
    expect(endToEndIds(pacs).length).toBe(batch.positions.filter((p) => p.amount !== '0').length);

    // Payouts: every payable merchant above the minimum, except the AML hit (held, not in the file).
    const payouts = listPayouts(ctx);
    const held = payouts.filter((p) => p.status === 'held_aml');
    expect(held.map((p) => p.beneficiary.id)).toEqual([aml]);
    expect(held[0].screening).toMatchObject({ hit: true, entry: 'ABU BAKR TRADING' });
    const sent = payouts.filter((p) => p.status === 'sent');
    expect(sent.length).toBeGreaterThan(10);
    expect(endToEndIds(pain).sort()).toEqual(sent.map((p) => p.id).sort());
    for (const p of sent) expect(p.amount).toBeGreaterThanOrEqual(10_000);
    // A paid merchant's payable is now exactly what Tuesday added (its Monday money left in the payout).
    const bal = allBalances(books);
    for (const [, tb] of trialBalance(bal)) expect(tb.d).toBe(tb.c);

    // Closing again returns the same batch and writes nothing, in the books or on disk.
    const before = snapshot(books);
    const mtimes = files.paths.map((p) => statSync(p).mtimeMs);
    const again = await closeBatch(ctx, '2026-11-23', { now: new Date('2026-11-24T12:00:00Z') });
    expect(again.created).toBe(false);
    expect(again.batch).toEqual(getBatch(ctx, '2026-11-23'));
    expect((await writeBatchFiles(ctx, again.batch, out)).written).toEqual([]);
    expect(snapshot(books)).toBe(before);
    expect(files.paths.map((p) => statSync(p).mtimeMs)).toEqual(mtimes);
    expect(readdirSync(out).sort()).toEqual(['pacs008-B20261123.xml', 'pain001-B20261123.xml']);

    // Batches close in date order; Tuesday closes next and sweeps everything after Monday's cut-off.
    await expect(closeBatch(ctx, '2026-11-20', { now })).rejects.toThrow(/before the last closed/);
    const tue = await closeBatch(ctx, '2026-11-24', { now: new Date('2026-11-24T09:30:00Z') });
    const tueCount = tue.batch.totals.reduce((s, x) => s + Object.values(x.kinds).reduce((a, k) => a + k.n, 0), 0);
    const tuesday = records.filter((r) => Date.parse(r.occurredAt) >= Date.parse('2026-11-23T09:00:00Z') && Date.parse(r.occurredAt) < Date.parse('2026-11-24T09:00:00Z'));
    expect(tueCount).toBe(tuesday.length);
    await books.root.close();
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
