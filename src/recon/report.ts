// The reconciliation report: one plain object (written as JSON), a CSV of what needs attention (breaks and
// expected items) and one self-contained HTML page a finance person can read (inline CSS, no scripts, nothing
// fetched). Pure functions of the match results.
import { categorise } from './match.js';
import { formatMinor } from './currency.js';
import type { Break, BreakCategory, Expected, Match, MatchResult, MatchRules, StatementBalance } from './types.js';
import { BREAK_CATEGORIES } from './types.js';

export interface ReconReport {
  generatedAt: string;
  asOf: string;
  sources: string[];
  rules: MatchRules;
  summary: {
    switchItems: number;
    bankItems: number;
    skippedBank: number;
    matched: number;
    matchedPercent: number;
    expected: number;
    breaks: Record<BreakCategory, number>;
    /** Σ |amount| per category and currency, as decimal text. */
    breakAmounts: Record<BreakCategory, Record<string, string>>;
    byRule: Record<string, number>;
  };
  balances: StatementBalance[];
  breaks: Break[];
  expected: Expected[];
  /** At most `maxMatches` matches are listed (a million-entry statement's matches are counted, not listed). */
  matches: Match[];
  matchesListed: number;
}

export interface ReportOptions {
  asOf: string;
  sources: string[];
  rules: MatchRules;
  balances?: StatementBalance[];
  generatedAt?: string;
  maxMatches?: number;
}

const CATEGORY_LABEL: Record<BreakCategory, string> = {
  missingAtBank: 'Missing at bank',
  missingInSwitch: 'Missing in switch',
  amountMismatch: 'Amount mismatch',
  currencyMismatch: 'Currency mismatch',
  duplicate: 'Duplicate',
  late: 'Late',
};

const safeFormat = (minor: number, cur: string) => {
  try {
    return formatMinor(minor, cur);
  } catch {
    return String(minor);
  }
};

export function buildReport(results: readonly MatchResult[], o: ReportOptions): ReconReport {
  const maxMatches = o.maxMatches ?? 1_000;
  const breaks = results.flatMap((r) => r.breaks).sort((a, b) => b.ageDays - a.ageDays || (a.category < b.category ? -1 : a.category > b.category ? 1 : a.ref < b.ref ? -1 : 1));
  const expected = results.flatMap((r) => r.expected);
  const byRule: Record<string, number> = {};
  const matches: Match[] = [];
  for (const r of results) {
    for (const [rule, n] of Object.entries(r.stats.byRule)) byRule[rule] = (byRule[rule] ?? 0) + (n ?? 0);
    for (const m of r.matches) if (matches.length < maxMatches) matches.push(m);
  }
  const cat = categorise(breaks);
  const counts = {} as Record<BreakCategory, number>;
  const amounts = {} as Record<BreakCategory, Record<string, string>>;
  for (const c of BREAK_CATEGORIES) {
    counts[c] = cat[c].count;
    amounts[c] = Object.fromEntries(Object.entries(cat[c].amounts).map(([cur, v]) => [cur, safeFormat(v, cur)]));
  }
  const switchItems = results.reduce((s, r) => s + r.stats.switchItems, 0);
  const matched = results.reduce((s, r) => s + r.stats.matchedSwitch, 0);
  return {
    generatedAt: o.generatedAt ?? new Date().toISOString(),
    asOf: o.asOf,
    sources: o.sources,
    rules: o.rules,
    summary: {
      switchItems,
      bankItems: results.reduce((s, r) => s + r.stats.bankItems, 0),
      skippedBank: results.reduce((s, r) => s + r.stats.skippedBank, 0),
      matched,
      matchedPercent: switchItems ? Math.round((matched / switchItems) * 10_000) / 100 : 100,
      expected: expected.length,
      breaks: counts,
      breakAmounts: amounts,
      byRule,
    },
    balances: o.balances ?? [],
    breaks,
    expected,
    matches,
    matchesListed: matches.length,
  };
}

/** The `--json` headline: {"matched":…,"expected":…,"breaks":{"missingAtBank":…,…}}. */
export function summaryJsonLine(r: ReconReport): string {
  return JSON.stringify({ matched: r.summary.matched, expected: r.summary.expected, breaks: r.summary.breaks });
}

export function summaryText(r: ReconReport): string {
  const s = r.summary;
  const lines = [
    `Reconciliation as of ${r.asOf} — ${r.sources.length} file(s)`,
    `  switch items ${s.switchItems}, bank items ${s.bankItems}${s.skippedBank ? ` (+${s.skippedBank} not booked, skipped)` : ''}`,
    `  matched ${s.matched} (${s.matchedPercent}%)  ${Object.entries(s.byRule).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  expected (window still open) ${s.expected}`,
    `  breaks ${r.breaks.length}:`,
  ];
  for (const c of BREAK_CATEGORIES) {
    if (s.breaks[c] === 0) continue;
    lines.push(`    ${CATEGORY_LABEL[c].padEnd(18)} ${String(s.breaks[c]).padStart(6)}  ${Object.entries(s.breakAmounts[c]).map(([cur, v]) => `${cur} ${v}`).join(', ')}`);
  }
  return lines.join('\n');
}

function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  // A leading =,+,-,@ would be a formula in a spreadsheet: quote and prefix it.
  const t = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(t) || t !== s ? `"${t.replace(/"/g, '""')}"` : t;
}

export function reportCsv(r: ReconReport): string {
  const head = ['type', 'category', 'id', 'reference', 'currency', 'amount', 'switch_amount', 'bank_amount', 'switch_date', 'bank_date', 'age_days', 'source', 'bank_key', 'detail'];
  const rows: string[] = [head.join(',')];
  for (const b of r.breaks) {
    rows.push(
      [
        'break', b.category, b.id, b.ref, b.currency, safeFormat(b.amount, b.currency),
        b.switchAmount !== undefined ? safeFormat(b.switchAmount, b.currency) : '',
        b.bankAmount !== undefined ? safeFormat(b.bankAmount, b.bankCurrency ?? b.currency) : '',
        b.switchDate ?? '', b.bankDate ?? '', b.ageDays, b.source, b.bankKey ?? '', b.detail,
      ].map(csvField).join(','),
    );
  }
  for (const e of r.expected) {
    const v = e.cdi === 'CRDT' ? e.amount : -e.amount;
    rows.push(['expected', e.side === 'switch' ? 'awaitingBank' : 'awaitingSwitch', '', e.ref, e.currency, safeFormat(v, e.currency), '', '', e.side === 'switch' ? e.date : '', e.side === 'bank' ? e.date : '', '', '', '', `window ends ${e.windowEnds}`].map(csvField).join(','));
  }
  return rows.join('\n') + '\n';
}

function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** At most this many breaks are listed in the page (all are in the CSV and JSON). */
const HTML_ROWS = 5_000;

export function reportHtml(r: ReconReport): string {
  const s = r.summary;
  const catRows = BREAK_CATEGORIES.map(
    (c) => `<tr${s.breaks[c] ? ' class="bad"' : ''}><td>${CATEGORY_LABEL[c]}</td><td class="n">${s.breaks[c]}</td><td class="n">${esc(Object.entries(s.breakAmounts[c]).map(([cur, v]) => `${cur} ${v}`).join(', ') || '—')}</td></tr>`,
  ).join('');
  const breakRows = r.breaks
    .slice(0, HTML_ROWS)
    .map(
      (b) =>
        `<tr><td>${CATEGORY_LABEL[b.category]}</td><td><code>${esc(b.ref)}</code></td><td class="n">${esc(b.currency)} ${esc(safeFormat(b.amount, b.currency))}</td>` +
        `<td class="n">${b.switchAmount !== undefined ? esc(safeFormat(b.switchAmount, b.currency)) : '—'}</td><td class="n">${b.bankAmount !== undefined ? esc(safeFormat(b.bankAmount, b.bankCurrency ?? b.currency)) + (b.bankCurrency && b.bankCurrency !== b.currency ? ' ' + esc(b.bankCurrency) : '') : '—'}</td>` +
        `<td>${esc(b.switchDate ?? '')}</td><td>${esc(b.bankDate ?? '')}</td><td class="n">${b.ageDays}</td><td>${esc(b.detail)}</td></tr>`,
    )
    .join('');
  const expRows = r.expected
    .slice(0, HTML_ROWS)
    .map((e) => `<tr><td>${e.side === 'switch' ? 'awaiting the bank' : 'awaiting the switch'}</td><td><code>${esc(e.ref)}</code></td><td class="n">${esc(e.currency)} ${esc(safeFormat(e.cdi === 'CRDT' ? e.amount : -e.amount, e.currency))}</td><td>${esc(e.date)}</td><td>${esc(e.windowEnds)}</td></tr>`)
    .join('');
  const balRows = r.balances
    .map((b) => `<tr><td>${esc(b.account)}</td><td>${esc(b.statementId)}</td><td>${esc(b.type)}</td><td>${esc(b.date)}</td><td class="n">${esc(b.currency)} ${esc(safeFormat(b.cdi === 'CRDT' ? b.amount : -b.amount, b.currency))}</td></tr>`)
    .join('');
  const more = (n: number) => (n > HTML_ROWS ? `<p class="note">Showing ${HTML_ROWS} of ${n}; the CSV and JSON reports list all.</p>` : '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation ${esc(r.asOf)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1f24;max-width:80rem}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
.meta{color:#57606a;margin:0 0 1rem}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem;min-width:9rem}.card b{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr.bad td{background:#fff5f5}
code{font-size:12px}.note{color:#57606a}
</style></head><body>
<h1>Reconciliation report</h1>
<p class="meta">As of ${esc(r.asOf)} · generated ${esc(r.generatedAt)} · files: ${r.sources.map(esc).join(', ') || '—'}</p>
<div class="cards">
<div class="card">Matched<b>${s.matched}</b>${s.matchedPercent}% of ${s.switchItems}</div>
<div class="card">Expected<b>${s.expected}</b>window still open</div>
<div class="card">Breaks<b>${r.breaks.length}</b>in suspense</div>
<div class="card">Bank items<b>${s.bankItems}</b>${s.skippedBank} not booked</div>
</div>
<h2>Breaks by category</h2>
<table><thead><tr><th>Category</th><th class="n">Count</th><th class="n">Amount</th></tr></thead><tbody>${catRows}</tbody></table>
<h2>Breaks</h2>
${r.breaks.length ? `<table><thead><tr><th>Category</th><th>Reference</th><th class="n">In suspense</th><th class="n">Switch</th><th class="n">Bank</th><th>Switch date</th><th>Bank date</th><th class="n">Age (days)</th><th>Detail</th></tr></thead><tbody>${breakRows}</tbody></table>${more(r.breaks.length)}` : '<p>None.</p>'}
<h2>Expected (counterpart not due yet)</h2>
${r.expected.length ? `<table><thead><tr><th>Waiting for</th><th>Reference</th><th class="n">Amount</th><th>Date</th><th>Window ends</th></tr></thead><tbody>${expRows}</tbody></table>${more(r.expected.length)}` : '<p>None.</p>'}
${balRows ? `<h2>Statement balances</h2><table><thead><tr><th>Account</th><th>Statement</th><th>Type</th><th>Date</th><th class="n">Balance</th></tr></thead><tbody>${balRows}</tbody></table>` : ''}
<p class="note">Amounts are signed from the bank account's view: + money in, − money out. Matching rules: exact reference, tolerance ${r.rules.amountTolerance} minor units${r.rules.amountToleranceBps ? ` or ${r.rules.amountToleranceBps} bp` : ''}, window ${r.rules.windowDays} days.</p>
</body></html>
`;
}
