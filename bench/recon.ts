// Reconciliation benchmark. Setup (not timed): a camt.053.001.08 statement of --entries entries (default
// 1,000,000) stream-written to os.tmpdir(), the matching switch items (one payout per entry, a few planted
// breaks), and a clearing CSV of --lines lines with its items. Timed, median of --runs:
//   parse-only   saxes alone reading the file's text (no handlers): the ceiling;
//   reconcile    the camt reader + matcher over the same file, finish() included → entries/s;
//   clearing     the CSV reader + matcher → lines/s.
// Each timed part runs in a fresh child process (`--part`), so the parts share no JIT state: in one process saxes'
// code was optimised for one caller (with or without handlers) and deoptimised by the other, and after a few
// alternations V8 left it up to 4× slower for both. A child first makes an untimed pass over a 50,000-entry (or
// -line) warm-up file, then the timed pass over the big one; the matcher's index is built before the clock starts
// (setup, reported as indexMs) and its garbage collected.
// Peak RSS is the largest of the children's. Files are deleted at the end.
// Usage: node dist/bench/recon.js [--json] [--runs N] [--entries N] [--lines N]
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import { scanStatementFile } from '../src/recon/camt.js';
import { fileText } from '../src/recon/fileText.js';
import { writeCamt053, type StatementEntrySpec } from '../src/recon/camtWriter.js';
import { readClearing } from '../src/recon/clearing.js';
import { Matcher } from '../src/recon/match.js';
import type { SwitchItem } from '../src/recon/types.js';
import { lastJsonLine, median, writeResults } from './lib/results.js';
import { intArg, jsonOutput } from './lib/args.js';

const json = jsonOutput;
const num = intArg;
const RUNS = num('--runs', 5, 20);
const ENTRIES = num('--entries', 1_000_000, 10_000_000);
const LINES = num('--lines', 1_000_000, 10_000_000);
/** Entries of the warm-up statement and lines of the warm-up CSV (the first WARM_N of the big ones). */
const WARM_N = 50_000;
const log = (s: string) => process.stdout.write(s + '\n');
const AS_OF = '2026-11-30';

// A child runs with --expose-gc: a full collection before its timed part, so the part is not billed for the
// garbage of its untimed setup (indexing a million switch items).
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Wall and CPU seconds of `f` (CPU is what this process burnt: less sensitive to other load on the box). */
async function timed<T>(f: () => Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, value };
}

const amountOf = (i: number) => 10_000 + ((i * 7919) % 5_000_000);
const ref = (i: number) => `PO${String(i).padStart(10, '0')}`;

function* statementEntries(n: number): Generator<StatementEntrySpec> {
  for (let i = 0; i < n; i++) {
    if (i % 100_000 === 1) continue; // planted: missing at bank
    const amount = i % 100_000 === 2 ? amountOf(i) + 100 : amountOf(i); // planted: amount mismatch
    yield { amount, currency: 'IDR', cdi: 'DBIT', bookingDate: '2026-11-24', servicerRef: `BNK${i}`, details: [{ endToEndId: ref(i), amount }] };
  }
}

// Generated straight into the matcher's index: only the matcher holds them, and only during its run.
function* switchItems(n: number): Generator<SwitchItem> {
  for (let i = 0; i < n; i++) yield { ref: ref(i), amount: amountOf(i), currency: 'IDR', cdi: 'DBIT', date: '2026-11-23', kind: 'payout' };
}

async function writeClearingCsv(path: string, n: number): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('record_id,amount,currency,cleared_date,kind\n');
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += `T${i}:purchase,${amountOf(i)},360,2026-11-23,purchase\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r) => out.end(() => r()));
}

function* clearingSide(n: number): Generator<SwitchItem> {
  for (let i = 0; i < n; i++) yield { ref: `T${i}:purchase`, amount: amountOf(i), currency: 'IDR', cdi: 'CRDT', date: '2026-11-23', kind: 'purchase' };
}

async function parseOnly(path: string): Promise<{ wall: number; cpu: number }> {
  return timed(async () => {
    // The same text pieces the reader gets (fileText: 64 KiB Latin-1 copies), so the ratio compares parsing
    // with reconciling, not two ways of turning bytes into strings.
    const p = new SaxesParser();
    for await (const chunk of fileText(path)) p.write(chunk);
    p.close();
  });
}

// The switch side is indexed as its records arrive (setup, timed apart as indexMs); the timed part is what a
// statement costs: streaming it through the reader and the matcher, and finish().
async function reconcileStatement(path: string, items: Iterable<SwitchItem>) {
  const t0 = performance.now();
  const m = new Matcher(items, {}, AS_OF);
  const indexMs = performance.now() - t0;
  const t = await timed(async () => {
    await scanStatementFile(path, (e) => m.offerEntry(e));
    return m.finish();
  });
  return { s: t.wall, cpu: t.cpu, indexMs, breaks: t.value.breaks.length, matched: t.value.stats.matchedSwitch };
}

async function reconcileClearing(path: string, items: Iterable<SwitchItem>) {
  const m = new Matcher(items, {}, AS_OF, 'clearing');
  const t = await timed(async () => {
    for await (const batch of readClearing(path)) for (const b of batch) m.offer(b);
    return m.finish();
  });
  return { s: t.wall, cpu: t.cpu, matched: t.value.stats.matchedSwitch };
}

type Part = 'parse' | 'statement' | 'clearing';
interface PartResult {
  wall: number;
  cpu: number;
  rssMb: number;
  indexMs?: number;
  breaks?: number;
  matched?: number;
}

/** One pass of `part` over `file` (`n` entries or lines). */
async function onePass(part: Part, file: string, n: number): Promise<PartResult> {
  if (part === 'parse') {
    const p = await parseOnly(file);
    return { wall: p.wall, cpu: p.cpu, rssMb: 0 };
  }
  if (part === 'statement') {
    const x = await reconcileStatement(file, switchItems(n));
    return { wall: x.s, cpu: x.cpu, rssMb: 0, indexMs: x.indexMs, breaks: x.breaks, matched: x.matched };
  }
  const x = await reconcileClearing(file, clearingSide(n));
  return { wall: x.s, cpu: x.cpu, rssMb: 0, matched: x.matched };
}

/**
 * Runs one part in this (child) process: an untimed pass over the small warm-up file (so the figure is the steady
 * state, not V8's first compilations), then the timed pass. Prints the timed pass's figures as one JSON line.
 */
async function runPart(part: Part, file: string, warmFile: string): Promise<void> {
  if (part !== 'parse' && part !== 'statement' && part !== 'clearing') throw new Error(`--part must be parse, statement or clearing, got ${String(part)}`);
  if (!file || !warmFile) throw new Error('--part needs --file and --warm');
  await onePass(part, warmFile, WARM_N);
  const r = await onePass(part, file, part === 'clearing' ? LINES : ENTRIES);
  r.rssMb = process.resourceUsage().maxRSS / 1024;
  log(JSON.stringify(r));
}

const SELF = fileURLToPath(import.meta.url);

/** One part in a fresh process (see the header); its last output line is the result. */
function inChild(part: Part, file: string, warmFile: string): PartResult {
  const out = execFileSync(process.execPath, ['--expose-gc', SELF, '--part', part, '--file', file, '--warm', warmFile, '--entries', String(ENTRIES), '--lines', String(LINES)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const r = lastJsonLine(out);
  if (!r) throw new Error(`bench/recon: the ${part} child printed no result line`);
  return r as unknown as PartResult;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gerbang-bench-recon-'));
  try {
    const stmt = join(dir, 'camt053.xml');
    const csv = join(dir, 'clearing.csv');
    const stmtWarm = join(dir, 'camt053-warm.xml');
    const csvWarm = join(dir, 'clearing-warm.csv');
    let t0 = performance.now();
    const written = await writeCamt053(stmt, { msgId: 'BENCH', statementId: 'S1', account: 'ID12GERB00000000001', currency: 'IDR', createdAt: '2026-11-25T01:00:00Z', opening: { amount: 0, cdi: 'CRDT', date: '2026-11-24' } }, statementEntries(ENTRIES));
    const bytes = statSync(stmt).size;
    log(`setup: statement of ${written} entries, ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    await writeClearingCsv(csv, LINES);
    log(`setup: clearing CSV of ${LINES} lines, ${(statSync(csv).size / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await writeCamt053(stmtWarm, { msgId: 'WARM', statementId: 'S0', account: 'ID12GERB00000000001', currency: 'IDR', createdAt: '2026-11-25T01:00:00Z', opening: { amount: 0, cdi: 'CRDT', date: '2026-11-24' } }, statementEntries(WARM_N));
    await writeClearingCsv(csvWarm, WARM_N);

    const parse: number[] = [];
    const recon: number[] = [];
    const clearing: number[] = [];
    const indexMs: number[] = [];
    // Each run's reconcile over its own parse-only, taken seconds apart: the ratio's median is steadier than a
    // ratio of medians when the machine's speed drifts between runs.
    const pairRatio: number[] = [];
    const pairRatioCpu: number[] = [];
    const cpu = { parse: [] as number[], recon: [] as number[], clearing: [] as number[] };
    let check = { breaks: 0, matched: 0, clearingMatched: 0 };
    let peakRssMb = process.resourceUsage().maxRSS / 1024;
    for (let run = 0; run < RUNS; run++) {
      // Interleaved so both see the same machine load, in alternating order so neither always runs first.
      const parseFirst = run % 2 === 0;
      const p0 = parseFirst ? inChild('parse', stmt, stmtWarm) : undefined;
      const r = inChild('statement', stmt, stmtWarm);
      const p = p0 ?? inChild('parse', stmt, stmtWarm);
      const c = inChild('clearing', csv, csvWarm);
      peakRssMb = Math.max(peakRssMb, p.rssMb, r.rssMb, c.rssMb);
      pairRatio.push(p.wall / r.wall);
      pairRatioCpu.push(p.cpu / r.cpu);
      parse.push(written / p.wall);
      recon.push(written / r.wall);
      clearing.push(LINES / c.wall);
      cpu.parse.push(written / p.cpu);
      cpu.recon.push(written / r.cpu);
      cpu.clearing.push(LINES / c.cpu);
      indexMs.push(r.indexMs ?? 0);
      check = { breaks: r.breaks ?? -1, matched: r.matched ?? -1, clearingMatched: c.matched ?? -1 };
      log(`run ${run + 1}: parse-only ${(written / p.wall).toFixed(0)} entries/s (${(bytes / p.wall / 1e6).toFixed(0)} MB/s; ${(written / p.cpu).toFixed(0)} per CPU-s), reconcile ${(written / r.wall).toFixed(0)} entries/s (${(written / r.cpu).toFixed(0)} per CPU-s) = ${((p.wall / r.wall) * 100).toFixed(0)} %, clearing ${(LINES / c.wall).toFixed(0)} lines/s; load ${loadavg()[0].toFixed(2)}`);
    }
    const expectedBreaks = 2 * Math.ceil((ENTRIES - 1) / 100_000);
    if (check.breaks !== expectedBreaks || check.clearingMatched !== LINES) throw new Error(`bench self-check failed: ${check.breaks} breaks (expected ${expectedBreaks}), ${check.clearingMatched}/${LINES} clearing lines matched`);
    const entriesPerSec = Math.round(median(recon));
    const parseOnlyPerSec = Math.round(median(parse));
    const figures = {
      entriesPerSec,
      parseOnlyPerSec,
      ratio: Math.round(median(pairRatio) * 1000) / 1000,
      parseOnlyMBps: Math.round((median(parse) * bytes) / written / 1e6),
      entriesPerCpuSec: Math.round(median(cpu.recon)),
      parseOnlyPerCpuSec: Math.round(median(cpu.parse)),
      ratioCpu: Math.round(median(pairRatioCpu) * 1000) / 1000,
      csvLinesPerCpuSec: Math.round(median(cpu.clearing)),
      csvLinesPerSec: Math.round(median(clearing)),
      indexMs: Math.round(median(indexMs)),
      peakRssMb: Math.round(peakRssMb),
    };
    writeResults('recon', {
      ...figures,
      entries: written,
      statementBytes: bytes,
      csvLines: LINES,
      runs: RUNS,
      note: 'each timed part in a fresh child process after an untimed warm-up pass over a 50,000-entry file; runs interleaved in alternating order on a shared 2-core machine; ratio = median of the per-run reconcile/parse-only ratios; peakRssMb = the largest child; wall figures suffer from other load, per-CPU-second ones less',
      raw: { parse, recon, clearing, cpu, pairRatio, pairRatioCpu },
    });
    log(`median of ${RUNS}: reconcile ${figures.entriesPerSec} entries/s, parse-only ${figures.parseOnlyPerSec} (${figures.parseOnlyMBps} MB/s), ratio ${(figures.ratio * 100).toFixed(0)} % (median of the runs' ratios); per CPU-second ${figures.entriesPerCpuSec} vs ${figures.parseOnlyPerCpuSec}, ratio ${(figures.ratioCpu * 100).toFixed(0)} %; clearing ${figures.csvLinesPerCpuSec} lines per CPU-s, ${figures.csvLinesPerSec} lines/s; peak RSS ${figures.peakRssMb} MB`);
    if (json) log(JSON.stringify(figures));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const partAt = process.argv.indexOf('--part');
const argAfter = (flag: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : '';
};
const run = partAt >= 0 ? runPart(argAfter('--part') as Part, argAfter('--file'), argAfter('--warm')) : main();
run.catch((e) => {
  process.stderr.write(`bench/recon: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});

