// The live dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core loads /dashboard while payments flow through the API, and checks that the numbers move and
// match the switch's own counters on /metrics. Saves a screenshot under os.tmpdir() and bench/results/.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseExposition } from '../../src/dashboard/snapshot.js';
import { card, MC, startTestApi, type TestApi } from '../http/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
let t: TestApi;
let browser: BrowserContext | undefined;
let profile: string;

beforeAll(async () => {
  t = await startTestApi({ dashboard: { intervalMs: 250 } });
  profile = mkdtempSync(join(tmpdir(), 'gerbang-chromium-'));
  // A fresh --user-data-dir: playwright takes it as the persistent context's directory.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await t.close();
  rmSync(profile, { recursive: true, force: true });
});

function metricSum(text: string, name: string, filter: (l: Record<string, string>) => boolean = () => true): number {
  return (parseExposition(text).get(name) ?? []).filter((s) => filter(s.labels)).reduce((a, s) => a + s.value, 0);
}

describe('dashboard', () => {
  test('/metrics is Prometheus text with the HTTP API counters', async () => {
    await t.call('POST', '/v1/payments', { amount: 100, currency: 'USD', card: card() });
    const res = await fetch(`${t.base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE gerbang_http_requests_total counter/);
    expect(text).toMatch(/gerbang_http_requests_total\{op="createPayment",status="201"\} \d+/);
    expect(text).toMatch(/gerbang_http_request_seconds\{op="createPayment",quantile="0\.99"\} [0-9.e-]+/);
    expect(metricSum(text, 'gerbang_http_decisions_total', (l) => l.code === '00')).toBeGreaterThanOrEqual(1);
  });

  test('numbers move while payments flow, and match /metrics once traffic stops', async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${t.base}/dashboard`);
    await page.waitForFunction(() => (window as any).__snapshots >= 1, undefined, { timeout: 10_000 });
    expect(await page.locator('#conn').textContent()).toBe('live');
    const decided0 = Number(await page.locator('#decided').textContent());

    // Traffic: approvals and 51 declines (MC has little money), for ~1.5 s.
    let running = true;
    const traffic = (async () => {
      let i = 0;
      while (running) {
        const pan = i % 4 === 3 ? MC : undefined;
        await t.call('POST', '/v1/payments', { amount: pan ? 9_000 : 10, currency: 'USD', card: card(pan) });
        i++;
      }
    })();
    await page.waitForFunction(() => Number(document.querySelector('#tps')?.textContent) > 0, undefined, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await traffic;

    const tpsSeen = await page.evaluate(() => (window as any).__lastSnapshot.tps);
    expect(tpsSeen).toBeGreaterThan(0);
    // After traffic stops, wait for a snapshot computed later, then compare with /metrics.
    const stoppedAt = Date.now();
    await page.waitForFunction((at) => (window as any).__lastSnapshot.at > at + 300, stoppedAt, { timeout: 10_000 });
    const text = await (await fetch(`${t.base}/metrics`)).text();
    const decided = Number(await page.locator('#decided').textContent());
    expect(decided).toBeGreaterThan(decided0);
    expect(decided).toBe(metricSum(text, 'gerbang_http_decisions_total'));
    const declines = await page.evaluate(() => (window as any).__lastSnapshot.declinesByCode);
    expect(declines['51']).toBe(metricSum(text, 'gerbang_http_decisions_total', (l) => l.code === '51'));
    expect(declines['51']).toBeGreaterThan(0);
    expect(await page.locator('#declines').textContent()).toContain('51');
    const p99 = Number(await page.locator('#p99').textContent());
    expect(p99).toBeGreaterThan(0);
    // uPlot drew real charts (canvas elements inside each chart container).
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
