// `npm run bench:hsm`: per-command throughput through the TCP client pool against `gerbang hsm` in a child process,
// with HDR latency and the child's CPU time per command (from /proc: on a shared, loaded box wall-clock rate alone
// says more about the neighbours than about the simulator). Commands: CA (TPK → ZPK), CY (CVV verify), G0 from TDES
// DUKPT and from AES DUKPT (many terminals, each transaction advancing its terminal's counter, as a switch sees
// them), GQ (the same TDES DUKPT PIN blocks verified against a Visa PVV in one command), KQ (ARQC verify, scheme 1 session keys, many cards). Closed loop: a fixed number of requests in flight.
// Each phase runs `--runs` times; figures are medians (the box's 2 cores are shared, so single runs are noisy).
// Flags: --duration MS (per run, default 1500) --runs N (5) --inflight N (64) --connections N (2)
//        --terminals N (DUKPT terminals, 1000) --only CA,CY,G0,GQ,G0AES,KQ --json
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { createHsmClient, type HsmClient } from '../src/hsm/client.js';
import { HsmError } from '../src/hsm/api.js';
import { KEY_TYPE_CODES, LmkKeys } from '../hsm-sim/keys.js';
import { cpuSeconds } from './lib/proc.js';
import {
  testLmk, tdesEcbEncrypt, encodePinBlock, account12, fixParity, aesDukptKey, encryptPinBlock4, iccMasterKey,
  commonSessionKey, acDiversification, generateArqc, visaPvv,
} from '../hsm-sim/crypto/index.js';
import { DukptTerminal, makeKsn } from '../src/sim/dukpt.js';
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
const terminals = flag('terminals', 1000);
const onlyArg = process.argv.indexOf('--only');
const only = new Set(onlyArg >= 0 ? process.argv[onlyArg + 1].split(',') : ['CA', 'CY', 'G0', 'GQ', 'G0AES', 'KQ']);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (s: string) => process.stderr.write(s + '\n');

async function startChild(): Promise<{ port: number; cpu: () => number; stop: () => Promise<Record<string, number>> }> {
  // HSM_NODE_ARGS lets a profiling run pass e.g. --cpu-prof --cpu-prof-dir=… to the simulator.
  const nodeArgs = (process.env.HSM_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'gerbang.js'), 'hsm', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    cpu: () => cpuSeconds(child.pid),
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
  /** Simulator CPU (user + system) per command, µs. */
  cpuUsPerOp: number;
  /** This process's CPU per command (client pool + bench loop), µs: the other half of the machine's work. */
  clientCpuUsPerOp: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

/** Keeps `inflight` requests going for `durationMs`; every answer is checked (a wrong answer counts as an error). */
async function closedLoop(op: (i: number) => Promise<boolean>, cpu: () => number): Promise<RunResult> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let done = 0;
  let errors = 0;
  let i = 0;
  const cpu0 = cpu();
  const own0 = process.cpuUsage();
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
  const cpuUsPerOp = ((cpu() - cpu0) * 1e6) / Math.max(1, done);
  const own = process.cpuUsage(own0);
  const clientCpuUsPerOp = (own.user + own.system) / Math.max(1, done);
  return { opsPerSec: done / secs, cpuUsPerOp, clientCpuUsPerOp, p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, maxMs: h.maxValue / 1000, errors };
}

function summarise(rs: RunResult[]): RunResult {
  return {
    opsPerSec: Math.round(median(rs.map((r) => r.opsPerSec))),
    cpuUsPerOp: Math.round(median(rs.map((r) => r.cpuUsPerOp))),
    clientCpuUsPerOp: Math.round(median(rs.map((r) => r.clientCpuUsPerOp))),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
    maxMs: Math.max(...rs.map((r) => r.maxMs)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  };
}

/** A named workload: `op(i)` issues the i-th request and says whether the answer was right. */
interface Phase {
  name: string;
  op: (i: number) => Promise<boolean>;
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
    const pinOf = (i: number) => String(1000 + (i % 9000)).padStart(4, '0');
    const phases: Phase[] = [];

    if (only.has('CA')) {
      const pinBlocks = pans.map((pan, i) => tdesEcbEncrypt(tpkClear, encodePinBlock(0, pinOf(i), account12(pan))).toString('hex').toUpperCase());
      phases.push({
        name: 'CA',
        op: async (i) => {
          const k = i % N;
          const r = await client.translatePin({ sourceKeyType: 'TPK', sourceKey: tpk, destZpk: zpk, pinBlock: pinBlocks[k], sourceFormat: '01', destFormat: '01', pan: pans[k] });
          return r.pinLength === 4;
        },
      });
    }
    if (only.has('CY')) {
      const cvvs = await Promise.all(pans.map((pan) => client.generateCvv({ cvk, pan, expiry: '2812', serviceCode: '101' })));
      phases.push({ name: 'CY', op: async (i) => client.verifyCvv({ cvk, cvv: cvvs[i % N], pan: pans[i % N], expiry: '2812', serviceCode: '101' }) });
    }
    // DUKPT: `terminals` devices under one BDK, each starting at its own mid-life counter (so derivations from the BDK
    // walk a realistic 8-10 one-bits); request i is the next transaction of terminal i mod terminals, so counters
    // advance by one per round, as live traffic does. When the prepared rounds run out the sequence wraps (each
    // terminal jumps back to its first counter: a cold derivation path, once per `terminals × rounds` requests).
    const rounds = 8;
    const startCounter = (t: number) => ((t * 2654435761) >>> 0) % 400_000 + 50_000;
    if (only.has('G0') || only.has('GQ')) {
      const bdkClear = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
      const bdk = keys.encrypt(KEY_TYPE_CODES.BDK, bdkClear, 'U');
      const ts = Array.from({ length: terminals }, (_, t) => new DukptTerminal(bdkClear, makeKsn('FFFF987654', 1000 + t, startCounter(t))));
      const ops: { ksn: string; pinBlock: string; pan: string; pvv: string }[] = [];
      const pvkClear = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
      const pvk = keys.encrypt(KEY_TYPE_CODES.PVK, pvkClear, 'U');
      const t0 = performance.now();
      for (let r = 0; r < rounds; r++) {
        for (let t = 0; t < terminals; t++) {
          const pan = pans[(t * 7 + r) % N];
          ops.push({ ...ts[t].nextPinBlock(pinOf(t), pan), pan, pvv: visaPvv(pvkClear, pan, '1', pinOf(t)) });
        }
      }
      log(`prepared ${ops.length} TDES DUKPT transactions (${terminals} terminals × ${rounds}) in ${Math.round(performance.now() - t0)} ms`);
      if (only.has('G0')) {
        phases.push({
          name: 'G0',
          op: async (i) => {
            const o = ops[i % ops.length];
            const r = await client.translatePinFromDukpt({ bdk, ksn: o.ksn, destZpk: zpk, pinBlock: o.pinBlock, sourceFormat: '01', destFormat: '01', pan: o.pan });
            return r.pinLength === 4;
          },
        });
      }
      // The engine's path for a DUKPT PIN on a Visa-PVV card: verified in one command (it was G0, then EC).
      if (only.has('GQ')) {
        phases.push({
          name: 'GQ',
          op: async (i) => {
            const o = ops[i % ops.length];
            return client.verifyPinVisaDukpt({ bdk, pvk, ksn: o.ksn, pinBlock: o.pinBlock, format: '01', pan: o.pan, pvki: '1', pvv: o.pvv });
          },
        });
      }
    }
    if (only.has('G0AES')) {
      const bdkClear = Buffer.from('FEDCBA9876543210F1F1F1F1F1F1F1F1', 'hex');
      const bdk = keys.encrypt(KEY_TYPE_CODES.BDK, bdkClear, 'S', true);
      // Fewer AES rounds: the bench derives each AES key from the BDK (no incremental AES terminal), which is slow.
      const aesRounds = 4;
      const ops: { ksn: string; pinBlock: string; pan: string }[] = [];
      const t0 = performance.now();
      for (let r = 1; r <= aesRounds; r++) {
        for (let t = 0; t < terminals; t++) {
          const ksn = Buffer.alloc(12);
          ksn.write('12345678', 0, 'hex');
          ksn.writeUInt32BE(0x10000 + t, 4);
          ksn.writeUInt32BE(startCounter(t) + r, 8);
          const pan = pans[(t * 7 + r) % N];
          const pinBlock = encryptPinBlock4(aesDukptKey(bdkClear, ksn, 'pin'), pinOf(t), pan).toString('hex').toUpperCase();
          ops.push({ ksn: ksn.toString('hex').toUpperCase(), pinBlock, pan });
        }
      }
      log(`prepared ${ops.length} AES DUKPT transactions (${terminals} terminals × ${aesRounds}) in ${Math.round(performance.now() - t0)} ms`);
      phases.push({
        name: 'G0AES',
        op: async (i) => {
          const o = ops[i % ops.length];
          const r = await client.translatePinFromDukpt({ bdk, ksn: o.ksn, destZpk: zpk, pinBlock: o.pinBlock, sourceFormat: '48', destFormat: '01', pan: o.pan, aes: true });
          return r.pinLength === 4;
        },
      });
    }
    if (only.has('KQ')) {
      const imkClear = fixParity(Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'));
      const mkac = keys.encrypt(KEY_TYPE_CODES['MK-AC'], imkClear, 'U');
      const cards = pans.map((pan, i) => {
        const atc = Buffer.alloc(2);
        atc.writeUInt16BE(1 + i);
        const un = Buffer.alloc(4);
        un.writeUInt32BE((i * 2654435761) >>> 0);
        const data = Buffer.alloc(33, i & 0xff); // CDOL1-sized transaction data
        const sk = commonSessionKey(iccMasterKey(imkClear, pan, '01'), acDiversification(atc, un));
        const H = (b: Buffer) => b.toString('hex').toUpperCase();
        return { pan, atc: H(atc), un: H(un), data: H(data), arqc: H(generateArqc(sk, data)) };
      });
      phases.push({
        name: 'KQ',
        op: async (i) => {
          const c = cards[i % N];
          const r = await client.verifyArqc({ mkac, pan: c.pan, panSequence: '01', atc: c.atc, unpredictableNumber: c.un, data: c.data, arqc: c.arqc, arpc: { method: 1, arc: '3030' } });
          return r.ok && r.arpc?.length === 16;
        },
      });
    }

    // Warm up every path (JIT, key caches, TCP windows) before measuring.
    for (const p of phases) for (let b = 0; b < 1000; b += inflight) await Promise.all(Array.from({ length: Math.min(inflight, 1000 - b) }, (_, i) => p.op(b + i)));
    const results: Record<string, RunResult[]> = Object.fromEntries(phases.map((p) => [p.name, []]));
    const offsets: Record<string, number> = Object.fromEntries(phases.map((p) => [p.name, 1000]));
    for (let r = 0; r < runs; r++) {
      const line: string[] = [];
      for (const p of phases) {
        let n = 0;
        const base = offsets[p.name];
        const res = await closedLoop((i) => (n++, p.op(base + i)), hsm.cpu);
        offsets[p.name] += n;
        results[p.name].push(res);
        line.push(`${p.name} ${Math.round(res.opsPerSec)}/s ${Math.round(res.cpuUsPerOp)}+${Math.round(res.clientCpuUsPerOp)} µs CPU p99 ${res.p99Ms} ms`);
      }
      log(`run ${r + 1}/${runs}: ${line.join(' · ')}`);
    }
    const s = Object.fromEntries(phases.map((p) => [p.name, summarise(results[p.name])]));
    await client.close();
    const server = await hsm.stop();
    const all = Object.values(s);
    const figures = {
      pinTranslatePerSec: s.CA?.opsPerSec,
      cvvVerifyPerSec: s.CY?.opsPerSec,
      dukptTdesPerSec: s.G0?.opsPerSec,
      dukptPvvVerifyPerSec: s.GQ?.opsPerSec,
      dukptAesPerSec: s.G0AES?.opsPerSec,
      arqcVerifyPerSec: s.KQ?.opsPerSec,
      opsPerSec: Math.round(median(all.map((r) => r.opsPerSec))),
      p50Ms: Math.max(...all.map((r) => r.p50Ms)),
      p99Ms: Math.max(...all.map((r) => r.p99Ms)),
      pinTranslate: s.CA,
      cvvVerify: s.CY,
      dukptTdes: s.G0,
      dukptPvvVerify: s.GQ,
      dukptAes: s.G0AES,
      arqcVerify: s.KQ,
      errors: all.reduce((a, r) => a + r.errors, 0) + (server.errors ?? 0),
      serverRequests: server.requests,
      settings: { durationMs, runs, inflight, connections, terminals, statistic: 'median of runs', cpu: 'cpuUsPerOp: simulator user+system CPU per command; clientCpuUsPerOp: the bench process (client pool)' },
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
