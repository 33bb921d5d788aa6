import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountId, fromStored, netPosted } from '../../src/ledger/accounts.js';
import { closeBooks } from '../../src/ledger/books.js';
import { LedgerPoster } from '../../src/ledger/poster.js';
import { metrics } from '../../src/metrics/registry.js';
import { Watchlist } from '../../src/settlement/aml.js';
import { closeBatch, writeBatchFiles } from '../../src/settlement/batch.js';
import { settlementContext, type SettlementContext } from '../../src/settlement/context.js';
import { readPain002 } from '../../src/settlement/iso20022/pain002.js';
import { approveManualPayout, listPayouts, releaseShares, requestManualPayout, reviewHeldPayout } from '../../src/settlement/payouts.js';
import { applyStatusReport } from '../../src/settlement/statusReport.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import type { LmdbSettledStream } from '../../src/stream/lmdb.js';
import type { NewSettledRecord } from '../../src/stream/types.js';
import { freshBooks, openStreamAt, tempDir } from '../ledger/helpers.js';
import { beneficiaryConfig, endToEndIds, multiDayRecords, pain002For, validateAgainst } from './helpers.js';
import { readFileSync } from 'node:fs';

interface World {
  dir: string;
  ctx: SettlementContext;
  stream: LmdbSettledStream;
  post(records?: NewSettledRecord[]): Promise<void>;
  balance(type: 'merchant' | 'seller' | 'custodian' | 'payouts', owner: string, cur?: string): bigint;
  done(): Promise<void>;
}

async function world(cfgExtra = {}, aml = 'M0007'): Promise<World> {
  const dir = tempDir('gerbang-payouts-');
  const { root, stream } = openStreamAt(dir);
  const books = freshBooks(dir);
  const ctx = settlementContext(books, beneficiaryConfig(cfgExtra, aml));
  const poster = new LedgerPoster({ books, pricing: ctx.pricing, calendar: ctx.calendar });
  return {
    dir,
    ctx,
    stream,
    async post(records = []) {
      if (records.length) await stream.appendMany(records);
      await drainConsumer(stream, poster);
    },
    balance(type, owner, cur = '360') {
      const a = accountId(type, owner, cur);
      return netPosted(a, fromStored(books.accounts.get(a)));
    },
    async done() {
      await closeBooks(books);
      await root.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const base = { currency: '360', acquirerId: 'ACQ1', issuerId: 'ISS0' };
const at = (iso: string) => ({ occurredAt: iso });

describe('payouts', () => {
  it('reads the bank’s pain.002: accepted payouts leave the custodian account, a rejected one returns to the balance and is flagged', async () => {
    const w = await world();
    await w.post(multiDayRecords(1_500));
    const { batch } = await closeBatch(w.ctx, '2026-11-23', { now: new Date('2026-11-23T10:00:00Z') });
    const out = join(w.dir, 'out');
    const files = await writeBatchFiles(w.ctx, batch, out);
    const ids = endToEndIds(readFileSync(files.paths[1], 'utf8'));
    expect(ids.length).toBeGreaterThan(5);
    const victim = listPayouts(w.ctx, (p) => p.id === ids[2])[0];
    const before = w.balance(victim.beneficiary.type, victim.beneficiary.id);
    const xml = pain002For('B20261123-PAIN001', ids, new Map([[ids[2], 'AC04']]));
    expect(await validateAgainst(xml, 'pain.002.001.11.xsd')).toEqual([]);
    const path = join(w.dir, 'pain002.xml');
    writeFileSync(path, xml);
    const rep = await readPain002(path);
    expect(rep.originalMsgId).toBe('B20261123-PAIN001');
    const flaggedBefore = metrics.gauge('gerbang_payouts_flagged', '').get();
    const rejectedBefore = metrics.counter('gerbang_payouts_rejected_total', '').get();
    const res = await applyStatusReport(w.ctx, rep);
    expect(res.rejected).toEqual([ids[2]]);
    expect(res.accepted.length).toBe(ids.length - 1);
    const after = listPayouts(w.ctx, (p) => p.id === ids[2])[0];
    expect(after).toMatchObject({ status: 'rejected', flagged: true, statusReason: 'AC04' });
    expect(w.balance(victim.beneficiary.type, victim.beneficiary.id)).toBe(before + BigInt(victim.amount));
    expect(metrics.gauge('gerbang_payouts_flagged', '').get()).toBe(flaggedBefore + 1);
    expect(metrics.counter('gerbang_payouts_rejected_total', '').get()).toBe(rejectedBefore + 1);
    // The custodian paid exactly the accepted payouts; nothing is left in flight but the held ones.
    const accepted = listPayouts(w.ctx, (p) => p.status === 'accepted').reduce((s, p) => s + BigInt(p.amount), 0n);
    const inFlightHeld = listPayouts(w.ctx, (p) => p.status === 'held_aml' || p.status === 'pending_approval').reduce((s, p) => s + BigInt(p.amount), 0n);
    expect(w.balance('payouts', 'bank')).toBe(inFlightHeld);
    const custodianBefore = w.balance('custodian', 'bank');
    // The same report again changes nothing.
    const again = await applyStatusReport(w.ctx, await readPain002(path));
    expect(again.accepted).toEqual([]);
    expect(again.rejected).toEqual([]);
    expect(again.ignored.length).toBe(ids.length);
    expect(w.balance('custodian', 'bank')).toBe(custodianBefore);
    expect(accepted).toBeGreaterThan(0n);
    // A malformed report is refused with a clear error.
    writeFileSync(path, '<Document><Nope/></Document>');
    await expect(readPain002(path)).rejects.toThrow(/pain.002: no CstmrPmtStsRpt/);
    writeFileSync(path, '<Document><CstmrPmtStsRpt>');
    await expect(readPain002(path)).rejects.toThrow(/pain.002/);
    await w.done();
  });

  it('screens beneficiaries despite spacing, case and spelling; a hit is held until a reviewer releases it', async () => {
    const wl = Watchlist.fromFile(join(beneficiaryConfig().watchlistFile!));
    expect(wl.screen('abu bakr trading').hit).toBe(true);
    expect(wl.screen('ABUBAKR   TRADING').hit).toBe(true);
    expect(wl.screen('Abu Bakar Tradng').hit).toBe(true); // two edits on 15 characters
    expect(wl.screen('Sidorov, Ivan Petrovich').hit).toBe(true); // word order
    expect(wl.screen('Ivan Petrovic Sidorow').hit).toBe(true);
    expect(wl.screen('Zéta Shell Holdings Ltd.').hit).toBe(true); // accents, punctuation
    expect(wl.screen('Toko Maju 3').hit).toBe(false);
    expect(wl.screen('Abu Dhabi Trading').hit).toBe(false);
    expect(wl.screen('Ivan Sidorov').hit).toBe(false);

    const w = await world({}, 'M0001');
    await w.post([{ ...base, ...at('2026-11-23T03:00:00.000Z'), id: 'A1:purchase', kind: 'purchase', txnId: 'A1', amount: 2_000_000, merchantId: 'M0001' }]);
    const mon = await closeBatch(w.ctx, '2026-11-23', { now: new Date('2026-11-23T10:00:00Z') });
    expect(mon.batch.held).toBe(1);
    expect(mon.batch.files.pain001).toBe(''); // nothing to send
    const [held] = listPayouts(w.ctx);
    expect(held).toMatchObject({ status: 'held_aml', amount: 2_000_000 - 40_000 });
    expect(w.balance('merchant', 'M0001')).toBe(0n); // reserved, cannot be paid twice
    await reviewHeldPayout(w.ctx, held.id, 'compliance.officer', 'release');
    const tue = await closeBatch(w.ctx, '2026-11-24', { now: new Date('2026-11-24T10:00:00Z') });
    const files = await writeBatchFiles(w.ctx, tue.batch, join(w.dir, 'out'));
    expect(endToEndIds(readFileSync(files.paths.find((p) => p.includes('pain001'))!, 'utf8'))).toEqual([held.id]);
    expect(listPayouts(w.ctx)).toHaveLength(1);
    expect(listPayouts(w.ctx)[0]).toMatchObject({ status: 'sent', reviewer: 'compliance.officer' });
    await w.done();
  });

  it('needs a second person for a manual payout above the threshold and records both identities', async () => {
    const w = await world();
    await w.post([{ ...base, ...at('2026-11-23T03:00:00.000Z'), id: 'B1:purchase', kind: 'purchase', txnId: 'B1', amount: 80_000_000, merchantId: 'M0002' }]);
    const earned = 80_000_000 - 1_600_000;
    await expect(requestManualPayout(w.ctx, { type: 'merchant', beneficiaryId: 'M0002', amount: earned + 1, currency: '360', maker: 'alice' })).rejects.toThrow(/exceeds/);
    const p = await requestManualPayout(w.ctx, { type: 'merchant', beneficiaryId: 'M0002', amount: 60_000_000, currency: '360', maker: 'alice' }, new Date('2026-11-23T04:00:00Z'));
    expect(p.status).toBe('pending_approval');
    expect(w.balance('merchant', 'M0002')).toBe(BigInt(earned - 60_000_000));
    await expect(approveManualPayout(w.ctx, p.id, ' Alice ')).rejects.toThrow(/maker-checker/);
    await expect(approveManualPayout(w.ctx, p.id, '')).rejects.toThrow(/checker/);
    const ok = await approveManualPayout(w.ctx, p.id, 'bob', new Date('2026-11-23T05:00:00Z'));
    expect(ok).toMatchObject({ status: 'queued', maker: 'alice', checker: 'bob', approvedAt: '2026-11-23T05:00:00.000Z' });
    await expect(approveManualPayout(w.ctx, p.id, 'carol')).rejects.toThrow(/not pending/);
    // A small manual payout needs no checker.
    const small = await requestManualPayout(w.ctx, { type: 'merchant', beneficiaryId: 'M0002', amount: 1_000_000, currency: '360', maker: 'alice' });
    expect(small.status).toBe('queued');
    // The batch carries both manual payouts and pays the rest automatically: never more than earned.
    const { batch } = await closeBatch(w.ctx, '2026-11-23', { now: new Date('2026-11-23T10:00:00Z') });
    expect(batch.payouts).toEqual([{ currency: '360', count: 3, amount: String(earned) }]);
    expect(w.balance('merchant', 'M0002')).toBe(0n);
    await w.done();
  });

  it('pays a seller’s share after the holding period or an explicit release, less refunds', async () => {
    const w = await world();
    const split = (a: number, b: number) => ({ platformFee: 100_000, sellers: [{ sellerId: 'S0001', amount: a }, { sellerId: 'S0002', amount: b }] });
    await w.post([
      { ...base, ...at('2026-11-23T03:00:00.000Z'), id: 'C1:purchase', kind: 'purchase', txnId: 'C1', amount: 1_000_000, merchantId: 'M0003', split: split(600_000, 300_000) },
      { ...base, ...at('2026-11-23T03:10:00.000Z'), id: 'C2:purchase', kind: 'purchase', txnId: 'C2', amount: 500_000, merchantId: 'M0003', split: { platformFee: 100_000, sellers: [{ sellerId: 'S0003', amount: 400_000 }] } },
    ]);
    await closeBatch(w.ctx, '2026-11-23', { now: new Date('2026-11-23T10:00:00Z') });
    const paid = (id: string) => listPayouts(w.ctx, (p) => p.beneficiary.id === id).reduce((s, p) => s + p.amount, 0);
    expect(paid('S0001')).toBe(0); // held for 2 days
    expect(paid('M0003')).toBe(200_000 - 30_000); // platform fees less the MDR of both payments
    // The order of C1 was delivered: its shares are released.
    expect(releaseShares(w.ctx, 'C1:purchase')).toBe(2);
    // Tuesday: a refund of 40 % of C2 comes back from S0003's share.
    await w.post([{ ...base, ...at('2026-11-24T02:00:00.000Z'), id: 'R2:refund', kind: 'refund', txnId: 'R2', amount: 200_000, merchantId: 'M0003', originalId: 'C2:purchase' }]);
    await closeBatch(w.ctx, '2026-11-24', { now: new Date('2026-11-24T10:00:00Z') });
    expect(paid('S0001')).toBe(600_000);
    expect(paid('S0002')).toBe(300_000);
    expect(paid('S0003')).toBe(0); // matures on the 25th
    await closeBatch(w.ctx, '2026-11-25', { now: new Date('2026-11-25T10:00:00Z') });
    expect(paid('S0003')).toBe(400_000 - 160_000);
    await w.done();
  });

  it('never pays a merchant more than it earned, batch after batch, whatever the bank answers', async () => {
    const w = await world();
    const records = multiDayRecords(2_500, { seed: 9, gapMs: 60_000 });
    await w.post(records);
    const dates = ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27'];
    for (const [i, d] of dates.entries()) {
      const { batch } = await closeBatch(w.ctx, d, { now: new Date(`${d}T10:00:00Z`) });
      const files = await writeBatchFiles(w.ctx, batch, join(w.dir, 'out'));
      if (batch.files.pain001) {
        const ids = endToEndIds(readFileSync(files.paths.find((p) => p.includes('pain001'))!, 'utf8'));
        const path = join(w.dir, `sts-${i}.xml`);
        writeFileSync(path, pain002For(`${batch.id}-PAIN001`, ids, new Map(ids.filter((_, k) => k % 7 === 0).map((id) => [id, 'AC01']))));
        await applyStatusReport(w.ctx, await readPain002(path));
      }
      // Earned up to this batch, from the postings: credits less debits of each merchant's events so far.
      const earned = new Map<string, bigint>();
      for (const { value } of w.ctx.books.postings.getRange()) {
        if (value.seq === 0) continue; // settlement's own postings (payouts, settlement)
        for (const [a, f, n] of value.entries) {
          if (!a.startsWith('merchant:') || (f !== 'C' && f !== 'D')) continue;
          earned.set(a, (earned.get(a) ?? 0n) + (f === 'C' ? BigInt(n) : -BigInt(n)));
        }
      }
      const paidOut = new Map<string, bigint>();
      for (const p of listPayouts(w.ctx, (p) => p.status !== 'rejected' && p.status !== 'cancelled' && p.beneficiary.type === 'merchant')) {
        const a = accountId('merchant', p.beneficiary.id, p.currency);
        paidOut.set(a, (paidOut.get(a) ?? 0n) + BigInt(p.amount));
      }
      for (const [a, v] of paidOut) expect(v, `${a} after ${d}`).toBeLessThanOrEqual(earned.get(a) ?? 0n);
    }
    await w.done();
  });
});
