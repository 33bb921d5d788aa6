// `gerbang keys status`: the data dir's own keys as an operator checks them — which stores hold which keys, their
// usage and check values, and whether the HSM opens each to the same check value. No key is ever shown.
import { parseArgs } from 'node:util';
import { usageError, type Command } from '../command.js';
import { keyStatus } from '../../runtime/key-status.js';
import { withCliHsm } from '../hsm-link.js';

const help = `Usage: gerbang keys status [--data DIR] [--hsm HOST:PORT] [--no-hsm] [--json]

The switch's own data keys (PAN encryption and hashing, the merchant vault's, the switch store's sealing keys) are
kept only as key blocks under the HSM's LMK, each with its check value (KCV). This lists them per store and asks
the HSM to open each one (the key stays in this process, is compared by its KCV and zeroed). Nothing is created or
migrated: a store without keys gets them on the next \`gerbang start\`, and old clear key files (kek.key,
switch-data.key) are migrated into the HSM and deleted then.

--data DIR       data directory (default ./data)
--hsm HOST:PORT  the HSM (env GERBANG_HSM); default a simulator in this process with the LMK of GERBANG_HSM_LMK
                 or the test LMK, as gerbang start uses
--no-hsm         list what is stored without asking an HSM
--json           one JSON object; exit 1 when a key does not open`;

export const command: Command = {
  name: 'keys',
  summary: "the data dir's own keys: stores, usages, check values, and whether the HSM opens them (never the keys)",
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({ args: rest, options: { data: { type: 'string', default: 'data' }, hsm: { type: 'string' }, 'no-hsm': { type: 'boolean' }, json: { type: 'boolean' } }, strict: true }).values;
    } catch (e) {
      return usageError((e as Error).message, help);
    }
    if (sub !== 'status') return usageError(sub ? `unknown sub-command '${sub}'` : 'missing sub-command', help);
    const dataDir = values.data as string;
    const st = values['no-hsm'] ? await keyStatus(dataDir) : await withCliHsm(values.hsm as string | undefined, (hsm) => keyStatus(dataDir, hsm));
    const failed = st.keys.filter((k) => k.opens !== undefined && k.opens !== true);
    if (values.json) {
      process.stdout.write(JSON.stringify(st) + '\n');
      return failed.length ? 1 : 0;
    }
    for (const k of st.keys) {
      const what = k.format === 'legacy' ? 'old format (wrapped under kek.key; migrated on the next start)' : `${k.usage} under the LMK, KCV ${k.kcv}`;
      const opens = k.opens === undefined ? '' : k.opens === true ? '  opens: yes' : `  opens: NO (${k.opens})`;
      process.stdout.write(`${k.store}  ${k.record}.${k.key}  ${what}${opens}\n`);
    }
    for (const m of st.missing) process.stdout.write(`${m}  no keys yet (made on the next start)\n`);
    for (const f of st.legacyFiles) process.stdout.write(`${f}  old clear key file: migrated into the HSM and deleted on the next start\n`);
    return failed.length ? 1 : 0;
  },
};
