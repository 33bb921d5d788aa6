// Issuer chargeback files: CSV, one line per case event (layout in README.md).
//   case_id,network,reason_code,stage,transaction_id[,amount][,currency][,filed_at]
// A new case_id opens a dispute at `stage` retrieval_request or chargeback; a known one moves it by the issuer's
// or network's action: chargeback, pre_arbitration, arbitration, issuer_accept, ruling_won, ruling_lost.
// A bad line is reported with its number and skipped; it never stops the rest of the file.
import { splitCsvLine } from '../util/csv.js';
import { readFileSync } from 'node:fs';
import type { Action, Actor } from './machine.js';
import type { DisputeService } from './service.js';

const FOLLOW_UPS: Record<string, [Action, Actor]> = {
  chargeback: ['chargeback', 'issuer'],
  pre_arbitration: ['pre_arbitration', 'issuer'],
  arbitration: ['arbitration', 'issuer'],
  issuer_accept: ['issuer_accept', 'issuer'],
  ruling_won: ['ruling_won', 'network'],
  ruling_lost: ['ruling_lost', 'network'],
};
const ALPHA_TO_NUM: Record<string, string> = { IDR: '360', USD: '840', EUR: '978', GBP: '826', SGD: '702', MYR: '458', THB: '764', PHP: '608', AUD: '036', JPY: '392' };
export const MAX_LINES = 1_000_000;

const ORDER: Record<string, number> = { retrieval_request: 0, chargeback: 1, representment: 2, pre_arbitration: 3, arbitration: 4, issuer_accept: 5, ruling_won: 5, ruling_lost: 5, closed: 5 };

export interface ImportOutcome {
  opened: string[];
  advanced: string[];
  /** Lines the dispute had already passed (a file read twice changes nothing). */
  unchanged: string[];
  errors: { line: number; message: string }[];
}

export async function importChargebacks(svc: DisputeService, text: string, now = new Date(), by = 'issuer-file'): Promise<ImportOutcome> {
  const out: ImportOutcome = { opened: [], advanced: [], unchanged: [], errors: [] };
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) throw new Error(`chargeback file has more than ${MAX_LINES} lines`);
  const head = splitCsvLine(lines[0] ?? '').map((s) => s.trim().toLowerCase());
  const col = Object.fromEntries(head.map((h, i) => [h, i]));
  for (const need of ['case_id', 'network', 'reason_code', 'stage', 'transaction_id']) {
    if (col[need] === undefined) throw new Error(`chargeback file header lacks ${need} (case_id,network,reason_code,stage,transaction_id[,amount][,currency][,filed_at])`);
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const f = splitCsvLine(line).map((s) => s.trim());
    const get = (k: string) => (col[k] !== undefined ? f[col[k]] : undefined) || undefined;
    try {
      const caseId = get('case_id')!;
      const stage = get('stage')!;
      const existing = svc.byCase(caseId);
      if (!existing) {
        if (stage !== 'retrieval_request' && stage !== 'chargeback') throw new Error(`unknown case ${caseId} cannot start at ${stage}`);
        const amountText = get('amount');
        if (amountText !== undefined && !/^\d{1,12}$/.test(amountText)) throw new Error(`amount "${amountText}" must be an integer of minor units`);
        const filed = get('filed_at');
        const filedAt = filed ? new Date(filed.length === 10 ? filed + 'T00:00:00Z' : filed) : undefined;
        if (filedAt && Number.isNaN(filedAt.getTime())) throw new Error(`filed_at "${filed}" is not a date`);
        const d = await svc.open(
          { caseId, network: get('network')!, reasonCode: get('reason_code')!, transactionId: get('transaction_id')!, stage, ...(amountText ? { amount: Number(amountText) } : {}), ...(filedAt ? { filedAt } : {}) },
          by,
          now,
        );
        const cur = get('currency');
        if (cur && (ALPHA_TO_NUM[cur] ?? cur) !== d.currency) out.errors.push({ line: i + 1, message: `currency ${cur} differs from the transaction's ${d.currency} (dispute opened in ${d.currency})` });
        out.opened.push(d.id);
      } else if (ORDER[stage] !== undefined && ORDER[stage] <= ORDER[existing.stage]) {
        out.unchanged.push(existing.id);
      } else {
        const step = FOLLOW_UPS[stage];
        if (!step) throw new Error(`unknown stage ${stage} (expected ${Object.keys(FOLLOW_UPS).join(', ')})`);
        const d = await svc.act(existing.id, step[0], step[1], by, { now, note: `from chargeback file line ${i + 1}` });
        out.advanced.push(d.id);
      }
    } catch (e) {
      out.errors.push({ line: i + 1, message: (e as Error).message });
    }
  }
  return out;
}

export function importChargebackFile(svc: DisputeService, path: string, now = new Date()): Promise<ImportOutcome> {
  return importChargebacks(svc, readFileSync(path, 'utf8'), now);
}
