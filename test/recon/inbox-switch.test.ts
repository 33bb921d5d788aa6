// The statement inbox as `gerbang start` runs it: a camt.053 dropped into the switch's inbox directory is
// reconciled against the books, its breaks are recorded, and the dashboard's reconciliation / settlement status
// gauges say so.
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../src/metrics/registry.js';
import { writeCamt053 } from '../../src/recon/camtWriter.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { tempDir, testConfig, waitFor } from '../switch/helpers.js';

const status = (stage: string) => metrics.gauge('gerbang_settlement_status', '').get({ stage });

describe('recon inbox in the running switch', () => {
  let sw: RunningSwitch;
  let inbox: string;
  beforeAll(async () => {
    const dir = tempDir('inbox-switch');
    inbox = join(dir, 'inbox');
    const cfg = testConfig(join(dir, 'data'), { onus: false, raw: { settlement: { intervalMs: 60_000, reconInbox: inbox, reconPollMs: 100 } } });
    sw = await startSwitch(cfg, { hsmMode: 'in-process', log: createLogger({}, 'silent') });
  }, 30_000);
  afterAll(async () => {
    await sw?.close();
  });

  it('settlement reports its first run at start-up', async () => {
    await waitFor(() => status('settlement') === 1, 10_000, 'settlement status');
  });

  it('a dropped statement is reconciled once, moved to done/, and its break shows in the gauges', async () => {
    const runs = () => metrics.counter('gerbang_recon_runs_total', '').get();
    const before = runs();
    const src = join(tempDir('inbox-src'), 'stmt.xml');
    // One debit the switch never paid out: a "missing in switch" break.
    await writeCamt053(src, { msgId: 'M1', statementId: 'S1', account: 'ID12GERB00000000001', currency: 'IDR', createdAt: '2026-11-25T01:00:00Z', opening: { amount: 0, cdi: 'CRDT', date: '2026-11-24' } }, [
      { amount: 77_000, currency: 'IDR', cdi: 'DBIT', bookingDate: '2026-11-24', servicerRef: 'B77', details: [{ endToEndId: 'PO-NOBODY', amount: 77_000 }] },
    ]);
    renameSync(src, join(inbox, 'stmt.xml'));
    await waitFor(() => existsSync(join(inbox, 'done')) && readdirSync(join(inbox, 'done')).length === 1, 15_000, 'statement in done/');
    await waitFor(() => runs() === before + 1, 5_000, 'recon run counted');
    expect(status('reconciliation')).toBe(1);
    const open = metrics.gauge('gerbang_recon_open_breaks', '').entries().filter(([k]) => k.includes('missingInSwitch')).reduce((a, [, v]) => a + v, 0);
    expect(open).toBeGreaterThanOrEqual(1);
  });
});
