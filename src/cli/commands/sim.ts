// `gerbang sim acquirer|issuer`: the simulators integrators run against a switch (or as the bank behind it).
import { parseArgs } from 'node:util';
import { listSpecs, type LengthHeader } from '../../../codecs/index.js';
import { usageError, wantsHelp, type Command } from '../command.js';
import { DEFAULT_MIX, parseMix, poolFor, runAcquirer, type AcquirerSummary } from '../../sim/acquirer.js';
import { startEchoServer } from '../../sim/echo.js';
import { ISSUER_FAIL_MODES, startIssuerSim, type IssuerFailMode } from '../../sim/issuer.js';
import type { OpenLoopProgress } from '../../sim/openloop.js';

const FRAMINGS: readonly LengthHeader[] = ['len2', 'len4', 'ascii4', 'hex4', 'bcd2'];

const acquirerHelp = `Usage: gerbang sim acquirer --target HOST:PORT --tps N --duration S [options]

Terminals sending chip-and-PIN transactions (DUKPT PIN blocks, EMV DE 55 with real ARQCs for the demo cards)
to a switch, open-loop at a fixed rate: latency counts from each request's intended send time, so a switch that
queues cannot hide it. Prints a progress line every second and a summary at the end.

Options:
  --target HOST:PORT     the switch's ISO 8583 acquirer listener (required)
  --tps N                offered rate, requests per second (required)
  --duration S           seconds of load (required)
  --mix LIST             kind:weight,... of purchase, preauth, refund, reversal, balance, completion
                         (default ${Object.entries(DEFAULT_MIX).map(([k, v]) => `${k}:${v}`).join(',')})
  --spec NAME            codec spec (default iso87-ascii; one of ${listSpecs().map((s) => s.name).join(', ')})
  --framing NAME         length header (default ascii4; one of ${FRAMINGS.join(', ')}); --tpdu adds a 5-byte TPDU
  --connections N        TCP connections, requests pipelined over them (default 4)
  --timeout-ms N         per-request deadline from the intended send time (default 5000)
  --warmup S             seconds at the same rate before measuring (default 0)
  --acquirer-id ID       DE 32 (default 123456: the id the switch's listener expects)
  --cards N              on-us demo cards to use, from index 0 (default 500; they must be provisioned)
  --terminals N          DUKPT terminals, one merchant each (default 100)
  --aes-dukpt            AES DUKPT PIN pads (X9.24-3: 24-digit KSN in DE 62, ISO format 4 block) instead of TDES
  --aes-pin-field N      field for the 16-byte AES PIN block (default 110, as the default ISO listener reads it)
  --remote-share F       share of transactions on remote-BIN cards routed to an issuer (default 0.3)
  --remote-bin BIN       BIN of the remote cards (default 400555)
  --pool N               most prepared transactions (default: what the run needs, up to 50000; reused beyond)
  --seed N               PRNG seed for mix, amounts and cards (default 1)
  --no-sign-on           do not send 0800 sign-on first
  --json                 end with one JSON line: {"sent","answered","tps","p50Ms","p90Ms","p99Ms","p999Ms","maxMs","errors","timeouts","byCode"}`;

const issuerHelp = `Usage: gerbang sim issuer [--port P] [options]

A remote bank host: answers sign-on/echo (0800), authorizations and financial requests (0100/0200, approved at
--approve-rate, else 51), reversals (0400/0420) and advices (0120/0220), and counts what it received. Runs until
Ctrl-C (or --duration), then prints its counters.

Options:
  --port P               TCP port on 127.0.0.1 (default 0: a free port, printed at start)
  --host H               listen address (default 127.0.0.1)
  --spec NAME            codec spec (default iso87-bcd)
  --framing NAME         length header (default len2; one of ${FRAMINGS.join(', ')}); --tpdu adds a 5-byte TPDU
  --approve-rate F       share of 0100/0200 approved (default 0.95)
  --latency-ms N         answer delay (default 5)   --jitter-ms N  uniform jitter around it (default 2)
  --fail MODE            misbehave: ${ISSUER_FAIL_MODES.filter((m) => m !== 'none').join(' | ')}
                         down: refuses connections; slow: answers after --slow-ms (default 10000);
                         drop: never answers --drop-rate of requests (default 0.5);
                         garble: sends broken messages for --garble-rate of requests (default 1)
                         (0800 is always answered, so the link stays up and the fault shows per request)
  --seed N               PRNG seed for approve/drop/garble choices (default 1)
  --mac-key HEX          TEST ONLY: the bank's clear double-length TAK (32 hex); verify the MAC (DE 64/128) of every
                         financial request (wrong or missing: answered 63) and sign the answers (ISO 9797-1 alg 3)
  --duration S           stop after S seconds
  --json                 print {"ready":true,"port":P} when listening and end with one JSON line of counters`;

const echoHelp = `Usage: gerbang sim echo [--port P] [--json] [--duration S]

A bare TCP echo server: every byte comes straight back. Point 'gerbang sim acquirer' at it to measure what this
machine's loopback and the load generator can carry with no switch at all (the ceiling the switch bench reports).
With --json prints {"ready":true,"port":P} when listening.`;

const help = `Usage: gerbang sim <acquirer|issuer|echo> [options]

Simulators that ship with gerbang:
  acquirer   terminals driving a switch open-loop at a fixed rate (load generator with latency percentiles)
  issuer     a remote bank host the switch routes to, with fault modes
  echo       a bare TCP echo server (the ceiling of this machine for the acquirer simulator)

Run 'gerbang sim <name> --help' for its options.`;

function num(v: string | undefined, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`--${name} must be a number between ${min} and ${max}, got '${v}'`);
  return n;
}

function framingArg(v: string | undefined, def: LengthHeader, tpdu: boolean | undefined) {
  const name = (v ?? def) as LengthHeader;
  if (!FRAMINGS.includes(name)) throw new RangeError(`--framing must be one of ${FRAMINGS.join(', ')}, got '${v}'`);
  return { lengthHeader: name, tpdu: tpdu ?? false };
}

function specArg(v: string | undefined, def: string): string {
  const name = v ?? def;
  if (!listSpecs().some((s) => s.name === name)) throw new RangeError(`--spec must be one of ${listSpecs().map((s) => s.name).join(', ')}, got '${name}'`);
  return name;
}

function progressLine(p: OpenLoopProgress): string {
  return `t=${(p.elapsedMs / 1000).toFixed(0)}s sent=${p.sent} answered=${p.answered} tps=${p.recentTps} inflight=${p.inFlight} p99=${p.p99Ms}ms timeouts=${p.timeouts} errors=${p.errors}`;
}

export function summaryText(s: AcquirerSummary): string {
  const codes = Object.entries(s.byCode)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c}:${n}`)
    .join(' ');
  const kinds = Object.entries(s.byKind)
    .map(([k, v]) => `${k} ${v.answered}/${v.sent} (${v.approved} approved)`)
    .join(', ');
  return [
    `offered ${s.offered} TPS for ${s.durationS} s: sent ${s.sent}, answered ${s.answered}, achieved ${s.tps} TPS`,
    `latency from intended send time: p50 ${s.p50Ms} ms  p90 ${s.p90Ms} ms  p99 ${s.p99Ms} ms  p99.9 ${s.p999Ms} ms  max ${s.maxMs} ms`,
    `timeouts ${s.timeouts}  errors ${s.errors}  late ${s.late}  undecodable ${s.undecodable}`,
    `response codes: ${codes || '(none)'}`,
    `by kind: ${kinds || '(none)'}`,
    `generator: ${s.cpuUsPerRequest} µs CPU per request, send lag p99 ${s.sendLagP99Ms} ms; transactions prepared in ${s.poolBuildMs} ms, encoded in ${s.wireBuildMs} ms${s.unpatchableShapes ? ` (${s.unpatchableShapes} shapes encoded per message)` : ''}`,
  ].join('\n');
}

/** The --json headline: exactly the documented keys. */
export function headline(s: AcquirerSummary): Record<string, unknown> {
  return { sent: s.sent, answered: s.answered, tps: s.tps, p50Ms: s.p50Ms, p90Ms: s.p90Ms, p99Ms: s.p99Ms, p999Ms: s.p999Ms, maxMs: s.maxMs, errors: s.errors, timeouts: s.timeouts, byCode: s.byCode };
}

async function acquirer(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(acquirerHelp + '\n');
    return 0;
  }
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        target: { type: 'string' },
        tps: { type: 'string' },
        duration: { type: 'string' },
        mix: { type: 'string' },
        spec: { type: 'string' },
        framing: { type: 'string' },
        tpdu: { type: 'boolean' },
        connections: { type: 'string' },
        'timeout-ms': { type: 'string' },
        warmup: { type: 'string' },
        'acquirer-id': { type: 'string' },
        cards: { type: 'string' },
        terminals: { type: 'string' },
        'aes-dukpt': { type: 'boolean' },
        'aes-pin-field': { type: 'string' },
        'remote-share': { type: 'string' },
        'remote-bin': { type: 'string' },
        pool: { type: 'string' },
        seed: { type: 'string' },
        'no-sign-on': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usageError((e as Error).message, acquirerHelp);
  }
  let opts;
  try {
    const m = /^(.+):(\d{1,5})$/.exec(a.target ?? '');
    if (!m) throw new RangeError('--target HOST:PORT is required');
    if (a.tps === undefined || a.duration === undefined) throw new RangeError('--tps and --duration are required');
    const tps = num(a.tps, 'tps', 0, 0.001, 1_000_000);
    const durationS = num(a.duration, 'duration', 0, 0.001, 86_400);
    const mix = a.mix ? parseMix(a.mix) : DEFAULT_MIX;
    const poolCap = num(a.pool, 'pool', 50_000, 1, 1_000_000);
    opts = {
      host: m[1],
      port: num(m[2], 'target port', 0, 1, 65535),
      tps,
      durationS,
      mix,
      spec: specArg(a.spec, 'iso87-ascii'),
      framing: framingArg(a.framing, 'ascii4', a.tpdu),
      connections: num(a.connections, 'connections', 4, 1, 256),
      timeoutMs: num(a['timeout-ms'], 'timeout-ms', 5000, 1, 600_000),
      warmupS: num(a.warmup, 'warmup', 0, 0, 3600),
      acquirerId: a['acquirer-id'] ?? '123456',
      seed: num(a.seed, 'seed', 1, 0, 2 ** 31),
      signOn: !a['no-sign-on'],
      poolCap,
      poolOptions: {
        onUsCards: num(a.cards, 'cards', 500, 0, 100_000),
        terminals: num(a.terminals, 'terminals', 100, 1, 9999),
        aesDukpt: a['aes-dukpt'] === true,
        aesPinBlockField: num(a['aes-pin-field'], 'aes-pin-field', 110, 2, 192),
        remoteShare: num(a['remote-share'], 'remote-share', 0.3, 0, 1),
        remoteBin: a['remote-bin'] ?? '400555',
      },
    };
    if (!/^[0-9]{1,11}$/.test(opts.acquirerId)) throw new RangeError('--acquirer-id must be 1 to 11 digits');
  } catch (e) {
    return usageError((e as Error).message, acquirerHelp);
  }
  const tty = process.stderr.isTTY;
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    process.stderr.write(`preparing transactions (DUKPT PIN blocks, ARQCs)…\n`);
    const pool = poolFor(opts.tps, opts.durationS + opts.warmupS, opts.mix, { ...opts.poolOptions, seed: opts.seed }, opts.poolCap);
    process.stderr.write(`prepared ${pool.debit.length + pool.balance.length} in ${pool.buildMs} ms; ${opts.warmupS > 0 ? `warming up ${opts.warmupS} s, then ` : ''}offering ${opts.tps} TPS for ${opts.durationS} s to ${opts.host}:${opts.port}\n`);
    const s = await runAcquirer({
      ...opts,
      pool,
      signal: ac.signal,
      onProgress: (p) => process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`),
    });
    if (tty) process.stderr.write('\n');
    s.poolBuildMs = pool.buildMs;
    process.stdout.write(summaryText(s) + '\n');
    if (a.json) process.stdout.write(JSON.stringify(headline(s)) + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`gerbang sim acquirer: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSig);
  }
}

function macKeyArg(v: string): string {
  if (!/^[0-9A-Fa-f]{32}$/.test(v)) throw new RangeError('--mac-key must be 32 hex characters (a double-length TAK)');
  return v;
}

async function issuer(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(issuerHelp + '\n');
    return 0;
  }
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        spec: { type: 'string' },
        framing: { type: 'string' },
        tpdu: { type: 'boolean' },
        'approve-rate': { type: 'string' },
        'mac-key': { type: 'string' },
        'latency-ms': { type: 'string' },
        'jitter-ms': { type: 'string' },
        fail: { type: 'string' },
        'slow-ms': { type: 'string' },
        'drop-rate': { type: 'string' },
        'garble-rate': { type: 'string' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usageError((e as Error).message, issuerHelp);
  }
  let opts;
  let durationS: number;
  try {
    const fail = (a.fail ?? 'none') as IssuerFailMode;
    if (!ISSUER_FAIL_MODES.includes(fail)) throw new RangeError(`--fail must be one of ${ISSUER_FAIL_MODES.join(', ')}`);
    opts = {
      port: num(a.port, 'port', 0, 0, 65535),
      host: a.host ?? '127.0.0.1',
      spec: specArg(a.spec, 'iso87-bcd'),
      framing: framingArg(a.framing, 'len2', a.tpdu),
      approveRate: num(a['approve-rate'], 'approve-rate', 0.95, 0, 1),
      latencyMs: num(a['latency-ms'], 'latency-ms', 5, 0, 600_000),
      jitterMs: num(a['jitter-ms'], 'jitter-ms', 2, 0, 600_000),
      slowMs: num(a['slow-ms'], 'slow-ms', 10_000, 0, 3_600_000),
      dropRate: num(a['drop-rate'], 'drop-rate', 0.5, 0, 1),
      garbleRate: num(a['garble-rate'], 'garble-rate', 1, 0, 1),
      seed: num(a.seed, 'seed', 1, 0, 2 ** 31),
      fail,
      log: (line: string) => process.stderr.write(line + '\n'),
      ...(a['mac-key'] !== undefined ? { macKey: macKeyArg(a['mac-key']) } : {}),
    };
    durationS = num(a.duration, 'duration', 0, 0, 31_536_000);
  } catch (e) {
    return usageError((e as Error).message, issuerHelp);
  }
  let sim;
  try {
    sim = await startIssuerSim(opts);
  } catch (e) {
    process.stderr.write(`gerbang sim issuer: cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`issuer simulator on ${opts.host}:${sim.port} (${opts.spec}, ${opts.framing.lengthHeader}${opts.framing.tpdu ? '+tpdu' : ''}, approve ${opts.approveRate}, fail ${opts.fail})\n`);
  if (a.json) process.stdout.write(JSON.stringify({ ready: true, port: sim.port, spec: opts.spec, framing: opts.framing.lengthHeader }) + '\n');
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (durationS > 0) setTimeout(done, durationS * 1000).unref();
  });
  const st = sim.stats();
  await sim.close();
  if (a.json) process.stdout.write(JSON.stringify(st) + '\n');
  else process.stdout.write(`received ${JSON.stringify(st.received)} answered ${JSON.stringify(st.answered)} codes ${JSON.stringify(st.byCode)}; reversals ${st.reversals}, advices ${st.advices}, dropped ${st.dropped}, garbled ${st.garbled}, bad frames ${st.badFrames}, undecodable ${st.decodeErrors}\n`);
  return 0;
}

async function echo(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(echoHelp + '\n');
    return 0;
  }
  let port: number;
  let durationS: number;
  let json: boolean;
  try {
    const a = parseArgs({ args: argv, options: { port: { type: 'string' }, json: { type: 'boolean' }, duration: { type: 'string' } }, strict: true, allowPositionals: false }).values;
    port = num(a.port, 'port', 0, 0, 65535);
    durationS = num(a.duration, 'duration', 0, 0, 31_536_000);
    json = a.json ?? false;
  } catch (e) {
    return usageError((e as Error).message, echoHelp);
  }
  const server = await startEchoServer({ port }).catch((e: Error) => e);
  if (server instanceof Error) {
    process.stderr.write(`gerbang sim echo: cannot listen: ${server.message}\n`);
    return 1;
  }
  process.stderr.write(`echo server on 127.0.0.1:${server.port}\n`);
  if (json) process.stdout.write(JSON.stringify({ ready: true, port: server.port }) + '\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (durationS > 0) setTimeout(resolve, durationS * 1000).unref();
  });
  const bytes = server.bytes();
  await server.close();
  if (json) process.stdout.write(JSON.stringify({ bytesEchoed: bytes }) + '\n');
  return 0;
}

export const command: Command = {
  name: 'sim',
  summary: 'acquirer load generator and issuer host simulators',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'acquirer') return acquirer(rest);
    if (sub === 'issuer') return issuer(rest);
    if (sub === 'echo') return echo(rest);
    if (!sub || wantsHelp([sub])) {
      process.stdout.write(help + '\n');
      return sub ? 0 : 2;
    }
    return usageError(`unknown simulator '${sub}'`, help);
  },
};
