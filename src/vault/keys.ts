// The vault's data keys: an AES-256-GCM key for PANs and secrets, an HMAC-SHA-256 key for card fingerprints.
// Both are wrapped under the data dir's key-encryption key (the same kek.key file the engine's state uses).
// LIMITATION (shared with src/state/keys.ts): in production the KEK is held by the HSM under its LMK, not on disk.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { loadKek } from '../state/keys.js';
import { fillRandom } from '../http/ids.js';
import type { Database } from 'lmdb';

export { KEK_FILE } from '../state/keys.js';

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
