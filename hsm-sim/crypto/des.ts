// 3DES / AES primitives over Buffers, all from node:crypto. Node 20's OpenSSL 3 has no des-ecb, so single DES is
// des-ede3-ecb with the 8-byte key repeated three times (E(K) D(K) E(K) = E(K)).
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';

export type BlockFn = (data: Buffer) => Buffer;

function assert(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Expands an 8-, 16- or 24-byte DES key to the 24 bytes des-ede3 wants. */
export function ede3Key(key: Buffer): Buffer {
  if (key.length === 8) return Buffer.concat([key, key, key]);
  if (key.length === 16) return Buffer.concat([key, key.subarray(0, 8)]);
  assert(key.length === 24, `DES key must be 8, 16 or 24 bytes, got ${key.length}`);
  return key;
}

// An ECB cipher object keeps no chaining state, so one object can process any number of whole blocks through
// update() without final(): building it once per key is the expensive part, reusing it is cheap.
// Building a cipher costs ~5-10 µs, far more than a block: keep recent ones, keyed by algorithm and key bytes (a copy,
// so a caller mutating its key Buffer later cannot alias a stale cipher). Bounded; the oldest entry goes first.
// Keys used once (DUKPT path and transaction keys, EMV session keys) must not go through the cache: they would only
// evict the hot keys (LMK parts, ZPKs) — use the *Once builders for them.
const CIPHER_CACHE_LIMIT = 2048;
const cipherCache = new Map<string, BlockFn>();
const cacheCounts = { hits: 0, misses: 0 };

/** Hit and miss counts of the cipher cache since start (for measuring, e.g. from a profiling run). */
export function cipherCacheStats(): { hits: number; misses: number; size: number } {
  return { ...cacheCounts, size: cipherCache.size };
}

function ecb(algo: string, key: Buffer, decrypt: boolean, block: number): BlockFn {
  const id = (decrypt ? 'D' : 'E') + algo + key.toString('latin1');
  let fn = cipherCache.get(id);
  if (fn) {
    cacheCounts.hits++;
    return fn;
  }
  cacheCounts.misses++;
  fn = newEcb(algo, key, decrypt, block);
  if (cipherCache.size >= CIPHER_CACHE_LIMIT) cipherCache.delete(cipherCache.keys().next().value as string);
  cipherCache.set(id, fn);
  return fn;
}

function newEcb(algo: string, key: Buffer, decrypt: boolean, block: number): BlockFn {
  const c: Cipher | Decipher = decrypt ? createDecipheriv(algo, key, null) : createCipheriv(algo, key, null);
  c.setAutoPadding(false);
  return (data: Buffer) => {
    assert(data.length % block === 0, `ECB data must be a multiple of ${block} bytes, got ${data.length}`);
    return c.update(data);
  };
}

export function tdesEncryptor(key: Buffer): BlockFn {
  return ecb('des-ede3-ecb', ede3Key(key), false, 8);
}
export function tdesDecryptor(key: Buffer): BlockFn {
  return ecb('des-ede3-ecb', ede3Key(key), true, 8);
}
/** Uncached builders for keys used once or twice: cheaper than a cache entry and they leave the hot keys cached. */
export function tdesEncryptorOnce(key: Buffer): BlockFn {
  return newEcb('des-ede3-ecb', ede3Key(key), false, 8);
}
export function tdesDecryptorOnce(key: Buffer): BlockFn {
  return newEcb('des-ede3-ecb', ede3Key(key), true, 8);
}
export function aesEncryptorOnce(key: Buffer): BlockFn {
  return newEcb(aesAlgo(key), key, false, 16);
}
export function aesDecryptorOnce(key: Buffer): BlockFn {
  return newEcb(aesAlgo(key), key, true, 16);
}
export function aesAlgo(key: Buffer): string {
  assert(key.length === 16 || key.length === 24 || key.length === 32, `AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  return `aes-${key.length * 8}-ecb`;
}
export function aesEncryptor(key: Buffer): BlockFn {
  return ecb(aesAlgo(key), key, false, 16);
}
export function aesDecryptor(key: Buffer): BlockFn {
  return ecb(aesAlgo(key), key, true, 16);
}

/** 3DES ECB (key 8/16/24 bytes; 8 = single DES). */
export function tdesEcbEncrypt(key: Buffer, data: Buffer): Buffer {
  return tdesEncryptor(key)(data);
}
export function tdesEcbDecrypt(key: Buffer, data: Buffer): Buffer {
  return tdesDecryptor(key)(data);
}
export function aesEcbEncrypt(key: Buffer, data: Buffer): Buffer {
  return aesEncryptor(key)(data);
}
export function aesEcbDecrypt(key: Buffer, data: Buffer): Buffer {
  return aesDecryptor(key)(data);
}

/** CBC built on an ECB block function, so cached ECB ciphers serve CBC too. */
export function cbcEncryptWith(enc: BlockFn, iv: Buffer, data: Buffer): Buffer {
  const n = iv.length;
  assert(data.length % n === 0, 'CBC data must be whole blocks');
  const out = Buffer.alloc(data.length);
  let prev = iv;
  for (let i = 0; i < data.length; i += n) {
    const c = enc(xor(data.subarray(i, i + n), prev));
    c.copy(out, i);
    prev = c;
  }
  return out;
}
export function cbcDecryptWith(dec: BlockFn, iv: Buffer, data: Buffer): Buffer {
  const n = iv.length;
  assert(data.length % n === 0, 'CBC data must be whole blocks');
  const out = Buffer.alloc(data.length);
  let prev = iv;
  for (let i = 0; i < data.length; i += n) {
    const c = data.subarray(i, i + n);
    xor(dec(c), prev).copy(out, i);
    prev = c;
  }
  return out;
}
export function tdesCbcEncrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  return cbcEncryptWith(tdesEncryptor(key), iv, data);
}
export function tdesCbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  return cbcDecryptWith(tdesDecryptor(key), iv, data);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  assert(a.length === b.length, `xor of unequal lengths ${a.length} and ${b.length}`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function oddParityByte(b: number): number {
  let ones = 0;
  for (let v = b >> 1; v; v >>= 1) ones += v & 1;
  return (b & 0xfe) | (ones % 2 === 0 ? 1 : 0);
}
/** Sets the low bit of every byte so each byte has odd parity (DES keys). */
export function fixParity(key: Buffer): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) out[i] = oddParityByte(out[i]);
  return out;
}
export function hasOddParity(key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (oddParityByte(key[i]) !== key[i]) return false;
  return true;
}

/** Key check value: encrypt zeros, keep the left bytes (3 bytes = 6 hex by default). DES or AES by key kind. */
export function kcv(key: Buffer, opts: { aes?: boolean; bytes?: number } = {}): string {
  const out = opts.aes ? aesEcbEncrypt(key, Buffer.alloc(16)) : tdesEcbEncrypt(key, Buffer.alloc(8));
  return out.subarray(0, opts.bytes ?? 3).toString('hex').toUpperCase();
}

const HEX = /^[0-9A-Fa-f]*$/;
/** Parses hex, asserting it really is even-length hex (callers that take user input validate before this). */
export function hex(s: string): Buffer {
  assert(s.length % 2 === 0 && HEX.test(s), `not hex: ${s.length} chars`);
  return Buffer.from(s, 'hex');
}
export function toHex(b: Buffer): string {
  return b.toString('hex').toUpperCase();
}
export function isHex(s: string): boolean {
  return HEX.test(s);
}
