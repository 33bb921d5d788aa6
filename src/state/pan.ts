// PAN handling at rest: keyed hash for lookup, AES-256-GCM for the stored copy, 6+4 masking for logs and journal.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export function luhnValid(pan: string): boolean {
  if (!/^\d{12,19}$/.test(pan)) return false;
  let sum = 0;
  for (let i = 0; i < pan.length; i++) {
    let d = pan.charCodeAt(pan.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The digit that makes `partial` + digit pass Luhn. */
export function luhnCheckDigit(partial: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(partial + d)) return String(d);
  throw new Error('unreachable: some check digit always fits');
}

/** First 6 and last 4 digits visible, the rest '*'. */
export function maskPan(pan: string): string {
  if (pan.length < 13) return '*'.repeat(pan.length);
  return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
}

/** HMAC-SHA-256 of the PAN under the PAN hash key, hex: the card's lookup key. */
export function panHash(hashKey: Buffer, pan: string): string {
  return createHmac('sha256', hashKey).update(pan, 'ascii').digest('hex');
}

/** AES-256-GCM: 12-byte IV ‖ 16-byte tag ‖ ciphertext, base64. The PAN hash is bound as AAD. */
export function encryptPan(dataKey: Buffer, pan: string, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', dataKey, iv);
  c.setAAD(Buffer.from(aad, 'ascii'));
  const ct = Buffer.concat([c.update(pan, 'ascii'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

export function decryptPan(dataKey: Buffer, sealed: string, aad: string): string {
  const b = Buffer.from(sealed, 'base64');
  if (b.length < 29) throw new Error('sealed PAN too short');
  const d = createDecipheriv('aes-256-gcm', dataKey, b.subarray(0, 12));
  d.setAAD(Buffer.from(aad, 'ascii'));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('ascii');
}
