// `gerbang start`: runs the switch — on a configuration file, or on the built-in defaults (on-us demo portfolio,
// HSM simulator, issuer simulator as a remote bank). Prints one JSON line on stdout when ready; stops gracefully
// on SIGINT/SIGTERM (listeners drain in-flight work, then everything closes in reverse order).
import type { Command } from '../command.js';
import { usageError, wantsHelp } from '../command.js';
import { defaultConfigSource } from '../../config/defaults.js';
import { ConfigError, loadConfig, resolveConfig } from '../../config/load.js';
import type { SwitchConfig } from '../../config/types.js';
import { knownNames, startSwitch } from '../../runtime/index.js';

const help = `Usage: gerbang start [--config FILE] [--data DIR] [--iso-port N] [--json-port N] [--http-port N] [--hsm in-process|child]
                     [--check]

Starts the switch. Without --config it runs on embedded defaults: data under ./data (the demo portfolio is
provisioned on first start), the HSM simulator in a child process, the issuer simulator as a remote bank for
every non-demo Visa/Mastercard range, the ISO 8583 listener on 8583 (iso87-ascii, ascii4 lengths) and the
newline-delimited JSON listener on 8584.

  --config FILE   JSON or YAML configuration (see config/gerbang.example.yaml); validated on load
  --data DIR      data directory (overrides the config's dataDir)
  --iso-port N    port of the listener called "iso" (0 = any free port)
  --json-port N   port of the listener called "json"
  --http-port N   port of the merchant HTTP API, /dashboard and /metrics (0 = any free port)
  --hsm MODE      run the HSM simulator in a child process (default) or in-process
  --check         validate the configuration, print it with defaults filled in, and exit

Before the listeners open it warms its hot paths with synthetic traffic it keeps nowhere (codecs, and the engine's
commit path in aborted transactions; config "warmup": false skips it) and checks every stored key with the HSM.
When ready it prints one JSON line on stdout:
  {"ready":true,"acquirerPorts":{"iso":8583,"json":8584},"hsmPort":…,"issuerSimPort":…,"dataDir":…}
Logs are JSON lines on stderr; GERBANG_LOG=debug|info|warn|error|silent sets the level.
Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight requests are answered first.`;

function parse(argv: string[]): { flags: Map<string, string>; bools: Set<string>; error?: string } {
  const flags = new Map<string, string>();
  const bools = new Set<string>();
  const withValue = new Set(['--config', '--data', '--iso-port', '--json-port', '--http-port', '--hsm']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') bools.add(a);
    else if (withValue.has(a)) {
      const v = argv[++i];
      if (v === undefined) return { flags, bools, error: `${a} needs a value` };
      flags.set(a, v);
    } else return { flags, bools, error: `unknown option ${a}` };
  }
  return { flags, bools };
}

function portOf(v: string | undefined, name: string): number | undefined | Error {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : new Error(`${name} must be 0..65535`);
}

export const command: Command = {
  name: 'start',
  summary: 'run the switch (config file, or embedded defaults with the simulators)',
  help,
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(help + '\n');
      return 0;
    }
    const { flags, bools, error } = parse(argv);
    if (error) return usageError(error, help);
    const isoPort = portOf(flags.get('--iso-port'), '--iso-port');
    const jsonPort = portOf(flags.get('--json-port'), '--json-port');
    if (isoPort instanceof Error) return usageError(isoPort.message, help);
    if (jsonPort instanceof Error) return usageError(jsonPort.message, help);
    const httpPort = portOf(flags.get('--http-port'), '--http-port');
    if (httpPort instanceof Error) return usageError(httpPort.message, help);
    const hsmMode = flags.get('--hsm') ?? 'child';
    if (hsmMode !== 'child' && hsmMode !== 'in-process') return usageError('--hsm must be child or in-process', help);
    let config: SwitchConfig;
    try {
      const file = flags.get('--config');
      config = file ? loadConfig(file, knownNames()) : resolveConfig(defaultConfigSource(), knownNames(), 'built-in config');
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`gerbang start: invalid configuration\n${e.message}\n`);
        return 2;
      }
      throw e;
    }
    if (flags.has('--data')) config.dataDir = flags.get('--data')!;
    for (const l of config.listeners) {
      if (l.id === 'iso' && isoPort !== undefined) l.port = isoPort;
      if (l.id === 'json' && jsonPort !== undefined) l.port = jsonPort;
    }
    if (config.http && httpPort !== undefined) config.http.port = httpPort;
    if (bools.has('--check')) {
      process.stdout.write(JSON.stringify(config, null, 2) + '\n');
      return 0;
    }
    let sw;
    try {
      sw = await startSwitch(config, { hsmMode });
    } catch (e) {
      process.stderr.write(`gerbang start: cannot start: ${(e as Error).message}\n`);
      return 1;
    }
    process.stdout.write(sw.readyLine() + '\n');
    const ports = Object.entries(sw.acquirerPorts).map(([id, p]) => `${id} 127.0.0.1:${p}`).join(', ');
    const listening = (JSON.parse(sw.readyLine()) as { httpPort?: number }).httpPort;
    const http = listening ? `; HTTP API, /dashboard, /metrics on 127.0.0.1:${listening}` : '';
    process.stderr.write(`gerbang start: listening (${ports})${http}; HSM ${sw.hsmPort ?? `${config.hsm.host}:${config.hsm.port}`}; data ${sw.config.dataDir}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stderr.write('gerbang start: stopping (draining in-flight requests)\n');
    await sw.close();
    process.stderr.write('gerbang start: stopped\n');
    return 0;
  },
};
