// What an operator checks about a data dir's own keys, without seeing one: for each store, each key's usage and
// check value as stored beside its block under the LMK (or that it is still in an old clear-file format), and —
// given the HSM — whether that HSM opens it to the same check value. Reads only: nothing is created or migrated.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostKeyUsage } from '../hsm/api.js';
import { open } from 'lmdb';
import { HTTP_STATE_FILE } from '../http/store.js';
import { isLegacyRecord, LEGACY_KEK_FILE, openStoredKey, type HostKeyHsm, type StoredHostKeys } from '../state/host-keys.js';
import { readStateMeta, STATE_FILE } from '../state/env.js';
import { STATE_KEYS_RECORD } from '../state/keys.js';
import { VAULT_KEYS_RECORD } from '../vault/keys.js';
import { LEGACY_SWITCH_KEY_FILE, SWITCH_KEYS_RECORD, SWITCH_STORE_FILE } from './store.js';

export interface KeyStatus {
  store: string;
  record: string;
  key: string;
  /** 'lmk': a key block under the HSM's LMK; 'legacy': still wrapped under kek.key (migrated on the next start). */
  format: 'lmk' | 'legacy';
  usage?: string;
  kcv?: string;
  /** With an HSM: true when it opens the block to the stored check value; the error otherwise. */
  opens?: true | string;
}

export interface DataDirKeyStatus {
  dataDir: string;
  keys: KeyStatus[];
  /** Stores with no key record yet (keys are made on the next start). */
  missing: string[];
  /** Old clear key files still present (deleted on the next start, after migration). */
  legacyFiles: string[];
}

/** A store's key record, read with the environment opened read-only (a status check writes nothing). */
async function readRecord(dataDir: string, file: string, record: string): Promise<unknown> {
  if (!existsSync(join(dataDir, file))) return undefined;
  if (file === STATE_FILE) return readStateMeta(dataDir, record);
  // The HTTP and switch stores keep `meta` in plain msgpack (no shared structures).
  const root = open({ path: join(dataDir, file), maxDbs: 16, encoding: 'msgpack', readOnly: true });
  try {
    return root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' }).get(record);
  } finally {
    await root.close();
  }
}

/** The usage code in a key block's header: 'S' 'D' + 4-digit length, then the 2-character usage. */
function usageOf(block: string): string {
  return block.slice(6, 8);
}

export async function keyStatus(dataDir: string, hsm?: HostKeyHsm): Promise<DataDirKeyStatus> {
  const out: DataDirKeyStatus = { dataDir, keys: [], missing: [], legacyFiles: [] };
  for (const [file, record] of [[STATE_FILE, STATE_KEYS_RECORD], [HTTP_STATE_FILE, VAULT_KEYS_RECORD], [SWITCH_STORE_FILE, SWITCH_KEYS_RECORD]] as const) {
    const v = await readRecord(dataDir, file, record);
    if (v === undefined) {
      out.missing.push(file);
      continue;
    }
    if (isLegacyRecord(v)) {
      for (const key of Object.keys(v as object)) out.keys.push({ store: file, record, key, format: 'legacy' });
      continue;
    }
    for (const [key, k] of Object.entries((v as StoredHostKeys).keys)) {
      const st: KeyStatus = { store: file, record, key, format: 'lmk', usage: usageOf(k.underLmk), kcv: k.kcv };
      if (hsm) {
        try {
          (await openStoredKey(hsm, usageOf(k.underLmk) as HostKeyUsage, k, dataDir, `${record}.${key}`)).fill(0);
          st.opens = true;
        } catch (e) {
          st.opens = (e as Error).message;
        }
      }
      out.keys.push(st);
    }
  }
  for (const f of [LEGACY_KEK_FILE, LEGACY_SWITCH_KEY_FILE]) if (existsSync(join(dataDir, f))) out.legacyFiles.push(f);
  return out;
}
