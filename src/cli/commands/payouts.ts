// `gerbang payouts`: list payouts, ask for a manual payout (maker), approve it (checker), review an AML hold,
// release a marketplace order's seller shares, clear a rejected payout's flag.
import type { Command } from '../command.js';
import { usageError, wantsHelp } from '../command.js';
import { loadSettlementConfig } from '../../settlement/context.js';
import { approveManualPayout, clearFlag, listPayouts, releaseShares, requestManualPayout, reviewHeldPayout } from '../../settlement/payouts.js';
import { openSettlement } from '../../settlement/run.js';
import type { SettlementConfig } from '../../settlement/types.js';

const help = `Usage: gerbang payouts <action> [--data DIR] [--config FILE] [--json]

Actions:
  list [--status S]                                         payouts (optionally of one status)
  request --merchant ID|--seller ID --amount N --currency C --by NAME
                                                            a manual payout (maker); above the configured
                                                            threshold it waits for a checker
  approve ID --by NAME                                      the checker approves (never the maker)
  review ID --release|--cancel --by NAME                    an AML reviewer releases or cancels a held payout
  release CAPTURE_ID                                        the order was delivered: its seller shares are payable
  clear-flag ID                                             a rejected payout was looked at

Amounts are integers in minor units; currencies are ISO 4217 numeric ("360").`;

export const command: Command = {
  name: 'payouts',
  summary: 'list payouts; manual payouts with maker-checker; AML review; release seller shares',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    const flags = new Map<string, string | true>();
    const pos: string[] = [];
    const valued = new Set(['--data', '--config', '--status', '--merchant', '--seller', '--amount', '--currency', '--by']);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (valued.has(a)) {
        const v = argv[++i];
        if (v === undefined) return usageError(`${a} needs a value`, help);
        flags.set(a, v);
      } else if (a === '--json' || a === '--release' || a === '--cancel') flags.set(a, true);
      else if (a.startsWith('--')) return usageError(`unknown option ${a}`, help);
      else pos.push(a);
    }
    const [action, arg] = pos;
    if (!action) return usageError('an action is required', help);
    let cfg: SettlementConfig = {};
    try {
      if (flags.has('--config')) cfg = loadSettlementConfig(flags.get('--config') as string);
    } catch (e) {
      return usageError(`cannot read the configuration: ${(e as Error).message}`, help);
    }
    const by = flags.get('--by') as string | undefined;
    const json = flags.has('--json');
    const h = openSettlement((flags.get('--data') as string | undefined) ?? 'data', cfg);
    const print = (v: unknown, text: string) => process.stdout.write(json ? JSON.stringify(v) + '\n' : text + '\n');
    try {
      switch (action) {
        case 'list': {
          const st = flags.get('--status');
          const ps = listPayouts(h.ctx, (p) => !st || p.status === st);
          print(ps, ps.map((p) => `${p.id} ${p.status.padEnd(16)} ${p.beneficiary.type} ${p.beneficiary.id} ${p.amount} ${p.currency}${p.flagged ? ' FLAGGED' : ''}`).join('\n') || '(none)');
          return 0;
        }
        case 'request': {
          const type = flags.has('--merchant') ? 'merchant' : flags.has('--seller') ? 'seller' : undefined;
          const amount = Number(flags.get('--amount'));
          const currency = flags.get('--currency');
          if (!type || !Number.isSafeInteger(amount) || typeof currency !== 'string' || !by) return usageError('request needs --merchant|--seller, --amount, --currency and --by', help);
          const id = (flags.get('--merchant') ?? flags.get('--seller')) as string;
          const p = await requestManualPayout(h.ctx, { type, beneficiaryId: id, amount, currency, maker: by });
          print(p, `${p.id} ${p.status}`);
          return 0;
        }
        case 'approve': {
          if (!arg || !by) return usageError('approve needs a payout id and --by', help);
          const p = await approveManualPayout(h.ctx, arg, by);
          print(p, `${p.id} ${p.status} (maker ${p.maker}, checker ${p.checker})`);
          return 0;
        }
        case 'review': {
          const decision = flags.has('--release') ? 'release' : flags.has('--cancel') ? 'cancel' : undefined;
          if (!arg || !by || !decision) return usageError('review needs a payout id, --release or --cancel, and --by', help);
          const p = await reviewHeldPayout(h.ctx, arg, by, decision);
          print(p, `${p.id} ${p.status}`);
          return 0;
        }
        case 'release': {
          if (!arg) return usageError('release needs a capture id (<txnId>:<kind>)', help);
          const n = releaseShares(h.ctx, arg);
          print({ released: n }, `${n} seller share(s) released`);
          return 0;
        }
        case 'clear-flag': {
          if (!arg) return usageError('clear-flag needs a payout id', help);
          await clearFlag(h.ctx, arg);
          print({ cleared: arg }, `${arg} cleared`);
          return 0;
        }
        default:
          return usageError(`unknown action ${action}`, help);
      }
    } catch (e) {
      process.stderr.write(`gerbang payouts: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await h.close();
    }
  },
};
