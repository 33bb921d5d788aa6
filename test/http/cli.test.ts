// `gerbang merchants` as a user runs it (built CLI): the key is printed once and works against the API.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { startHttpApi } from '../../src/http/server.js';
import { testHsm } from '../hsm-keys.js';
import { LedgerIssuer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gerbang-merchants-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gerbang(...args: string[]) {
  return spawnSync(process.execPath, ['bin/gerbang.js', ...args], { encoding: 'utf8' });
}

describe('gerbang merchants', () => {
  test('create prints the key once; list never shows it; the key authenticates against the API', async () => {
    const r = gerbang('merchants', 'create', '--name', 'Warung Kopi', '--id', 'mer_kopi', '--data', dir, '--json');
    expect(r.status, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created).toMatchObject({ id: 'mer_kopi', name: 'Warung Kopi' });
    expect(created.apiKey).toMatch(/^gk_live_[A-Za-z0-9_-]{43}$/);
    const list = gerbang('merchants', 'list', '--data', dir);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('mer_kopi\tWarung Kopi\tkeys=1');
    expect(list.stdout).not.toContain(created.apiKey);
    const rotated = JSON.parse(gerbang('merchants', 'add-key', '--id', 'mer_kopi', '--data', dir, '--json').stdout);

    // The keys the CLI's own (in-process) HSM simulator generated open here through another one with the same LMK.
    const api = await startHttpApi({ port: 0, authorizer: new LedgerIssuer(), dataDir: dir, dashboard: false, hsm: await testHsm() });
    try {
      for (const key of [created.apiKey, rotated.apiKey]) {
        const res = await fetch(`http://127.0.0.1:${api.port}/v1/payments`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBe(200);
      }
    } finally {
      await api.close();
    }
  });

  test('bad usage exits 2 with the help', () => {
    const r = gerbang('merchants', 'create', '--data', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/create needs --name/);
  });
});
