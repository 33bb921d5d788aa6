// `npm run bench:http`: autocannon against POST /v1/payments (authorize-and-capture with card data, a fresh
// Idempotency-Key and a Gerbang-Signature on every request) through the real on-us engine (piscina workers,
// LMDB), and against a bare uWS hello-world in the same server process as the ceiling.
// The server runs in a child process (this file with --serve) so autocannon does not share its event loop.
// Each phase runs --runs times; figures are medians (the box's 2 cores are shared, so single runs are noisy).
// Flags: --duration S (per run, default 8) --runs N (3) --connections N (64) --cards N (10000)
//        --workers N (engine threads, 1) --fraud on|off (on) --json
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import uWS from 'uWebSockets.js';
import { createAuthorizer } from '../src/authorize/index.js';
import { demoPan, demoProvisionInput, DEMO_EXPIRY } from '../src/demo/portfolio.js';
import { parseExposition } from '../src/dashboard/snapshot.js';
import { startHttpApi } from '../src/http/server.js';
import { signatureHeader } from '../src/http/signing.js';
import { closeState, openState } from '../src/state/env.js';
import { provision } from '../src/state/provision.js';
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
const SEED = 1;

interface ServeInfo {
  port: number;
  helloPort: number;
  /** One API key and signing secret per bench merchant (traffic is spread over them, as a real acquirer's is). */
  merchants: { apiKey: string; signingSecret: string }[];
}
const MERCHANTS = 16;

/** Child: provisions demo cards, starts the engine and the API, plus a bare uWS hello-world; prints one JSON line. */
async function serve(): Promise<void> {
  const dir = word('data', '');
  const cards = flag('cards', 10_000);
  const s = openState(dir, { create: true });
  await provision(s, demoProvisionInput(SEED, cards));
  await closeState(s);
  const fraudOn = word('fraud', 'on') !== 'off';
  const authorizer = await createAuthorizer({ dataDir: dir, hsm: { host: '127.0.0.1', port: 9 }, workers: flag('workers', 1), fraud: { enabled: fraudOn } });
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
}

function figures(r: AutocannonResult): RunFigures {
  const codes = r.statusCodeStats ?? {};
  const count = (c: string) => codes[c]?.count ?? 0;
  const approved = count('201') + count('200');
  const declined = count('402');
  const answered = Object.values(codes).reduce((a, c) => a + c.count, 0);
  // Errors: socket errors, timeouts and every answer that is neither a payment nor a decline (4xx/5xx).
  const errors = r.errors + r.timeouts + (answered - approved - declined);
  return { reqPerSec: (approved + declined) / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors, approved, declined };
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return serve();
  const json = process.argv.includes('--json');
  const durationS = flag('duration', 8);
  const runs = flag('runs', 3);
  const connections = flag('connections', 64);
  const cards = flag('cards', 10_000);
  const dir = mkdtempSync(`${tmpdir()}/gerbang-bench-http-`);
  const child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--serve', '--data', dir, '--cards', String(cards), '--workers', String(flag('workers', 1)), '--fraud', word('fraud', 'on')],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GERBANG_LOG: 'warn' } },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const info = await new Promise<ServeInfo>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bench server did not start')), 120_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) {
        clearTimeout(t);
        resolve(JSON.parse(line) as ServeInfo);
      }
    });
    child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const pans = Array.from({ length: cards }, (_, i) => demoPan(i, SEED));
  const exp = { exp_month: Number(DEMO_EXPIRY.slice(2)), exp_year: 2000 + Number(DEMO_EXPIRY.slice(0, 2)) };
  let n = 0;
  const payment = {
    method: 'POST',
    path: '/v1/payments',
    setupRequest(req: Record<string, any>) {
      n++;
      const m = info.merchants[n % info.merchants.length];
      // IDR 60 000–150 000: above the fraud model's small-amount (card testing) line, within the demo limits.
      const body = JSON.stringify({ amount: 6_000_000 + (n % 10) * 1_000_000, currency: 'IDR', card: { number: pans[(n * 7919) % pans.length], ...exp } });
      req.body = body;
      req.headers = {
        ...req.headers,
        authorization: `Bearer ${m.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-${process.pid}-${n}`,
        'gerbang-signature': signatureHeader(m.signingSecret, body),
      };
      return req;
    },
  };

  const phase = async (name: string, url: string, requests?: unknown[]) => {
    const rs: RunFigures[] = [];
    // A short warm-up (JIT, LMDB pages, worker start) that is not measured.
    await autocannon({ url, connections, duration: 2, ...(requests ? { requests } : {}) });
    for (let i = 0; i < runs; i++) {
      const r = figures(await autocannon({ url, connections, duration: durationS, ...(requests ? { requests } : {}) }));
      log(`${name} run ${i + 1}/${runs}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}, approved ${r.approved}, declined ${r.declined}`);
      rs.push(r);
    }
    return rs;
  };

  let result: Record<string, unknown>;
  try {
    const hello = await phase('hello-world', `http://127.0.0.1:${info.helloPort}/`);
    const helloFigures = hello.map((r) => ({ ...r, reqPerSec: r.approved / durationS }));
    const pay = await phase('payments', `http://127.0.0.1:${info.port}`, [payment]);
    const paymentsPerSec = Math.round(median(pay.map((r) => r.reqPerSec)));
    const helloWorldReqPerSec = Math.round(median(helloFigures.map((r) => r.reqPerSec)));
    result = {
      paymentsPerSec,
      p50Ms: median(pay.map((r) => r.p50Ms)),
      p99Ms: median(pay.map((r) => r.p99Ms)),
      errors: pay.reduce((a, r) => a + r.errors, 0),
      helloWorldReqPerSec,
      ratio: Math.round((paymentsPerSec / helloWorldReqPerSec) * 1000) / 1000,
    };
    // The engine's answers by DE 39, from the server's own /metrics (declines are payments too, and say why).
    const byCode: Record<string, number> = {};
    for (const smp of parseExposition(await (await fetch(`http://127.0.0.1:${info.port}/metrics`)).text()).get('gerbang_http_decisions_total') ?? []) {
      byCode[smp.labels.code] = (byCode[smp.labels.code] ?? 0) + smp.value;
    }
    log(`engine answers by response code (warm-up included): ${JSON.stringify(byCode)}`);
    const approvedShare = pay.reduce((a, r) => a + r.approved, 0) / Math.max(1, pay.reduce((a, r) => a + r.approved + r.declined, 0));
    writeResults('http', {
      ...result,
      approvedShare: Math.round(approvedShare * 1000) / 1000,
      responseCodes: byCode,
      config: { durationS, runs, connections, cards, workers: flag('workers', 1), fraud: word('fraud', 'on'), signing: true, idempotencyKeys: true },
      runs: { payments: pay, helloWorld: helloFigures.map((r) => ({ reqPerSec: r.reqPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors })) },
      note: 'medians of runs on a shared 2-core machine; autocannon runs in the parent, the API + engine in a child',
    });
  } finally {
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
  log(`payments ${result.paymentsPerSec}/s (p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms), hello-world ${result.helloWorldReqPerSec}/s, ratio ${result.ratio}`);
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  log(`bench http: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
