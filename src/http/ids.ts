// Random resource ids (pay_…, re_…, evt_…; payments and deliveries time-ordered) from a pooled CSPRNG buffer: one
// randomFillSync per 4 KiB instead of one per id, which showed in the request path's profile.
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let offset = POOL.length;

/** Reserves `bytes` fresh pool bytes; returns their offset. Each slice is handed out once. */
function take(bytes: number): number {
  if (!(bytes > 0 && bytes <= 64)) throw new Error('random pool: 1–64 bytes at a time');
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

/** `prefix` + `bytes` random bytes as base64url (12 bytes → 16 characters). */
export function randomId(prefix: string, bytes = 12): string {
  const at = take(bytes);
  const id = POOL.toString('base64url', at, at + bytes);
  POOL.fill(0, at, at + bytes); // a used slice is never handed out twice
  return prefix + id;
}

/** Width of the time part of time-ordered ids: Date.now() in base 36 fits 9 characters until the year 5188. */
const TIME_CHARS = 9;
const MAX_TIME = 36 ** TIME_CHARS;

/** `prefix` + creation time (ms, base 36, fixed width) + `bytes` random bytes (base64url): as unguessable as
 * randomId, but ids of the same time sort together. Used for LMDB keys written at a high rate (payments, webhook
 * deliveries): random keys land on a random B-tree leaf each, so every record of a commit dirtied (and fsynced) a
 * page of its own; time-ordered keys share the rightmost leaves (synthetic 64-payment commits: LMDB write-thread
 * system time per payment about halved). Base 36 digits sort in ASCII order (0-9 < a-z), so key order is time
 * order at a ms granularity. The creation time this reveals is in the record anyway (`created`). */
export function timeOrderedId(prefix: string, bytes = 12, nowMs = Date.now()): string {
  if (!(Number.isSafeInteger(nowMs) && nowMs >= 0 && nowMs < MAX_TIME)) throw new Error('timeOrderedId: bad time');
  return randomId(prefix + nowMs.toString(36).padStart(TIME_CHARS, '0'), bytes);
}

/** Copies `bytes` CSPRNG bytes from the pool into `into` at `at` (e.g. an AES-GCM IV: randomBytes(12) per call
 * cost a randomFillSync each, 3 % of the payment path's profile). */
export function fillRandom(into: Buffer, at: number, bytes: number): void {
  const from = take(bytes);
  POOL.copy(into, at, from, from + bytes);
  POOL.fill(0, from, from + bytes);
}
