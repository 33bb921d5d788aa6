// The reconciliation edge: reads statement files (camt.053/054/052, streamed), clearing CSVs and pain.002
// status reports, matches them against the switch's items, records breaks with their suspense postings in the
// books, updates the dashboard gauges and writes the report (JSON, CSV, HTML).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Books } from '../ledger/books.js';
import { readPain002 } from '../settlement/iso20022/pain002.js';
import { classify } from '../settlement/iso20022/pain002.js';
import { listBreaks, recordBreaks, type RecordOutcome } from './breaks.js';
import { scanStatementFile } from './camt.js';
import { readClearing } from './clearing.js';
import { Matcher } from './match.js';
import { recordOpenBreaks, recordRun } from './metrics.js';
import { buildReport, reportCsv, reportHtml, type ReconReport } from './report.js';
import { DEFAULT_RULES, type MatchResult, type MatchRules, type StatementBalance, type SwitchItem } from './types.js';

export interface ReconInput {
  statements: string[];
  clearing?: string[];
  /** pain.002 reports: payouts the bank rejected are not expected on the statement. */
  statusReports?: string[];
  /** What the statement should show (payouts, net positions). */
  bankSide: SwitchItem[];
  /** What the clearing files should list (settled records). */
  clearingSide?: SwitchItem[];
  rules?: Partial<MatchRules>;
  /** YYYY-MM-DD: windows are judged on this day. */
  asOf: string;
}

export interface ReconOutput {
  report: ReconReport;
  results: MatchResult[];
  /** Payouts the status reports rejected (left out of the expectations). */
  rejectedPayouts: string[];
}

export async function reconcile(input: ReconInput): Promise<ReconOutput> {
  const rules: MatchRules = { ...DEFAULT_RULES, ...(input.rules ?? {}) };
  const rejected = new Set<string>();
  for (const f of input.statusReports ?? []) {
    const rep = await readPain002(f);
    for (const pi of rep.paymentInfos) for (const t of pi.transactions) if (classify(t.status) === 'rejected') rejected.add(t.endToEndId);
  }
  const balances: StatementBalance[] = [];
  const results: MatchResult[] = [];
  const sources: string[] = [];
  if (input.statements.length) {
    const m = new Matcher(
      input.bankSide.filter((s) => !rejected.has(s.ref)),
      rules,
      input.asOf,
      'statement',
    );
    for (const f of input.statements) {
      sources.push(f);
      await scanStatementFile(f, (e) => m.offerEntry(e), { onBalance: (b) => void (balances.length < 10_000 && balances.push(b)) });
    }
    results.push(m.finish());
  }
  if (input.clearing?.length) {
    const m = new Matcher(input.clearingSide ?? [], rules, input.asOf, 'clearing');
    for (const f of input.clearing) {
      sources.push(f);
      for await (const items of readClearing(f)) for (const b of items) m.offer(b);
    }
    results.push(m.finish());
  }
  const report = buildReport(results, { asOf: input.asOf, sources, rules, balances });
  return { report, results, rejectedPayouts: [...rejected] };
}

/** Records the report's breaks (suspense postings) and refreshes the dashboard gauges. */
export async function persistBreaks(books: Books, report: ReconReport, now = new Date(), by = 'recon'): Promise<RecordOutcome> {
  const out = await recordBreaks(books, report.breaks, { now, by });
  recordRun(report);
  recordOpenBreaks(listBreaks(books, { status: 'open' }, 1_000_000));
  return out;
}

/** Writes report.json, breaks.csv and report.html into `dir`; returns the paths. */
export function writeReport(report: ReconReport, dir: string): { json: string; csv: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { json: join(dir, `recon-${report.asOf}.json`), csv: join(dir, `recon-${report.asOf}.csv`), html: join(dir, `recon-${report.asOf}.html`) };
  writeFileSync(paths.json, JSON.stringify(report, null, 1) + '\n');
  writeFileSync(paths.csv, reportCsv(report));
  writeFileSync(paths.html, reportHtml(report));
  return paths;
}

/** Sets the open-breaks gauges from the books (for a process that did not run the reconciliation itself). */
export function refreshReconGauges(books: Books): number {
  const open = listBreaks(books, { status: 'open' }, 1_000_000);
  recordOpenBreaks(open);
  return open.length;
}
