// Reconciliation figures for /metrics and the dashboard: matched % per business day, open breaks by category
// and age bucket, expected items. Label sets are small and bounded (dates × 1, categories × age buckets).
import { metrics } from '../metrics/registry.js';
import type { StoredBreak } from './breaks.js';
import type { ReconReport } from './report.js';
import { BREAK_CATEGORIES } from './types.js';

export const matchedPercent = metrics.gauge('gerbang_recon_matched_percent', 'Switch items matched by the last reconciliation of a day, percent');
export const expectedGauge = metrics.gauge('gerbang_recon_expected', 'Items whose counterpart is not due yet, by day');
export const openBreaks = metrics.gauge('gerbang_recon_open_breaks', 'Open reconciliation breaks by category and age bucket');
export const runsCounter = metrics.counter('gerbang_recon_runs_total', 'Reconciliation runs');

export const AGE_BUCKETS = ['0-1d', '2-7d', '8-30d', '>30d'] as const;
export function ageBucket(days: number): (typeof AGE_BUCKETS)[number] {
  return days <= 1 ? '0-1d' : days <= 7 ? '2-7d' : days <= 30 ? '8-30d' : '>30d';
}

export function recordRun(r: ReconReport): void {
  matchedPercent.set(r.summary.matchedPercent, { date: r.asOf });
  expectedGauge.set(r.summary.expected, { date: r.asOf });
  runsCounter.inc();
}

/** Sets every category × age gauge from the stored open breaks (zero where none). */
export function recordOpenBreaks(open: readonly StoredBreak[]): void {
  const n = new Map<string, number>();
  for (const b of open) {
    if (b.status !== 'open') continue;
    const k = `${b.category}|${ageBucket(b.ageDays)}`;
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  for (const c of BREAK_CATEGORIES) for (const a of AGE_BUCKETS) openBreaks.set(n.get(`${c}|${a}`) ?? 0, { category: c, age: a });
}
