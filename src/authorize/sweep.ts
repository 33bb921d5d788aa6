// Hold expiry: releases pre-authorizations whose expiry passed, in bounded write transactions.
import { lastJournalSeq, type State } from '../state/env.js';
import type { HoldRecord, JournalRecord } from '../state/records.js';

/** Holds released per write transaction: keeps each commit short so authorizations are not held up. */
export const SWEEP_BATCH = 2_000;

/** Releases every hold with expiresAt <= now; journals each release. Returns how many were released. */
export async function sweepExpiredHolds(s: State, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    // Candidates are read outside; the transaction re-reads each hold so a completion racing the sweep wins cleanly.
    const ids: string[] = [];
    for (const { key, value } of s.holds.getRange()) {
      if (value.expiresAt <= now) ids.push(key as string);
      if (ids.length >= SWEEP_BATCH) break;
    }
    if (ids.length === 0) break;
    const n = (await s.root.transaction(() => {
      let released = 0;
      for (const id of ids) {
        const h = s.holds.get(id) as HoldRecord | undefined;
        if (!h || h.expiresAt > now) continue;
        const acct = s.accounts.get(h.accountId);
        if (!acct) continue;
        const after = { ...acct, available: acct.available + h.amount };
        const seq = lastJournalSeq(s) + 1;
        s.meta.put('journalSeq', seq);
        s.accounts.put(after.id, after);
        s.holds.remove(id);
        const rec: JournalRecord = {
          seq, event: 'hold.expired', at: now, txnId: h.txnId, kind: 'reversal', mti: '', processingCode: '000000', channel: 'sweep',
          acquirerId: '', stan: '', panHash: h.panHash, accountId: h.accountId, amount: h.amount, currency: h.currency,
          responseCode: '00', approved: true, approvedAmount: h.amount, ledgerDelta: 0, availableDelta: h.amount,
          ledgerAfter: after.ledger, availableAfter: after.available, holdId: id, originalSeq: h.journalSeq,
          reasons: [{ check: 'hold.expiry', ok: true, detail: `expired at ${new Date(h.expiresAt).toISOString()}` }],
        };
        s.journal.put(seq, rec);
        released++;
      }
      return released;
    })) as number;
    await s.root.flushed;
    total += n;
    if (ids.length < SWEEP_BATCH) break;
  }
  return total;
}
