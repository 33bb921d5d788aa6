// Start-up step: unlock a data dir's host keys with the HSM before anything opens its stores. The engine state's,
// the merchant API's vault and the switch store's keys enter this process's keyring (src/state/keyring.ts); a data
// dir still in the old format (keys wrapped under a clear kek.key file, or in clear in switch-data.key) is migrated
// into the HSM on the way, and the files are deleted once every record they served is under the LMK.
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { closeHttpStore, openHttpStore } from '../http/store.js';
import { LEGACY_KEK_FILE, type HostKeyHsm } from '../state/host-keys.js';
import { unlockState } from '../state/env.js';
import type { DataKeys, SwitchKeys, VaultKeys } from '../state/keyring.js';
import { LEGACY_SWITCH_KEY_FILE, unlockSwitchKeys } from './store.js';
import { unlockVaultKeys } from '../vault/keys.js';

export interface UnlockedDataDir {
  state: DataKeys;
  vault: VaultKeys;
  switch: SwitchKeys;
  /** The old clear key files this call deleted (every record they served is now under the LMK). */
  retiredKeyFiles: string[];
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
  const sw = await unlockSwitchKeys(dataDir, hsm);
  // Every record is now blocks under the LMK, on disk (unlock migrates a legacy one or throws), so the files protect
  // nothing any more.
  const retiredKeyFiles: string[] = [];
  for (const f of [LEGACY_KEK_FILE, LEGACY_SWITCH_KEY_FILE]) {
    const path = join(dataDir, f);
    if (!existsSync(path)) continue;
    unlinkSync(path);
    retiredKeyFiles.push(f);
  }
  return { state, vault, switch: sw, retiredKeyFiles };
}
