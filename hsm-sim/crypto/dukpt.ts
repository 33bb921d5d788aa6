// DUKPT: TDES per ANSI X9.24-1:2009 (10-byte KSN, 21-bit counter) and AES per ANSI X9.24-3:2017
// (12-byte KSN = 8-byte initial key ID ‖ 32-bit counter). These are what a terminal holds: the acquirer simulator
// uses them to build PIN blocks, the HSM to open them.
import { aesEncryptorOnce, tdesEcbEncrypt, tdesEncryptorOnce, xor } from './des.js';

const C0 = Buffer.from('C0C0C0C000000000C0C0C0C000000000', 'hex');
const PIN_VARIANT = Buffer.from('00000000000000FF00000000000000FF', 'hex');
const COUNTER_BITS = 21;

function checkLen(b: Buffer, n: number, what: string): void {
  if (b.length !== n) throw new Error(`${what} must be ${n} bytes, got ${b.length}`);
}

/** X9.24-1 initial PIN encryption key (IPEK) from a double-length BDK and any KSN of the device. */
export function tdesIpek(bdk: Buffer, ksn: Buffer): Buffer {
  checkLen(bdk, 16, 'TDES BDK');
  checkLen(ksn, 10, 'TDES KSN');
  // Bytes 0..7 of the KSN with the 21-bit counter cleared: only byte 7's low 5 bits belong to the counter.
  const base = Buffer.from(ksn.subarray(0, 8));
  base[7] &= 0xe0;
  const left = tdesEcbEncrypt(bdk, base);
  const right = tdesEcbEncrypt(xor(bdk, C0), base);
  return Buffer.concat([left, right]);
}

// Non-reversible key generation process (X9.24-1:2009 A.2). Every step's key is new, so its single-DES ciphers are
// built uncached (caching them would only evict the hot keys from des.ts's cache).
function nonReversible(key: Buffer, reg: Buffer): Buffer {
  const half = (k: Buffer): Buffer => {
    const kl = k.subarray(0, 8);
    const kr = k.subarray(8, 16);
    return xor(tdesEncryptorOnce(kl)(xor(reg, kr)), kr);
  };
  const right = half(key);
  const left = half(xor(key, C0));
  return Buffer.concat([left, right]);
}

/** The 21-bit transaction counter of a TDES KSN. */
export function tdesKsnCounter(ksn: Buffer): number {
  checkLen(ksn, 10, 'TDES KSN');
  return ksn.readUIntBE(7, 3) & ((1 << COUNTER_BITS) - 1);
}

/**
 * One step along a TDES counter's path: the key for counter bits `acc` from the key of `acc` without its lowest set
 * bit (the KSN register is KSN bytes 2..9 with the counter field set to `acc`). A host that keeps the keys along a
 * device's path (as a terminal does) needs one or two of these per transaction instead of up to 21.
 */
export function tdesDukptStep(key: Buffer, ksn: Buffer, acc: number): Buffer {
  const reg = Buffer.from(ksn.subarray(2, 10));
  reg.writeUIntBE((reg.readUIntBE(5, 3) & ~((1 << COUNTER_BITS) - 1) & 0xffffff) | acc, 5, 3);
  return nonReversible(key, reg);
}

/** The transaction key for a KSN (before any usage variant). */
export function tdesDukptKey(bdk: Buffer, ksn: Buffer): Buffer {
  const ipek = tdesIpek(bdk, ksn);
  const counter = tdesKsnCounter(ksn);
  let key = ipek;
  let acc = 0;
  for (let bit = 1 << (COUNTER_BITS - 1); bit > 0; bit >>>= 1) {
    if ((counter & bit) === 0) continue;
    acc |= bit;
    key = tdesDukptStep(key, ksn, acc);
  }
  return key;
}

/** The PIN encryption key a TDES DUKPT terminal uses for this KSN (transaction key ⊕ PIN variant). */
export function dukptPinKey(bdk: Buffer, ksn: Buffer): Buffer {
  return xor(tdesDukptKey(bdk, ksn), PIN_VARIANT);
}

// ---- AES DUKPT (X9.24-3:2017) ----

export type AesDukptUsage = 'pin' | 'mac-generate' | 'mac-verify' | 'mac-both' | 'data-encrypt' | 'data-decrypt' | 'data-both';
const USAGE: Record<AesDukptUsage | 'derivation' | 'initial', number> = {
  initial: 0x8001,
  derivation: 0x8000,
  pin: 0x1000,
  'mac-generate': 0x2000,
  'mac-verify': 0x2001,
  'mac-both': 0x2002,
  'data-encrypt': 0x3000,
  'data-decrypt': 0x3001,
  'data-both': 0x3002,
};

function aesAlgorithmCode(len: number): number {
  if (len === 16) return 0x0002;
  if (len === 24) return 0x0003;
  if (len === 32) return 0x0004;
  throw new Error('AES DUKPT key must be 16, 24 or 32 bytes');
}

// Derivation data (X9.24-3 6.3.2): version 01 · counter 01 · usage 2B · algorithm 2B · length in bits 2B · 8B data.
function derive(key: Buffer, usage: number, outLen: number, data8: Buffer): Buffer {
  const blocks: Buffer[] = [];
  const enc = aesEncryptorOnce(key); // every DUKPT key is used for one derivation: no cache entry
  for (let i = 1; i <= Math.ceil(outLen / 16); i++) {
    const d = Buffer.alloc(16);
    d[0] = 0x01;
    d[1] = i;
    d.writeUInt16BE(usage, 2);
    d.writeUInt16BE(aesAlgorithmCode(outLen), 4);
    d.writeUInt16BE(outLen * 8, 6);
    data8.copy(d, 8);
    blocks.push(enc(d));
  }
  return Buffer.concat(blocks).subarray(0, outLen);
}

/** X9.24-3 initial key from the BDK and the 8-byte initial key ID (BDK ID ‖ derivation ID). */
export function aesDukptInitialKey(bdk: Buffer, initialKeyId: Buffer): Buffer {
  checkLen(initialKeyId, 8, 'initial key ID');
  return derive(bdk, USAGE.initial, bdk.length, initialKeyId);
}

function derivationData(ksn: Buffer, counter: number): Buffer {
  const d = Buffer.alloc(8);
  ksn.copy(d, 0, 4, 8); // derivation ID
  d.writeUInt32BE(counter >>> 0, 4);
  return d;
}

/** One step along an AES DUKPT counter's path: the intermediate derivation key for counter bits `acc`. */
export function aesDukptStep(key: Buffer, ksn: Buffer, acc: number): Buffer {
  return derive(key, USAGE.derivation, key.length, derivationData(ksn, acc));
}

/** The working key of `usage` from the intermediate derivation key of the KSN's own counter. */
export function aesDukptWorkingKey(derivationKey: Buffer, ksn: Buffer, usage: AesDukptUsage, outLen: number): Buffer {
  return derive(derivationKey, USAGE[usage], outLen, derivationData(ksn, ksn.readUInt32BE(8)));
}

/** Working key for a 12-byte AES DUKPT KSN (initial key ID ‖ 32-bit counter). Output length = BDK length. */
export function aesDukptKey(bdk: Buffer, ksn: Buffer, usage: AesDukptUsage = 'pin'): Buffer {
  checkLen(ksn, 12, 'AES DUKPT KSN');
  return aesDukptKeyFromInitial(aesDukptInitialKey(bdk, ksn.subarray(0, 8)), ksn, usage);
}

/**
 * The same from the device's initial key (what a terminal holds instead of the BDK): walks down the counter's
 * one-bits, then derives the working key. Output length = initial key length.
 */
export function aesDukptKeyFromInitial(initialKey: Buffer, ksn: Buffer, usage: AesDukptUsage = 'pin'): Buffer {
  checkLen(ksn, 12, 'AES DUKPT KSN');
  const counter = ksn.readUInt32BE(8);
  if (counter === 0) throw new Error('AES DUKPT counter 0 is not a transaction counter');
  let key = initialKey;
  let acc = 0;
  for (let bit = 0x80000000; bit > 0; bit >>>= 1) {
    if ((counter & bit) === 0) continue;
    acc = (acc | bit) >>> 0;
    key = aesDukptStep(key, ksn, acc);
  }
  return aesDukptWorkingKey(key, ksn, usage, initialKey.length);
}
