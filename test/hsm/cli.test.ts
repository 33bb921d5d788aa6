// `gerbang hsm` and `gerbang hsm form-key` as a user runs them (compiled CLI in dist/; `npm test` builds first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHsmClient } from '../../src/hsm/client.js';

const BIN = join(process.cwd(), 'bin', 'gerbang.js');

describe('gerbang hsm CLI', () => {
  it('form-key prints the key under the test LMK and its KCV (CVK vector: U9B4934…, 08D7B4)', () => {
    const r = spawnSync(process.execPath, [BIN, 'hsm', 'form-key', '--type', 'CVK', '--clear', '0123456789ABCDEFFEDCBA9876543210'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.kcv).toBe('08D7B4');
    expect(out.key.startsWith('U9B4934')).toBe(true);
  });

  it('form-key refuses a non-test LMK without --dev, and bad input with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsm-lmk-'));
    try {
      const file = join(dir, 'lmk.json');
      const pairs = Array.from({ length: 20 }, (_, i) => (i + 0x10).toString(16).repeat(16).toUpperCase());
      writeFileSync(file, JSON.stringify({ test: false, pairs, keyBlock: 'AB'.repeat(32) }));
      const args = ['hsm', 'form-key', '--type', 'ZPK', '--clear', '0123456789ABCDEFFEDCBA9876543210', '--lmk', file];
      expect(spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' }).status).toBe(2);
      const dev = spawnSync(process.execPath, [BIN, ...args, '--dev'], { encoding: 'utf8' });
      expect(dev.status).toBe(0);
      expect(JSON.parse(dev.stdout).kcv).toBe('08D7B4');
      expect(spawnSync(process.execPath, [BIN, 'hsm', 'form-key', '--type', 'CVK', '--clear', 'XYZ'], { encoding: 'utf8' }).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves on --port 0 with --json, answers a client, and prints headline figures as the last line on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'hsm', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no port line')), 10_000);
        child.stdout.on('data', () => {
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) {
            clearTimeout(t);
            resolve(JSON.parse(line).port);
          }
        });
      });
      const client = createHsmClient({ host: '127.0.0.1', port });
      expect((await client.diagnostics()).lmkCheckValue).toMatch(/^[0-9A-F]{16}$/);
      await client.close();
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const last = JSON.parse(out.trim().split('\n').at(-1)!);
      expect(last).toMatchObject({ port, requests: 1, errors: 0 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
