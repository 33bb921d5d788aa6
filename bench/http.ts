// `npm run bench:http`: autocannon against POST /v1/payments (authorize-and-capture with card data, a fresh
// Idempotency-Key and a Gerbang-Signature on every request) through the real on-us engine (piscina workers,
// LMDB), and against a bare uWS hello-world in the same server process as the ceiling.
// The server runs in a child process (this file with --serve) so autocannon does not share its event loop.
// Each phase runs --runs times; figures are medians (the box's 2 cores are shared, so single runs are noisy).
// Flags: --duration S (per run, default 8) --runs N (3) --connections N (64) --cards N (10000)
//        --workers N (engine threads, 1) --fraud on|off (default on: HTTP payments take the same pipeline as ISO
//        ones, fraud scoring included; the recalibrated model (per-merchant baselines) leaves the synthetic load
//        approved: the declines are the demo portfolio's 41/43/51/54/62, no 59s; declines are reported by DE 39)
//        --profile DIR (write a V8 CPU profile of the server child there)
//        --engine real|stub|both (both: the HTTP layer alone against an instant-approve stub, then end to end) --json
// CPU per request is the server child's utime+stime (/proc/<pid>/stat, all its threads incl. engine workers)
// over the requests answered in a run: on a loaded box it is steadier than req/s.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import uWS from 'uWebSockets.js';
import { createAuthorizer, type Authorizer } from '../src/authorize/index.js';
import type { Decision, Txn } from '../src/model/txn.js';
import { demoPan, demoProvisionInput, DEMO_EXPIRY } from '../src/demo/portfolio.js';
import { parseExposition } from '../src/dashboard/snapshot.js';
import { startHttpApi } from '../src/http/server.js';
import { signatureHeader } from '../src/http/signing.js';
import { closeState, openState } from '../src/state/env.js';
import { unlockWithLocalHsm } from './lib/unlock.js';
import { provision } from '../src/state/provision.js';
import { cpuSeconds } from './lib/proc.js';
import { median, writeResults } from './lib/results.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const word = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? String(process.argv[i + 1]) : dflt;
};
const log = (s: string) => process.stderr.write(s + '\n');
function fraudFlag(): 'on' | 'off' {
  const v = word('fraud', 'on');
  if (v !== 'on' && v !== 'off') throw new Error('--fraud on|off');
  return v;
}
const SEED = 1;

interface ServeInfo {
  port: number;
  helloPort: number;
  /** One API key and signing secret per bench merchant (traffic is spread over them, as a real acquirer's is). */
  merchants: { apiKey: string; signingSecret: string }[];
}
const MERCHANTS = 16;

/** Approves everything at once, in-process: what is left of the time is the HTTP layer's own (edge, auth,
 * signature, validation, vault, idempotency, payment record in LMDB). */
function stubAuthorizer(): Pick<Authorizer, 'authorize' | 'stats' | 'close'> {
  let n = 0;
  return {
    async authorize(t: Txn): Promise<Decision> {
      n++;
      return { txnId: t.id, responseCode: '00', approved: true, approvedAmount: t.amount, authCode: 'S' + t.stan.slice(-5), reasons: [] };
    },
    stats: () => ({ stub: n }) as unknown as ReturnType<Authorizer['stats']>,
    close: async () => undefined,
  };
}

/** Child: provisions demo cards, starts the engine and the API, plus a bare uWS hello-world; prints one JSON line. */
async function serve(): Promise<void> {
  const dir = word('data', '');
  const cards = flag('cards', 10_000);
  const engine = word('engine', 'real');
  await unlockWithLocalHsm(dir);
  if (engine !== 'stub') {
    const s = openState(dir);
    await provision(s, demoProvisionInput(SEED, cards));
    await closeState(s);
  }
  const fraudOn = fraudFlag() === 'on';
  const authorizer = engine === 'stub' ? stubAuthorizer() : await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 9 }, workers: flag('workers', 1), fraud: { enabled: fraudOn } });
  const api = await startHttpApi({ port: 0, authorizer, dataDir: dir, dashboard: false, rateLimit: { perSecond: 1e9, burst: 1e9 } });
  const merchants: ServeInfo['merchants'] = [];
  for (let i = 0; i < MERCHANTS; i++) {
    const m = await api.createMerchant({ name: `Bench Shop ${i}`, id: `mer_bench${i}`, mcc: ['5411', '5812', '5999', '5732'][i % 4] });
    merchants.push({ apiKey: m.apiKey, signingSecret: m.signingSecret });
  }
  const hello = uWS.App().get('/*', (res) => {
    res.end('hello');
  });
  const helloPort = await new Promise<number>((resolve, reject) =>
    hello.listen('127.0.0.1', 0, (sock) => (sock ? resolve(uWS.us_socket_local_port(sock)) : reject(new Error('hello-world could not listen')))),
  );
  const info: ServeInfo = { port: api.port, helloPort, merchants };
  process.stdout.write(JSON.stringify(info) + '\n');
  process.on('SIGTERM', () => {
    void (async () => {
      const st = authorizer.stats();
      await api.close();
      await authorizer.close();
      process.stdout.write(JSON.stringify({ engine: st }) + '\n');
      process.exit(0);
    })();
  });
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; p97_5: number; max: number };
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface RunFigures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  approved: number;
  declined: number;
  /** Server process CPU (all threads) per answered request, µs. */
  cpuUsPerReq: number;
  /** The load generator's own CPU per request (this process): if it nears 1 s/s the client is the limit. */
  clientCpuUsPerReq?: number;
  /** HTTP status → count, so a storm of declines (402) or errors is visible per run. */
  statusCodes: Record<string, number>;
}

function figures(r: AutocannonResult, cpuS: number): RunFigures {
  const codes = r.statusCodeStats ?? {};
  const count = (c: string) => codes[c]?.count ?? 0;
  const approved = count('201') + count('200');
  const declined = count('402');
  const answered = Object.values(codes).reduce((a, c) => a + c.count, 0);
  // Errors: socket errors, timeouts and every answer that is neither a payment nor a decline (4xx/5xx).
  const errors = r.errors + r.timeouts + (answered - approved - declined);
  const statusCodes = Object.fromEntries(Object.entries(codes).map(([k, v]) => [k, v.count]));
  return {
    reqPerSec: (approved + declined) / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors,
    approved,
    declined,
    cpuUsPerReq: Math.round((cpuS * 1e6) / Math.max(1, answered)),
    statusCodes,
  };
}

interface Server {
  child: ChildProcess;
  info: ServeInfo;
  dir: string;
  stop(): Promise<void>;
}

async function startServer(engine: string, cards: number): Promise<Server> {
  const dir = mkdtempSync(`${tmpdir()}/gerbang-bench-http-`);
  const profDir = word('profile', '');
  const child = spawn(
    process.execPath,
    [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), fileURLToPath(import.meta.url), '--serve', '--data', dir, '--cards', String(cards), '--workers', String(flag('workers', 1)), '--fraud', fraudFlag(), '--engine', engine],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GERBANG_LOG: 'warn' } },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  const info = await new Promise<ServeInfo>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bench server did not start')), 120_000);
    child.stdout!.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) {
        clearTimeout(t);
        resolve(JSON.parse(line) as ServeInfo);
      }
    });
    child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    child,
    info,
    dir,
    async stop() {
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The engine's answers by DE 39, from the server's own /metrics (declines are payments too, and say why). */
async function decisionsByCode(port: number): Promise<Record<string, number>> {
  const byCode: Record<string, number> = {};
  for (const smp of parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).get('gerbang_http_decisions_total') ?? []) {
    byCode[smp.labels.code] = (byCode[smp.labels.code] ?? 0) + smp.value;
  }
  return byCode;
}

interface PhaseSummary {
  paymentsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  errors: number;
  approvedShare: number;
  responseCodes: Record<string, number>;
  runs: RunFigures[];
}

function summarise(rs: RunFigures[], responseCodes: Record<string, number>): PhaseSummary {
  const approved = rs.reduce((a, r) => a + r.approved, 0);
  const declined = rs.reduce((a, r) => a + r.declined, 0);
  return {
    paymentsPerSec: Math.round(median(rs.map((r) => r.reqPerSec))),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
    cpuUsPerReq: Math.round(median(rs.map((r) => r.cpuUsPerReq))),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    approvedShare: Math.round((approved / Math.max(1, approved + declined)) * 1000) / 1000,
    responseCodes,
    runs: rs,
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return serve();
  const json = process.argv.includes('--json');
  const durationS = flag('duration', 8);
  const runs = flag('runs', 3);
  const connections = flag('connections', 64);
  const cards = flag('cards', 10_000);
  const engineFlag = word('engine', 'both');
  if (!['real', 'stub', 'both'].includes(engineFlag)) throw new Error('--engine real|stub|both');
  const engines = engineFlag === 'both' ? ['stub', 'real'] : [engineFlag];
  const pans = Array.from({ length: cards }, (_, i) => demoPan(i, SEED));
  const exp = { exp_month: Number(DEMO_EXPIRY.slice(2)), exp_year: 2000 + Number(DEMO_EXPIRY.slice(0, 2)) };
  let n = 0;
  const paymentRequest = (info: ServeInfo) => ({
    method: 'POST',
    path: '/v1/payments',
    setupRequest(req: Record<string, any>) {
      n++;
      const m = info.merchants[n % info.merchants.length];
      // IDR 60 000–150 000: above the fraud model's small-amount (card testing) line, within the demo limits.
      const body = JSON.stringify({ amount: 6_000_000 + (n % 10) * 1_000_000, currency: 'IDR', card: { number: pans[(n * 7919) % pans.length], ...exp } });
      req.body = body;
      // Object.assign, not a spread plus fields (V8's slow path, ~5 µs of the client's CPU per request).
      req.headers = Object.assign({}, req.headers, {
        authorization: `Bearer ${m.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-${process.pid}-${n}`,
        'gerbang-signature': signatureHeader(m.signingSecret, body),
      });
      return req;
    },
  });

  const phase = async (name: string, pid: number, url: string, requests?: unknown[]) => {
    const rs: RunFigures[] = [];
    // A short warm-up (JIT, LMDB pages, worker start, first tokenization of cards) that is not measured.
    await autocannon({ url, connections, duration: 2, ...(requests ? { requests } : {}) });
    for (let i = 0; i < runs; i++) {
      const c0 = cpuSeconds(pid);
      const u0 = process.cpuUsage();
      const ac = await autocannon({ url, connections, duration: durationS, ...(requests ? { requests } : {}) });
      const r = figures(ac, cpuSeconds(pid) - c0);
      const u = process.cpuUsage(u0);
      r.clientCpuUsPerReq = Math.round((u.user + u.system) / Math.max(1, r.approved + r.declined + r.errors));
      log(
        `${name} run ${i + 1}/${runs}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ` +
          `server CPU ${r.cpuUsPerReq} µs/req, client CPU ${r.clientCpuUsPerReq} µs/req, errors ${r.errors}, HTTP status ${JSON.stringify(r.statusCodes)}`,
      );
      rs.push(r);
    }
    return rs;
  };

  let hello: RunFigures[] = [];
  const byEngine: Record<string, PhaseSummary> = {};
  for (const engine of engines) {
    const srv = await startServer(engine, cards);
    try {
      const pid = srv.child.pid as number;
      if (hello.length === 0) {
        hello = (await phase('hello-world', pid, `http://127.0.0.1:${srv.info.helloPort}/`)).map((r) => ({ ...r, reqPerSec: r.approved / durationS }));
      }
      const before = await decisionsByCode(srv.info.port);
      const pay = await phase(`payments (engine ${engine})`, pid, `http://127.0.0.1:${srv.info.port}`, [paymentRequest(srv.info)]);
      const after = await decisionsByCode(srv.info.port);
      const codes = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
      log(`engine ${engine}: answers by DE 39 in the measured runs: ${JSON.stringify(codes)}`);
      byEngine[engine] = summarise(pay, codes);
    } finally {
      await srv.stop();
    }
  }
  const helloWorldReqPerSec = Math.round(median(hello.map((r) => r.reqPerSec)));
  const headline = byEngine.real ?? byEngine.stub;
  const result: Record<string, unknown> = {
    paymentsPerSec: headline.paymentsPerSec,
    p50Ms: headline.p50Ms,
    p99Ms: headline.p99Ms,
    cpuUsPerReq: headline.cpuUsPerReq,
    errors: headline.errors,
    approvedShare: headline.approvedShare,
    engine: byEngine.real ? 'real' : 'stub',
    ...(byEngine.stub && byEngine.real
      ? { httpOnlyPerSec: byEngine.stub.paymentsPerSec, httpOnlyP99Ms: byEngine.stub.p99Ms, httpOnlyCpuUsPerReq: byEngine.stub.cpuUsPerReq }
      : {}),
    helloWorldReqPerSec,
    helloWorldCpuUsPerReq: Math.round(median(hello.map((r) => r.cpuUsPerReq))),
    ratio: Math.round((headline.paymentsPerSec / helloWorldReqPerSec) * 1000) / 1000,
  };
  writeResults('http', {
    ...result,
    byEngine,
    config: { durationS, runs, connections, cards, workers: flag('workers', 1), fraud: fraudFlag(), engines, signing: true, idempotencyKeys: true },
    helloWorld: hello.map((r) => ({ reqPerSec: r.reqPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuUsPerReq: r.cpuUsPerReq, errors: r.errors })),
    note: 'medians of runs on a shared 2-core machine; autocannon runs in this (parent) process, the API + engine and the hello-world in a child process, so the client has its own event loop and core',
  });
  for (const [e, s] of Object.entries(byEngine)) {
    log(`payments (engine ${e}) ${s.paymentsPerSec}/s (p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ${s.cpuUsPerReq} µs CPU/req, approved ${s.approvedShare})`);
  }
  log(`hello-world ${helloWorldReqPerSec}/s (${result.helloWorldCpuUsPerReq} µs CPU/req), ratio ${result.ratio}`);
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  log(`bench http: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
