// The switch's own LMDB environment (data/switch.mdb), next to the engine's state file: duplicate-detection
// records, the store-and-forward queue, stand-in velocity, generated keys and counters. A separate file keeps the
// switch independent of the engine's database list; same durability settings (default sync).
// Nothing here holds a clear PAN: values that must carry one (SAF messages, in-flight reversals) are sealed with
// AES-256-GCM under the switch's encryption key, and per-card records are keyed by an HMAC of the PAN. Both keys are
// held by the HSM (blocks under its LMK in `meta`, src/state/host-keys.ts): unlockSwitchKeys fetches them.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { unlockHostKeys, type HostKeyHsm, type KeySlot } from '../state/host-keys.js';
import { rememberKeys, switchKeysOf, type SwitchKeys } from '../state/keyring.js';

export const SWITCH_STORE_FILE = 'switch.mdb';
/** Where the switch's keys lay in clear before the HSM held them (read once, to migrate them). */
export const LEGACY_SWITCH_KEY_FILE = 'switch-data.key';
export const SWITCH_KEYS_RECORD = 'switchKeys';
const SWITCH_KEY_SLOTS: Record<keyof SwitchKeys, KeySlot> = { encKey: { usage: 'D0' }, macKey: { usage: 'M7' } };
const MAP_SIZE = 4 * 1024 ** 3;
/** A write-behind entry that deletes its key. */
const REMOVE = Symbol('remove');

export interface SwitchStore {
  root: RootDatabase;
  /** Duplicate detection: dup key → stored answer. */
  dup: Database<unknown, string>;
  /** Expiry index of `dup`: [newest at, batch id] → the batch's dup keys (older stores: [at, dup key] → 1). */
  dupExpiry: Database<unknown, [number, string]>;
  /** SAF queue: [issuerId, seq] → sealed entry. */
  saf: Database<unknown, [string, number]>;
  /** Stand-in velocity: `${cardHash}|${day}` → {count, amount}. */
  stip: Database<unknown, string>;
  /** Keys the HSM generated for the config (LMK-wrapped, never clear) and counters. */
  meta: Database<unknown, string>;
  /** Requests forwarded to issuers: `${utcDay}|${acquirer}|${stan}|${DE 7}` → what the issuer saw (for reversals). */
  fwd: Database<unknown, string>;
  /** Remote requests in flight: txn id → the sealed reversal to send if the switch dies before journaling the answer. */
  inflight: Database<unknown, string>;
  /** Buffers a put and commits it with others in one transaction on the next event-loop turn. */
  putLater(db: Database<unknown, string>, key: string, value: unknown): void;
  /** putLater, resolving once the batch holding it is committed AND flushed to disk (group commit, one fsync). */
  putDurable(db: Database<unknown, string>, key: string, value: unknown): Promise<void>;
  /** Deletes `key` in the next write-behind batch (getFresh sees it as gone at once). */
  removeLater(db: Database<unknown, string>, key: string): void;
  /** putLater for the duplicate expiry index (array keys; not visible to getFresh). */
  putExpiryLater(key: [number, string], value: unknown): void;
  /** Reads `key`, seeing what putLater buffered (or is still committing) before LMDB does. */
  getFresh(db: Database<unknown, string>, key: string): unknown;
  /** Commits what putLater buffered: one LMDB transaction for every write-behind user. false when it failed. */
  flushLater(): Promise<boolean>;
  /** Seals / opens text holding a PAN (AES-256-GCM, `aad` bound). */
  seal(text: string, aad: string): string;
  unseal(sealed: string, aad: string): string;
  /** HMAC-SHA-256 of a PAN under the switch key: a stable card id that is not the PAN. */
  cardHash(pan: string): string;
  close(): Promise<void>;
}

function openRoot(dataDir: string): RootDatabase {
  mkdirSync(dataDir, { recursive: true });
  return open({ path: join(dataDir, SWITCH_STORE_FILE), maxDbs: 12, mapSize: MAP_SIZE, encoding: 'msgpack' });
}

/** The keys of a store from before: switch-data.key held them in clear (64 bytes: encryption ‖ MAC key, hex). */
function legacySwitchKeys(dataDir: string): SwitchKeys | undefined {
  const file = join(dataDir, LEGACY_SWITCH_KEY_FILE);
  if (!existsSync(file)) return undefined;
  const k = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (k.length !== 64) throw new Error(`${file}: expected 64 bytes of hex key material`);
  return { encKey: Buffer.from(k.subarray(0, 32)), macKey: Buffer.from(k.subarray(32)) };
}

/**
 * Unlocks the switch store's keys with the HSM (generated on first use; migrated from switch-data.key when that is
 * there) into this process's keyring for openSwitchStore.
 */
export async function unlockSwitchKeys(dataDir: string, hsm: HostKeyHsm): Promise<SwitchKeys> {
  const root = openRoot(dataDir);
  try {
    const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' });
    const keys = await unlockHostKeys(meta, SWITCH_KEYS_RECORD, SWITCH_KEY_SLOTS, hsm, {
      dataDir, create: true, legacy: (stored) => (stored === undefined ? legacySwitchKeys(dataDir) : undefined),
    });
    rememberKeys(dataDir, { switch: keys });
    return keys;
  } finally {
    await root.flushed;
    await root.close();
  }
}

/** AES-256-GCM: 12-byte IV ‖ 16-byte tag ‖ ciphertext of the UTF-8 text, base64. */
function seal(key: Buffer, text: string, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

function unseal(key: Buffer, sealed: string, aad: string): string {
  const b = Buffer.from(sealed, 'base64');
  if (b.length < 28) throw new Error('sealed value too short');
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
}

/** Deletes `fwd` records of days before `keepFromDay` (YYYYMMDD); bounded per call. */
export async function sweepForwarded(store: SwitchStore, keepFromDay: string, limit = 50_000): Promise<number> {
  const old = [...store.fwd.getKeys({ start: '', end: `${keepFromDay}|`, limit })] as string[];
  if (old.length === 0) return 0;
  await store.root.transaction(() => {
    for (const k of old) store.fwd.remove(k);
  });
  return old.length;
}

/**
 * Opens the switch store. Its keys come from `keys` or this process's keyring (unlockSwitchKeys); without them the
 * store still opens (review queue tools), and sealing, opening or card hashing throws.
 */
export function openSwitchStore(dataDir: string, opts: { keys?: SwitchKeys } = {}): SwitchStore {
  const keys = opts.keys ?? switchKeysOf(dataDir);
  const need = (): SwitchKeys => {
    if (!keys) throw new Error(`${dataDir}: the switch store's keys are not unlocked in this process (unlockSwitchKeys with the HSM first)`);
    return keys;
  };
  const root = openRoot(dataDir);
  const dupExpiry = root.openDB<unknown, [number, string]>({ name: 'dup-expiry', encoding: 'msgpack' });
  let closed = false;
  let later: [Database<unknown, string> | Database<unknown, [number, string]>, string | [number, string], unknown][] = [];
  // Values put behind and not yet committed, per database: a read right after a put (an acquirer's reversal racing
  // the commit of its original's record) must see them. Bounded by what is in flight to LMDB.
  const uncommitted = new Map<Database<unknown, string>, Map<string, unknown>>();
  let scheduled = false;
  let flushing: Promise<boolean> = Promise.resolve(true);
  // Callers of putDurable waiting for the batch being collected (resolved after its commit and root.flushed).
  let durableWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const schedule = () => {
    if (later.length >= 4096) void flushLater();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(() => void flushLater());
    }
  };
  const flushLater = (): Promise<boolean> => {
    scheduled = false;
    const batch = later;
    if (batch.length === 0 || closed) return flushing;
    later = [];
    const waiters = durableWaiters;
    durableWaiters = [];
    const write = root.transaction(() => {
      // lmdb-js takes string or array keys; the union is only for the type checker
      for (const [db, k, v] of batch) {
        if (v === REMOVE) (db as Database<unknown, string>).remove(k as string);
        else (db as Database<unknown, string>).put(k as string, v);
      }
    });
    if (waiters.length > 0) {
      // Commit resolves before the fsync under lmdb-js's default overlappingSync: durable means root.flushed.
      write.then(() => root.flushed).then(
        () => { for (const w of waiters) w.resolve(); },
        (e: Error) => { for (const w of waiters) w.reject(e); },
      );
    }
    const forget = (ok: boolean) => {
      for (const [db, k, v] of batch) {
        if (typeof k !== 'string') continue;
        const m = uncommitted.get(db as Database<unknown, string>);
        if (m && m.get(k) === v) m.delete(k);
      }
      return ok;
    };
    flushing = flushing.then(() => write).then(() => forget(true), () => forget(false));
    return flushing;
  };
  return {
    root,
    dup: root.openDB<unknown, string>({ name: 'dup', encoding: 'msgpack' }),
    dupExpiry,
    saf: root.openDB<unknown, [string, number]>({ name: 'saf', encoding: 'msgpack' }),
    stip: root.openDB<unknown, string>({ name: 'stip', encoding: 'msgpack' }),
    meta: root.openDB<unknown, string>({ name: 'meta', encoding: 'msgpack' }),
    fwd: root.openDB<unknown, string>({ name: 'fwd', encoding: 'msgpack' }),
    inflight: root.openDB<unknown, string>({ name: 'inflight', encoding: 'msgpack' }),
    putDurable(db, key, value) {
      if (closed) return Promise.reject(new Error('switch store closed'));
      const p = new Promise<void>((resolve, reject) => durableWaiters.push({ resolve, reject }));
      this.putLater(db, key, value);
      return p;
    },
    removeLater(db, key) {
      this.putLater(db, key, REMOVE);
    },
    putLater(db, key, value) {
      later.push([db, key, value]);
      let m = uncommitted.get(db);
      if (!m) uncommitted.set(db, (m = new Map()));
      m.set(key, value);
      schedule();
    },
    putExpiryLater(key, value) {
      later.push([dupExpiry, key, value]);
      schedule();
    },
    flushLater,
    getFresh(db, key) {
      const v = uncommitted.get(db)?.get(key);
      if (v === REMOVE) return undefined;
      return v !== undefined ? v : db.get(key);
    },
    seal: (text, aad) => seal(need().encKey, text, aad),
    unseal: (sealed, aad) => unseal(need().encKey, sealed, aad),
    cardHash: (pan) => createHmac('sha256', need().macKey).update(pan, 'ascii').digest('hex').slice(0, 32),
    async close() {
      if (closed) return;
      await flushLater();
      closed = true;
      await root.flushed;
      await root.close();
    },
  };
}
