// The switch's own data keys (PAN encryption, PAN hashing, the vault's keys) at rest and in memory.
// At rest they exist only as key blocks under the HSM's LMK, in the data dir's `meta` database. At start-up the HSM
// hands each one to this process under a fresh X25519-agreed key (its XC command, src/hsm/client.ts exportDataKey),
// so no clear key is ever on disk or on the wire; it lives in this process's memory (and its workers') only.
// Data dirs written before 2026-12-03 hold the keys wrapped under a clear key file (kek.key), or in clear in one
// (switch-data.key): they are imported into the HSM once (XG) and the record is (re)written; src/runtime/unlock.ts
// deletes the files when nothing needs them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'lmdb';
import { unseal } from '../vault/seal.js';
import { HsmError, type HsmApi, type HostKeyUsage } from '../hsm/api.js';
import { hostKeyKcv } from '../../hsm-sim/crypto/x25519.js';

export type HostKeyHsm = Pick<HsmApi, 'generateDataKey' | 'exportDataKey' | 'importDataKey'>;

/** One key of a record: its use in the HSM, and the label it was wrapped with in a legacy (kek.key) record. */
export interface KeySlot {
  usage: HostKeyUsage;
  /** The AAD it was wrapped with under kek.key (records from before keys were held by the HSM). */
  legacyLabel?: string;
}

/** What a record holds now: per key, its block under the LMK and its check value. */
export interface StoredHostKeys {
  scheme: 'lmk';
  keys: Record<string, { underLmk: string; kcv: string }>;
}

/** An HSM without the host data key commands (68: unknown command, e.g. a payShield): say what is missing. */
function unsupported(e: unknown): unknown {
  if (!(e instanceof HsmError) || e.errorCode !== '68') return e;
  return new Error(`the HSM does not offer host data keys (${e.command} answered 68): the switch keeps its PAN and vault keys under the HSM's LMK with gerbang's XA/XC/XE/XG commands (hsm-sim/README.md), which a vendor HSM needs mapped to its own data-key commands`);
}

/** The legacy clear key file: present only in data dirs from before keys were held by the HSM. */
export const LEGACY_KEK_FILE = 'kek.key';

export function isLegacyRecord(v: unknown): boolean {
  return v !== undefined && v !== null && (v as { scheme?: unknown }).scheme !== 'lmk';
}

function readLegacyKek(dataDir: string): Buffer {
  const path = join(dataDir, LEGACY_KEK_FILE);
  if (!existsSync(path)) throw new Error(`${dataDir}: data keys are in the old format (wrapped under ${LEGACY_KEK_FILE}) but ${path} is missing`);
  const kek = Buffer.from(readFileSync(path, 'ascii').trim(), 'hex');
  if (kek.length !== 32) throw new Error(`${path}: expected 64 hex characters (AES-256 KEK)`);
  return kek;
}

/** Opens a legacy wrapped key: sealed (src/vault/seal.ts) under kek.key with its label as the AAD. */
function legacyUnwrap(kek: Buffer, wrapped: string, label: string): Buffer {
  const key = unseal(kek, wrapped, label);
  if (key.length !== 32) throw new Error(`legacy ${label} key: unexpected length`);
  return key;
}

/**
 * The clear keys a record held before the HSM did, for migration: from `stored` (a legacy record) or from a legacy
 * key file; undefined when there are none (then a missing record is generated fresh).
 */
export type LegacyKeys<N extends string> = (stored: unknown) => Record<N, Buffer> | undefined;

/** Legacy records wrapped under the data dir's kek.key (the engine state's and the vault's). */
export function legacyKekRecord<N extends string>(dataDir: string, slots: Record<N, KeySlot>): LegacyKeys<N> {
  return (stored) => {
    if (!isLegacyRecord(stored)) return undefined;
    const kek = readLegacyKek(dataDir);
    try {
      const legacy = stored as Record<string, unknown>;
      const out = {} as Record<N, Buffer>;
      for (const n of Object.keys(slots) as N[]) {
        const w = legacy[n];
        const label = slots[n].legacyLabel;
        if (typeof w !== 'string' || !label) throw new Error(`${dataDir}: a legacy key record lacks ${n}`);
        out[n] = legacyUnwrap(kek, w, label);
      }
      return out;
    } finally {
      kek.fill(0);
    }
  };
}

/**
 * The clear keys of `record` in `meta`, from the HSM. A missing record is migrated from `legacy` when it has keys,
 * else generated (by the HSM) when `create`; a legacy record is migrated. Concurrent openers of a fresh data dir
 * agree: a record is written only if still absent (or still legacy), and every opener uses what was stored.
 */
export async function unlockHostKeys<N extends string>(
  meta: Database<unknown, string>,
  record: string,
  slots: Record<N, KeySlot>,
  hsm: HostKeyHsm,
  o: { dataDir: string; create: boolean; legacy?: LegacyKeys<N> },
): Promise<Record<N, Buffer>> {
  const names = Object.keys(slots) as N[];
  let stored = meta.get(record);
  if (stored === undefined || isLegacyRecord(stored)) {
    const old = o.legacy?.(stored);
    if (stored !== undefined && !old) throw new Error(`${o.dataDir}: ${record} is in an unknown format`);
    if (!old && !o.create) throw new Error(`${o.dataDir}: no ${record} in the state; provision the data dir first`);
    const fresh: StoredHostKeys = { scheme: 'lmk', keys: {} };
    try {
      for (const n of names) {
        const k = await (old ? hsm.importDataKey(slots[n].usage, old[n]) : hsm.generateDataKey(slots[n].usage)).catch((e: unknown) => {
          throw unsupported(e);
        });
        fresh.keys[n] = { underLmk: k.key, kcv: k.kcv };
      }
    } finally {
      if (old) for (const n of names) old[n].fill(0);
    }
    meta.transactionSync(() => {
      const now = meta.get(record);
      if (now === undefined || isLegacyRecord(now)) meta.putSync(record, fresh);
    });
    stored = meta.get(record);
  }
  const s = stored as StoredHostKeys;
  const out = {} as Record<N, Buffer>;
  await Promise.all(
    names.map(async (n) => {
      const k = s.keys?.[n];
      if (!k) throw new Error(`${o.dataDir}: ${record} lacks ${n}`);
      out[n] = await openStoredKey(hsm, slots[n].usage, k, o.dataDir, `${record}.${n}`);
    }),
  );
  return out;
}

/**
 * A stored key's clear value from the HSM (XC), checked against the check value stored beside its block. Errors
 * name the data dir and the key, and say why (another LMK, an HSM without the commands, a swapped block).
 */
export async function openStoredKey(hsm: HostKeyHsm, usage: HostKeyUsage, k: { underLmk: string; kcv: string }, dataDir: string, name: string): Promise<Buffer> {
  let clear: Buffer;
  try {
    clear = await hsm.exportDataKey(usage, k.underLmk);
  } catch (e) {
    // A1: the block does not verify under this HSM's LMK — the data dir belongs to an HSM with another LMK.
    if (e instanceof HsmError && e.errorCode === 'A1') throw new Error(`${dataDir}: this HSM cannot open ${name} (A1: it was made under another LMK)`);
    throw unsupported(e);
  }
  if (hostKeyKcv(clear) !== k.kcv.toUpperCase()) {
    clear.fill(0);
    throw new Error(`${dataDir}: ${name} does not match its check value`);
  }
  return clear;
}
