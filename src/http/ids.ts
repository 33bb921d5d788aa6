// Random resource ids (pay_…, re_…, evt_…) from a pooled CSPRNG buffer: one randomFillSync per 4 KiB instead of
// one per id, which showed in the request path's profile.
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let offset = POOL.length;

/** `prefix` + `bytes` random bytes as base64url (12 bytes → 16 characters). */
export function randomId(prefix: string, bytes = 12): string {
  if (!(bytes > 0 && bytes <= 64)) throw new Error('randomId: 1–64 bytes');
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const id = POOL.toString('base64url', offset, offset + bytes);
  POOL.fill(0, offset, offset + bytes); // a used slice is never handed out twice
  offset += bytes;
  return prefix + id;
}
