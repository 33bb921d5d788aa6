// AES-256-GCM sealing of small values (PANs, secrets) as one base64 string: the vault's, and the format data keys
// were wrapped in under kek.key before the HSM held them (src/state/host-keys.ts reads that for migration).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { fillRandom } from '../http/ids.js';

/** AES-256-GCM: 12-byte IV ‖ 16-byte tag ‖ ciphertext, base64. `aad` binds the ciphertext to its context. */
export function seal(key: Buffer, plain: Buffer | string, aad: string): string {
  const p = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
  // One output buffer, IV from the pooled CSPRNG (a random 96-bit IV per seal, as before; no per-call syscall).
  const out = Buffer.allocUnsafe(28 + p.length);
  fillRandom(out, 0, 12);
  const c = createCipheriv('aes-256-gcm', key, out.subarray(0, 12));
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ct = c.update(p);
  const tail = c.final(); // GCM is a stream mode: empty, kept for the general case
  if (ct.length + tail.length !== p.length) throw new Error('seal: ciphertext length mismatch');
  c.getAuthTag().copy(out, 12);
  ct.copy(out, 28);
  tail.copy(out, 28 + ct.length);
  return out.toString('base64');
}

/** Opens a sealed value; throws when the tag, key or AAD does not match. */
export function unseal(key: Buffer, sealed: string, aad: string): Buffer {
  const b = Buffer.from(sealed, 'base64');
  if (b.length < 29) throw new Error('sealed value too short');
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]);
}
