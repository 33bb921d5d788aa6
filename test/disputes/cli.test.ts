import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importChargebacks } from '../../src/disputes/chargebackFile.js';
import { repoRoot } from '../settlement/helpers.js';
import { disputeWorld } from './helpers.js';

const bin = join(repoRoot, 'bin/gerbang.js');
function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('issuer chargeback file', () => {
  it('opens new cases, moves known ones, and reports bad lines by number without stopping', async () => {
    const w = await disputeWorld();
    try {
      const csv = [
        'case_id,network,reason_code,stage,transaction_id,amount,currency,filed_at',
        'VC-1,visa,13.1,chargeback,T1:purchase,250000,IDR,2026-11-25',
        'MC-7,mastercard,4853,retrieval_request,T2:purchase,,,',
        'VC-2,visa,99.9,chargeback,T3:purchase,,,',
        'VC-3,visa,13.1,arbitration,T3:purchase,,,',
        'MC-7,mastercard,4853,chargeback,T2:purchase,,,',
        'VC-4,visa,13.1,chargeback,T3:purchase,12.50,,',
      ].join('\n');
      const out = await importChargebacks(w.svc, csv, new Date('2026-11-26T00:00:00Z'));
      expect(out.opened).toHaveLength(2);
      expect(out.advanced).toHaveLength(1);
      expect(out.errors.map((e) => [e.line, e.message.slice(0, 40)])).toEqual([
        [4, 'unknown visa reason code 99.9'],
        [5, 'unknown case VC-3 cannot start at arbitr'],
        [7, 'amount "12.50" must be an integer of min'],
      ]);
      expect(w.svc.byCase('VC-1')).toMatchObject({ stage: 'chargeback', amount: 250_000 });
      expect(w.svc.byCase('MC-7')).toMatchObject({ stage: 'chargeback', amount: 500_000 });
      await w.post();
      expect(w.merchant()).toBe(1_470_000n - 750_000n);
      // The same file again changes nothing (cases are idempotent; lines a case has passed are left alone).
      const again = await importChargebacks(w.svc, csv, new Date('2026-11-26T00:00:00Z'));
      expect(again.opened).toEqual([]);
      expect(again.unchanged).toEqual([w.svc.byCase('VC-1')!.id, w.svc.byCase('MC-7')!.id, w.svc.byCase('MC-7')!.id]);
      expect(again.errors.map((e) => e.line)).toEqual([4, 5, 7]);
      await w.post();
      expect(w.merchant()).toBe(1_470_000n - 750_000n);
      await expect(importChargebacks(w.svc, 'case,network\nx,y')).rejects.toThrow(/header lacks case_id/);
    } finally {
      await w.h.close();
    }
  });
});

describe('gerbang disputes', () => {
  it('import, list, show, contest with a file, accept, sweep — and usage errors exit 2', async () => {
    if (!existsSync(join(repoRoot, 'dist/src/cli/commands/disputes.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
    const w = await disputeWorld();
    const dir = w.dir;
    await w.h.close();
    writeFileSync(join(dir, 'cb.csv'), 'case_id,network,reason_code,stage,transaction_id\nV-1,visa,13.3,chargeback,T1:purchase\nV-2,visa,10.4,chargeback,T2:purchase\n');
    writeFileSync(join(dir, 'proof.pdf'), '%PDF-1.4 proof');
    const imp = await run(['disputes', 'import', join(dir, 'cb.csv'), '--data', dir, '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout)).toEqual({ opened: 2, advanced: 0, errors: 0 });
    const list = await run(['disputes', 'list', '--data', dir, '--json']);
    const ds = JSON.parse(list.stdout) as any[];
    expect(ds.map((d) => [d.case_id, d.stage]).sort()).toEqual([['V-1', 'chargeback'], ['V-2', 'chargeback']]);
    const v1 = ds.find((d) => d.case_id === 'V-1').id;
    const v2 = ds.find((d) => d.case_id === 'V-2').id;
    const c = await run(['disputes', 'contest', v1, '--by', 'ops@gerbang', '--note', 'as described, photos attached', '--file', join(dir, 'proof.pdf'), '--data', dir, '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ stage: 'representment', evidence: [{ kind: 'note' }, { kind: 'document', name: 'proof.pdf', size: 14 }] });
    const a = await run(['disputes', 'accept', v2, '--by', 'ops@gerbang', '--data', dir, '--json']);
    expect(JSON.parse(a.stdout)).toMatchObject({ stage: 'closed', outcome: 'accepted' });
    const show = await run(['disputes', 'show', v1, '--data', dir]);
    expect(show.stdout).toMatch(/Not as described/);
    expect(show.stdout).toMatch(/contest\s+merchant\/ops@gerbang/);
    const sweep = await run(['disputes', 'sweep', '--now', new Date(Date.now() + 40 * 86_400_000).toISOString(), '--data', dir, '--json']);
    expect(JSON.parse(sweep.stdout)).toEqual({ changed: 1, dueSoon: 0 }); // the issuer let the representment lapse: won
    expect((await run(['disputes', 'accept', v1, '--data', dir])).code).toBe(2); // --by missing
    expect((await run(['disputes', 'frobnicate', '--data', dir])).code).toBe(2);
    const again = await run(['disputes', 'accept', v1, '--by', 'x', '--data', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/closed \(won\)/);
  }, 60_000);
});
