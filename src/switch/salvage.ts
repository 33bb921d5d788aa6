// Answering a malformed request: when the codec fails at field f, the fields before f are usually intact. We rebuild
// the message as MTI + bitmap (bits ≥ f cleared) + the bytes of fields < f, find where field f began by trying cut
// points backwards from the error offset (bounded), and answer DE 39 = 30 if the MTI is a request and DE 11 is there.
// Only runs on bad input; the work per frame is bounded by MAX_TRIES decodes of at most one frame.
import { CodecError, decode, isRequest, type CompiledSpec, type IsoMessage } from '../../codecs/index.js';
import { decisionToIso } from './iso-txn.js';

const MAX_TRIES = 256;
const E_BCD = 1;
const E_EBCDIC = 3;

function readMti(spec: CompiledSpec, b: Buffer): { mti: string; end: number } | null {
  if (spec.mtiEnc === E_BCD) {
    if (b.length < 2) return null;
    const mti = b.subarray(0, 2).toString('hex');
    return /^\d{4}$/.test(mti) ? { mti, end: 2 } : null;
  }
  if (b.length < 4) return null;
  let mti = '';
  for (let i = 0; i < 4; i++) mti += String.fromCharCode(spec.mtiEnc === E_EBCDIC ? b[i] - 0xf0 + 48 : b[i]);
  return /^\d{4}$/.test(mti) ? { mti, end: 4 } : null;
}

/** Primary (+ secondary) bitmap bytes at `o`, or null. */
function readBitmap(spec: CompiledSpec, b: Buffer, o: number): { bits: Buffer; end: number } | null {
  const unit = spec.bitmapHex ? 16 : 8;
  const take = (at: number): Buffer | null => {
    if (at + unit > b.length) return null;
    if (!spec.bitmapHex) return Buffer.from(b.subarray(at, at + 8));
    const h = b.subarray(at, at + 16).toString('latin1');
    return /^[0-9A-Fa-f]{16}$/.test(h) ? Buffer.from(h, 'hex') : null;
  };
  const p = take(o);
  if (!p) return null;
  if ((p[0] & 0x80) === 0) return { bits: p, end: o + unit };
  const s = take(o + unit);
  if (!s) return null;
  return { bits: Buffer.concat([p, s]), end: o + 2 * unit };
}

function writeBitmap(spec: CompiledSpec, bits: Buffer): Buffer {
  return spec.bitmapHex ? Buffer.from(bits.toString('hex').toUpperCase(), 'latin1') : bits;
}

/** The fields that decode before the failing one, or null when not even the MTI and DE 11 can be had. */
export function salvageFields(spec: CompiledSpec, payload: Buffer, e: CodecError): IsoMessage | null {
  if (e.field === 0 || e.field === 1) return null;
  const m = readMti(spec, payload);
  if (!m) return null;
  const bm = readBitmap(spec, payload, m.end);
  if (!bm) return null;
  const failed = e.field ?? 193;
  if (failed <= 11) return null;
  // Keep fields < failed; a primary-only bitmap when nothing past 64 stays.
  const bits = Buffer.from(bm.bits);
  for (let n = failed; n <= bits.length * 8; n++) bits[(n - 1) >> 3] &= ~(0x80 >> ((n - 1) & 7));
  let keep = bits;
  if (failed <= 65 && bits.length === 16) {
    keep = Buffer.from(bits.subarray(0, 8));
    keep[0] &= 0x7f;
  }
  const head = Buffer.concat([payload.subarray(0, m.end), writeBitmap(spec, keep)]);
  const from = Math.min(e.offset, payload.length);
  for (let cut = from, tries = 0; cut >= bm.end && tries < MAX_TRIES; cut--, tries++) {
    try {
      const msg = decode(spec, Buffer.concat([head, payload.subarray(bm.end, cut)]));
      return msg;
    } catch {
      // keep cutting back
    }
  }
  return null;
}

/** The 30 answer to a malformed request, or null when it cannot be answered (the frame is then dropped). */
export function salvage(spec: CompiledSpec, payload: Buffer, e: CodecError): IsoMessage | null {
  const msg = salvageFields(spec, payload, e);
  if (!msg || !isRequest(msg.mti) || typeof msg.fields[11] !== 'string') return null;
  return decisionToIso(msg, { responseCode: '30', approvedAmount: 0 });
}
