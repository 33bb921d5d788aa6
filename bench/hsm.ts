// `npm run bench:hsm`: PIN translations (CA, TPK → ZPK) and CVV verifications (CY) per second through the TCP client
// pool against `gerbang hsm` in a child process, with HDR latency. Closed loop: a fixed number of requests in flight.
// Each phase runs `--runs` times; figures are medians (the box's 2 cores are shared, so single runs are noisy).
// Flags: --duration MS (per run, default 1500) --runs N (5) --inflight N (64) --connections N (2) --json
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { createHsmClient, type HsmClient } from '../src/hsm/client.js';
import { HsmError } from '../src/hsm/api.js';
import { KEY_TYPE_CODES, LmkKeys } from '../hsm-sim/keys.js';
import { testLmk, tdesEcbEncrypt, encodePinBlock, account12, fixParity } from '../hsm-sim/crypto/index.js';
import { median, writeResults } from './lib/results.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const json = process.argv.includes('--json');
const durationMs = flag('duration', 1500);
const runs = flag('runs', 5);
const inflight = flag('inflight', 64);
const connections = flag('connections', 2);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (s: string) => process.stderr.write(s + '\n');

async function startChild(): Promise<{ port: number; stop: () => Promise<Record<string, number>> }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'gerbang.js'), 'hsm', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('HSM child did not report its port')), 15_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(t);
        resolve(JSON.parse(line).port as number);
      }
    });
    child.on('exit', (code) => reject(new Error(`HSM child exited with ${code}`)));
  });
  return {
    port,
    stop: async () => {
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
    },
  };
}

interface RunResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

/** Keeps `inflight` requests going for `durationMs`; every answer is checked (a wrong answer counts as an error). */
async function closedLoop(op: (i: number) => Promise<boolean>): Promise<RunResult> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let done = 0;
  let errors = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  async function worker(): Promise<void> {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        if (!(await op(i++))) errors++;
      } catch (e) {
        errors++;
        if (!(e instanceof HsmError) && errors === 1) log(`bench: ${(e as Error).message}`);
      }
      h.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)));
      done++;
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker));
  const secs = (performance.now() - t0) / 1000;
  return { opsPerSec: done / secs, p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, maxMs: h.maxValue / 1000, errors };
}

function summarise(rs: RunResult[]): RunResult {
  return {
    opsPerSec: Math.round(median(rs.map((r) => r.opsPerSec))),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
    maxMs: Math.max(...rs.map((r) => r.maxMs)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  };
}

async function main(): Promise<void> {
  const hsm = await startChild();
  const client: HsmClient = createHsmClient({ host: '127.0.0.1', port: hsm.port, connections, timeoutMs: 5000 });
  try {
    // Keys formed under the test LMK as `gerbang hsm form-key` does; the bench keeps the clear ones to build inputs.
    const keys = new LmkKeys(testLmk());
    const tpkClear = fixParity(Buffer.from('0F1E2D3C4B5A69788796A5B4C3D2E1F0', 'hex'));
    const tpk = keys.encrypt(KEY_TYPE_CODES.TPK, tpkClear, 'U');
    const zpk = keys.encrypt(KEY_TYPE_CODES.ZPK, fixParity(Buffer.from('23456789ABCDEF0132547698BADCFE10', 'hex')), 'U');
    const cvk = keys.encrypt(KEY_TYPE_CODES.CVK, Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'), 'U');
    const N = 1024;
    const pans = Array.from({ length: N }, (_, i) => '4' + String(200000000000000 + i * 104729).padStart(15, '0'));
    const pinBlocks = pans.map((pan, i) => tdesEcbEncrypt(tpkClear, encodePinBlock(0, String(1000 + i).padStart(4, '0'), account12(pan))).toString('hex').toUpperCase());
    const cvvs = await Promise.all(pans.map((pan) => client.generateCvv({ cvk, pan, expiry: '2812', serviceCode: '101' })));

    const pinOp = async (i: number) => {
      const k = i % N;
      const r = await client.translatePin({ sourceKeyType: 'TPK', sourceKey: tpk, destZpk: zpk, pinBlock: pinBlocks[k], sourceFormat: '01', destFormat: '01', pan: pans[k] });
      return r.pinLength === 4;
    };
    const cvvOp = async (i: number) => client.verifyCvv({ cvk, cvv: cvvs[i % N], pan: pans[i % N], expiry: '2812', serviceCode: '101' });

    // Warm up both paths (JIT, key cache, TCP windows) before measuring.
    await Promise.all(Array.from({ length: 2000 }, (_, i) => (i % 2 ? pinOp(i) : cvvOp(i))));
    const pin: RunResult[] = [];
    const cvv: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      pin.push(await closedLoop(pinOp));
      cvv.push(await closedLoop(cvvOp));
      log(`run ${r + 1}/${runs}: CA ${Math.round(pin[r].opsPerSec)}/s p99 ${pin[r].p99Ms} ms · CY ${Math.round(cvv[r].opsPerSec)}/s p99 ${cvv[r].p99Ms} ms`);
    }
    const p = summarise(pin);
    const c = summarise(cvv);
    await client.close();
    const server = await hsm.stop();
    const figures = {
      pinTranslatePerSec: p.opsPerSec,
      cvvVerifyPerSec: c.opsPerSec,
      opsPerSec: Math.round((p.opsPerSec + c.opsPerSec) / 2),
      p50Ms: Math.max(p.p50Ms, c.p50Ms),
      p99Ms: Math.max(p.p99Ms, c.p99Ms),
      pinTranslate: p,
      cvvVerify: c,
      errors: p.errors + c.errors + (server.errors ?? 0),
      serverRequests: server.requests,
      settings: { durationMs, runs, inflight, connections, statistic: 'median of runs' },
    };
    writeResults('hsm', figures);
    if (json) process.stdout.write(JSON.stringify(figures) + '\n');
    else log(JSON.stringify(figures, null, 2));
  } catch (e) {
    await client.close();
    await hsm.stop().catch(() => ({}));
    throw e;
  }
}

main().catch((e) => {
  process.stderr.write(`bench:hsm failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
