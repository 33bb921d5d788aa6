// `gerbang settle`: closes a business day's settlement batch by hand and writes its ISO 20022 files;
// `gerbang settle status FILE` applies a bank's pain.002 payment status report to the payouts.
import type { Command } from '../command.js';
import { flagValue, parseFlags, usageError, wantsHelp } from '../command.js';
import { join } from 'node:path';
import { loadSettlementConfig } from '../../settlement/context.js';
import { readPain002 } from '../../settlement/iso20022/pain002.js';
import { openSettlement, settleDate } from '../../settlement/run.js';
import { applyStatusReport } from '../../settlement/statusReport.js';
import type { SettlementConfig } from '../../settlement/types.js';

const help = `Usage: gerbang settle --date YYYY-MM-DD [--data DIR] [--out DIR] [--config FILE] [--force] [--json]
       gerbang settle status FILE.xml [--data DIR] [--config FILE] [--json]

Posts every settled record not yet in the ledger, closes the batch of --date (a business day in the
configured calendar, default Asia/Jakarta) and writes pacs.008 (net positions) and pain.001 (payouts) into
--out (default DIR/settlement). Closing a closed day writes nothing new. A close before the day's cut-off is
refused unless --force.
'status' reads a pain.002 status report and marks each payout accepted or rejected (rejected money returns
to the beneficiary's balance and is flagged).

Options:
  --data DIR      data directory (default ./data): gerbang.mdb (the stream) and books.mdb
  --out DIR       where the ISO 20022 files go
  --config FILE   settlement configuration (JSON or YAML): pricing, calendar, payouts, beneficiaries,
                  participants, switchParty, watchlistFile
  --json          print one JSON line: batch id, counts, totals, files`;


export const command: Command = {
  name: 'settle',
  summary: 'close a settlement batch and write its pacs.008/pain.001 files; apply pain.002 reports',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    const parsed = parseFlags(argv, { valued: ['--date', '--data', '--out', '--config'], bools: ['--json', '--force'] });
    if (typeof parsed === 'string') return usageError(parsed, help);
    const { bools, positional } = parsed;
    const flag = (k: string) => flagValue(parsed, k);
    const dataDir = flag('--data') ?? 'data';
    const json = bools.has('--json');
    let cfg: SettlementConfig = {};
    try {
      if (flag('--config')) cfg = loadSettlementConfig(flag('--config')!);
    } catch (e) {
      return usageError(`cannot read the configuration: ${(e as Error).message}`, help);
    }
    if (positional[0] === 'status') {
      if (!positional[1]) return usageError('status needs a pain.002 file', help);
      const h = openSettlement(dataDir, cfg);
      try {
        const rep = await readPain002(positional[1]);
        const out = await applyStatusReport(h.ctx, rep);
        const line = { report: rep.msgId, original: rep.originalMsgId, accepted: out.accepted.length, rejected: out.rejected.length, pending: out.pending.length, ignored: out.ignored.length, rejectedIds: out.rejected };
        process.stdout.write(json ? JSON.stringify(line) + '\n' : `${rep.originalMsgId}: ${line.accepted} accepted, ${line.rejected} rejected, ${line.pending} pending, ${line.ignored} ignored\n`);
        return 0;
      } catch (e) {
        process.stderr.write(`gerbang settle status: ${(e as Error).message}\n`);
        return 1;
      } finally {
        await h.close();
      }
    }
    if (positional.length) return usageError(`unexpected argument ${positional[0]}`, help);
    const date = flag('--date');
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return usageError('--date YYYY-MM-DD is required', help);
    const outDir = flag('--out') ?? join(dataDir, 'settlement');
    let h;
    try {
      h = openSettlement(dataDir, cfg);
    } catch (e) {
      process.stderr.write(`gerbang settle: ${(e as Error).message}\n`);
      return 1;
    }
    try {
      const r = await settleDate(h, date, outDir, { force: bools.has('--force') });
      const b = r.batch;
      const headline = {
        batchId: b.id,
        date: b.date,
        created: r.created,
        posted: r.posted,
        counts: {
          records: b.totals.reduce((s, t) => s + Object.values(t.kinds).reduce((x, k) => x + k.n, 0), 0),
          positions: b.positions.length,
          payouts: b.payouts.reduce((s, p) => s + p.count, 0),
          held: b.held,
        },
        totals: b.totals.map((t) => ({ currency: t.currency, kinds: t.kinds, fees: t.fees })),
        payouts: b.payouts,
        files: r.paths,
        written: r.written,
      };
      if (json) process.stdout.write(JSON.stringify(headline) + '\n');
      else {
        process.stdout.write(`${b.id} ${r.created ? 'closed' : 'was already closed'}: ${headline.counts.records} records, ${headline.counts.positions} positions, ${headline.counts.payouts} payouts (${b.held} held)\n`);
        for (const p of r.paths) process.stdout.write(`  ${r.written.includes(p) ? 'wrote' : 'kept '} ${p}\n`);
      }
      return 0;
    } catch (e) {
      process.stderr.write(`gerbang settle: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await h.close();
    }
  },
};
