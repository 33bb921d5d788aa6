// Keys under the LMK. Variant scheme (payShield): the key type's variant byte is XORed into the first byte of its
// LMK pair; scheme U (double length) / T (triple) also XOR a per-part variant into the first byte of the pair's right
// half; each 8-byte part is then 3DES-ECB encrypted under that modified pair. Key blocks ('S'): TR-31 version D
// (AES key block protection key, CMAC key derivation, AES-CBC with the MAC as IV) under the key-block LMK.
import { randomBytes } from 'node:crypto';
import { aesCmac, tdesCmac } from './mac.js';
import { aesDecryptor, aesEncryptor, cbcDecryptWith, cbcEncryptWith, tdesDecryptor, tdesEncryptor, xor } from './des.js';

export interface LmkSet {
  /** LMK pairs 00-01 … 38-39 in order, each 16 bytes (left ‖ right). */
  pairs: Buffer[];
  /** AES-256 key-block LMK for 'S' keys. */
  keyBlock: Buffer;
  /** True for the published test LMK: only then (or with --dev) may clear components be formed into keys. */
  test: boolean;
}

/** The standard payShield test LMK set (variant). TEST ONLY: it is published, it protects nothing. */
export const TEST_LMK_PAIRS_HEX = [
  '01010101010101017902CD1FD36EF8BA', // 00-01
  '20202020202020203131313131313131', // 02-03
  '40404040404040405151515151515151', // 04-05
  '61616161616161617070707070707070', // 06-07
  '80808080808080809191919191919191', // 08-09
  'A1A1A1A1A1A1A1A1B0B0B0B0B0B0B0B0', // 10-11
  'C1C1010101010101D0D0010101010101', // 12-13
  'E0E0010101010101F1F1010101010101', // 14-15
  '1C587F1C13924FEF0101010101010101', // 16-17
  '01010101010101010101010101010101', // 18-19
  '02020202020202020404040404040404', // 20-21
  '07070707070707071010101010101010', // 22-23
  '13131313131313131515151515151515', // 24-25
  '16161616161616161919191919191919', // 26-27
  '1A1A1A1A1A1A1A1A1C1C1C1C1C1C1C1C', // 28-29
  '23232323232323232525252525252525', // 30-31
  '26262626262626262929292929292929', // 32-33
  '2A2A2A2A2A2A2A2A2C2C2C2C2C2C2C2C', // 34-35
  '2F2F2F2F2F2F2F2F3131313131313131', // 36-37
  '01010101010101010101010101010101', // 38-39
];
/** Test key-block LMK (AES-256) of this simulator. TEST ONLY. */
export const TEST_KEYBLOCK_LMK_HEX = '9B71333A13F9FAE72F9D0E2DAB4AD6784718012F9244033F3F26A2DE0C8AA11A';

export function testLmk(): LmkSet {
  return { pairs: TEST_LMK_PAIRS_HEX.map((h) => Buffer.from(h, 'hex')), keyBlock: Buffer.from(TEST_KEYBLOCK_LMK_HEX, 'hex'), test: true };
}

// Key type code = variant digit ‖ LMK pair code. Pair code → index of the pair in LmkSet.pairs.
const PAIR_CODE_INDEX: Record<string, number> = {
  '00': 2, '01': 3, '02': 7, '03': 8, '04': 9, '05': 10, '06': 11, '07': 12,
  '08': 13, '09': 14, '0A': 15, '0B': 16, '0C': 17, '0D': 18, '0E': 19,
};
const TYPE_VARIANTS = [0x00, 0xa6, 0x5a, 0x6a, 0xde, 0x2b, 0x50, 0x74, 0x9c, 0xfa];
const SCHEME_VARIANTS: Record<string, number[]> = { '': [0], U: [0xa6, 0x5a], T: [0x6a, 0xde, 0x2b] };

export function isKeyTypeCode(code: string): boolean {
  return /^[0-9][0-9A-F]{2}$/.test(code) && code.slice(1) in PAIR_CODE_INDEX;
}

function lmkPartKey(lmk: LmkSet, typeCode: string, scheme: '' | 'U' | 'T', part: number): Buffer {
  if (!isKeyTypeCode(typeCode)) throw new Error(`invalid key type code ${typeCode}`);
  const pair = Buffer.from(lmk.pairs[PAIR_CODE_INDEX[typeCode.slice(1)]]);
  pair[0] ^= TYPE_VARIANTS[Number(typeCode[0])];
  pair[8] ^= SCHEME_VARIANTS[scheme][part];
  return pair;
}

/** Encrypts a clear DES key (8, 16 or 24 bytes → scheme '', U, T) under the LMK for its key type. Hex result
 *  without the scheme letter. */
export function encryptUnderLmkVariant(lmk: LmkSet, typeCode: string, clear: Buffer): Buffer {
  const scheme = clear.length === 8 ? '' : clear.length === 16 ? 'U' : clear.length === 24 ? 'T' : null;
  if (scheme === null) throw new Error('DES key must be 8, 16 or 24 bytes');
  const parts: Buffer[] = [];
  for (let i = 0; i < clear.length / 8; i++) parts.push(tdesEncryptor(lmkPartKey(lmk, typeCode, scheme, i))(clear.subarray(i * 8, i * 8 + 8)));
  return Buffer.concat(parts);
}
export function decryptUnderLmkVariant(lmk: LmkSet, typeCode: string, enc: Buffer): Buffer {
  const scheme = enc.length === 8 ? '' : enc.length === 16 ? 'U' : enc.length === 24 ? 'T' : null;
  if (scheme === null) throw new Error('DES key must be 8, 16 or 24 bytes');
  const parts: Buffer[] = [];
  for (let i = 0; i < enc.length / 8; i++) parts.push(tdesDecryptor(lmkPartKey(lmk, typeCode, scheme, i))(enc.subarray(i * 8, i * 8 + 8)));
  return Buffer.concat(parts);
}

/** LMK check value: pair 00-01 encrypting zeros, 16 hex (documented simulator convention). */
export function lmkCheckValue(lmk: LmkSet): string {
  return tdesEncryptor(lmk.pairs[0])(Buffer.alloc(8)).toString('hex').toUpperCase();
}

// ---- TR-31 version D key blocks ----

export interface KeyBlockHeader {
  usage: string; // 2 chars
  algorithm: string; // 'A' AES, 'T' TDES
  mode: string; // 1 char
  version: string; // 2 chars
  exportability: string; // 1 char
}

function deriveKbKeys(kbpk: Buffer): { enc: Buffer; mac: Buffer } {
  const alg = kbpk.length === 16 ? 2 : kbpk.length === 24 ? 3 : 4;
  const mk = (usage: number): Buffer => {
    const out: Buffer[] = [];
    for (let i = 1; i <= Math.ceil(kbpk.length / 16); i++) {
      const d = Buffer.alloc(8);
      d[0] = i;
      d.writeUInt16BE(usage, 1);
      d[3] = 0;
      d.writeUInt16BE(alg, 4);
      d.writeUInt16BE(kbpk.length * 8, 6);
      out.push(aesCmac(kbpk, d));
    }
    return Buffer.concat(out).subarray(0, kbpk.length);
  };
  return { enc: mk(0x0000), mac: mk(0x0001) };
}

/** Wraps a key into a TR-31 version D block (no optional blocks). Returns the ASCII block. */
export function wrapKeyBlockD(kbpk: Buffer, h: KeyBlockHeader, key: Buffer): string {
  const dataLen = Math.ceil((2 + key.length) / 16) * 16;
  const total = 16 + dataLen * 2 + 32;
  const header = `D${String(total).padStart(4, '0')}${h.usage}${h.algorithm}${h.mode}${h.version}${h.exportability}0000`;
  const clearData = Buffer.concat([Buffer.from([key.length * 8 >> 8, (key.length * 8) & 0xff]), key, randomBytes(dataLen - 2 - key.length)]);
  const { enc, mac } = deriveKbKeys(kbpk);
  const tag = aesCmac(mac, Buffer.concat([Buffer.from(header, 'latin1'), clearData]));
  const cipher = cbcEncryptWith(aesEncryptor(enc), tag, clearData);
  return header + cipher.toString('hex').toUpperCase() + tag.toString('hex').toUpperCase();
}

export class KeyBlockError extends Error {}

/** Unwraps and authenticates a TR-31 version D block; throws KeyBlockError when it does not verify. */
export function unwrapKeyBlockD(kbpk: Buffer, block: string): { header: KeyBlockHeader; key: Buffer } {
  if (block[0] !== 'D') throw new KeyBlockError('not a version D key block');
  return unwrapKeyBlock(kbpk, block);
}

// TR-31 version B: TDES KBPK, KBEK/KBMK = TDES-CMAC(KBPK, counter ‖ usage ‖ 00 ‖ algorithm ‖ length), 8-byte MAC.
function deriveKbKeysB(kbpk: Buffer): { enc: Buffer; mac: Buffer } {
  const alg = kbpk.length === 16 ? 0 : 1;
  const mk = (usage: number): Buffer => {
    const out: Buffer[] = [];
    for (let i = 1; i <= kbpk.length / 8; i++) {
      const d = Buffer.alloc(8);
      d[0] = i;
      d.writeUInt16BE(usage, 1);
      d.writeUInt16BE(alg, 4);
      d.writeUInt16BE(kbpk.length * 8, 6);
      out.push(tdesCmac(kbpk, d));
    }
    return Buffer.concat(out);
  };
  return { enc: mk(0x0000), mac: mk(0x0001) };
}

/** Unwraps and authenticates a TR-31 version B (TDES) or D (AES) key block without optional blocks. */
export function unwrapKeyBlock(kbpk: Buffer, block: string): { header: KeyBlockHeader; key: Buffer } {
  const version = block[0];
  if ((version !== 'B' && version !== 'D') || !/^[0-9]{4}$/.test(block.slice(1, 5))) throw new KeyBlockError('not a version B or D key block');
  const bs = version === 'D' ? 16 : 8;
  const total = Number(block.slice(1, 5));
  if (total !== block.length || total < 16 + 4 * bs || (total - 16) % (2 * bs) !== 0) throw new KeyBlockError('key block length wrong');
  if (block.slice(12, 14) !== '00') throw new KeyBlockError('optional blocks not supported');
  const header = block.slice(0, 16);
  const body = block.slice(16, total - 2 * bs);
  const tagHex = block.slice(total - 2 * bs);
  if (!/^[0-9A-F]*$/.test(body + tagHex)) throw new KeyBlockError('key block not hex');
  const tag = Buffer.from(tagHex, 'hex');
  let clearData: Buffer;
  let expect: Buffer;
  if (version === 'D') {
    const { enc, mac } = deriveKbKeys(kbpk);
    clearData = cbcDecryptWith(aesDecryptor(enc), tag, Buffer.from(body, 'hex'));
    expect = aesCmac(mac, Buffer.concat([Buffer.from(header, 'latin1'), clearData]));
  } else {
    const { enc, mac } = deriveKbKeysB(kbpk);
    clearData = cbcDecryptWith(tdesDecryptor(enc), tag, Buffer.from(body, 'hex'));
    expect = tdesCmac(mac, Buffer.concat([Buffer.from(header, 'latin1'), clearData]));
  }
  if (!expect.equals(tag)) throw new KeyBlockError('key block MAC does not verify');
  const bits = clearData.readUInt16BE(0);
  if (bits % 8 !== 0 || bits / 8 > clearData.length - 2) throw new KeyBlockError('key length inside block wrong');
  return {
    header: { usage: header.slice(5, 7), algorithm: header[7], mode: header[8], version: header.slice(9, 11), exportability: header[11] },
    key: clearData.subarray(2, 2 + bits / 8),
  };
}
