// Settlement benchmark: (1) settled records posted to the ledger per second, read from the LMDB stream and
// posted by drainLedger in transactions of --txn records (default LEDGER_TXN_RECORDS, as the settlement run
// posts them; median of --runs, wall clock and per CPU-second, after one untimed warm-up drain into throwaway books
// so the figure is the poster's steady state, not V8's first compilations); (2) a batch of 1,000,000
// transactions of one business day: post them, close the batch (totals, net positions, payouts, AML screening)
// and write its pacs.008 and pain.001 (streamed) — timed end to end, with the process's peak RSS.
// Generating and appending the records to the stream is setup, not timed.
// Usage: node dist/bench/settle.js [--json] [--runs N] [--post N] [--batch N] [--txn N]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { closeBooks, openBooks } from '../src/ledger/books.js';
import { drainLedger, LEDGER_TXN_RECORDS, LedgerPoster } from '../src/ledger/poster.js';
import { closeBatch, writeBatchFiles } from '../src/settlement/batch.js';
import { settlementContext } from '../src/settlement/context.js';
import type { SettlementConfig } from '../src/settlement/types.js';
import { generateRecords, type GeneratorOptions } from '../src/stream/generate.js';
import { LmdbSettledStream, openSettledStore } from '../src/stream/lmdb.js';
import type { NewSettledRecord } from '../src/stream/types.js';
import { median, writeResults } from './lib/results.js';
import { intArg, jsonOutput } from './lib/args.js';

const json = jsonOutput;
const num = intArg;
const RUNS = num('--runs', 5, 20);
const POST_N = num('--post', 200_000, 5_000_000);
const BATCH_N = num('--batch', 1_000_000, 5_000_000);
/** Records per books transaction (the poster's default unless given; 10000 = one stream read, the old size). */
const TXN_N = num('--txn', LEDGER_TXN_RECORDS, 200_000);
const CHUNK = 20_000;
const log = (s: string) => process.stdout.write(s + '\n');

const MERCHANTS = 2_000;
const SELLERS = 500;

function config(): SettlementConfig {
  const beneficiaries: SettlementConfig['beneficiaries'] = {};
  for (let i = 0; i < MERCHANTS; i++) beneficiaries[`M${String(i).padStart(4, '0')}`] = { name: `Merchant ${i}`, account: `ID${String(10 + (i % 89)).padStart(2, '0')}BANK${String(i).padStart(10, '0')}`, bic: 'BNINIDJA' };
  for (let i = 0; i < SELLERS; i++) beneficiaries[`S${String(i).padStart(4, '0')}`] = { name: `Seller ${i}`, account: `99${String(i).padStart(8, '0')}` };
  return {
    payouts: { minAmount: 10_000, holdDays: 0, manualApprovalThreshold: 1e12 },
    switchParty: { id: 'GERBANG', name: 'PT Gerbang Pembayaran', account: 'ID12GERB00000000001', bic: 'CENAIDJA' },
    participants: { ISS0: { name: 'Bank Satu', bic: 'BNINIDJA' }, ISS1: { name: 'Bank Dua', bic: 'BRINIDJA' } },
    beneficiaries,
  };
}

async function fillStream(dir: string, n: number, gen: GeneratorOptions): Promise<{ stream: LmdbSettledStream; close: () => Promise<void>; seconds: number }> {
  const root = open({ path: join(dir, 'gerbang.mdb'), maxDbs: 16, mapSize: 16 * 1024 ** 3 });
  const stream = new LmdbSettledStream(openSettledStore(root));
  const t0 = performance.now();
  let chunk: NewSettledRecord[] = [];
  for (const r of generateRecords(n, gen)) {
    chunk.push(r);
    if (chunk.length === CHUNK) {
      await stream.appendMany(chunk);
      chunk = [];
    }
  }
  if (chunk.length) await stream.appendMany(chunk);
  return { stream, close: () => root.close(), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Peak V8 heap and peak anonymous RSS (sampled every 50 ms). maxRSS also counts LMDB's memory-mapped file pages
 * (file-backed, reclaimable page cache: RssFile in /proc/self/status); RssAnon is the process's own memory.
 */
let peakHeap = 0;
let peakAnon = 0;
function rssAnonBytes(): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // not Linux: reported as 0
  }
}
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  peakAnon = Math.max(peakAnon, rssAnonBytes());
}, 50);
sampler.unref();

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'gerbang-bench-settle-'));
  const load0 = loadavg()[0];
  try {
    // (1) postings per second.
    log(`settle bench: ${POST_N.toLocaleString()} records for postings/s (${RUNS} runs), a ${BATCH_N.toLocaleString()}-transaction batch; load average ${load0.toFixed(1)} on this shared box`);
    const src = await fillStream(join(work, 'post'), POST_N, { seed: 7, merchants: MERCHANTS, sellers: SELLERS, splitShare: 0.1 });
    log(`  setup: appended ${POST_N.toLocaleString()} records in ${src.seconds.toFixed(1)} s`);
    const wall: number[] = [];
    const cpu: number[] = [];
    let warmup = 0;
    for (let run = -1; run < RUNS; run++) {
      const books = openBooks(join(work, `books-${run}`));
      const ctx = settlementContext(books, config());
      const poster = new LedgerPoster({ books, pricing: ctx.pricing, calendar: ctx.calendar });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await drainLedger(src.stream, poster, { recordsPerTxn: TXN_N });
      const s = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      if (poster.offset() !== POST_N) throw new Error(`posted ${poster.offset()} of ${POST_N}`);
      if (run < 0) {
        warmup = POST_N / s;
        log(`  warm-up (not counted): ${Math.round(warmup).toLocaleString()} postings/s wall`);
      } else {
        wall.push(POST_N / s);
        cpu.push(POST_N / ((c.user + c.system) / 1e6));
        log(`  run ${run + 1}: ${Math.round(POST_N / s).toLocaleString()} postings/s wall, ${Math.round(cpu[cpu.length - 1]).toLocaleString()} per CPU-second`);
      }
      await closeBooks(books);
      rmSync(join(work, `books-${run}`), { recursive: true, force: true });
    }
    await src.close();
    rmSync(join(work, 'post'), { recursive: true, force: true });

    // (2) one business day of BATCH_N transactions, all before Monday's 16:00 Jakarta cut-off.
    const gapMs = Math.max(1, Math.floor((8 * 3_600_000) / BATCH_N / 2) * 2) / 2;
    const day = await fillStream(join(work, 'day'), BATCH_N, { seed: 8, merchants: MERCHANTS, sellers: SELLERS, splitShare: 0.1, startMs: Date.parse('2026-11-23T00:00:05Z'), gapMs });
    log(`  setup: appended ${BATCH_N.toLocaleString()} records in ${day.seconds.toFixed(1)} s`);
    const books = openBooks(join(work, 'day-books'));
    const ctx = settlementContext(books, config());
    const poster = new LedgerPoster({ books, pricing: ctx.pricing, calendar: ctx.calendar });
    const bc0 = process.cpuUsage();
    const t0 = performance.now();
    await drainLedger(day.stream, poster, { recordsPerTxn: TXN_N });
    const t1 = performance.now();
    const { batch } = await closeBatch(ctx, '2026-11-23', { now: new Date('2026-11-23T09:30:00Z') });
    const files = await writeBatchFiles(ctx, batch, join(work, 'out'));
    const t2 = performance.now();
    const bc = process.cpuUsage(bc0);
    const batchCpuSeconds = (bc.user + bc.system) / 1e6;
    const records = batch.totals.reduce((s, t) => s + Object.values(t.kinds).reduce((x, k) => x + k.n, 0), 0);
    if (records !== BATCH_N) throw new Error(`batch holds ${records} records, expected ${BATCH_N} (all before the cut-off)`);
    const payouts = batch.payouts.reduce((s, p) => s + p.count, 0);
    const sizes = files.paths.map((p) => `${p.slice(p.lastIndexOf('/') + 1)} ${(statSync(p).size / 1024).toFixed(0)} KiB`);
    const batchSeconds = (t2 - t0) / 1000;
    const closeSeconds = (t2 - t1) / 1000;
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const peakHeapMb = Math.round(Math.max(peakHeap, process.memoryUsage().heapUsed) / 1024 / 1024);
    const peakAnonRssMb = Math.round(Math.max(peakAnon, rssAnonBytes()) / 1024 / 1024);
    log(`  batch: ${BATCH_N.toLocaleString()} transactions posted in ${((t1 - t0) / 1000).toFixed(1)} s, closed + files in ${closeSeconds.toFixed(2)} s; ${batchCpuSeconds.toFixed(1)} CPU-seconds in all (${payouts} payouts, ${batch.positions.length} positions; ${sizes.join(', ')})`);
    log(`  peak RSS ${peakRssMb} MB (includes LMDB's mapped file pages), peak anonymous RSS ${peakAnonRssMb} MB, peak JS heap ${peakHeapMb} MB; load average now ${loadavg()[0].toFixed(1)}`);
    await closeBooks(books);
    await day.close();

    const headline = {
      postingsPerSec: Math.round(median(wall)),
      postingsPerCpuSec: Math.round(median(cpu)),
      batchSeconds: Number(batchSeconds.toFixed(2)),
      closeSeconds: Number(closeSeconds.toFixed(2)),
      batchCpuSeconds: Number(batchCpuSeconds.toFixed(2)),
      peakRssMb,
      peakAnonRssMb,
      peakHeapMb,
      batchTransactions: BATCH_N,
      payouts,
      runs: RUNS,
      recordsPerTxn: TXN_N,
      loadAverage: Number(load0.toFixed(1)),
    };
    writeResults('settle', { ...headline, postingsPerSecRuns: wall.map(Math.round), postingsPerCpuSecRuns: cpu.map(Math.round), warmupPostingsPerSec: Math.round(warmup), postRecords: POST_N, files: sizes });
    if (json) process.stdout.write(JSON.stringify(headline) + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench settle: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
