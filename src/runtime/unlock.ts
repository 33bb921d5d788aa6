// Start-up step: unlock a data dir's host keys with the HSM before anything opens its stores. The engine state's
// keys and the merchant API's vault keys enter this process's keyring (src/state/keyring.ts); a data dir still in
// the old format (keys wrapped under a clear kek.key file) is migrated into the HSM on the way, and kek.key is
// deleted once no record needs it.
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { closeHttpStore, openHttpStore } from '../http/store.js';
import { LEGACY_KEK_FILE, type HostKeyHsm } from '../state/host-keys.js';
import { unlockState } from '../state/env.js';
import type { DataKeys, VaultKeys } from '../state/keyring.js';
import { unlockVaultKeys } from '../vault/keys.js';

export interface UnlockedDataDir {
  state: DataKeys;
  vault: VaultKeys;
  /** True when this call deleted an old clear kek.key (every record it protected is now under the LMK). */
  retiredLegacyKek: boolean;
}

export async function unlockDataDir(dataDir: string, hsm: HostKeyHsm): Promise<UnlockedDataDir> {
  const state = await unlockState(dataDir, hsm, { create: true });
  const store = openHttpStore(dataDir);
  let vault: VaultKeys;
  try {
    vault = await unlockVaultKeys(dataDir, store.meta, hsm);
  } finally {
    await closeHttpStore(store);
  }
  // Both records are now blocks under the LMK (unlock migrates a legacy one or throws), so the file protects nothing.
  const kekPath = join(dataDir, LEGACY_KEK_FILE);
  let retiredLegacyKek = false;
  if (existsSync(kekPath)) {
    unlinkSync(kekPath);
    retiredLegacyKek = true;
  }
  return { state, vault, retiredLegacyKek };
}
