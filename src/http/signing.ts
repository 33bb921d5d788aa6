// HMAC-SHA-256 signatures in the `Gerbang-Signature: t=<unix seconds>,v1=<hex>` header, over `${t}.${body}`.
// Used both ways: merchants may sign requests (optional, or required per merchant), and every webhook the
// switch sends is signed with the endpoint's secret. The timestamp bounds replays to a window.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'gerbang-signature';
/** Default replay window: a signature older or newer than this (seconds) is refused. */
export const DEFAULT_TOLERANCE_S = 300;

function signatureBytes(secret: Buffer | string, timestamp: number, body: string | Buffer): Buffer {
  const h = createHmac('sha256', secret);
  h.update(`${timestamp}.`);
  h.update(body);
  return h.digest();
}

export function computeSignature(secret: Buffer | string, timestamp: number, body: string | Buffer): string {
  return signatureBytes(secret, timestamp, body).toString('hex');
}

export function signatureHeader(secret: Buffer | string, body: string | Buffer, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${nowSeconds},v1=${computeSignature(secret, nowSeconds, body)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; code: 'signature_malformed' | 'signature_expired' | 'signature_invalid'; message: string };

/** Verifies a header against the raw body. Accepts several v1= entries (secret rotation). */
export function verifySignature(
  header: string,
  secret: Buffer | string,
  body: string | Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceS = DEFAULT_TOLERANCE_S,
): SignatureCheck {
  if (header.length > 1024) return { ok: false, code: 'signature_malformed', message: 'Signature header too long' };
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) v1.push(v);
  }
  if (t === undefined || v1.length === 0) return { ok: false, code: 'signature_malformed', message: 'Expected t=<seconds>,v1=<hex HMAC-SHA-256>' };
  if (Math.abs(nowSeconds - t) > toleranceS) return { ok: false, code: 'signature_expired', message: `Signature timestamp outside the ${toleranceS} s window` };
  const expected = signatureBytes(secret, t, body); // raw digest: no hex round trip on the hot path
  const match = v1.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { ok: true } : { ok: false, code: 'signature_invalid', message: 'Signature does not match the body' };
}
