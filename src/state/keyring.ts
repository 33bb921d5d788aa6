// Host keys of the data dirs this process has unlocked, in memory only (never on disk: src/state/host-keys.ts).
// The main thread unlocks a data dir once, with the HSM, before opening its stores; workers get the keys in their
// start-up data and register them here, so openState() and the HTTP API find them without an HSM round trip.
import { resolve } from 'node:path';

/** The engine's keys: AES-256 for PANs at rest, HMAC-SHA-256 for PAN hashes (card lookup keys). */
export interface DataKeys {
  panKey: Buffer;
  hashKey: Buffer;
}
/** The merchant API's keys: AES-256 for vaulted PANs and secrets, HMAC-SHA-256 for card fingerprints. */
export interface VaultKeys {
  dataKey: Buffer;
  fingerprintKey: Buffer;
}
/** The switch store's keys: AES-256 for sealed messages holding PANs (SAF, in-flight reversals), HMAC for card ids. */
export interface SwitchKeys {
  encKey: Buffer;
  macKey: Buffer;
}
interface Entry {
  state?: DataKeys;
  vault?: VaultKeys;
  switch?: SwitchKeys;
}

const ring = new Map<string, Entry>();

export function rememberKeys(dataDir: string, keys: Entry): void {
  const k = resolve(dataDir);
  ring.set(k, { ...ring.get(k), ...keys });
}

export function stateKeysOf(dataDir: string): DataKeys | undefined {
  return ring.get(resolve(dataDir))?.state;
}

export function vaultKeysOf(dataDir: string): VaultKeys | undefined {
  return ring.get(resolve(dataDir))?.vault;
}

export function switchKeysOf(dataDir: string): SwitchKeys | undefined {
  return ring.get(resolve(dataDir))?.switch;
}
