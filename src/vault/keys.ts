// The vault's data keys: an AES-256-GCM key for PANs and secrets, an HMAC-SHA-256 key for card fingerprints.
// Both are held by the HSM: at rest only as key blocks under its LMK (src/state/host-keys.ts).
import { createHmac } from 'node:crypto';
import type { Database } from 'lmdb';
import { legacyKekRecord, unlockHostKeys, type HostKeyHsm, type KeySlot } from '../state/host-keys.js';
import { rememberKeys, vaultKeysOf, type VaultKeys } from '../state/keyring.js';

export type { VaultKeys } from '../state/keyring.js';
export { seal, unseal } from './seal.js';

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
