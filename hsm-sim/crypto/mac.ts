// MACs: ISO 9797-1 MAC algorithm 1 (CBC-MAC) and 3 (retail MAC, ANSI X9.19) with DES keys, and AES-CMAC (RFC 4493,
// NIST SP 800-38B) built on aes-*-ecb from node:crypto.
import { aesEncryptor, tdesEncryptor, tdesEncryptorOnce, xor, type BlockFn } from './des.js';

/** ISO 9797-1 padding: 1 = zeros to a block boundary (none if already aligned; empty data → one zero block),
 *  2 = 0x80 then zeros (always), 0 = none (data must already be whole blocks). */
export function pad9797(data: Uint8Array, method: 0 | 1 | 2, block = 8): Buffer {
  const d = Buffer.from(data);
  if (method === 0) {
    if (d.length % block !== 0 || d.length === 0) throw new Error('padding 0 needs whole, non-empty blocks');
    return d;
  }
  if (method === 1) {
    const len = d.length === 0 ? block : Math.ceil(d.length / block) * block;
    return Buffer.concat([d, Buffer.alloc(len - d.length)]);
  }
  const withMark = Buffer.concat([d, Buffer.from([0x80])]);
  const len = Math.ceil(withMark.length / block) * block;
  return Buffer.concat([withMark, Buffer.alloc(len - withMark.length)]);
}

function cbcMacWith(enc: BlockFn, padded: Buffer, block: number): Buffer {
  let h: Buffer = Buffer.alloc(block);
  for (let i = 0; i < padded.length; i += block) h = enc(xor(h, padded.subarray(i, i + block)));
  return h;
}

/** ISO 9797-1 MAC algorithm 1: CBC-MAC under the whole key (8/16/24-byte DES key), 8-byte result. */
export function macIso9797Alg1(key: Buffer, data: Uint8Array, padding: 0 | 1 | 2 = 1): Buffer {
  return cbcMacWith(tdesEncryptor(key), pad9797(data, padding), 8);
}

/**
 * ISO 9797-1 MAC algorithm 3 (retail MAC): CBC under K (left half), last block D(K') then E(K). 16-byte key.
 * E(K, D(K', E(K, x))) is two-key 3DES of the last CBC input, so two ciphers serve: single K and the whole key.
 * `once`: the key is used for this MAC only (EMV session keys): build its ciphers uncached.
 */
export function macIso9797Alg3(key: Buffer, data: Uint8Array, padding: 0 | 1 | 2 = 1, once = false): Buffer {
  if (key.length !== 16) throw new Error('ISO 9797-1 algorithm 3 needs a double-length key');
  const build = once ? tdesEncryptorOnce : tdesEncryptor;
  const padded = pad9797(data, padding);
  const last = padded.length - 8;
  const h = last > 0 ? cbcMacWith(build(key.subarray(0, 8)), padded.subarray(0, last), 8) : Buffer.alloc(8);
  return build(key)(xor(h, padded.subarray(last)));
}

function shiftLeft1(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  for (let i = 0; i < b.length; i++) out[i] = ((b[i] << 1) & 0xff) | (i + 1 < b.length ? b[i + 1] >> 7 : 0);
  return out;
}
function cmacSubkey(l: Buffer): Buffer {
  const k = shiftLeft1(l);
  if (l[0] & 0x80) k[l.length - 1] ^= l.length === 16 ? 0x87 : 0x1b;
  return k;
}

/** CMAC (NIST SP 800-38B) over any ECB block function with 8- or 16-byte blocks. */
export function cmacWith(enc: BlockFn, blockSize: 8 | 16, data: Uint8Array): Buffer {
  const k1 = cmacSubkey(enc(Buffer.alloc(blockSize)));
  const k2 = cmacSubkey(k1);
  const m = Buffer.from(data);
  const n = Math.max(1, Math.ceil(m.length / blockSize));
  const complete = m.length > 0 && m.length % blockSize === 0;
  const tail = m.subarray((n - 1) * blockSize);
  const last = complete ? xor(tail, k1) : xor(pad9797(tail, 2, blockSize), k2);
  let x: Buffer = Buffer.alloc(blockSize);
  for (let i = 0; i < n - 1; i++) x = enc(xor(x, m.subarray(i * blockSize, (i + 1) * blockSize)));
  return enc(xor(x, last));
}

/** AES-CMAC (RFC 4493) with an AES-128/192/256 key; 16-byte result. */
export function aesCmac(key: Buffer, data: Uint8Array): Buffer {
  return cmacWith(aesEncryptor(key), 16, data);
}

/** TDES-CMAC (SP 800-38B with 3DES, as TR-31 version B uses); 8-byte result. */
export function tdesCmac(key: Buffer, data: Uint8Array): Buffer {
  return cmacWith(tdesEncryptor(key), 8, data);
}
