// Codec benchmark: encode / decode / round trip of a typical 0200 (20 fields + DE 55) with gerbang's codec and the
// npm iso_8583 package in the same run. `--json` ends the output with one JSON line of headline figures; results
// also go to bench/results/codec.json. Single thread; the machine is shared, so each figure is a median of runs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, decodeTlv, encode, getSpec, type IsoMessage } from '../codecs/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Iso8583 = require('iso_8583') as any;

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RUN_MS = Number(process.env.BENCH_MS ?? 600);
const json = process.argv.includes('--json');
const SPEC = getSpec('iso87-ascii-binbitmap');

const DE55 = Buffer.from(
  (
    '9F26081122334455667788 9F270180 9F100706010A03A0B800 9F370412345678 9F36020001 95050000000000 9A03251125 9C0100' +
    '9F0206000000005000 5F2A020360 82021980 9F1A020360 9F3303E0F8C8 9F3403420300 8407A0000000031010'
  ).replace(/\s+/g, ''),
  'hex',
);
const MSG: IsoMessage = {
  mti: '0200',
  fields: {
    '2': '4761739001010119', '3': '000000', '4': '000000005000', '7': '1125103000', '11': '000123', '12': '173000',
    '13': '1125', '14': '2212', '18': '5411', '22': '051', '23': '001', '25': '00', '32': '423935',
    '35': '4761739001010119=22122011758928889', '37': '532910000123', '41': 'TERM0001', '42': 'MERCHANT0000001',
    '43': { '1': 'ACME STORE               ', '2': 'JAKARTA      ', '3': 'ID' }, '49': '360', '52': '7434F67813BAE545',
    '55': decodeTlv(DE55),
  },
};
// The same message for iso_8583: flat strings; it carries DE 55 as text, so we give it the hex.
const FLAT: Record<string, string> = { 0: MSG.mti };
for (const [k, v] of Object.entries(MSG.fields)) FLAT[k] = typeof v === 'string' ? v : k === '55' ? DE55.toString('hex').toUpperCase() : Object.values(v).join('');

/** CPU nanoseconds of this (main) thread so far, from /proc/thread-self/schedstat; null where Linux does not offer it.
 * Unlike process.cpuUsage() it leaves out GC helper and JIT threads, so it is the "one core" cost of the loop itself. */
function threadCpuNs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
  } catch {
    return null;
  }
}

interface Rate {
  wall: number;
  cpu: number;
  thread: number | null;
}

/** One timed run: ops per wall-clock second, per CPU second of this process (the fair "one core" figure on a
 * machine shared with other work: time spent descheduled does not count against us) and per CPU second of the
 * main thread alone. */
function opsPerSec(fn: () => unknown): Rate {
  const end = performance.now() + RUN_MS;
  let n = 0;
  let sink = 0;
  const th0 = threadCpuNs();
  const c0 = process.cpuUsage();
  const start = performance.now();
  let t = start;
  while (t < end) {
    for (let i = 0; i < 200; i++) sink ^= (fn() as { length?: number })?.length ?? 1;
    n += 200;
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  const th1 = threadCpuNs();
  if (sink === 0.5) console.log(sink); // keep results alive
  const thread = th0 !== null && th1 !== null && th1 > th0 ? (n * 1e9) / (th1 - th0) : null;
  return { wall: (n * 1000) / (t - start), cpu: (n * 1e6) / (c.user + c.system), thread };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function measure(name: string, fn: () => unknown): Rate {
  opsPerSec(fn); // warm up
  const runs = Array.from({ length: RUNS }, () => opsPerSec(fn));
  const wall = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  const threads = runs.map((r) => r.thread).filter((x): x is number => x !== null);
  const thread = threads.length === runs.length ? median(threads) : null;
  const k = (x: number) => Math.round(x).toLocaleString('en').padStart(10);
  const th = thread === null ? '' : ` ${k(thread)} ops/thread-CPU-s`;
  console.log(`${name.padEnd(24)} ${k(cpu)} ops/CPU-s${th} ${k(wall)} ops/wall-s  (medians of ${RUNS} runs)`);
  return { wall, cpu, thread };
}

/** Machine speed on this run: ns per iteration of a trivial integer loop, so figures from a loaded box can be compared. */
function calibrateNsPerLoop(): number {
  const n = 5e7;
  const c0 = process.cpuUsage();
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i * 7) | 0;
  const c = process.cpuUsage(c0);
  if (s === 0.5) console.log(s);
  return ((c.user + c.system) * 1000) / n;
}

const wire = encode(SPEC, MSG);
const theirWire: Buffer = new Iso8583(FLAT).getBufferMessage();
if (!Buffer.isBuffer(theirWire)) throw new Error(`iso_8583 could not pack the message: ${JSON.stringify(theirWire)}`);
if (JSON.stringify(decode(SPEC, wire)) !== JSON.stringify(MSG)) throw new Error('round trip mismatch');

// `--calls=N [--op=encode|decode|roundtrip]`: a fixed amount of work for instruction counting, which the machine's
// load does not change: 20,000 warm-up calls, then N calls, nothing else. The count for N calls minus the count for
// 0 calls, divided by N, is the instructions per call, e.g. with `valgrind --tool=callgrind node dist/bench/codec.js`.
const callsArg = process.argv.find((a) => a.startsWith('--calls='));
if (callsArg !== undefined) {
  const calls = Number(callsArg.slice('--calls='.length));
  const op = process.argv.find((a) => a.startsWith('--op='))?.slice('--op='.length) ?? 'roundtrip';
  const fns: Record<string, () => Buffer | IsoMessage> = {
    encode: () => encode(SPEC, MSG),
    decode: () => decode(SPEC, wire),
    roundtrip: () => encode(SPEC, decode(SPEC, wire)),
  };
  const fn = fns[op];
  if (!Number.isInteger(calls) || calls < 0 || fn === undefined) throw new Error('usage: --calls=N (N ≥ 0) [--op=encode|decode|roundtrip]');
  let sink = 0;
  for (let i = 0; i < 20000 + calls; i++) sink ^= (fn() as { length?: number }).length ?? 1;
  if (sink === 0.5) console.log(sink);
  console.log(`${op}: ${calls} calls after 20000 warm-up calls`);
  process.exit(0);
}

console.log(`codec bench: 0200 with ${Object.keys(MSG.fields).length} fields incl. DE 55 (${DE55.length} bytes), ${wire.length} bytes on the wire; spec ${SPEC.name}`);
const encodeOps = measure('gerbang encode', () => encode(SPEC, MSG));
const decodeOps = measure('gerbang decode', () => decode(SPEC, wire));
const roundTrips = measure('gerbang decode+encode', () => encode(SPEC, decode(SPEC, wire)));
const isoEncode = measure('iso_8583 encode', () => new Iso8583(FLAT).getBufferMessage());
const isoDecode = measure('iso_8583 decode', () => new Iso8583().getIsoJSON(theirWire));
const rnd = (x: number | null) => (x === null ? null : Math.round(x));
const headline = {
  encodeOpsPerSec: Math.round(encodeOps.cpu),
  decodeOpsPerSec: Math.round(decodeOps.cpu),
  roundTripsPerSec: Math.round(roundTrips.cpu),
  iso8583EncodeOpsPerSec: Math.round(isoEncode.cpu),
  iso8583DecodeOpsPerSec: Math.round(isoDecode.cpu),
  encodeRatio: Math.round((encodeOps.cpu / isoEncode.cpu) * 10) / 10,
  decodeRatio: Math.round((decodeOps.cpu / isoDecode.cpu) * 10) / 10,
  wallEncodeOpsPerSec: Math.round(encodeOps.wall),
  wallDecodeOpsPerSec: Math.round(decodeOps.wall),
  wallRoundTripsPerSec: Math.round(roundTrips.wall),
  wallIso8583EncodeOpsPerSec: Math.round(isoEncode.wall),
  wallEncodeRatio: Math.round((encodeOps.wall / isoEncode.wall) * 10) / 10,
  // Explicit names for the CPU-time figures (the unprefixed keys above are the same numbers, kept for old readers).
  cpuEncodeOpsPerSec: Math.round(encodeOps.cpu),
  cpuDecodeOpsPerSec: Math.round(decodeOps.cpu),
  cpuRoundTripsPerSec: Math.round(roundTrips.cpu),
  cpuIso8583EncodeOpsPerSec: Math.round(isoEncode.cpu),
  cpuEncodeRatio: Math.round((encodeOps.cpu / isoEncode.cpu) * 10) / 10,
  // Main-thread CPU only (no GC helper / JIT threads); null off Linux.
  threadCpuEncodeOpsPerSec: rnd(encodeOps.thread),
  threadCpuDecodeOpsPerSec: rnd(decodeOps.thread),
  threadCpuRoundTripsPerSec: rnd(roundTrips.thread),
  threadCpuEncodeRatio: encodeOps.thread !== null && isoEncode.thread !== null ? Math.round((encodeOps.thread / isoEncode.thread) * 10) / 10 : null,
  calibrationNsPerLoop: Math.round(calibrateNsPerLoop() * 100) / 100,
  basis: 'ops per CPU-second of this process (median of runs); cpu* = the same; threadCpu* = per CPU-second of the main thread; wall* = per wall-clock second',
  loadAverage1m: Math.round(loadavg()[0] * 10) / 10,
  messageBytes: wire.length,
  runs: RUNS,
  runMs: RUN_MS,
  node: process.version,
};
console.log(`load average ${headline.loadAverage1m}; encode ratio ${headline.encodeRatio}x, decode ratio ${headline.decodeRatio}x vs iso_8583 (targets: encode ≥ 20x, round trips ≥ 300,000/s)`);
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'codec.json'), JSON.stringify({ bench: 'codec', at: new Date().toISOString(), ...headline }, null, 2) + '\n');
if (json) console.log(JSON.stringify(headline));
