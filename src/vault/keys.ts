// The vault's data keys: an AES-256-GCM key for PANs and secrets, an HMAC-SHA-256 key for card fingerprints.
// Both are wrapped under the data dir's key-encryption key (the same kek.key file the engine's state uses).
// LIMITATION (shared with src/state/keys.ts): in production the KEK is held by the HSM under its LMK, not on disk.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { loadKek } from '../state/keys.js';
import type { Database } from 'lmdb';

export { KEK_FILE } from '../state/keys.js';

/** AES-256-GCM: 12-byte IV ‖ 16-byte tag ‖ ciphertext, base64. `aad` binds the ciphertext to its context. */
export function seal(key: Buffer, plain: Buffer | string, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
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

export interface VaultKeys {
  dataKey: Buffer;
  fingerprintKey: Buffer;
}

/** Loads (creating on first use) the vault keys from `meta`, unwrapped with the data dir's KEK. */
export function loadVaultKeys(dataDir: string, meta: Database<unknown, string>): VaultKeys {
  const kek = loadKek(dataDir, true);
  let wrapped = meta.get('vaultKeys') as { dataKey: string; fingerprintKey: string } | undefined;
  if (!wrapped) {
    const fresh = { dataKey: seal(kek, randomBytes(32), 'vault-data'), fingerprintKey: seal(kek, randomBytes(32), 'vault-fingerprint') };
    meta.transactionSync(() => {
      if (!meta.get('vaultKeys')) meta.putSync('vaultKeys', fresh);
    });
    wrapped = meta.get('vaultKeys') as { dataKey: string; fingerprintKey: string };
  }
  return { dataKey: unseal(kek, wrapped.dataKey, 'vault-data'), fingerprintKey: unseal(kek, wrapped.fingerprintKey, 'vault-fingerprint') };
}

export function fingerprint(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('base64url');
}
