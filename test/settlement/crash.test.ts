// Exactly-once payouts under crashes: a real child process (`gerbang settle`, compiled dist/) is SIGKILLed at
// several points of a batch, then settle runs again (and once more). Every run must end with the same payouts
// as an uninterrupted run: none missing, none twice, one pain.001 naming each exactly once, books balanced.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from 'lmdb';
import { openBooks, closeBooks } from '../../src/ledger/books.js';
import { LmdbSettledStream, openSettledStore } from '../../src/stream/lmdb.js';
import type { PayoutRecord } from '../../src/settlement/types.js';
import { allBalances, tempDir, trialBalance } from '../ledger/helpers.js';
import { beneficiaryConfig, endToEndIds, multiDayRecords, repoRoot } from './helpers.js';

const bin = join(repoRoot, 'bin/gerbang.js');
const DATE = '2026-11-23';

function runSettle(dataDir: string, pauseAt?: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'settle', '--date', DATE, '--data', dataDir, '--out', join(dataDir, 'out'), '--config', join(dataDir, 'cfg.json'), '--force', '--json'], {
      env: { ...process.env, ...(pauseAt ? { GERBANG_SETTLE_PAUSE_AT: pauseAt } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`settle did not finish (pause ${pauseAt}): ${stderr}`));
    }, 30_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (pauseAt && stderr.includes(`PAUSED ${pauseAt}`)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function payoutsOf(dataDir: string): Promise<PayoutRecord[]> {
  const books = openBooks(dataDir);
  const out: PayoutRecord[] = [];
  for (const { value } of books.payouts.getRange({ start: 'p|', end: 'p|~' })) out.push(value as PayoutRecord);
  for (const [, t] of trialBalance(allBalances(books))) expect(t.d).toBe(t.c);
  await closeBooks(books);
  return out;
}

describe('exactly-once payouts when the settle process is killed', () => {
  let template: string;
  let reference: PayoutRecord[];
  const dirs: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist/src/cli/commands/settle.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
    template = tempDir('gerbang-crash-tpl-');
    const root = open({ path: join(template, 'gerbang.mdb'), maxDbs: 16 });
    await new LmdbSettledStream(openSettledStore(root)).appendMany(multiDayRecords(1_200, { seed: 31 }));
    await root.close();
    writeFileSync(join(template, 'cfg.json'), JSON.stringify(beneficiaryConfig({ payouts: { minAmount: 10_000, holdDays: 0, manualApprovalThreshold: 1e9 } })));
    const ref = tempDir('gerbang-crash-ref-');
    dirs.push(ref, template);
    cpSync(template, ref, { recursive: true });
    const r = await runSettle(ref);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ batchId: 'B20261123', created: true });
    reference = (await payoutsOf(ref)).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(reference.filter((p) => p.status === 'sent').length).toBeGreaterThan(10);
  });

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  // 'before-files' sits right after 'after-close' with nothing between; the five points cover every phase.
  for (const point of ['after-post', 'after-close', 'mid-pain001', 'before-rename-pain001', 'after-files']) {
    it(`killed at ${point}: the re-run finishes the batch with the same payouts, once`, async () => {
      const dir = tempDir('gerbang-crash-');
      dirs.push(dir);
      cpSync(template, dir, { recursive: true });
      const killed = await runSettle(dir, point);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.stderr).toContain(`PAUSED ${point}`);

      const rerun = await runSettle(dir);
      expect(rerun.code, rerun.stderr).toBe(0);
      const head = JSON.parse(rerun.stdout);
      expect(head.batchId).toBe('B20261123');
      // Killed before the close committed: the re-run closes; after: it only finishes the files.
      expect(head.created).toBe(point === 'after-post');
      if (point === 'mid-pain001') {
        // And once more: nothing left to do, nothing written (the in-process tests cover this for every case).
        const third = await runSettle(dir);
        expect(JSON.parse(third.stdout)).toMatchObject({ created: false, written: [] });
      }

      const payouts = (await payoutsOf(dir)).sort((a, b) => (a.id < b.id ? -1 : 1));
      const strip = (p: PayoutRecord) => ({ id: p.id, who: p.beneficiary.id, amount: p.amount, status: p.status });
      expect(payouts.map(strip)).toEqual(reference.map(strip));
      const perBeneficiary = new Set(payouts.map((p) => `${p.beneficiary.type}:${p.beneficiary.id}:${p.currency}`));
      expect(perBeneficiary.size).toBe(payouts.length);
      // One pain.001, naming every sent payout exactly once; no temp file left behind.
      const files = readdirSync(join(dir, 'out')).sort();
      expect(files).toEqual(['pacs008-B20261123.xml', 'pain001-B20261123.xml']);
      const ids = endToEndIds(readFileSync(join(dir, 'out/pain001-B20261123.xml'), 'utf8'));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(payouts.filter((p) => p.status === 'sent').map((p) => p.id).sort());
    });
  }
});
