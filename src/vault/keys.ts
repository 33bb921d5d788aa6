// The vault's data keys: an AES-256-GCM key for PANs and secrets, an HMAC-SHA-256 key for card fingerprints.
// Both are held by the HSM: at rest only as key blocks under its LMK (src/state/host-keys.ts).
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { fillRandom } from '../http/ids.js';
import type { Database } from 'lmdb';
import { legacyKekRecord, unlockHostKeys, type HostKeyHsm, type KeySlot } from '../state/host-keys.js';
import { rememberKeys, vaultKeysOf, type VaultKeys } from '../state/keyring.js';

export type { VaultKeys } from '../state/keyring.js';

/** AES-256-GCM: 12-byte IV ‖ 16-byte tag ‖ ciphertext, base64. `aad` binds the ciphertext to its context. */
export function seal(key: Buffer, plain: Buffer | string, aad: string): string {
  const p = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  // One output buffer, IV from the pooled CSPRNG (a random 96-bit IV per seal, as before; no per-call syscall).
  const out = Buffer.allocUnsafe(28 + p.length);
  fillRandom(out, 0, 12);
  const c = createCipheriv('aes-256-gcm', key, out.subarray(0, 12));
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = c.update(p);
  const tail = c.final(); // GCM is a stream mode: empty, kept for the general case
  if (ct.length + tail.length !== p.length) throw new Error('seal: ciphertext length mismatch');
  c.getAuthTag().copy(out, 12);
  ct.copy(out, 28);
  tail.copy(out, 28 + ct.length);
  return out.toString('base64');
}

/** Opens a sealed value; throws when the tag, key or AAD does not match. */
export function unseal(key: Buffer, sealed: string, aad: string): Buffer {
  const b = Buffer.from(sealed, 'base64');
  if (b.length < 29) throw new Error('sealed value too short');
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]);
}

export const VAULT_KEYS_RECORD = 'vaultKeys';
export const VAULT_KEY_SLOTS: Record<keyof VaultKeys, KeySlot> = {
  dataKey: { usage: 'D0', legacyLabel: 'vault-data' },
  fingerprintKey: { usage: 'M7', legacyLabel: 'vault-fingerprint' },
};

/**
 * Unlocks the vault keys held in `meta` (the HTTP store's) with the HSM, generating them on first use, and
 * registers them in this process's keyring.
 */
export async function unlockVaultKeys(dataDir: string, meta: Database<unknown, string>, hsm: HostKeyHsm): Promise<VaultKeys> {
  const keys = await unlockHostKeys(meta, VAULT_KEYS_RECORD, VAULT_KEY_SLOTS, hsm, { dataDir, create: true, legacy: legacyKekRecord(dataDir, VAULT_KEY_SLOTS) });
  rememberKeys(dataDir, { vault: keys });
  return keys;
}

/** The vault keys unlocked in this process for `dataDir`; throws when they are not. */
export function loadVaultKeys(dataDir: string): VaultKeys {
  const k = vaultKeysOf(dataDir);
  if (!k) throw new Error(`${dataDir}: the vault keys are not unlocked in this process (unlockVaultKeys with the HSM first)`);
  return k;
}

export function fingerprint(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('base64url');
}
