// `gerbang cards`: provisions the issuer's hot state — import a CSV/JSON file, or generate the demo portfolio.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { usageError, type Command } from '../command.js';
import { closeState, openState, unlockState } from '../../state/env.js';
import { withCliHsm } from '../hsm-link.js';
import { parseImport, provision } from '../../state/provision.js';
import { demoProvisionInput } from '../../demo/portfolio.js';

const help = `Usage: gerbang cards import FILE [--format csv|json] [--data DIR] [--hsm HOST:PORT]
       gerbang cards generate --count N [--seed S] [--data DIR] [--hsm HOST:PORT]

import    reads cards (and accounts, keys) from FILE: JSON {accounts, cards, keys} or an array of cards,
          or CSV with a header: pan,expiry,accountId[,serviceCode,status,currency,balance,creditLimit,
          pvkRef,pvki,pvv,cvkRef,mkacRef,product]. Amounts are integers in minor units.
generate  writes the deterministic demo portfolio: N cards (BINs 476173/520473, PIN 1234, expiry 3012),
          one account each (IDR 1,000,000.00), and the demo keys under the test LMK (TEST ONLY).
          Index 1 blocked, 2 lost, 3 stolen, 4 expired, 5 past expiry, 6 prepaid (no cash), 7 low funds (mod 1000).

The PAN is stored only as an HMAC-SHA-256 lookup hash and AES-256-GCM ciphertext (data dir, default ./data),
under data keys the HSM holds: --hsm (or env GERBANG_HSM) names a running one; without it a simulator runs in
this process with the LMK of GERBANG_HSM_LMK or the test LMK, as \`gerbang start\` does.`;

/** Cards generated per chunk: bounds memory for large portfolios. */
const GENERATE_CHUNK = 20_000;

function opt(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function progressLine(label: string): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done === total || now - last > 250) {
      last = now;
      process.stderr.write(`\r${label}: ${done}/${total}${done === total ? '\n' : ''}`);
    }
  };
}

export const command: Command = {
  name: 'cards',
  summary: 'provision cards and accounts: import a CSV/JSON file or generate the demo portfolio',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    const dataDir = opt(rest, '--data') ?? './data';
    const hsmAddr = opt(rest, '--hsm');
    /** The state, its keys unlocked with the HSM; undefined (the reason written) when that fails. */
    const unlocked = async (): Promise<ReturnType<typeof openState> | undefined> => {
      try {
        await withCliHsm(hsmAddr, (hsm) => unlockState(dataDir, hsm, { create: true }));
        return openState(dataDir);
      } catch (e) {
        process.stderr.write(`gerbang cards: ${(e as Error).message}\n`);
        return undefined;
      }
    };
    if (sub === 'import') {
      const file = rest.find((a, i) => !a.startsWith('--') && rest[i - 1] !== '--data' && rest[i - 1] !== '--format' && rest[i - 1] !== '--hsm');
      if (!file) return usageError('cards import: FILE missing', help);
      const format = (opt(rest, '--format') ?? (extname(file).toLowerCase() === '.csv' ? 'csv' : 'json')) as 'csv' | 'json';
      if (format !== 'csv' && format !== 'json') return usageError(`cards import: unknown format '${format}'`, help);
      let input;
      try {
        input = parseImport(readFileSync(file, 'utf8'), format);
      } catch (e) {
        process.stderr.write(`gerbang cards import: ${file}: ${(e as Error).message}\n`);
        return 1;
      }
      const s = await unlocked();
      if (!s) return 1;
      try {
        const r = await provision(s, input, progressLine('importing'));
        process.stdout.write(`imported ${r.cards} cards, ${r.accounts} accounts, ${r.keys} keys into ${dataDir}\n`);
        return 0;
      } catch (e) {
        process.stderr.write(`gerbang cards import: ${(e as Error).message}\n`);
        return 1;
      } finally {
        await closeState(s);
      }
    }
    if (sub === 'generate') {
      const count = Number(opt(rest, '--count'));
      const seed = Number(opt(rest, '--seed') ?? '1');
      if (!Number.isSafeInteger(count) || count < 1 || count > 10_000_000) return usageError('cards generate: --count N (1–10,000,000) required', help);
      if (!Number.isSafeInteger(seed) || seed < 0) return usageError('cards generate: --seed must be a non-negative integer', help);
      const s = await unlocked();
      if (!s) return 1;
      try {
        let done = 0;
        for (let from = 0; from < count; from += GENERATE_CHUNK) {
          const n = Math.min(GENERATE_CHUNK, count - from);
          const input = demoProvisionInput(seed, n, from);
          if (from > 0) delete input.keys;
          await provision(s, input);
          done += n;
          progressLine('generating')(done, count);
        }
        process.stdout.write(`generated ${count} demo cards (seed ${seed}) with accounts and demo keys into ${dataDir}\n`);
        return 0;
      } catch (e) {
        process.stderr.write(`gerbang cards generate: ${(e as Error).message}\n`);
        return 1;
      } finally {
        await closeState(s);
      }
    }
    return usageError(sub ? `cards: unknown sub-command '${sub}'` : 'cards: sub-command missing', help);
  },
};
