import { accountId, fromStored, netPosted } from '../../src/ledger/accounts.js';
import { LedgerPoster } from '../../src/ledger/poster.js';
import { openSettlement, type SettlementHandle } from '../../src/settlement/run.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import { DisputeService } from '../../src/disputes/service.js';
import type { DisputeEventType } from '../../src/disputes/types.js';
import { tempDir } from '../ledger/helpers.js';
import { beneficiaryConfig } from '../settlement/helpers.js';

export const IDR = '360';
export const purchase = (txn: string, merchantId: string, amount: number, at: string) => ({
  id: `${txn}:purchase`, kind: 'purchase' as const, txnId: txn, amount, currency: IDR, merchantId, acquirerId: 'ACQ1', issuerId: 'ISS0', occurredAt: at,
});

/** A data dir laid out like `gerbang` uses it (gerbang.mdb + books.mdb), three posted purchases, a service. */
export async function disputeWorld(): Promise<{ dir: string; h: SettlementHandle; svc: DisputeService; events: [string, DisputeEventType, Record<string, unknown>][]; post: () => Promise<number>; merchant: (id?: string) => bigint }> {
  const dir = tempDir('gerbang-disputes-');
  const h = openSettlement(dir, beneficiaryConfig());
  for (const r of [purchase('T1', 'M0001', 1_000_000, '2026-11-23T02:00:00Z'), purchase('T2', 'M0001', 500_000, '2026-11-23T02:05:00Z'), purchase('T3', 'M0002', 300_000, '2026-11-23T02:10:00Z')]) await h.stream.append(r);
  const post = () => drainConsumer(h.stream, h.poster);
  await post();
  const events: [string, DisputeEventType, Record<string, unknown>][] = [];
  const svc = new DisputeService({ books: h.ctx.books, stream: h.stream, calendar: h.ctx.calendar, events: async (m, t, o) => void events.push([m, t, o]), log: () => {} });
  const merchant = (id = 'M0001') => netPosted(accountId('merchant', id, IDR), fromStored(h.ctx.books.accounts.get(accountId('merchant', id, IDR))));
  return { dir, h, svc, events, post, merchant };
}
