// X25519 (RFC 7748) with raw 32-byte public keys, and the host data key transport built on it (this simulator's
// XC/XG commands, shared with the switch's client): ECDH → HKDF-SHA-256 (RFC 5869) → AES-256-GCM. node:crypto only.
import { aesEncryptorOnce } from './des.js';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';

export interface X25519Pair {
  privateKey: KeyObject;
  /** Raw 32-byte public key (RFC 7748 u-coordinate, little-endian). */
  publicKey: Buffer;
}

/** PKCS#8 DER prefix of an X25519 private key (OID 1.3.101.110), followed by the raw 32-byte scalar. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function x25519Generate(): X25519Pair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: x25519PublicRaw(publicKey) };
}

/** The raw 32 bytes of an X25519 public (or private: its public half) KeyObject. */
export function x25519PublicRaw(k: KeyObject): Buffer {
  const pub = k.type === 'private' ? createPublicKey(k) : k;
  const x = pub.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('not an X25519 key');
  const raw = Buffer.from(x, 'base64url');
  if (raw.length !== 32) throw new Error('not an X25519 key');
  return raw;
}

/** A peer's raw 32-byte public key as a KeyObject; throws when it is not 32 bytes. */
export function x25519PublicFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** A raw 32-byte private scalar as a KeyObject (for known-answer tests: RFC 7748 §6.1). */
export function x25519PrivateFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error('X25519 private key must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/** X25519(priv, peer): the 32-byte shared secret. Throws for a bad peer key or an all-zero result (low-order point). */
export function x25519(privateKey: KeyObject, peerRaw: Buffer): Buffer {
  const shared = diffieHellman({ privateKey, publicKey: x25519PublicFromRaw(peerRaw) });
  if (shared.every((b) => b === 0)) throw new Error('X25519 shared secret is all zero');
  return shared;
}

// ---- Host data key transport (XC export, XG import) ----

export type HostKeyUsage = 'D0' | 'M7';
export const HOST_KEY_USAGES: readonly HostKeyUsage[] = ['D0', 'M7'];

/**
 * The AES-256-GCM key for one host data key transfer: HKDF-SHA-256(shared, salt = empty,
 * info = 'gerbang host key v1 <direction> <usage>' ‖ host public key ‖ HSM public key, 32 bytes).
 */
export function hostKeyTransportKey(direction: 'export' | 'import', usage: HostKeyUsage, shared: Buffer, hostPub: Buffer, hsmPub: Buffer): Buffer {
  const info = Buffer.concat([Buffer.from(`gerbang host key v1 ${direction} ${usage}`, 'latin1'), hostPub, hsmPub]);
  return Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), info, 32));
}

export function gcmSeal(key: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): { ciphertext: Buffer; tag: Buffer } {
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return { ciphertext, tag: c.getAuthTag() };
}

/** Opens an AES-256-GCM box; throws when the tag does not verify. */
export function gcmOpen(key: Buffer, iv: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ciphertext), d.final()]);
}

/** KCV of a 32-byte host data key (either usage): the first 3 bytes of AES-256-ECB(key, 16 zero bytes), 6H.
 *  Uses an uncached cipher so the clear key is not kept in des.ts's cipher cache. */
export function hostKeyKcv(key: Buffer): string {
  return aesEncryptorOnce(key)(Buffer.alloc(16)).subarray(0, 3).toString('hex').toUpperCase();
}
