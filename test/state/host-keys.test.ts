// The data dir's own keys (PAN encryption and hashing, the vault's) are held by the HSM: at rest only as key blocks
// under its LMK, fetched at start-up over an X25519-agreed key. These tests read the LMDB files' raw bytes, swap
// the HSM for one with another LMK, race two first unlocks, and migrate a data dir in the old clear-kek.key format.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHsmServer, type HsmServer } from '../../hsm-sim/index.js';
import { testLmk } from '../../hsm-sim/crypto/index.js';
import { createHsmClient, type HsmClient } from '../../src/hsm/client.js';
import { HsmError } from '../../src/hsm/api.js';
import { closeHttpStore, openHttpStore } from '../../src/http/store.js';
import { unlockDataDir } from '../../src/runtime/unlock.js';
import { openSwitchStore } from '../../src/runtime/store.js';
import { closeState, openState, unlockState } from '../../src/state/env.js';
import { LEGACY_KEK_FILE, type StoredHostKeys } from '../../src/state/host-keys.js';
import { hostKeyKcv } from '../../hsm-sim/crypto/x25519.js';
import { decryptPan, panHash } from '../../src/state/pan.js';
import { seal } from '../../src/vault/seal.js';
import { provision } from '../../src/state/provision.js';
import { demoPan, demoProvisionInput } from '../../src/demo/portfolio.js';
import { tempDir } from '../authorize/helpers.js';

const dirs: string[] = [];
const servers: { server: HsmServer; client: HsmClient }[] = [];
afterAll(async () => {
  for (const s of servers) {
    await s.client.close();
    await s.server.close();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('gerbang-hostkeys-');
  dirs.push(d);
  return d;
}

/** An HSM simulator in this process: the published test LMK, or the same with another key-block LMK. */
async function hsm(lmk: 'test' | 'other' = 'test'): Promise<HsmClient> {
  const server = await startHsmServer({
    host: '127.0.0.1', port: 0, selfTest: false, log: () => {},
    ...(lmk === 'other' ? { lmk: { ...testLmk(), keyBlock: randomBytes(32) } } : {}),
  });
  const client = createHsmClient({ host: '127.0.0.1', port: server.port, connections: 1 });
  servers.push({ server, client });
  return client;
}

function lmdbBytes(d: string): Buffer {
  return Buffer.concat(readdirSync(d).filter((f) => f.endsWith('.mdb')).map((f) => readFileSync(join(d, f))));
}

describe('data keys held by the HSM', () => {
  it('first unlock: the HSM generates them; at rest only key blocks under its LMK; no key file; no clear key in the LMDB bytes', async () => {
    const d = dir();
    const u = await unlockDataDir(d, await hsm());
    const all = [u.state.panKey, u.state.hashKey, u.vault.dataKey, u.vault.fingerprintKey, u.switch.encKey, u.switch.macKey];
    for (const k of all) expect(k.length).toBe(32);
    expect(new Set(all.map((k) => k.toString('hex'))).size).toBe(6);
    expect(existsSync(join(d, LEGACY_KEK_FILE))).toBe(false);
    expect(u.retiredKeyFiles).toEqual([]);

    const s = openState(d);
    const rec = s.meta.get('dataKeys') as StoredHostKeys;
    expect(rec.scheme).toBe('lmk');
    // TR-31 version D blocks: usage D0 (AES data key) for the PAN key, M7 (HMAC key) for the hash key.
    expect(rec.keys.panKey.underLmk).toMatch(/^SD\d{4}D0AB00E/);
    expect(rec.keys.hashKey.underLmk).toMatch(/^SD\d{4}M7HC00E/);
    expect(rec.keys.panKey.kcv).toBe(hostKeyKcv(u.state.panKey));
    await provision(s, demoProvisionInput(1, 5));
    await closeState(s);

    const bytes = lmdbBytes(d);
    for (const k of all) {
      expect(bytes.includes(k)).toBe(false);
      expect(bytes.includes(Buffer.from(k.toString('hex')))).toBe(false);
      expect(bytes.includes(Buffer.from(k.toString('hex').toUpperCase()))).toBe(false);
      expect(bytes.includes(Buffer.from(k.toString('base64')))).toBe(false);
    }
    expect(bytes.includes(Buffer.from(demoPan(2)))).toBe(false);
  });

  it('reopen: another HSM with the same LMK yields the same keys; an HSM with another LMK cannot open them', async () => {
    const d = dir();
    const first = await unlockState(d, await hsm(), { create: true });
    const again = await unlockState(d, await hsm());
    expect(again.panKey.equals(first.panKey)).toBe(true);
    expect(again.hashKey.equals(first.hashKey)).toBe(true);
    // Another LMK: the block's MAC fails inside the HSM (A1); nothing is generated in its place.
    await expect(unlockState(d, await hsm('other'), { create: true })).rejects.toThrow(/A1: it was made under another LMK/);
    expect((await unlockState(d, await hsm())).panKey.equals(first.panKey)).toBe(true);
  });

  it('without an unlock, opening the state is a clear error; a record whose check value does not match is refused', async () => {
    const d = dir();
    expect(() => openState(d)).toThrow(/not unlocked/);
    await expect(unlockState(d, await hsm())).rejects.toThrow(/provision the data dir first/);
    const keys = await unlockState(d, await hsm(), { create: true });
    const s = openState(d);
    const rec = s.meta.get('dataKeys') as StoredHostKeys;
    s.meta.putSync('dataKeys', { ...rec, keys: { ...rec.keys, hashKey: { ...rec.keys.hashKey, kcv: '000000' } } });
    await closeState(s);
    await expect(unlockState(d, await hsm())).rejects.toThrow(/check value/);
    expect(keys.hashKey.length).toBe(32);
  });

  it('an HSM without the host data key commands (68, as a vendor HSM answers) is named as the reason', async () => {
    const d = dir();
    const vendor = {
      generateDataKey: async () => Promise.reject(new HsmError('XA', '68')),
      exportDataKey: async () => Promise.reject(new HsmError('XC', '68')),
      importDataKey: async () => Promise.reject(new HsmError('XG', '68')),
    };
    await expect(unlockState(d, vendor, { create: true })).rejects.toThrow(/does not offer host data keys \(XA answered 68\)/);
  });

  it('two first unlocks at once agree on one set of keys', async () => {
    const d = dir();
    const [a, b] = await Promise.all([unlockState(d, await hsm(), { create: true }), unlockState(d, await hsm(), { create: true })]);
    expect(a.panKey.equals(b.panKey)).toBe(true);
    expect(a.hashKey.equals(b.hashKey)).toBe(true);
  });
});

/** The old at-rest format: sealed under kek.key (src/vault/seal.ts) with the key's label as the AAD. */
const legacyWrap = (kek: Buffer, key: Buffer, label: string): string => seal(kek, key, label);

describe('a data dir from before keys were held by the HSM', () => {
  async function legacyDir(): Promise<{ d: string; panKey: Buffer; hashKey: Buffer; vaultData: Buffer; sealed: string; cardId: string }> {
    const d = dir();
    const kek = randomBytes(32);
    const [panKey, hashKey, vaultData, vaultFp] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
    writeFileSync(join(d, LEGACY_KEK_FILE), kek.toString('hex') + '\n', { mode: 0o600 });
    const s = openState(d, { keys: { panKey, hashKey } });
    s.meta.putSync('dataKeys', { panKey: legacyWrap(kek, panKey, 'pan'), hashKey: legacyWrap(kek, hashKey, 'hash') });
    await provision(s, demoProvisionInput(1, 10));
    await closeState(s);
    const h = openHttpStore(d);
    h.meta.putSync('vaultKeys', { dataKey: legacyWrap(kek, vaultData, 'vault-data'), fingerprintKey: legacyWrap(kek, vaultFp, 'vault-fingerprint') });
    await closeHttpStore(h);
    // The switch store's keys lay in clear in switch-data.key (encryption ‖ MAC key); a SAF-style value sealed under it.
    const switchKey = randomBytes(64);
    writeFileSync(join(d, 'switch-data.key'), switchKey.toString('hex') + '\n', { mode: 0o600 });
    const st = openSwitchStore(d, { keys: { encKey: switchKey.subarray(0, 32), macKey: switchKey.subarray(32) } });
    const sealed = st.seal('{"2":"4761739001010010"}', 'bank-b|1');
    const cardId = st.cardHash('4761739001010010');
    await st.close();
    return { d, panKey, hashKey, vaultData, sealed, cardId };
  }

  it('keys under kek.key and in switch-data.key move into the HSM; what they sealed still opens; both files are deleted', async () => {
    const { d, panKey, hashKey, vaultData, sealed, cardId } = await legacyDir();
    const u = await unlockDataDir(d, await hsm());
    expect(u.retiredKeyFiles).toEqual(['kek.key', 'switch-data.key']);
    expect(existsSync(join(d, 'switch-data.key'))).toBe(false);
    expect(existsSync(join(d, LEGACY_KEK_FILE))).toBe(false);
    expect(u.state.panKey.equals(panKey)).toBe(true);
    expect(u.state.hashKey.equals(hashKey)).toBe(true);
    expect(u.vault.dataKey.equals(vaultData)).toBe(true);

    // A fresh HSM (same LMK) opens the migrated records; the card provisioned under the old keys reads back.
    const again = await unlockDataDir(d, await hsm());
    expect(again.state.panKey.equals(panKey)).toBe(true);
    const s = openState(d);
    expect((s.meta.get('dataKeys') as StoredHostKeys).scheme).toBe('lmk');
    const hash = panHash(again.state.hashKey, demoPan(9));
    const card = s.cards.get(hash)!;
    expect(decryptPan(again.state.panKey, card.panSealed, hash)).toBe(demoPan(9));
    await closeState(s);
    const st = openSwitchStore(d);
    expect(st.unseal(sealed, 'bank-b|1')).toBe('{"2":"4761739001010010"}');
    expect(st.cardHash('4761739001010010')).toBe(cardId);
    await st.close();
  });

  it('old-format keys with kek.key missing: a clear error, and the records stay as they were', async () => {
    const { d } = await legacyDir();
    rmSync(join(d, LEGACY_KEK_FILE));
    await expect(unlockDataDir(d, await hsm())).rejects.toThrow(/kek\.key is missing|kek.key/);
    const s = openState(d, { keys: { panKey: Buffer.alloc(32), hashKey: Buffer.alloc(32) } });
    expect((s.meta.get('dataKeys') as { scheme?: string }).scheme).toBeUndefined();
    await closeState(s);
  });
});
