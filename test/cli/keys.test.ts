// `gerbang keys status` as an operator runs it (the built CLI in a child process, its own in-process HSM simulator):
// every store's keys with their usage and check value, each opened by the HSM to the same check value; an HSM with
// another LMK opens none (exit 1); an old-format data dir is reported, not migrated; no key ever appears.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostKeyKcv } from '../../hsm-sim/crypto/x25519.js';
import { testLmk } from '../../hsm-sim/crypto/index.js';
import { closeState, openState } from '../../src/state/env.js';
import { tempDir } from '../authorize/helpers.js';
import { unlockForTest } from '../hsm-keys.js';

const BIN = join(import.meta.dirname, '../../bin/gerbang.js');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const gerbang = (env: Record<string, string>, ...args: string[]) => spawnSync(process.execPath, [BIN, 'keys', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

describe('gerbang keys status', () => {
  it('lists every store key with its usage and KCV, each opened by the HSM; never a key', async () => {
    const d = tempDir('gerbang-keys-');
    dirs.push(d);
    const u = await unlockForTest(d);
    const r = gerbang({}, 'status', '--data', d, '--json');
    expect(r.status, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout);
    expect(st.missing).toEqual([]);
    expect(st.legacyFiles).toEqual([]);
    const clear = { panKey: u.state.panKey, hashKey: u.state.hashKey, dataKey: u.vault.dataKey, fingerprintKey: u.vault.fingerprintKey, encKey: u.switch.encKey, macKey: u.switch.macKey };
    expect(st.keys.map((k: { key: string }) => k.key).sort()).toEqual(Object.keys(clear).sort());
    for (const k of st.keys) {
      expect(k).toMatchObject({ format: 'lmk', opens: true, kcv: hostKeyKcv(clear[k.key as keyof typeof clear]) });
      expect(k.usage).toBe(['hashKey', 'fingerprintKey', 'macKey'].includes(k.key) ? 'M7' : 'D0');
    }
    const text = gerbang({}, 'status', '--data', d);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/gerbang\.mdb {2}dataKeys\.panKey {2}D0 under the LMK, KCV [0-9A-F]{6} {2}opens: yes/);
    for (const b of Object.values(clear)) {
      for (const enc of ['hex', 'base64'] as const) expect(text.stdout + r.stdout).not.toContain(b.toString(enc));
      expect(text.stdout + r.stdout).not.toContain(b.toString('hex').toUpperCase());
    }

    // An HSM under another LMK opens none of them.
    const lmk = testLmk();
    const lmkFile = join(d, 'other-lmk.json');
    writeFileSync(lmkFile, JSON.stringify({ test: true, pairs: lmk.pairs.map((p) => p.toString('hex')), keyBlock: randomBytes(32).toString('hex') }));
    const other = gerbang({ GERBANG_HSM_LMK: lmkFile }, 'status', '--data', d, '--json');
    expect(other.status, other.stderr + other.signal).toBe(1);
    for (const k of JSON.parse(other.stdout).keys) expect(k.opens).toMatch(/A1/);
  });

  it('an old-format data dir is reported as such and left as it is', async () => {
    const d = tempDir('gerbang-keys-old-');
    dirs.push(d);
    writeFileSync(join(d, 'kek.key'), randomBytes(32).toString('hex') + '\n');
    const s = openState(d, { keys: { panKey: randomBytes(32), hashKey: randomBytes(32) } });
    s.meta.putSync('dataKeys', { panKey: 'AAAA', hashKey: 'BBBB' });
    await closeState(s);
    writeFileSync(join(d, 'switch-data.key'), randomBytes(64).toString('hex') + '\n');
    const r = gerbang({}, 'status', '--data', d);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('gerbang.mdb  dataKeys.panKey  old format');
    expect(r.stdout).toMatch(/http\.mdb {2}no keys yet/);
    expect(r.stdout).toMatch(/kek\.key {2}old clear key file/);
    expect(r.stdout).toMatch(/switch-data\.key {2}old clear key file/);
    expect(existsSync(join(d, 'kek.key'))).toBe(true);
    expect(existsSync(join(d, 'http.mdb'))).toBe(false);
    expect(gerbang({}, 'status', '--data', d, '--bogus').status).toBe(2);
  });
});
