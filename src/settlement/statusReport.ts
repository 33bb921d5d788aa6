// Applies a pain.002 status report to the payouts it answers: per transaction where the bank lists them, or to
// every payout of a payment-information block or of the whole original message when it answers at that level.
import { currencyAlpha } from './iso20022/xml.js';
import { classify, type StatusReport } from './iso20022/pain002.js';
import type { SettlementContext } from './context.js';
import { applyPayoutStatuses, payoutsOfFile, type BankStatus, type StatusOutcome } from './payouts.js';
import type { BatchRecord } from './types.js';

export interface ReportOutcome extends StatusOutcome {
  /** Answers still pending at the bank (PDNG, RCVD…): nothing changes yet. */
  pending: string[];
}

function batchOfMessage(ctx: SettlementContext, msgId: string): BatchRecord | undefined {
  const m = /^B(\d{4})(\d{2})(\d{2})-PAIN001$/.exec(msgId);
  if (!m) return undefined;
  return ctx.books.batches.get(`${m[1]}-${m[2]}-${m[3]}`) as BatchRecord | undefined;
}

export async function applyStatusReport(ctx: SettlementContext, rep: StatusReport, now = new Date()): Promise<ReportOutcome> {
  const batch = batchOfMessage(ctx, rep.originalMsgId);
  if (!batch) throw new Error(`pain.002 ${rep.msgId} answers ${rep.originalMsgId}, which is not a payout file of ours`);
  const answers: { id: string; status: BankStatus; reason?: string }[] = [];
  const pending: string[] = [];
  const take = (id: string, code: string | undefined, reason?: string) => {
    const c = classify(code);
    if (c === 'pending') pending.push(id);
    else answers.push({ id, status: c, ...(reason ? { reason } : {}) });
  };
  const explicit = new Set<string>();
  for (const pi of rep.paymentInfos) {
    for (const t of pi.transactions) {
      explicit.add(t.endToEndId);
      take(t.endToEndId, t.status, t.reason);
    }
    // A PmtInf answered as a whole applies to each of its payouts not listed on their own.
    if (pi.status && pi.transactions.length === 0) {
      const cur = batch.payouts.find((p) => `${batch.id}-${currencyAlpha(p.currency)}` === pi.id)?.currency;
      if (cur) for (const p of payoutsOfFile(ctx, batch.id, cur)) if (!explicit.has(p.id)) take(p.id, pi.status, pi.reason);
    }
  }
  // A group status with nothing below it answers every payout of the message.
  if (rep.groupStatus && rep.paymentInfos.length === 0) {
    for (const s of batch.payouts) for (const p of payoutsOfFile(ctx, batch.id, s.currency)) take(p.id, rep.groupStatus, rep.groupReason);
  }
  const out = await applyPayoutStatuses(ctx, answers, now);
  return { ...out, pending };
}
