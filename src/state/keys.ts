// Data keys for cards at rest: the PAN encryption key (AES-256-GCM) and the PAN hash key (HMAC-SHA-256).
// Both are wrapped under a key-encryption key (KEK) kept in a key file under the data dir (mode 0600).
// LIMITATION: in production the KEK lives in the HSM (wrapped under its LMK) and never on disk in clear.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'lmdb';

export interface DataKeys {
  panKey: Buffer;
  hashKey: Buffer;
}

export const KEK_FILE = 'kek.key';

/** The data dir's key-encryption key (32 bytes), created once (mode 0600) when `create` is set. */
export function loadKek(dataDir: string, create: boolean): Buffer {
  const path = join(dataDir, KEK_FILE);
  if (!existsSync(path)) {
    if (!create) throw new Error(`no key-encryption key at ${path}; provision the data dir first`);
    try {
      writeFileSync(path, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const kek = Buffer.from(readFileSync(path, 'ascii').trim(), 'hex');
  if (kek.length !== 32) throw new Error(`${path}: expected 64 hex characters (AES-256 KEK)`);
  return kek;
}

function wrap(kek: Buffer, key: Buffer, label: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(Buffer.from(label));
  const ct = Buffer.concat([c.update(key), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

function unwrap(kek: Buffer, wrapped: string, label: string): Buffer {
  const b = Buffer.from(wrapped, 'base64');
  const d = createDecipheriv('aes-256-gcm', kek, b.subarray(0, 12));
  d.setAAD(Buffer.from(label));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]);
}

interface WrappedKeys {
  panKey: string;
  hashKey: string;
}

export function loadDataKeys(dataDir: string, meta: Database<unknown, string>, create: boolean): DataKeys {
  const kek = loadKek(dataDir, create);
  let wrapped = meta.get('dataKeys') as WrappedKeys | undefined;
  if (!wrapped) {
    if (!create) throw new Error('data keys missing from the state; provision the data dir first');
    const fresh: WrappedKeys = { panKey: wrap(kek, randomBytes(32), 'pan'), hashKey: wrap(kek, randomBytes(32), 'hash') };
    // Conditional: if another opener won the race, keep its keys.
    meta.transactionSync(() => {
      if (!meta.get('dataKeys')) meta.putSync('dataKeys', fresh);
    });
    wrapped = meta.get('dataKeys') as WrappedKeys;
  }
  return { panKey: unwrap(kek, wrapped.panKey, 'pan'), hashKey: unwrap(kek, wrapped.hashKey, 'hash') };
}
