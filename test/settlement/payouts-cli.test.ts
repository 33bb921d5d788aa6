import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it, vi } from 'vitest';
import { command } from '../../src/cli/commands/payouts.js';
import { LmdbSettledStream, openSettledStore } from '../../src/stream/lmdb.js';
import { openSettlement } from '../../src/settlement/run.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import { tempDir } from '../ledger/helpers.js';
import { beneficiaryConfig } from './helpers.js';

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

describe('gerbang payouts (in process)', () => {
  it('takes a manual payout through maker and checker', async () => {
    const dir = tempDir('gerbang-payouts-cli-');
    const root = open({ path: join(dir, 'gerbang.mdb'), maxDbs: 16 });
    await new LmdbSettledStream(openSettledStore(root)).append({
      id: 'T1:purchase', kind: 'purchase', txnId: 'T1', amount: 90_000_000, currency: '360', merchantId: 'M0004', acquirerId: 'ACQ1', issuerId: 'ISS0', occurredAt: '2026-11-23T03:00:00.000Z',
    });
    await root.close();
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(beneficiaryConfig()));
    const h = openSettlement(dir, beneficiaryConfig());
    await drainConsumer(h.stream, h.poster);
    await h.close();
    const common = ['--data', dir, '--config', join(dir, 'cfg.json'), '--json'];
    const req = await run(['request', '--merchant', 'M0004', '--amount', '60000000', '--currency', '360', '--by', 'alice', ...common]);
    expect(req.code, req.err).toBe(0);
    const p = JSON.parse(req.out);
    expect(p).toMatchObject({ status: 'pending_approval', maker: 'alice', amount: 60_000_000 });
    const self = await run(['approve', p.id, '--by', 'ALICE', ...common]);
    expect(self.code).toBe(1);
    expect(self.err).toMatch(/maker-checker/);
    const ok = await run(['approve', p.id, '--by', 'bob', ...common]);
    expect(JSON.parse(ok.out)).toMatchObject({ status: 'queued', maker: 'alice', checker: 'bob' });
    const list = await run(['list', '--status', 'queued', ...common]);
    expect(JSON.parse(list.out).map((x: { id: string }) => x.id)).toEqual([p.id]);
    expect((await run(['request', '--merchant', 'M0004', ...common])).code).toBe(2);
    expect((await run(['frobnicate', ...common])).code).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });
});
