// The live dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core loads /dashboard while `gerbang sim acquirer` (a child process) sends ISO 8583 traffic to a
// running switch and merchants pay over the HTTP API through the same on-us engine. It checks that the numbers
// move and match the switch's own counters on /metrics, and saves a screenshot (os.tmpdir() and bench/results/).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseExposition } from '../../src/dashboard/snapshot.js';
import { startHttpApi, type HttpApi } from '../../src/http/server.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { demoCard } from '../../src/demo/portfolio.js';
import { createHsmClient, type HsmClient } from '../../src/hsm/client.js';
import { ACQUIRER, panFor, tempDir, testConfig, waitFor } from '../switch/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
// .ci/run installs Debian's chromium, so CI always runs the browser test; a fresh machine without it skips only that test.
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
let sw: RunningSwitch;
let api: HttpApi;
let key: string;
let base: string;
let browser: BrowserContext | undefined;
let profile: string;
let hsm: HsmClient;

beforeAll(async () => {
  sw = await startSwitch(testConfig(tempDir('dashboard')), { hsmMode: 'in-process', issuerSim: { latencyMs: 1, jitterMs: 0, approveRate: 1 } });
  await waitFor(() => sw.issuers.get('bank-b')!.links[0].isUp, 5000, 'issuer link up');
  // The HTTP front as the switch will run it: same engine, same data dir.
  hsm = createHsmClient({ host: '127.0.0.1', port: sw.hsmPort! });
  api = await startHttpApi({
    port: 0,
    // As gerbang start wires it: through the switch pipeline (routing on-us / remote issuer, stand-in).
    authorizer: { authorize: (t) => sw.pipeline.decide(t) },
    dataDir: sw.config.dataDir,
    dashboard: { intervalMs: 250, hsmProbe: () => hsm.diagnostics().then(() => true), hsmProbeMs: 500 },
  });
  key = (await api.createMerchant({ name: 'Dash Shop', id: 'mer_dash' })).apiKey;
  base = `http://127.0.0.1:${api.port}`;
  if (!HAVE_CHROMIUM) return;
  profile = mkdtempSync(join(tmpdir(), 'gerbang-chromium-'));
  // A fresh --user-data-dir: playwright takes it as the persistent context's directory.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await hsm?.close();
  await sw?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function metricSum(text: string, name: string, filter: (l: Record<string, string>) => boolean = () => true): number {
  return (parseExposition(text).get(name) ?? []).filter((s) => filter(s.labels)).reduce((a, s) => a + s.value, 0);
}

async function pay(pan: string, amount: number): Promise<number> {
  const c = demoCard(0);
  const res = await fetch(`${base}/v1/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ amount, currency: 'IDR', card: { number: pan, exp_month: Number(c.expiry.slice(2)), exp_year: 2000 + Number(c.expiry.slice(0, 2)) } }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** `gerbang sim acquirer` as a child process against the switch's ISO listener. */
function simAcquirer(port: number, tps: number, seconds: number): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/gerbang.js', 'sim', 'acquirer', '--target', `127.0.0.1:${port}`, '--tps', String(tps), '--duration', String(seconds), '--cards', '20', '--remote-share', '0', '--acquirer-id', ACQUIRER, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`sim acquirer exited ${code}: ${err.slice(-500)}`));
      resolve(JSON.parse(last));
    });
  });
}

describe('dashboard', () => {
  test('/metrics is Prometheus text with the HTTP API counters', async () => {
    expect(await pay(demoCard(10).pan, 100)).toBe(201);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE gerbang_http_requests_total counter/);
    expect(text).toMatch(/gerbang_http_requests_total\{op="createPayment",status="201"\} \d+/);
    expect(text).toMatch(/gerbang_http_request_seconds\{op="createPayment",quantile="0\.99"\} [0-9.e-]+/);
    expect(metricSum(text, 'gerbang_http_decisions_total', (l) => l.code === '00')).toBeGreaterThanOrEqual(1);
  });

  test('an HTTP payment on a remote BIN is routed by the switch pipeline to the remote issuer', async () => {
    expect(await pay(panFor('4999'), 12_345)).toBe(201);
    const got = sw.issuerSim!.recent().filter((r) => r.amount !== undefined && Number(r.amount) === 12_345);
    expect(got.length).toBe(1);
    expect(got[0]).toMatchObject({ mti: '0200', processingCode: '000000' });
    expect(got[0].pan).not.toBe(panFor('4999')); // masked in the simulator's log
  });

  test.skipIf(!HAVE_CHROMIUM)('numbers move while the acquirer simulator and HTTP payments run, and match /metrics once they stop', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/dashboard`);
    await page.waitForFunction(() => (window as any).__snapshots >= 1, undefined, { timeout: 10_000 });
    expect(await page.locator('#conn').textContent()).toBe('live');
    const decided0 = Number(await page.locator('#decided').textContent());

    // ISO traffic from the simulator (child process) and HTTP payments, one of them on the low-funds card (51).
    const sim = simAcquirer(sw.acquirerPorts.iso, 100, 4);
    let running = true;
    const http = (async () => {
      let i = 0;
      while (running) {
        await pay(i % 5 === 4 ? demoCard(7).pan : demoCard(10 + (i % 5)).pan, i % 5 === 4 ? 900_000 : 1_000);
        await new Promise((r) => setTimeout(r, 25)); // a steady trickle: the simulator is the load
        i++;
      }
    })();
    await page.waitForFunction(() => Number(document.querySelector('#tps')?.textContent) > 10, undefined, { timeout: 20_000 });
    const summary = await sim;
    running = false;
    await http;
    expect(summary.answered).toBeGreaterThan(0);
    const live = await page.evaluate(() => (window as any).__lastSnapshot);
    expect(Object.keys(live.tpsByChannel)).toEqual(expect.arrayContaining(['iso', 'http']));
    expect(await page.locator('#links').textContent()).toContain('bank-b');
    expect(await page.locator('#links').textContent()).toContain('up');
    expect(await page.locator('#hsm').textContent()).toBe('up');

    // After traffic stops, wait for a snapshot computed later, then compare with /metrics.
    const stoppedAt = Date.now();
    await page.waitForFunction((at) => (window as any).__lastSnapshot.at > at + 300, stoppedAt, { timeout: 10_000 });
    const text = await (await fetch(`${base}/metrics`)).text();
    const decided = Number(await page.locator('#decided').textContent());
    const isoDecided = metricSum(text, 'gerbang_switch_decisions_total');
    const httpDecided = metricSum(text, 'gerbang_http_decisions_total');
    expect(isoDecided).toBeGreaterThanOrEqual(summary.answered);
    expect(httpDecided).toBeGreaterThan(0);
    expect(decided).toBeGreaterThan(decided0);
    expect(decided).toBe(isoDecided + httpDecided);
    // Declines by code on the page = both channels' counters by code on /metrics.
    const declines = await page.evaluate(() => (window as any).__lastSnapshot.declinesByCode);
    const byCode: Record<string, number> = {};
    for (const name of ['gerbang_switch_decisions_total', 'gerbang_http_decisions_total']) {
      for (const smp of parseExposition(text).get(name) ?? []) if (!['00', '10', '11', '85'].includes(smp.labels.code)) byCode[smp.labels.code] = (byCode[smp.labels.code] ?? 0) + smp.value;
    }
    expect(Object.keys(byCode).length).toBeGreaterThan(0);
    expect(declines).toEqual(byCode);
    const approvedIso = metricSum(text, 'gerbang_switch_decisions_total', (l) => l.code === '00');
    expect(approvedIso).toBeGreaterThan(0);
    const firstCode = Object.keys(byCode).sort()[0];
    expect(await page.locator('#declines').textContent()).toContain(firstCode);
    expect(Number(await page.locator('#p99').textContent())).toBeGreaterThan(0);
    for (const id of ['chart-tps', 'chart-latency', 'chart-approval', 'chart-declines']) {
      expect(await page.locator(`#${id} canvas`).count()).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);

    const shot = join(tmpdir(), `gerbang-dashboard-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    mkdirSync('bench/results', { recursive: true });
    copyFileSync(shot, 'bench/results/dashboard.png');
    await page.close();
  });
});
