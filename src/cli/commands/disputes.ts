// `gerbang disputes`: operators' view of chargebacks — list, show, accept, contest (with evidence), import an
// issuer's chargeback file, and sweep deadlines (an unanswered stage closes by the network's rule).
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from '../command.js';
import { parseFlags, usageError, wantsHelp } from '../command.js';
import { loadSettlementConfig } from '../../settlement/context.js';
import { openSettlement } from '../../settlement/run.js';
import type { SettlementConfig } from '../../settlement/types.js';
import { importChargebackFile } from '../../disputes/chargebackFile.js';
import { DisputeService, toPublicDispute, waitingOn, type EvidenceInput } from '../../disputes/service.js';
import type { DisputeConfig } from '../../disputes/reasons.js';
import type { Dispute } from '../../disputes/types.js';

const help = `Usage: gerbang disputes list [--open] [--merchant ID] [--limit N] [--json]
       gerbang disputes show ID [--json]
       gerbang disputes accept ID --by NAME
       gerbang disputes contest ID --by NAME [--note TEXT] [--file PATH]...
       gerbang disputes import FILE.csv [--json]
       gerbang disputes sweep [--now ISO-8601] [--json]
Common: [--data DIR] [--config SETTLEMENT.yaml] [--disputes-config FILE.json]

Disputes follow the card networks' stages (retrieval request, chargeback, representment, pre-arbitration,
arbitration, closed won/lost/accepted/expired). A chargeback debits the merchant provisionally; a win reverses
it; stage fees are charged where configured (--disputes-config: deadlines, reasonDeadlines, fees, warnDays).
'contest' attaches the notes and files given and answers the current stage. 'import' reads an issuer's
chargeback CSV (case_id,network,reason_code,stage,transaction_id[,amount][,currency][,filed_at]).
'sweep' closes every stage whose deadline passed without an answer.`;

const VALUED = new Set(['--data', '--config', '--disputes-config', '--merchant', '--limit', '--by', '--note', '--file', '--now']);


const one = (f: Map<string, string[]>, k: string) => f.get(k)?.[0];
const fmt = (d: Dispute) =>
  `${d.id}  ${d.network.padEnd(10)} ${d.reasonCode.padEnd(6)} ${d.stage.padEnd(17)} ${(d.outcome ?? '').padEnd(8)} ${d.merchantId.padEnd(8)} ${String(d.amount).padStart(12)} ${d.currency}  due ${d.dueBy ?? '—'}  waiting on ${waitingOn(d) ?? '—'}`;

export const command: Command = {
  name: 'disputes',
  summary: 'chargebacks and disputes: list, show, accept, contest, import an issuer file, sweep deadlines',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    const parsed = parseFlags(argv, { valued: VALUED, bools: ['--json', '--open'] });
    if (typeof parsed === 'string') return usageError(parsed, help);
    const { flags, bools, positional } = parsed;
    const [sub, arg] = positional;
    if (!sub || !['list', 'show', 'accept', 'contest', 'import', 'sweep'].includes(sub)) return usageError(sub ? `unknown sub-command ${sub}` : 'which sub-command?', help);
    if ((sub === 'show' || sub === 'accept' || sub === 'contest' || sub === 'import') && !arg) return usageError(`${sub} needs ${sub === 'import' ? 'a file' : 'a dispute id'}`, help);
    if ((sub === 'accept' || sub === 'contest') && !one(flags, '--by')) return usageError(`${sub} needs --by NAME (who answers, for the history)`, help);
    const dataDir = one(flags, '--data') ?? 'data';
    if (!existsSync(join(dataDir, 'books.mdb'))) return usageError(`no books in ${dataDir} (books.mdb); give --data DIR`, help);
    let cfg: SettlementConfig = {};
    let dcfg: DisputeConfig = {};
    try {
      if (flags.has('--config')) cfg = loadSettlementConfig(one(flags, '--config')!);
      if (flags.has('--disputes-config')) dcfg = JSON.parse(readFileSync(one(flags, '--disputes-config')!, 'utf8')) as DisputeConfig;
    } catch (e) {
      return usageError(`cannot read the configuration: ${(e as Error).message}`, help);
    }
    const json = bools.has('--json');
    const h = openSettlement(dataDir, cfg);
    const svc = new DisputeService({ books: h.ctx.books, stream: h.stream, calendar: h.ctx.calendar, config: dcfg });
    const print = (d: Dispute) => process.stdout.write(json ? JSON.stringify(toPublicDispute(d)) + '\n' : fmt(d) + '\n');
    try {
      if (sub === 'list') {
        const limit = Number(one(flags, '--limit') ?? 100);
        const page = svc.list({ ...(one(flags, '--merchant') ? { merchantId: one(flags, '--merchant') } : {}), ...(bools.has('--open') ? { open: true } : {}), limit });
        if (json) process.stdout.write(JSON.stringify(page.data.map(toPublicDispute)) + '\n');
        else {
          for (const d of page.data) process.stdout.write(fmt(d) + '\n');
          process.stdout.write(`${page.data.length} dispute(s)${page.hasMore ? ' (more: raise --limit)' : ''}\n`);
        }
        return 0;
      }
      if (sub === 'show') {
        const d = svc.get(arg);
        if (!d) {
          process.stderr.write(`gerbang disputes: no dispute ${arg}\n`);
          return 1;
        }
        if (json) print(d);
        else {
          process.stdout.write(fmt(d) + `\n  ${d.reasonTitle} (${d.category}, ${d.flow}); transaction ${d.transactionId} of ${d.transactionDate}; case ${d.caseId}\n`);
          for (const e of d.evidence) process.stdout.write(`  evidence ${e.id} ${e.kind} ${e.name}${e.size ? ` ${e.size} bytes sha256 ${e.sha256}` : ''}\n`);
          for (const x of d.history) process.stdout.write(`  ${x.at}  ${x.action.padEnd(16)} ${x.actor}/${x.by}  ${x.from ?? ''} → ${x.to ?? ''}${x.note ? `  ${x.note}` : ''}\n`);
        }
        return 0;
      }
      if (sub === 'accept') {
        print(await svc.act(arg, 'accept', 'merchant', one(flags, '--by')!));
        return 0;
      }
      if (sub === 'contest') {
        const by = one(flags, '--by')!;
        const items: EvidenceInput[] = [];
        for (const n of flags.get('--note') ?? []) items.push({ kind: 'note', name: 'note', text: n });
        for (const f of flags.get('--file') ?? []) {
          if (!existsSync(f)) return usageError(`no such file ${f}`, help);
          items.push({ kind: 'document', name: basename(f), content: readFileSync(f) });
        }
        if (items.length) await svc.addEvidence(arg, items, by);
        const cur = svc.get(arg);
        print(await svc.act(arg, cur?.stage === 'retrieval_request' ? 'fulfil' : 'contest', 'merchant', by));
        return 0;
      }
      if (sub === 'import') {
        if (!existsSync(arg)) return usageError(`no such file ${arg}`, help);
        const out = await importChargebackFile(svc, arg);
        for (const e of out.errors) process.stderr.write(`gerbang disputes import: line ${e.line}: ${e.message}\n`);
        process.stdout.write(json ? JSON.stringify({ opened: out.opened.length, advanced: out.advanced.length, errors: out.errors.length }) + '\n' : `${out.opened.length} opened, ${out.advanced.length} advanced, ${out.errors.length} line(s) refused\n`);
        return out.errors.length ? 1 : 0;
      }
      const nowText = one(flags, '--now');
      const now = nowText ? new Date(nowText) : new Date();
      if (Number.isNaN(now.getTime())) return usageError('--now must be an ISO 8601 time', help);
      const changed = await svc.sweep(now);
      if (json) process.stdout.write(JSON.stringify({ changed: changed.length, dueSoon: svc.dueSoon(now).length }) + '\n');
      else {
        for (const d of changed) process.stdout.write(fmt(d) + '\n');
        process.stdout.write(`${changed.length} dispute(s) moved by their deadline; ${svc.dueSoon(now).length} due within the warning window\n`);
      }
      return 0;
    } catch (e) {
      process.stderr.write(`gerbang disputes: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await h.close();
    }
  },
};
