// `gerbang hsm`: runs the payShield-style HSM simulator, and `gerbang hsm form-key` forms a key from clear components
// (test LMK or --dev only) for tests and key ceremonies.
import { wantsHelp, usageError, type Command } from '../command.js';
import { startHsmServer } from '../../../hsm-sim/server.js';
import { loadLmk } from '../../../hsm-sim/lmk-file.js';
import { KEY_TYPE_CODES, LmkKeys, type KeyName } from '../../../hsm-sim/keys.js';
import { kcv, lmkCheckValue } from '../../../hsm-sim/crypto/index.js';

const help = `Usage: gerbang hsm [--host 127.0.0.1] [--port 1500] [--lmk FILE] [--header-length 4] [--dev] [--json]
       gerbang hsm form-key --type CVK --clear HEX [--lmk FILE] [--dev]

Runs a software HSM speaking the payShield host command protocol over TCP (see hsm-sim/README.md).
  --host, --port      where to listen (env GERBANG_HSM_HOST, GERBANG_HSM_PORT; default 127.0.0.1:1500; 0 = any free port)
  --lmk FILE          LMK set as JSON (env GERBANG_HSM_LMK); default: the published payShield TEST LMK
  --header-length N   message header characters, echoed back (default 4)
  --dev               allow clear-PIN/clear-key functions with a non-test LMK
  --json              print {"port":…} when listening, and the headline figures as the last line on shutdown

form-key: encrypts a clear key (32 or 48 hex) of --type ZMK|ZPK|TPK|PVK|CVK|TAK|ZAK|BDK|MK-AC under the LMK and
prints {"key":"U…","kcv":"…"}. Refused unless the LMK is the test LMK or --dev is given.`;

function parseFlags(argv: string[], valued: string[], bools: string[]): { flags: Record<string, string>; bool: Set<string>; error?: string } {
  const flags: Record<string, string> = {};
  const bool = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.replace(/^--/, '');
    if (bools.includes(name)) bool.add(name);
    else if (valued.includes(name)) {
      if (i + 1 >= argv.length) return { flags, bool, error: `${a} needs a value` };
      flags[name] = argv[++i];
    } else return { flags, bool, error: `unknown option ${a}` };
  }
  return { flags, bool };
}

async function formKey(argv: string[]): Promise<number> {
  const { flags, bool, error } = parseFlags(argv, ['type', 'clear', 'lmk'], ['dev']);
  if (error) return usageError(error, help);
  const type = (flags.type ?? '').toUpperCase() as KeyName;
  if (!(type in KEY_TYPE_CODES)) return usageError(`--type must be one of ${Object.keys(KEY_TYPE_CODES).join(', ')}`, help);
  const clearHex = flags.clear ?? '';
  if (!/^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/.test(clearHex)) return usageError('--clear must be 32 or 48 hex characters', help);
  let lmk;
  try {
    lmk = loadLmk(flags.lmk ?? process.env.GERBANG_HSM_LMK);
  } catch (e) {
    process.stderr.write(`gerbang hsm form-key: ${(e as Error).message}\n`);
    return 1;
  }
  if (!lmk.test && !bool.has('dev')) {
    process.stderr.write('gerbang hsm form-key: refused: forming keys from clear components needs the test LMK or --dev\n');
    return 2;
  }
  const clear = Buffer.from(clearHex, 'hex');
  const keys = new LmkKeys(lmk);
  const key = keys.encrypt(KEY_TYPE_CODES[type], clear, clear.length === 16 ? 'U' : 'T');
  // The KCV is of the key as stored (odd parity fixed), which is what the HSM will report for it.
  process.stdout.write(JSON.stringify({ key, kcv: kcv(keys.decrypt(KEY_TYPE_CODES[type], key).key) }) + '\n');
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  const { flags, bool, error } = parseFlags(argv, ['host', 'port', 'lmk', 'header-length'], ['dev', 'json']);
  if (error) return usageError(error, help);
  const port = Number(flags.port ?? process.env.GERBANG_HSM_PORT ?? 1500);
  const headerLength = Number(flags['header-length'] ?? 4);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError('--port must be 0..65535', help);
  if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > 32) return usageError('--header-length must be 0..32', help);
  let lmk;
  try {
    lmk = loadLmk(flags.lmk ?? process.env.GERBANG_HSM_LMK);
  } catch (e) {
    process.stderr.write(`gerbang hsm: ${(e as Error).message}\n`);
    return 1;
  }
  const host = flags.host ?? process.env.GERBANG_HSM_HOST ?? '127.0.0.1';
  let server;
  try {
    server = await startHsmServer({ host, port, lmk, headerLength, dev: bool.has('dev') });
  } catch (e) {
    process.stderr.write(`gerbang hsm: cannot start on ${host}:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  const lmkKcv = lmkCheckValue(lmk);
  process.stderr.write(`gerbang hsm: listening on ${host}:${server.port}, LMK check value ${lmkKcv}${lmk.test ? ' (TEST LMK — not for real keys)' : ''}\n`);
  if (bool.has('json')) process.stdout.write(JSON.stringify({ port: server.port, lmkCheckValue: lmkKcv, testLmk: lmk.test }) + '\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const s = server.stats();
  await server.close();
  const figures = { port: s.port, requests: s.requests, errors: s.errors, verifyFailures: s.verifyFailures, brokenFrames: s.brokenFrames, connections: s.connections };
  if (bool.has('json')) process.stdout.write(JSON.stringify(figures) + '\n');
  else process.stderr.write(`gerbang hsm: stopped after ${s.requests} requests (${s.errors} errors)\n`);
  return 0;
}

export const command: Command = {
  name: 'hsm',
  summary: 'run the payShield-style HSM simulator (and form test keys)',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    if (argv[0] === 'form-key') return formKey(argv.slice(1));
    return serve(argv);
  },
};
