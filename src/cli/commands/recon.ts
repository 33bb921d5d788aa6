// `gerbang recon`: reconciles bank statements (camt.053/054/052), pain.002 status reports and clearing CSVs
// against the switch's books and settled-record stream; prints a summary, writes the report (JSON, CSV, HTML),
// parks breaks in suspense. `recon breaks` lists breaks, `recon resolve` resolves one (audited).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { parseFlags, usageError, wantsHelp } from '../command.js';
import { loadSettlementConfig } from '../../settlement/context.js';
import { openSettlement } from '../../settlement/run.js';
import type { SettlementConfig } from '../../settlement/types.js';
import { listBreaks, resolveBreak, RESOLUTION_REASONS, type ResolutionReason } from '../../recon/breaks.js';
import { clearingItems, payoutItems, positionItems } from '../../recon/sources.js';
import { persistBreaks, reconcile, writeReport } from '../../recon/run.js';
import { summaryJsonLine, summaryText } from '../../recon/report.js';
import { BREAK_CATEGORIES, type BreakCategory, type MatchRules } from '../../recon/types.js';

const help = `Usage: gerbang recon --statement FILE... [--clearing FILE.csv]... [--status FILE.xml]... [--out DIR] [--json]
                     [--data DIR] [--as-of YYYY-MM-DD] [--tolerance MINOR] [--tolerance-bps BP] [--window DAYS]
                     [--rules FILE.json] [--config FILE] [--dry-run]
       gerbang recon breaks [--open|--resolved] [--category C] [--data DIR] [--json]
       gerbang recon resolve BREAK_ID --reason write-off|manual-match|adjustment --by NAME --note TEXT
                     [--account ACCOUNT] [--data DIR]

Matches camt.053 statements and camt.054 notifications (versions 001.02 to 001.08) against the payouts
and net settlement positions in the books, and clearing CSVs (README: record_id,amount,currency,
cleared_date[,kind][,arn]) against the settled-record stream. Rules, in order: exact reference, tolerant
(fee tolerance, date window), one-to-many, many-to-one. An unmatched item is expected while its window is
open at --as-of (default today, UTC); after that it is a break, parked in suspense:recon with a posting.
pain.002 reports given with --status take the payouts the bank rejected out of the expectations.

Options:
  --statement FILE  camt.053/054/052 XML (repeatable; several files are one reconciliation)
  --clearing FILE   clearing CSV (repeatable)
  --out DIR         report directory (default DIR/recon): recon-DATE.json, .csv, .html
  --data DIR        data directory (default ./data): books.mdb and gerbang.mdb
  --rules FILE      JSON matching rules: amountTolerance, amountToleranceBps, windowDays, earlyDays, passes
  --dry-run         report only: record no breaks and no postings
  --json            end with one line {"matched":…,"expected":…,"breaks":{…}}
Exit status: 0 reconciled (breaks or not), 1 failed, 2 usage error.`;

const VALUED = new Set(['--statement', '--clearing', '--status', '--out', '--data', '--as-of', '--tolerance', '--tolerance-bps', '--window', '--rules', '--config', '--category', '--reason', '--by', '--note', '--account']);
const BOOLS = new Set(['--json', '--dry-run', '--open', '--resolved']);


const one = (flags: Map<string, string[]>, k: string) => flags.get(k)?.[flags.get(k)!.length - 1];

function intFlag(flags: Map<string, string[]>, k: string): number | undefined | string {
  const v = one(flags, k);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) return `${k} must be a non-negative integer`;
  return Number(v);
}

export const command: Command = {
  name: 'recon',
  summary: 'reconcile bank statements (camt.053/054) and clearing files; list and resolve breaks',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    const parsed = parseFlags(argv, { valued: VALUED, bools: BOOLS, multi: ['--statement', '--clearing', '--status'] });
    if (typeof parsed === 'string') return usageError(parsed, help);
    const { flags, bools, positional } = parsed;
    const dataDir = one(flags, '--data') ?? 'data';
    const json = bools.has('--json');
    const sub = positional[0];
    if (sub && sub !== 'breaks' && sub !== 'resolve') return usageError(`unknown sub-command ${sub}`, help);
    if (!existsSync(join(dataDir, 'books.mdb'))) return usageError(`no books in ${dataDir} (books.mdb); give --data DIR`, help);
    let cfg: SettlementConfig = {};
    try {
      if (flags.has('--config')) cfg = loadSettlementConfig(one(flags, '--config')!);
    } catch (e) {
      return usageError(`cannot read the configuration: ${(e as Error).message}`, help);
    }

    if (sub === 'breaks') {
      const category = one(flags, '--category') as BreakCategory | undefined;
      if (category && !BREAK_CATEGORIES.includes(category)) return usageError(`--category must be one of ${BREAK_CATEGORIES.join(', ')}`, help);
      const h = openSettlement(dataDir, cfg);
      try {
        const status = bools.has('--open') ? 'open' : bools.has('--resolved') ? 'resolved' : undefined;
        const list = listBreaks(h.ctx.books, { ...(status ? { status } : {}), ...(category ? { category } : {}) });
        if (json) process.stdout.write(JSON.stringify(list) + '\n');
        else {
          for (const b of list) process.stdout.write(`${b.id}  ${b.status.padEnd(8)} ${b.category.padEnd(16)} ${b.currency} ${String(b.amount).padStart(14)}  age ${b.ageDays}d  ${b.ref}\n`);
          process.stdout.write(`${list.length} break(s)\n`);
        }
        return 0;
      } finally {
        await h.close();
      }
    }

    if (sub === 'resolve') {
      const id = positional[1];
      if (!id) return usageError('resolve needs a break id', help);
      const reason = one(flags, '--reason') as ResolutionReason | undefined;
      if (!reason || !RESOLUTION_REASONS.includes(reason)) return usageError(`--reason must be one of ${RESOLUTION_REASONS.join(', ')}`, help);
      const by = one(flags, '--by');
      const note = one(flags, '--note');
      if (!by || !note) return usageError('resolve needs --by NAME and --note TEXT (every resolution is audited)', help);
      const h = openSettlement(dataDir, cfg);
      try {
        const b = await resolveBreak(h.ctx.books, id, { reason, by, note, ...(one(flags, '--account') ? { account: one(flags, '--account') } : {}) });
        process.stdout.write(json ? JSON.stringify(b) + '\n' : `${b.id} resolved (${reason} by ${by}); postings ${b.resolution!.postings.join(', ') || 'none'}\n`);
        return 0;
      } catch (e) {
        process.stderr.write(`gerbang recon resolve: ${(e as Error).message}\n`);
        return 1;
      } finally {
        await h.close();
      }
    }

    const statements = flags.get('--statement') ?? [];
    const clearing = flags.get('--clearing') ?? [];
    if (statements.length === 0 && clearing.length === 0) return usageError('give at least one --statement or --clearing file', help);
    for (const f of [...statements, ...clearing, ...(flags.get('--status') ?? [])]) if (!existsSync(f)) return usageError(`no such file ${f}`, help);
    const asOf = one(flags, '--as-of') ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) return usageError('--as-of must be YYYY-MM-DD', help);
    const rules: Partial<MatchRules> = {};
    try {
      if (flags.has('--rules')) Object.assign(rules, JSON.parse(readFileSync(one(flags, '--rules')!, 'utf8')));
    } catch (e) {
      return usageError(`cannot read the rules: ${(e as Error).message}`, help);
    }
    for (const [flag, key] of [['--tolerance', 'amountTolerance'], ['--tolerance-bps', 'amountToleranceBps'], ['--window', 'windowDays']] as const) {
      const v = intFlag(flags, flag);
      if (typeof v === 'string') return usageError(v, help);
      if (v !== undefined) rules[key] = v;
    }
    const h = openSettlement(dataDir, cfg);
    try {
      const books = h.ctx.books;
      const out = await reconcile({
        statements,
        clearing,
        statusReports: flags.get('--status') ?? [],
        bankSide: statements.length ? [...payoutItems(books), ...positionItems(books)] : [],
        clearingSide: clearing.length ? await clearingItems(h.stream) : [],
        rules,
        asOf,
      });
      const dir = one(flags, '--out') ?? join(dataDir, 'recon');
      const paths = writeReport(out.report, dir);
      let recorded = '';
      if (!bools.has('--dry-run')) {
        const r = await persistBreaks(books, out.report);
        recorded = `  breaks recorded: ${r.created} new, ${r.updated} still open, ${r.resolved} already resolved`;
      }
      const text = summaryText(out.report) + (recorded ? '\n' + recorded : '') + `\n  report: ${paths.html}\n          ${paths.csv}\n          ${paths.json}`;
      process.stdout.write(text + '\n' + (json ? summaryJsonLine(out.report) + '\n' : ''));
      return 0;
    } catch (e) {
      process.stderr.write(`gerbang recon: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await h.close();
    }
  },
};
