// Keys arriving in commands, under the LMK: parse, decrypt (with a bounded LRU of clear keys — the hot path), type-
// check, parity-check. Clear keys never leave this module's callers inside the simulator process.
import { createHash } from 'node:crypto';
import {
  decryptUnderLmkVariant,
  encryptUnderLmkVariant,
  fixParity,
  hasOddParity,
  KeyBlockError,
  unwrapKeyBlockD,
  wrapKeyBlockD,
  type HostKeyUsage,
  type KeyBlockHeader,
  type LmkSet,
} from './crypto/index.js';
import { HsmFail } from './errors.js';
import { DukptKeyCache } from './dukpt-cache.js';

export type KeyName = 'ZMK' | 'ZPK' | 'TPK' | 'PVK' | 'CVK' | 'TAK' | 'ZAK' | 'BDK' | 'MK-AC';

/** payShield key type codes (variant digit ‖ LMK pair code). TPK and PVK share 002, as on a payShield. */
export const KEY_TYPE_CODES: Record<KeyName, string> = {
  ZMK: '000', ZPK: '001', TPK: '002', PVK: '002', CVK: '402', TAK: '003', ZAK: '008', BDK: '009', 'MK-AC': '109',
};
/** Key usage codes inside 'S' key blocks: TR-31 where it has one, simulator-specific otherwise (PT, MZ). */
const KEY_BLOCK_USAGE: Record<string, string> = {
  '000': 'K0', '001': 'P0', '002': 'PT', '402': 'C0', '003': 'M6', '008': 'MZ', '009': 'B0', '109': 'E0',
};
/** Key types an 'S' block may carry for a requested type code (TPK/PVK share 002). */
function usageMatches(typeCode: string, usage: string): boolean {
  if (typeCode === '002') return usage === 'PT' || usage === 'V2';
  return KEY_BLOCK_USAGE[typeCode] === usage;
}

export interface ClearKey {
  key: Buffer;
  aes: boolean;
  /** A key for one transaction (DUKPT): its ciphers are built uncached. */
  once?: boolean;
}

/** Number of clear keys kept; each entry is a few dozen bytes. */
const CACHE_LIMIT = 4096;

export class LmkKeys {
  private readonly cache = new Map<string, ClearKey>();
  /** Derived DUKPT keys along each device's counter path (bounded; see dukpt-cache.ts). */
  readonly dukpt = new DukptKeyCache();
  constructor(readonly lmk: LmkSet) {}

  /**
   * Decrypts `field` (U+32H, T+48H, S+key block, or 32H = two single-length halves each under the LMK) for key type
   * `typeCode`. `parityCode` is the error to answer when the clear key fails odd parity ('10' source, '11' dest).
   */
  decrypt(typeCode: string, field: string, parityCode = '10'): ClearKey {
    const cacheKey = typeCode + field;
    const hit = this.cache.get(cacheKey);
    if (hit) {
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, hit);
      return hit;
    }
    const clear = this.decryptUncached(typeCode, field, parityCode);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, clear);
    return clear;
  }

  private decryptUncached(typeCode: string, field: string, parityCode: string): ClearKey {
    const scheme = field[0];
    if (scheme === 'S') {
      try {
        const { header, key } = unwrapKeyBlockD(this.lmk.keyBlock, field.slice(1));
        if (!usageMatches(typeCode, header.usage)) throw new HsmFail('28', `key block usage ${header.usage} is not valid for key type ${typeCode}`);
        return { key, aes: header.algorithm === 'A' };
      } catch (e) {
        if (e instanceof KeyBlockError) throw new HsmFail('A1', `key block: ${e.message}`);
        throw e;
      }
    }
    let clear: Buffer;
    if (scheme === 'U' || scheme === 'T') {
      clear = decryptUnderLmkVariant(this.lmk, typeCode, Buffer.from(field.slice(1), 'hex'));
    } else {
      // No scheme letter: a pair of single-length keys, each encrypted under the LMK on its own (payShield CVK/PVK pairs).
      const a = decryptUnderLmkVariant(this.lmk, typeCode, Buffer.from(field.slice(0, 16), 'hex'));
      const b = decryptUnderLmkVariant(this.lmk, typeCode, Buffer.from(field.slice(16, 32), 'hex'));
      clear = Buffer.concat([a, b]);
    }
    if (!hasOddParity(clear)) throw new HsmFail(parityCode, 'key parity error (wrong key, or wrong key type)');
    return { key: clear, aes: false };
  }

  /** Wraps a 32-byte host data key into an 'S' key block with its usage's header. */
  encryptHostKey(usage: HostKeyUsage, clear: Buffer): string {
    if (clear.length !== HOST_KEY_LENGTH) throw new HsmFail('15', 'host data key must be 32 bytes');
    return 'S' + wrapKeyBlockD(this.lmk.keyBlock, HOST_KEY_HEADERS[usage], clear);
  }

  /**
   * Unwraps a host data key block for `usage` (uncached: the caller zeroes the returned key after use). A field that
   * is not an 'S' block, does not verify, or does not carry a 32-byte key of the usage's algorithm → A1; a block of
   * another usage → 28.
   */
  decryptHostKey(usage: HostKeyUsage, field: string): Buffer {
    if (field[0] !== 'S') throw new HsmFail('A1', 'host data key must be an S key block');
    let header: KeyBlockHeader;
    let key: Buffer;
    try {
      ({ header, key } = unwrapKeyBlockD(this.lmk.keyBlock, field.slice(1)));
    } catch (e) {
      if (e instanceof KeyBlockError) throw new HsmFail('A1', `key block: ${e.message}`);
      throw e;
    }
    if (header.usage !== usage) {
      key.fill(0);
      throw new HsmFail('28', `key block usage ${header.usage} is not ${usage}`);
    }
    if (header.algorithm !== HOST_KEY_HEADERS[usage].algorithm || key.length !== HOST_KEY_LENGTH) {
      key.fill(0);
      throw new HsmFail('A1', 'key block does not hold a host data key');
    }
    return key;
  }

  /** Encrypts a clear key for `typeCode` under scheme U/T (DES) or S (key block; AES when `aes`). */
  encrypt(typeCode: string, clear: Buffer, scheme: 'U' | 'T' | 'S', aes = false): string {
    if (scheme === 'S') {
      const usage = KEY_BLOCK_USAGE[typeCode];
      if (!usage) throw new HsmFail('04', `key type ${typeCode} has no key block usage`);
      return 'S' + wrapKeyBlockD(this.lmk.keyBlock, { usage, algorithm: aes ? 'A' : 'T', mode: 'N', version: '00', exportability: 'E' }, clear);
    }
    const want = scheme === 'U' ? 16 : 24;
    if (clear.length !== want) throw new HsmFail('27', `scheme ${scheme} needs a ${want}-byte key`);
    return scheme + encryptUnderLmkVariant(this.lmk, typeCode, fixParity(clear)).toString('hex').toUpperCase();
  }
}

/** Key block headers of the host's own data keys (XA/XC/XG, this simulator's extension): AES-256 data encryption
 *  (D0: algorithm A, mode B = encrypt and decrypt) and HMAC-SHA-256 (M7: algorithm H, mode C = generate and verify). */
export const HOST_KEY_HEADERS: Record<HostKeyUsage, KeyBlockHeader> = {
  D0: { usage: 'D0', algorithm: 'A', mode: 'B', version: '00', exportability: 'E' },
  M7: { usage: 'M7', algorithm: 'H', mode: 'C', version: '00', exportability: 'E' },
};
export const HOST_KEY_LENGTH = 32;

/** A short fingerprint of a key string for logs (never the key itself). */
export function keyFingerprint(field: string): string {
  return createHash('sha256').update(field).digest('hex').slice(0, 8);
}
