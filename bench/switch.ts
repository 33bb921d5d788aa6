// `npm run bench:switch`: acquirer simulator → switch → (on-us engine | issuer simulator), on this machine.
//
// 1. Prepares one pool of chip-and-PIN transactions (DUKPT PIN blocks, ARQCs) and reuses it for every step.
// 2. Ceiling: the same frames against a bare TCP echo server (`gerbang sim echo`, its own process), stepping up.
// 3. Starts an issuer simulator (`gerbang sim issuer`, iso87-bcd/len2) and the switch (`gerbang start --config`,
//    generated config: demo portfolio on-us, BIN 400555 routed to the issuer simulator), each its own process;
//    or drives a switch already running (--target HOST:PORT).
// 4. Right after the switch's ready line: 500 TPS for 3 s (`coldStart`); then the same after a restart with the
//    start-up warm-up off (`coldStartWithoutWarmup`; --no-cold-compare skips it), and the warmed switch again.
// 5. Steps the offered rate (open loop, latency from intended send times), stops once a step falls far behind.
// Writes bench/results/switch.json and switch.svg; with --json the last line is the headline object.
// The load generator runs in this process; everything shares the machine's cores, so read the numbers as what
// one box does with generator, switch, HSM simulator and issuer simulator all on it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseMix, poolFor, runAcquirer, DEFAULT_MIX, type AcquirerSummary } from '../src/sim/acquirer.js';
import type { TxnPool } from '../src/sim/pool.js';
import { DEFAULT_ACQUIRER_ID, defaultConfigSource } from '../src/config/defaults.js';
import { startChild, type Child } from './lib/children.js';
import { renderSvg } from './lib/plot.js';
import { median, writeResultFile, writeResults } from './lib/results.js';
import { childPids, cpuSeconds } from './lib/proc.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');
const cli = join(root, 'bin', 'gerbang.js');

const TARGET_P99_MS = 50;
/** On-us demo cards provisioned and used: many, so per-card velocity and fraud rules decline as little as possible. */
const BENCH_CARDS = 10_000;
/** Terminals, one merchant each: merchant-velocity fraud features see a realistic spread. */
const BENCH_TERMINALS = 2000;
const STEP_PAUSE_MS = 1000;
/** The first seconds after a start: the business rate, offered the moment the ready line is printed. */
const COLD_TPS = 500;
const COLD_S = 3;
/** A step counts as sustained when it answered this share of what it sent within the deadline, without errors. */
const MIN_ANSWERED = 0.999;

interface Step {
  offered: number;
  tps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  sent: number;
  answered: number;
  timeouts: number;
  errors: number;
  byCode: Record<string, number>;
  /** Answers with DE 39 = 91 (shed at admission, or issuer unavailable): fast, but not a decision. */
  shed: number;
  /** Answers in time that were decisions (not 91), per second: what the switch really served. */
  servedTps: number;
  sendLagP99Ms: number;
  generatorCpuUsPerRequest: number;
  /** CPU µs per transaction sent, of each process under test (all threads; the HSM is the switch's child). */
  cpuUsPerTxn: Record<string, number>;
  runs: number;
}

function log(line: string): void {
  process.stderr.write(line + '\n');
}

/** The first seconds of a switch just started (see coldRun). */
interface ColdStart {
  tps: number;
  durationS: number;
  sent: number;
  answered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The processes whose CPU a step charges per transaction: name → pid, looked up when the step starts. */
type Watched = () => Record<string, number>;
interface MeasuredRun {
  summary: AcquirerSummary;
  /** CPU seconds per watched process over the measured part of the run. */
  cpu: Record<string, number>;
}

function stepOf(offered: number, measured: MeasuredRun[]): Step {
  const runs = measured.map((r) => r.summary);
  const cpuUsPerTxn: Record<string, number> = {};
  for (const name of Object.keys(measured[0]?.cpu ?? {})) {
    cpuUsPerTxn[name] = Math.round(median(measured.map((r) => (r.summary.sent > 0 ? (r.cpu[name] * 1e6) / r.summary.sent : 0))));
  }
  const m = (f: (s: AcquirerSummary) => number) => Math.round(median(runs.map(f)) * 1000) / 1000;
  const byCode: Record<string, number> = {};
  for (const r of runs) for (const [c, n] of Object.entries(r.byCode)) byCode[c] = (byCode[c] ?? 0) + n;
  return {
    offered,
    tps: Math.round(m((s) => s.tps)),
    shed: Math.round(m((s) => s.byCode['91'] ?? 0)),
    servedTps: Math.round(m((s) => (s.answered > 0 ? (s.tps * (s.answered - (s.byCode['91'] ?? 0))) / s.answered : 0))),
    p50Ms: m((s) => s.p50Ms),
    p90Ms: m((s) => s.p90Ms),
    p99Ms: m((s) => s.p99Ms),
    p999Ms: m((s) => s.p999Ms),
    maxMs: m((s) => s.maxMs),
    sent: m((s) => s.sent),
    answered: m((s) => s.answered),
    timeouts: m((s) => s.timeouts),
    errors: m((s) => s.errors),
    byCode,
    sendLagP99Ms: m((s) => s.sendLagP99Ms),
    generatorCpuUsPerRequest: m((s) => s.cpuUsPerRequest),
    cpuUsPerTxn,
    runs: runs.length,
  };
}

/** Sustained: nearly everything sent was decided in time — 91s do not count (shed answers are fast, not served). */
function sustained(s: Step): boolean {
  return s.sent > 0 && s.answered - s.shed >= s.sent * MIN_ANSWERED && s.errors === 0 && s.p99Ms < TARGET_P99_MS;
}

function fmtStep(s: Step): string {
  return `offered ${String(s.offered).padStart(6)}  achieved ${String(s.tps).padStart(6)} (served ${String(s.servedTps).padStart(6)}, 91s ${s.shed})  p50 ${s.p50Ms.toFixed(1).padStart(7)} ms  p99 ${s.p99Ms.toFixed(1).padStart(8)} ms  max ${s.maxMs.toFixed(0).padStart(6)} ms  timeouts ${s.timeouts}  errors ${s.errors}  CPU µs/txn gen ${s.generatorCpuUsPerRequest}${Object.entries(s.cpuUsPerTxn).map(([k, v]) => ` ${k} ${v}`).join('')}`;
}

/**
 * The switch configuration this bench runs: the built-in defaults (demo portfolio on-us, demo keys, every other
 * Visa/Mastercard range to the remote bank) with one ISO listener on a free port, data in a temp dir, and the remote
 * bank's link pointed at the issuer simulator this bench started in its own process.
 */
export function benchConfig(dataDir: string, issuerPort: number, maxOutstanding?: number): Record<string, unknown> {
  const c = defaultConfigSource({ dataDir, isoPort: 0, jsonPort: 0, httpPort: 0 }) as Record<string, any>;
  if (maxOutstanding !== undefined) c.admission = { maxOutstanding };
  c.engine = { ...c.engine, demoCards: BENCH_CARDS, demoSeed: 1 };
  c.issuerSimulator = null;
  c.listeners = (c.listeners as { kind: string }[]).filter((l) => l.kind === 'iso');
  for (const i of c.issuers as { links: unknown[] }[]) i.links = [{ name: 'primary', host: '127.0.0.1', port: issuerPort }];
  return c;
}

function acquirerPortOf(ready: Record<string, unknown>, listenerId: string): number | undefined {
  const ports = ready.acquirerPorts as unknown;
  if (typeof ports === 'number') return ports;
  if (Array.isArray(ports)) return typeof ports[0] === 'number' ? ports[0] : (ports[0] as { port?: number })?.port;
  if (ports && typeof ports === 'object') {
    const p = ports as Record<string, unknown>;
    for (const k of [listenerId, 'iso']) {
      const v = p[k];
      if (typeof v === 'number') return v;
      if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
    }
  }
  return undefined;
}

async function stepUp(
  label: string,
  port: number,
  rates: number[],
  o: { stepS: number; warmupS: number; runs: number; connections: number; pool: TxnPool; mix: ReturnType<typeof parseMix>; timeoutMs: number; stopBelow: number; watched: Watched },
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const rate of rates) {
    const runs: MeasuredRun[] = [];
    for (let i = 0; i < o.runs; i++) {
      let pids: Record<string, number> = {};
      let cpu0: Record<string, number> = {};
      const summary = await runAcquirer({
        port, tps: rate, durationS: o.stepS, warmupS: o.warmupS, connections: o.connections, pool: o.pool, mix: o.mix, timeoutMs: o.timeoutMs, acquirerId: DEFAULT_ACQUIRER_ID, seed: 1 + i,
        onMeasureStart: () => {
          pids = o.watched();
          cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
        },
      });
      runs.push({ summary, cpu: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - cpu0[k]])) });
    }
    const s = stepOf(rate, runs);
    await new Promise((r) => setTimeout(r, STEP_PAUSE_MS)); // let a backlog drain before the next step
    steps.push(s);
    log(`${label}: ${fmtStep(s)}`);
    if (s.servedTps < rate * o.stopBelow) {
      log(`${label}: served under ${Math.round(o.stopBelow * 100)} % of offered; not stepping higher`);
      break;
    }
  }
  return steps;
}

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      json: { type: 'boolean' },
      'step-s': { type: 'string' },
      steps: { type: 'string' },
      'echo-steps': { type: 'string' },
      'warmup-s': { type: 'string' },
      runs: { type: 'string' },
      connections: { type: 'string' },
      pool: { type: 'string' },
      mix: { type: 'string' },
      'remote-share': { type: 'string' },
      target: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'no-echo': { type: 'boolean' },
      'no-cold-compare': { type: 'boolean' },
      'max-outstanding': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (a.help) {
    process.stdout.write(`Usage: node dist/bench/switch.js [--json] [--step-s 5] [--steps 100,500,2000,5000,10000,15000,20000]
  [--echo-steps 5000,10000,20000,40000] [--warmup-s 1] [--runs 1] [--connections 8] [--pool 20000] [--mix ...]
  [--remote-share 0.3] [--timeout-ms 2000] [--target HOST:PORT (a switch already running)] [--no-echo]
  [--no-cold-compare (skip the restart without the warm-up that measures what the warm-up saves)]
  [--max-outstanding N (the switch's admission bound; default: its config default)]\n`);
    return 0;
  }
  const nums = (v: string | undefined, def: number[]) => (v ? v.split(',').map(Number).filter((n) => n > 0) : def);
  const stepS = Number(a['step-s'] ?? 5);
  const warmupS = Number(a['warmup-s'] ?? 1);
  const runs = Math.max(1, Number(a.runs ?? 1));
  const connections = Number(a.connections ?? 8);
  const timeoutMs = Number(a['timeout-ms'] ?? 2000);
  const rates = nums(a.steps, [100, 500, 2000, 5000, 10_000, 15_000, 20_000]);
  const echoRates = nums(a['echo-steps'], [5000, 10_000, 20_000, 40_000]);
  const mix = a.mix ? parseMix(a.mix) : DEFAULT_MIX;
  const remoteShare = Number(a['remote-share'] ?? 0.3);
  const remoteBin = '400555';

  const needed = Math.max(...rates, ...echoRates) * (stepS + warmupS);
  const poolSize = Math.min(Number(a.pool ?? 20_000), needed);
  log(`preparing ${poolSize} transactions (DUKPT PIN blocks, ARQCs)…`);
  const pool = poolFor(poolSize, 1, mix, { onUsCards: BENCH_CARDS, remoteShare, remoteBin, terminals: BENCH_TERMINALS });
  log(`prepared in ${pool.buildMs} ms (reused across steps: KSNs/ATCs repeat once a run needs more than ${poolSize})`);
  const common = { stepS, warmupS, runs, connections, pool, mix, timeoutMs };

  const children: Child[] = [];
  let tmp: string | undefined;
  let echoSteps: Step[] = [];
  let steps: Step[] = [];
  let switchError: string | undefined;
  let coldStart: ColdStart | undefined;
  let coldStartWithoutWarmup: ColdStart | undefined;
  try {
    if (!a['no-echo']) {
      const echo = await startChild(process.execPath, [cli, 'sim', 'echo', '--json'], { name: 'echo server' });
      children.push(echo);
      echoSteps = await stepUp('echo  ', echo.ready.port as number, echoRates, { ...common, stopBelow: 0.9, watched: () => ({ echo: echo.proc.pid! }) });
      await echo.stop();
    }

    let port: number | undefined;
    let watched: Watched = () => ({});
    if (a.target) {
      const m = /^(.+):(\d+)$/.exec(a.target);
      if (!m) throw new Error('--target must be HOST:PORT');
      port = Number(m[2]);
    } else {
      const issuer = await startChild(process.execPath, [cli, 'sim', 'issuer', '--json', '--latency-ms', '2', '--jitter-ms', '1', '--approve-rate', '0.95'], { name: 'issuer simulator' });
      children.push(issuer);
      const dir = (tmp = mkdtempSync(join(tmpdir(), 'gerbang-bench-switch-')));
      const issuerPort = issuer.ready.port as number;
      const startSwitch = async (warmup: boolean): Promise<{ sw: Child; port: number }> => {
        const configPath = join(dir, `switch-${warmup ? 'warm' : 'cold'}.json`);
        writeFileSync(configPath, JSON.stringify({ ...benchConfig(join(dir, 'data'), issuerPort, a['max-outstanding'] ? Number(a['max-outstanding']) : undefined), warmup }, null, 2));
        log(`starting the switch (gerbang start --config ${configPath})…`);
        const sw = await startChild(process.execPath, [cli, 'start', '--config', configPath], { name: 'switch', readyTimeoutMs: 120_000, env: { ...process.env, GERBANG_LOG: 'warn' } });
        children.push(sw);
        const p = acquirerPortOf(sw.ready, 'iso');
        if (!p) throw new Error(`switch ready line has no acquirer port: ${JSON.stringify(sw.ready)}`);
        return { sw, port: p };
      };
      /** The first seconds after the ready line, at the business rate: what a restart costs the acquirers. */
      const coldRun = async (p: number): Promise<ColdStart> => {
        const r = await runAcquirer({ port: p, tps: COLD_TPS, durationS: COLD_S, connections, pool, mix, timeoutMs, acquirerId: DEFAULT_ACQUIRER_ID, seed: 77 });
        const c = { tps: COLD_TPS, durationS: COLD_S, answered: r.answered, sent: r.sent, p50Ms: r.p50Ms, p99Ms: r.p99Ms, maxMs: r.maxMs };
        log(`switch right after start: ${COLD_TPS} TPS for ${COLD_S} s → ${c.answered}/${c.sent} answered, p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, max ${c.maxMs} ms`);
        return c;
      };
      const stopSwitch = async (sw: Child): Promise<void> => {
        await sw.stop();
        children.splice(children.indexOf(sw), 1);
      };
      let current = await startSwitch(true);
      coldStart = await coldRun(current.port);
      if (!a['no-cold-compare']) {
        // The same right after a start without the warm-up (config warmup: false), on the same data, then the
        // warmed switch again for the steps.
        await stopSwitch(current.sw);
        const cold = await startSwitch(false);
        coldStartWithoutWarmup = await coldRun(cold.port);
        await stopSwitch(cold.sw);
        current = await startSwitch(true);
      }
      port = current.port;
      const sw = current.sw;
      // the switch's own children (the HSM simulator) are charged as 'hsm'; the remote bank as 'issuer'
      watched = () => {
        const w: Record<string, number> = { switch: sw.proc.pid!, issuer: issuer.proc.pid! };
        childPids(sw.proc.pid!).forEach((pid, i) => (w[i === 0 ? 'hsm' : `switchChild${i}`] = pid));
        return w;
      };
    }
    // Settle: a gentle unrecorded run so HSM connections, worker pools and JIT are up before the first step.
    log('switch: settling at 50 TPS for 3 s (not recorded)…');
    await runAcquirer({ port, tps: 50, durationS: 3, connections, pool, mix, timeoutMs, acquirerId: DEFAULT_ACQUIRER_ID, seed: 99 });
    steps = await stepUp('switch', port, rates, { ...common, stopBelow: 0.5, watched });
  } catch (e) {
    switchError = (e as Error).message;
    log(`bench switch: ${switchError}`);
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }

  const best = steps.filter(sustained).reduce<Step | undefined>((b, s) => (!b || s.tps > b.tps ? s : b), undefined);
  const maxTpsP99Under50 = best ? best.tps : 0;
  const echoCeilingTps = echoSteps.length ? Math.max(...echoSteps.map((s) => s.tps)) : null;
  const headline = {
    maxTpsP99Under50,
    steps: steps.map((s) => ({ offered: s.offered, tps: s.tps, servedTps: s.servedTps, p50Ms: s.p50Ms, p99Ms: s.p99Ms })),
    echoCeilingTps,
    ...(coldStart ? { coldStartP99Ms: coldStart.p99Ms } : {}),
    ...(coldStartWithoutWarmup ? { coldStartWithoutWarmupP99Ms: coldStartWithoutWarmup.p99Ms } : {}),
  };
  writeResults('switch', {
    target: { tps: 10_000, p99Ms: TARGET_P99_MS },
    settings: { stepS, warmupS, runs, connections, timeoutMs, mix, remoteShare, poolSize, poolBuildMs: pool.buildMs },
    headline,
    steps,
    echoSteps,
    ...(coldStart ? { coldStart } : {}),
    ...(coldStartWithoutWarmup ? { coldStartWithoutWarmup } : {}),
    ...(switchError ? { error: switchError } : {}),
    note: 'Generator, switch, HSM simulator and issuer simulator share this machine; medians of --runs runs per step.',
  });
  const svg = renderSvg(
    [
      {
        title: 'Latency vs offered load (open loop)',
        xLabel: 'offered TPS',
        yLabel: 'latency ms',
        yLog: true,
        xLog: true,
        series: [
          { name: 'switch p50', color: '#1565c0', points: steps.map((s) => [s.offered, s.p50Ms]) },
          { name: 'switch p99', color: '#c62828', points: steps.map((s) => [s.offered, s.p99Ms]) },
          { name: 'echo p99 (no switch)', color: '#7b1fa2', dashed: true, points: echoSteps.map((s) => [s.offered, s.p99Ms]) },
        ],
        refLines: [{ y: TARGET_P99_MS, label: 'p99 target 50 ms', color: '#2e7d32' }],
      },
      {
        title: 'Achieved vs offered TPS',
        xLabel: 'offered TPS',
        yLabel: 'achieved TPS',
        xLog: true,
        yLog: true,
        series: [
          { name: 'switch (all answers in time)', color: '#c62828', points: steps.map((s) => [s.offered, s.tps]) },
          { name: 'switch served (not 91)', color: '#ef6c00', points: steps.map((s) => [s.offered, Math.max(1, s.servedTps)]) },
          { name: 'echo (no switch)', color: '#7b1fa2', dashed: true, points: echoSteps.map((s) => [s.offered, s.tps]) },
          { name: 'offered (ideal)', color: '#bdbdbd', dashed: true, points: [...new Set([...steps.map((s) => s.offered), ...echoSteps.map((s) => s.offered)])].sort((x, y) => x - y).map((x) => [x, x]) },
        ],
        refLines: [{ y: 10_000, label: 'target 10k TPS', color: '#2e7d32' }],
      },
    ],
    `gerbang bench:switch ${new Date().toISOString().slice(0, 16)}Z — ${stepS} s steps, medians of ${runs} run(s); max TPS with p99 < 50 ms: ${maxTpsP99Under50}; echo ceiling ${echoCeilingTps ?? 'n/a'} TPS`,
  );
  writeResultFile('switch.svg', svg);
  log(`max TPS with p99 < ${TARGET_P99_MS} ms: ${maxTpsP99Under50}; echo ceiling: ${echoCeilingTps ?? 'n/a'}; results in bench/results/switch.json, switch.svg`);
  if (a.json) process.stdout.write(JSON.stringify(headline) + '\n');
  return switchError ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`bench switch: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
