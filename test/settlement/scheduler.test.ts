import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it, vi } from 'vitest';
import { command } from '../../src/cli/commands/settle.js';
import { startSettlementScheduler } from '../../src/settlement/run.js';
import { LmdbSettledStream, openSettledStore } from '../../src/stream/lmdb.js';
import { tempDir } from '../ledger/helpers.js';
import { beneficiaryConfig, multiDayRecords } from './helpers.js';
import { writeFileSync } from 'node:fs';

async function dataDirWith(records: number): Promise<string> {
  const dir = tempDir('gerbang-sched-');
  const root = open({ path: join(dir, 'gerbang.mdb'), maxDbs: 16 });
  await new LmdbSettledStream(openSettledStore(root)).appendMany(multiDayRecords(records, { seed: 41 }));
  await root.close();
  return dir;
}

describe('settlement scheduler', () => {
  it('closes every business day whose cut-off has passed, in order, once', async () => {
    const dir = await dataDirWith(1_500);
    let now = new Date('2026-11-23T08:00:00Z'); // before Monday's cut-off
    const logs: string[] = [];
    const s = startSettlementScheduler({ dataDir: dir, config: beneficiaryConfig(), now: () => now, intervalMs: 3_600_000, log: (m) => logs.push(m) });
    expect(await s.tick()).toEqual([]);
    now = new Date('2026-11-24T09:30:00Z'); // Tuesday after its cut-off: Monday and Tuesday are due
    const r = await s.tick();
    expect(r.map((x) => [x.batch.id, x.created])).toEqual([
      ['B20261123', true],
      ['B20261124', true],
    ]);
    expect(readdirSync(join(dir, 'settlement')).sort()).toEqual(['pacs008-B20261123.xml', 'pacs008-B20261124.xml', 'pain001-B20261123.xml', 'pain001-B20261124.xml']);
    expect(await s.tick()).toEqual([]);
    now = new Date('2026-11-26T12:00:00Z'); // Thursday is a holiday: only Wednesday is due
    expect((await s.tick()).map((x) => x.batch.id)).toEqual(['B20261125']);
    expect(logs.filter((l) => l.includes('closed'))).toHaveLength(3);
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('gerbang settle (in process)', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += s), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += s), true));
    try {
      return { code: await command.run(argv), out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  };

  it('answers bad input with exit code 2 and a reason', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--date', '23-11-2026'])).err).toMatch(/--date YYYY-MM-DD/);
    expect((await run(['--date', '2026-11-23', '--bogus'])).err).toMatch(/unknown option --bogus/);
    expect((await run(['--date', '2026-11-23', '--config', '/nonexistent.json'])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('closes a day and prints one JSON headline; a second run writes nothing', async () => {
    const dir = await dataDirWith(800);
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(beneficiaryConfig()));
    const args = ['--date', '2026-11-23', '--data', dir, '--config', join(dir, 'cfg.json'), '--json'];
    const first = await run(args);
    expect(first.code, first.err).toBe(0);
    const h = JSON.parse(first.out.trim());
    expect(h).toMatchObject({ batchId: 'B20261123', created: true, posted: 800 });
    expect(h.counts.records).toBeGreaterThan(0);
    expect(h.files).toHaveLength(2);
    expect(h.written).toEqual(h.files);
    const second = JSON.parse((await run(args)).out.trim());
    expect(second).toMatchObject({ batchId: 'B20261123', created: false, posted: 0, written: [] });
    // Saturday is refused with a clear message and exit 1.
    const sat = await run(['--date', '2026-11-28', '--data', dir, '--config', join(dir, 'cfg.json')]);
    expect(sat.code).toBe(1);
    expect(sat.err).toMatch(/not a business day/);
    rmSync(dir, { recursive: true, force: true });
  });
});
