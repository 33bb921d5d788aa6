// `npm run bench:wake`: what it costs this machine to wake an idle thread — the price a switch pays per hand-off
// (main thread → engine worker → LMDB write thread → back, HSM and issuer round trips) when traffic is sparse.
// Three loops in one process, CPU time of the whole process per iteration (process.cpuUsage):
//   timer        a 10 ms setTimeout, nothing else: one thread going idle and waking;
//   busyPing     postMessage to a worker and its echo back, back to back (both threads stay hot);
//   idlePing     the same round trip after 10 ms of idling each time (both threads wake from idle).
// On a bare-metal Linux box a wake costs a few µs. On this project's VM (KVM/Firecracker, 2 vCPUs, 2026-12-03) a
// 10 ms timer wake cost 150–230 µs of the thread's own run time (more on an idle box than a busy one) — /proc/self/schedstat (the scheduler's exact run time,
// not tick sampling) agreed with process.cpuUsage to 1 % — with two syscalls per wake (strace -c). That is why the
// switch spends ~4 ms of CPU per transaction at 100 TPS (a dozen or more wakes across its threads and processes per
// transaction) and ~0.3 ms under load, when threads stay busy.
// Usage: node dist/bench/wake.js [--json] [--n 300]
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { intArg, jsonOutput } from './lib/args.js';
import { writeResults } from './lib/results.js';

const N = intArg('--n', 300, 100_000);
const IDLE_MS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU µs (user + system, all threads) per iteration of `step`, over `n` iterations. */
async function cpuPer(n: number, step: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await step();
  const c = process.cpuUsage(c0);
  return Math.round((c.user + c.system) / n);
}

async function main(): Promise<void> {
  const w = new Worker(`require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));`, { eval: true });
  const ping = () => new Promise((r) => (w.once('message', r), w.postMessage(1)));
  await cpuPer(200, ping); // both sides compiled before anything is timed
  const timerWakeCpuUs = await cpuPer(N, () => sleep(IDLE_MS));
  const busyRoundTripCpuUs = await cpuPer(N * 10, ping);
  // Less the idle timer's own wake, measured above: what the round trip adds when both threads start idle.
  const idleRoundTripCpuUs = (await cpuPer(N, async () => (await sleep(IDLE_MS), await ping()))) - timerWakeCpuUs;
  await w.terminate();
  const headline = { timerWakeCpuUs, busyRoundTripCpuUs, idleRoundTripCpuUs, loadAvg1m: Math.round(loadavg()[0] * 10) / 10 };
  process.stdout.write(
    `idle ${IDLE_MS} ms then wake (timer): ${timerWakeCpuUs} µs CPU per wake\n` +
      `postMessage round trip to a worker, back to back: ${busyRoundTripCpuUs} µs CPU\n` +
      `the same round trip with both threads idle ${IDLE_MS} ms before it: ${idleRoundTripCpuUs} µs CPU (timer wake excluded)\n`,
  );
  writeResults('wake', { settings: { n: N, idleMs: IDLE_MS }, headline });
  if (jsonOutput) process.stdout.write(JSON.stringify(headline) + '\n');
}

void main();
