// Where the switch's side of reconciliation comes from (edges reading the books and the stream):
//   - payouts the switch sent (pain.001: EndToEndId = payout id) → debits expected at the custodian bank on
//     the batch date, grouped by PmtInfId so a batch-booked debit can net them;
//   - net settlement positions (pacs.008: EndToEndId = `${batch}-NNNNNN`) → a credit when the participant pays
//     the switch, a debit when the switch pays it;
//   - settled records (the stream) → what a clearing file should list: captures and representments as credits,
//     refunds and chargebacks as debits; a reversed record is not expected.
import { transferablePositions } from '../settlement/iso20022/pacs008.js';
import type { Books } from '../ledger/books.js';
import type { SettledStream } from '../stream/api.js';
import type { SettledRecord } from '../stream/types.js';
import type { BatchRecord, PayoutRecord } from '../settlement/types.js';
import { toAlpha } from './currency.js';
import type { SwitchItem } from './types.js';

const batchDate = (batchId: string) => `${batchId.slice(1, 5)}-${batchId.slice(5, 7)}-${batchId.slice(7, 9)}`;

/** Payouts in a file that the bank should have booked (sent or accepted; rejected ones went back). */
export function payoutItems(books: Books, filter?: (p: PayoutRecord) => boolean): SwitchItem[] {
  const out: SwitchItem[] = [];
  for (const { value } of books.payouts.getRange({ start: 'p|', end: 'p|~' })) {
    const p = value as PayoutRecord;
    if (!p.fileBatch || (p.status !== 'sent' && p.status !== 'accepted')) continue;
    if (filter && !filter(p)) continue;
    const alpha = toAlpha(p.currency);
    out.push({
      ref: p.id,
      amount: p.amount,
      currency: alpha,
      cdi: 'DBIT',
      date: batchDate(p.fileBatch),
      kind: 'payout',
      group: `${p.fileBatch}-${alpha}`,
      label: `payout ${p.id} to ${p.beneficiary.type} ${p.beneficiary.id}`,
    });
  }
  return out;
}

/** Net positions of closed batches whose pacs.008 was written. */
export function positionItems(books: Books, filter?: (b: BatchRecord) => boolean): SwitchItem[] {
  const out: SwitchItem[] = [];
  for (const { value } of books.batches.getRange()) {
    const b = value as BatchRecord;
    if (!b.filesWritten || !b.files.pacs008 || (filter && !filter(b))) continue;
    transferablePositions(b).forEach((p, i) => {
      const v = BigInt(p.amount);
      const amount = Number(v < 0n ? -v : v);
      out.push({
        ref: `${b.id}-${String(i + 1).padStart(6, '0')}`,
        amount,
        currency: toAlpha(p.currency),
        cdi: v > 0n ? 'CRDT' : 'DBIT',
        date: b.date,
        kind: 'settlement',
        group: b.id,
        label: `net settlement ${p.role} ${p.participant} ${b.id}`,
      });
    });
  }
  return out;
}

const CREDIT = new Set(['purchase', 'advice', 'completion', 'representment']);
const DEBIT = new Set(['refund', 'chargeback']);

/** Pure: the clearing expectations of settled records (reversals cancel their original). */
export function clearingItemsOf(records: Iterable<SettledRecord>, dateOf: (r: SettledRecord) => string = (r) => r.businessDate ?? r.occurredAt.slice(0, 10)): SwitchItem[] {
  const items = new Map<string, SwitchItem>();
  for (const r of records) {
    if (r.kind === 'reversal') {
      if (r.originalId) items.delete(r.originalId);
      continue;
    }
    if (!CREDIT.has(r.kind) && !DEBIT.has(r.kind)) continue;
    items.set(r.id, { ref: r.id, amount: r.amount, currency: toAlpha(r.currency), cdi: CREDIT.has(r.kind) ? 'CRDT' : 'DBIT', date: dateOf(r), kind: r.kind, label: `${r.kind} ${r.id} merchant ${r.merchantId}` });
  }
  return [...items.values()];
}

/** Reads the whole stream (bounded batches) into clearing expectations, optionally from a date on. */
export async function clearingItems(stream: SettledStream, fromDate = ''): Promise<SwitchItem[]> {
  const recs: SettledRecord[] = [];
  for (let seq = 1; ; ) {
    const batch = await stream.read(seq, 5_000);
    if (batch.length === 0) break;
    for (const r of batch) if ((r.businessDate ?? r.occurredAt.slice(0, 10)) >= fromDate || r.kind === 'reversal') recs.push(r);
    seq = batch[batch.length - 1].seq + 1;
  }
  return clearingItemsOf(recs);
}
