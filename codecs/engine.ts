// The one engine: encode/decode any compiled spec. Decode walks a byte cursor; every declared length is checked
// against the field maximum and the bytes left before anything is allocated. Encode writes into one growable
// scratch buffer and returns a copy. Not re-entrant by design: both are synchronous and share module scratch.
import { CodecError } from './errors.js';
import { ASCII_TO_EBCDIC, EBCDIC_TO_ASCII, HEX_VAL } from './charsets.js';
import {
  type CompiledField,
  type CompiledSpec,
  C_A,
  C_AN,
  E_ASCII,
  E_BCD,
  E_BINARY,
  E_EBCDIC,
  E_HEX,
  MAX_FIELD,
  S_BERTLV,
  S_FIXED,
  S_NONE,
  S_TLV,
  T_B,
  T_N,
  T_TEXT,
  T_XN,
  T_Z,
} from './spec.js';
import { decodePrivateTlv, decodeTlv, encodePrivateTlv, hexUpper, TLV_ORDER, TLV_SHAPE, tagBytes, tlvEncodedLength, tlvTags, writeHex, writeTlv, type TlvObject, type TlvShape } from './tlv.js';

/** A field value in the canonical JSON form: a string, or sub-fields as a nested object of strings. */
export type FieldValue = string | Record<string, string>;
export interface IsoMessage {
  mti: string;
  fields: Record<string, FieldValue>;
}

/** Largest message the encoder will build (and the scratch buffer will grow to). */
export const MAX_MESSAGE_BYTES = 65536;

// ---------------------------------------------------------------- decode

const scratch = Buffer.allocUnsafe(MAX_MESSAGE_BYTES * 2); // decode: digits / translated text before latin1Slice
const bitmap = new Uint8Array(24);

function err(field: number | null, offset: number, reason: CodecError['reason'], msg: string): never {
  throw new CodecError(field, offset, reason, msg);
}

/** Node's internal slice methods skip toString()'s argument juggling; present on every Buffer in Node 20. */
type FastBuffer = Buffer & { latin1Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };
const fast = (b: Buffer) => b as FastBuffer;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes one field at o into out[f.num]; returns the offset after it. Throws CodecError on bad input. */
export type FieldDecoder = (buf: Buffer, str: string, o: number, end: number, out: Record<string, FieldValue>) => number;
/** Encodes value v of one field into the scratch output at o; returns the offset after it. Throws CodecError. */
export type FieldEncoder = (v: FieldValue, o: number) => number;
/** How each field of a spec is decoded and encoded, indexed by field number (null: not defined by the spec). */
export interface FieldPlan {
  readonly dec: readonly (FieldDecoder | null)[];
  readonly enc: readonly (FieldEncoder | null)[];
}

/** The plan that runs every field through the general decodeField / encodeField (the reference for plan.ts). */
export function generalPlan(spec: CompiledSpec): FieldPlan {
  const dec = spec.fields.map((f) => (f === null ? null : (buf: Buffer, str: string, o: number, end: number, out: Record<string, FieldValue>) => decodeField(f, buf, str, o, end, out)));
  const enc = spec.fields.map((f) => (f === null ? null : (v: FieldValue, o: number) => encodeField(f, v, o)));
  return { dec, enc };
}

/** Decodes one message occupying all of bytes. Throws CodecError (and nothing else) on bad input. */
export function decodeWith(spec: CompiledSpec, bytes: Uint8Array, plan: FieldPlan): IsoMessage {
  if (!(bytes instanceof Uint8Array)) err(null, 0, 'bad-value', 'decode needs a Buffer or Uint8Array');
  const buf = asBuffer(bytes);
  const end = buf.length;
  // The whole message as one latin1 string (lossless for every byte): ASCII fields become substrings of it,
  // one native call per message instead of one per field.
  const str = fast(buf).latin1Slice(0, end);
  let o = 0;
  // MTI
  let mti: string;
  if (spec.mtiEnc === E_BCD) {
    if (end < 2) err(0, 0, 'truncated', 'MTI needs 2 bytes');
    o = readBcdDigits(buf, 0, 4, false, false, 0);
    mti = fast(scratch).latin1Slice(0, 4);
  } else {
    if (end < 4) err(0, 0, 'truncated', 'MTI needs 4 bytes');
    for (let i = 0; i < 4; i++) {
      const c = spec.mtiEnc === E_EBCDIC ? EBCDIC_TO_ASCII[buf[i]] : buf[i];
      if (c < 48 || c > 57) err(0, i, 'bad-mti', 'MTI must be four digits');
    }
    mti = spec.mtiEnc === E_EBCDIC ? String.fromCharCode(EBCDIC_TO_ASCII[buf[0]], EBCDIC_TO_ASCII[buf[1]], EBCDIC_TO_ASCII[buf[2]], EBCDIC_TO_ASCII[buf[3]]) : str.slice(0, 4);
    o = 4;
  }
  // Bitmaps: primary, secondary if bit 1, tertiary if bit 65.
  o = readBitmap(spec, buf, o, 0);
  let maxField = 64;
  if (bitmap[0] & 0x80) {
    o = readBitmap(spec, buf, o, 8);
    maxField = 128;
    if (bitmap[8] & 0x80) {
      o = readBitmap(spec, buf, o, 16);
      maxField = 192;
    }
  }
  // A clone of an object with this bitmap's keys: its element store comes sized in one copy, and every field store
  // below overwrites a slot in place (the first store at a high index into an empty object is a runtime call).
  const fields: Record<string, FieldValue> = { ...fieldsTemplate(maxField >> 3) };
  const decs = plan.dec;
  for (let byte = 0; byte < maxField >> 3; byte++) {
    // set bits only, most significant (lowest field number) first
    for (let bits = bitmap[byte]; bits !== 0; ) {
      const bit = Math.clz32(bits) - 24;
      bits ^= 0x80 >> bit;
      const num = byte * 8 + bit + 1;
      if (num === 1 || num === 65 || num === 129) continue; // bitmap indicators, never data
      const d = decs[num];
      if (d === null) err(num, o, 'bad-bitmap', 'bitmap names a field this spec does not define');
      o = d(buf, str, o, end, fields);
    }
  }
  if (o !== end) err(null, o, 'trailing-bytes', `${end - o} bytes left after the last field`);
  return { mti, fields };
}

/** Templates for the decoded fields object, by bitmap: every field the bitmap names, each ''. Traffic repeats a few
 * bitmaps; the cache is bounded and overwritten round-robin. Shared by all specs (keys depend on the bitmap only). */
const MAX_TEMPLATES = 16;
const templateBits: Uint8Array[] = [];
const templates: Record<string, FieldValue>[] = [];
let nextTemplate = 0;

function fieldsTemplate(nbytes: number): Record<string, FieldValue> {
  for (let t = 0; t < templates.length; t++) {
    const bits = templateBits[t];
    if (bits.length !== nbytes) continue;
    let i = 0;
    while (i < nbytes && bits[i] === bitmap[i]) i++;
    if (i === nbytes) return templates[t];
  }
  const obj: Record<string, FieldValue> = {};
  // the highest field first: the element store is sized once, not regrown
  const last = lastBit(nbytes * 8);
  if (last !== 0 && last !== 1 && last !== 65 && last !== 129) obj[last] = '';
  for (let byte = 0; byte < nbytes; byte++) {
    for (let bits = bitmap[byte]; bits !== 0; ) {
      const bit = Math.clz32(bits) - 24;
      bits ^= 0x80 >> bit;
      const num = byte * 8 + bit + 1;
      if (num !== 1 && num !== 65 && num !== 129) obj[num] = '';
    }
  }
  const slot = templates.length < MAX_TEMPLATES ? templates.length : nextTemplate;
  if (templates.length >= MAX_TEMPLATES) nextTemplate = (nextTemplate + 1) % MAX_TEMPLATES;
  templateBits[slot] = bitmap.slice(0, nbytes);
  templates[slot] = obj;
  return obj;
}

/** Highest field number present in the decoded bitmap (0 if none). */
function lastBit(maxField: number): number {
  for (let byte = (maxField >> 3) - 1; byte >= 0; byte--) {
    const bits = bitmap[byte];
    if (bits !== 0) return byte * 8 + 8 - (31 - Math.clz32(bits & -bits)); // lowest set bit = highest field
  }
  return 0;
}

function readBitmap(spec: CompiledSpec, buf: Buffer, o: number, at: number): number {
  const which = at === 0 ? 'primary' : at === 8 ? 'secondary' : 'tertiary';
  if (spec.bitmapHex) {
    if (o + 16 > buf.length) err(1, o, 'truncated', `${which} bitmap needs 16 hex characters`);
    for (let i = 0; i < 8; i++) {
      const hi = HEX_VAL[buf[o + 2 * i]], lo = HEX_VAL[buf[o + 2 * i + 1]];
      if (hi < 0 || lo < 0) err(1, o + 2 * i, 'bad-bitmap', `${which} bitmap is not hex`);
      bitmap[at + i] = (hi << 4) | lo;
    }
    return o + 16;
  }
  if (o + 8 > buf.length) err(1, o, 'truncated', `${which} bitmap needs 8 bytes`);
  for (let i = 0; i < 8; i++) bitmap[at + i] = buf[o + i];
  return o + 8;
}

/** Reads `digits` BCD digits at o into scratch[dst..]; returns the offset after them. */
function readBcdDigits(buf: Buffer, o: number, digits: number, padLeft: boolean, track2: boolean, field: number): number {
  const nbytes = (digits + 1) >> 1;
  const odd = digits & 1;
  let d = 0;
  for (let i = 0; i < nbytes; i++) {
    const b = buf[o + i];
    for (let h = 0; h < 2; h++) {
      const nib = h === 0 ? b >> 4 : b & 0x0f;
      const isPad = odd === 1 && ((padLeft && i === 0 && h === 0) || (!padLeft && i === nbytes - 1 && h === 1));
      if (isPad) {
        if (nib !== 0) err(field, o + i, 'bad-digit', 'BCD pad nibble must be 0');
        continue;
      }
      if (nib <= 9) scratch[d++] = 48 + nib;
      else if (track2 && nib === 0x0d) scratch[d++] = 61; // '='
      else err(field, o + i, 'bad-digit', `BCD nibble ${nib.toString(16).toUpperCase()} is not a digit`);
    }
  }
  return o + nbytes;
}

export function readPrefix(f: CompiledField, buf: Buffer, o: number, end: number): number {
  const n = f.prefixBytes;
  if (o + n > end) err(f.num, o, 'truncated', 'length prefix runs past the end');
  let len = 0;
  const enc = f.prefixEnc;
  if (enc === E_BINARY) {
    for (let i = 0; i < n; i++) len = (len << 8) | buf[o + i];
  } else if (enc === E_BCD) {
    for (let i = 0; i < n; i++) {
      const hi = buf[o + i] >> 4, lo = buf[o + i] & 0x0f;
      if (hi > 9 || lo > 9) err(f.num, o + i, 'bad-length', 'BCD length prefix is not digits');
      len = len * 100 + hi * 10 + lo;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const c = enc === E_EBCDIC ? EBCDIC_TO_ASCII[buf[o + i]] : buf[o + i];
      if (c < 48 || c > 57) err(f.num, o + i, 'bad-length', 'length prefix is not digits');
      len = len * 10 + (c - 48);
    }
  }
  if (len > f.length) err(f.num, o, 'length-exceeds-max', `declared length ${len} exceeds max ${f.length}`);
  return len;
}

function dataBytes(f: CompiledField, len: number): number {
  if (f.enc === E_BCD) return f.type === T_XN ? 1 + (len >> 1) : (len + 1) >> 1; // xn: sign byte + (len-1) digits
  if (f.enc === E_HEX) return len * 2;
  return len;
}

export function decodeField(f: CompiledField, buf: Buffer, str: string, o: number, end: number, out: Record<string, FieldValue>): number {
  const num = f.num;
  let len = f.length;
  if (f.prefixDigits !== 0) {
    len = readPrefix(f, buf, o, end);
    o += f.prefixBytes;
  }
  const nbytes = dataBytes(f, len);
  if (o + nbytes > end) err(num, o, 'truncated', `needs ${nbytes} bytes, ${end - o} left`);
  const type = f.type;
  if (type === T_B) {
    if (f.sub === S_BERTLV) {
      if (f.enc === E_BINARY) out[num] = decodeTlv(buf, o, o + nbytes, num);
      else {
        for (let i = 0; i < len; i++) {
          const hi = HEX_VAL[buf[o + 2 * i]], lo = HEX_VAL[buf[o + 2 * i + 1]];
          if (hi < 0 || lo < 0) err(num, o + 2 * i, 'bad-hex', 'binary field is not hex');
          scratch[i] = (hi << 4) | lo;
        }
        out[num] = decodeTlv(Buffer.from(scratch.subarray(0, len)), 0, len, num);
      }
    } else if (f.enc === E_BINARY) out[num] = hexUpper(buf, o, o + nbytes);
    else {
      let lower = false;
      for (let i = 0; i < nbytes; i++) {
        const c = buf[o + i];
        if (HEX_VAL[c] < 0) err(num, o + i, 'bad-hex', 'binary field is not hex');
        if (c >= 97) lower = true;
      }
      out[num] = lower ? str.slice(o, o + nbytes).toUpperCase() : str.slice(o, o + nbytes);
    }
    return o + nbytes;
  }
  let text: string;
  if (type === T_TEXT) {
    const cls = f.charClass;
    if (f.enc === E_EBCDIC) {
      for (let i = 0; i < nbytes; i++) {
        const c = EBCDIC_TO_ASCII[buf[o + i]];
        if (!textCharOk(c, cls)) err(num, o + i, 'bad-char', `byte 0x${buf[o + i].toString(16).padStart(2, '0')} not allowed in this field`);
        scratch[i] = c;
      }
      text = fast(scratch).latin1Slice(0, nbytes);
    } else {
      const base = cls * 256;
      for (let i = 0; i < nbytes; i++) {
        if (CHAR_OK[base + buf[o + i]] !== 1) err(num, o + i, 'bad-char', `byte 0x${buf[o + i].toString(16).padStart(2, '0')} not allowed in this field`);
      }
      text = str.slice(o, o + nbytes);
    }
  } else if (f.enc === E_BCD) {
    let digitsAt = 0;
    if (type === T_XN) {
      const s = buf[o];
      if (s !== 67 && s !== 68) err(num, o, 'bad-char', "amount sign must be 'C' or 'D'");
      scratch[0] = s;
      digitsAt = 1;
    }
    // readBcdDigits writes from scratch[0]; for xn shift by decoding then prefixing
    if (digitsAt === 0) {
      readBcdDigits(buf, o, len, f.padLeft, type === T_Z, num);
      text = fast(scratch).latin1Slice(0, len);
    } else {
      const sign = scratch[0];
      readBcdDigits(buf, o + 1, len - 1, true, false, num);
      text = (sign === 67 ? 'C' : 'D') + fast(scratch).latin1Slice(0, len - 1);
    }
  } else {
    const ebc = f.enc === E_EBCDIC;
    for (let i = 0; i < nbytes; i++) {
      const c = ebc ? EBCDIC_TO_ASCII[buf[o + i]] : buf[o + i];
      const ok = (c >= 48 && c <= 57) || (type === T_Z && c === 61) || (type === T_XN && i === 0 && (c === 67 || c === 68));
      if (!ok) {
        if (type === T_XN && i === 0) err(num, o, 'bad-char', "amount sign must be 'C' or 'D'");
        err(num, o + i, 'bad-digit', `byte 0x${buf[o + i].toString(16).padStart(2, '0')} is not a digit`);
      }
      if (ebc) scratch[i] = c;
    }
    text = ebc ? fast(scratch).latin1Slice(0, nbytes) : str.slice(o, o + nbytes);
  }
  const sub = f.sub;
  if (sub === S_NONE) out[num] = text;
  else if (sub === S_FIXED) {
    const obj: Record<string, string> = {};
    const sfs = f.subfields!;
    let p = 0;
    for (let i = 0; i < sfs.length; i++) {
      const sf = sfs[i];
      if (sf.type !== 'ans') checkSubfieldChars(f, sf.type, text, p, sf.length, o);
      if (sf.key >= 0) obj[sf.key] = text.slice(p, p + sf.length);
      else obj[sf.id] = text.slice(p, p + sf.length);
      p += sf.length;
    }
    out[num] = obj;
  } else if (sub === S_TLV) out[num] = decodePrivateTlv(text, f.tlvTagLength, f.tlvLengthDigits, num, o);
  return o + nbytes;
}

function checkSubfieldChars(f: CompiledField, type: string, text: string, p: number, n: number, o: number): void {
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(p + i);
    const ok = type === 'n' ? c >= 48 && c <= 57 : type === 'xn' ? (i === 0 ? c === 67 || c === 68 : c >= 48 && c <= 57) : textCharOk(c, type === 'a' ? C_A : C_AN);
    if (!ok) err(f.num, o + p + i, type === 'n' ? 'bad-digit' : 'bad-char', `sub-field character ${JSON.stringify(text[p + i])} not allowed`);
  }
}

/** Allowed ASCII codes per text class (C_A, C_AN, C_ANS), as one lookup table: CHAR_OK[cls * 256 + code]. */
export const CHAR_OK = new Uint8Array(3 * 256);
for (let c = 0x20; c <= 0x7e; c++) {
  const letter = c === 32 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  CHAR_OK[C_A * 256 + c] = letter ? 1 : 0;
  CHAR_OK[C_AN * 256 + c] = letter || (c >= 48 && c <= 57) ? 1 : 0;
  CHAR_OK[2 * 256 + c] = 1;
}

function textCharOk(c: number, cls: number): boolean {
  return c >= 0 && c < 256 && CHAR_OK[cls * 256 + c] === 1;
}

// ---------------------------------------------------------------- encode

export let out = Buffer.allocUnsafe(4096);

export function ensure(o: number, n: number): void {
  if (o + n <= out.length) return;
  if (o + n > MAX_MESSAGE_BYTES) err(null, o, 'length-exceeds-max', `message larger than ${MAX_MESSAGE_BYTES} bytes`);
  let size = out.length * 2;
  while (size < o + n) size *= 2;
  const next = Buffer.allocUnsafe(Math.min(size, MAX_MESSAGE_BYTES));
  out.copy(next, 0, 0, o);
  out = next;
}

const ebits = new Uint8Array(24);
const presentNums = new Int32Array(MAX_FIELD + 1);

/** Encodes a message in its canonical JSON form. Throws CodecError on a value the spec cannot carry. */
export function encodeWith(spec: CompiledSpec, msg: IsoMessage, plan: FieldPlan): Buffer {
  if (!msg || typeof msg !== 'object' || typeof msg.fields !== 'object' || msg.fields === null) err(null, 0, 'bad-value', 'message must be {mti, fields}');
  const mti = msg.mti;
  if (typeof mti !== 'string' || mti.length !== 4) err(0, 0, 'bad-mti', 'MTI must be four digits');
  for (let i = 0; i < 4; i++) {
    const c = mti.charCodeAt(i);
    if (c < 48 || c > 57) err(0, 0, 'bad-mti', 'MTI must be four digits');
  }
  const fields = msg.fields;
  for (let i = 0; i < 24; i++) ebits[i] = 0; // a loop: fill() is a builtin call for 24 bytes
  let count = collectFieldsFast(spec, fields);
  if (count < 0) count = collectFieldsChecked(spec, fields);
  let maxField = 0;
  for (let i = 0; i < count; i++) {
    const num = presentNums[i];
    ebits[(num - 1) >> 3] |= 0x80 >> ((num - 1) & 7);
    maxField = num;
  }
  if (maxField > 64) ebits[0] |= 0x80;
  if (maxField > 128) ebits[8] |= 0x80;
  const nmaps = maxField > 128 ? 3 : maxField > 64 ? 2 : 1;
  let o = 0;
  ensure(0, 4 + 16 * nmaps);
  if (spec.mtiEnc === E_BCD) {
    out[0] = ((mti.charCodeAt(0) - 48) << 4) | (mti.charCodeAt(1) - 48);
    out[1] = ((mti.charCodeAt(2) - 48) << 4) | (mti.charCodeAt(3) - 48);
    o = 2;
  } else {
    for (let i = 0; i < 4; i++) out[i] = spec.mtiEnc === E_EBCDIC ? 0xf0 + mti.charCodeAt(i) - 48 : mti.charCodeAt(i);
    o = 4;
  }
  for (let i = 0; i < nmaps * 8; i++) {
    if (spec.bitmapHex) {
      out[o++] = HEXCH[ebits[i] >> 4];
      out[o++] = HEXCH[ebits[i] & 15];
    } else out[o++] = ebits[i];
  }
  // presentNums is ascending (integer keys enumerate in ascending order too), so the fields are in bitmap order
  const encs = plan.enc;
  for (let i = 0; i < count; i++) {
    const num = presentNums[i];
    o = encs[num]!(fields[num], o); // loaded again, not kept from the collect pass: see collectFieldsFast
  }
  const result = Buffer.allocUnsafe(o);
  result.set(new Uint8Array(out.buffer, out.byteOffset, o)); // Buffer#copy validates and wraps the same call
  return result;
}

/**
 * The present field numbers in ascending order into presentNums, by integer-keyed loads 2, 3, … until every
 * own enumerable property is accounted for (Object.values counts them without turning each integer key into a
 * string, which makes Object.keys ~3x dearer here). Returns -1 when that proof fails (a key that is not a field of
 * this spec, an undefined value): collectFieldsChecked then decides, with the exact errors, in key order.
 * Only numbers are kept: storing the (young) values into a long-lived array cost a write barrier per field, and
 * the encode loop's second integer-keyed load is cheaper.
 */
function collectFieldsFast(spec: CompiledSpec, fields: Record<string, FieldValue>): number {
  const total = Object.values(fields).length;
  if (total > MAX_FIELD) return -1;
  const defs = spec.fields;
  let count = 0;
  for (let num = 2; count < total && num <= MAX_FIELD; num++) {
    const v = fields[num];
    if (v === undefined) continue;
    if (defs[num] === null) break; // includes 65 and 129: compileSpec never defines them
    presentNums[count++] = num;
  }
  return count === total ? count : -1;
}

/** The general path: every own key checked in key order; undefined values are skipped as absent. */
function collectFieldsChecked(spec: CompiledSpec, fields: Record<string, FieldValue>): number {
  let count = 0;
  const keys = Object.keys(fields);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const num = +key;
    // canonical keys only: "2".."192", no sign, exponent, spaces or leading zeros
    if (!(num >= 2 && num <= MAX_FIELD) || (num | 0) !== num || key.length !== (num < 10 ? 1 : num < 100 ? 2 : 3)) {
      err(null, 0, 'unknown-field', `field key ${JSON.stringify(key)} is not a field number 2..${MAX_FIELD}`);
    }
    const v = fields[num]; // integer-keyed load: no string → index conversion
    if (v === undefined) continue;
    if (spec.fields[num] === null) err(num, 0, 'unknown-field', 'this spec does not define the field');
    if (num === 65 || num === 129) err(num, 0, 'unknown-field', 'fields 65 and 129 are bitmap indicators');
    presentNums[count++] = num;
  }
  return count;
}

const HEXCH = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70];

export function writePrefix(f: CompiledField, len: number, o: number): number {
  const n = f.prefixBytes;
  const enc = f.prefixEnc;
  if (enc === E_BINARY) {
    for (let i = n - 1; i >= 0; i--) {
      out[o + i] = len & 0xff;
      len >>= 8;
    }
  } else if (enc === E_BCD) {
    for (let i = n - 1; i >= 0; i--) {
      out[o + i] = ((Math.floor(len / 10) % 10) << 4) | len % 10;
      len = Math.floor(len / 100);
    }
  } else {
    const base = enc === E_EBCDIC ? 0xf0 : 48;
    for (let i = n - 1; i >= 0; i--) {
      out[o + i] = base + (len % 10);
      len = Math.floor(len / 10);
    }
  }
  return o + n;
}

export function encodeField(f: CompiledField, v: FieldValue, o: number): number {
  const num = f.num;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'object' && v !== null && !Array.isArray(v) && f.sub !== S_NONE) {
    if (f.sub === S_BERTLV) return encodeTlvField(f, v, o);
    if (f.sub === S_FIXED && f.enc !== E_BCD) return encodeFixedComposite(f, v, o);
    s = f.sub === S_FIXED ? joinFixed(f, v) : encodePrivateTlv(v, f.tlvTagLength, f.tlvLengthDigits, num);
  } else err(num, o, 'bad-value', f.sub === S_NONE ? 'value must be a string' : 'value must be a string or an object of sub-fields');
  const type = f.type;
  let len = type === T_B ? s.length >> 1 : s.length;
  if (type === T_B && (s.length & 1) === 1) err(num, o, 'bad-hex', 'binary value must be an even number of hex digits');
  if (len > f.length) err(num, o, 'length-exceeds-max', `length ${len} exceeds max ${f.length}`);
  const fixed = f.prefixDigits === 0;
  let pad = 0;
  if (fixed && len < f.length) {
    if (type === T_B || type === T_XN || type === T_Z) err(num, o, 'bad-length', `must be exactly ${f.length} long, got ${len}`);
    pad = f.length - len; // n: leading zeros; text: trailing spaces
    len = f.length;
  }
  const nbytes = dataBytes(f, len);
  ensure(o, f.prefixBytes + nbytes);
  if (!fixed) o = writePrefix(f, len, o);
  if (type === T_B) {
    if (f.enc === E_BINARY) return writeHex(s, out, o, num);
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c > 0x7f || HEX_VAL[c] < 0) err(num, o, 'bad-hex', 'binary value is not hex');
      if (c >= 97) c -= 32; // upper-case on the wire
      out[o++] = c;
    }
    return o;
  }
  if (type === T_TEXT) {
    const base = f.charClass * 256;
    if (f.enc === E_EBCDIC) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7e || CHAR_OK[base + c] !== 1) err(num, o, 'bad-char', `character ${JSON.stringify(s[i])} not allowed in this field`);
        out[o++] = ASCII_TO_EBCDIC[c];
      }
      for (let i = 0; i < pad; i++) out[o++] = 0x40;
    } else {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7e || CHAR_OK[base + c] !== 1) err(num, o, 'bad-char', `character ${JSON.stringify(s[i])} not allowed in this field`);
        out[o++] = c;
      }
      for (let i = 0; i < pad; i++) out[o++] = 32;
    }
    return o;
  }
  // numerics: n, z, xn
  let start = 0;
  const ebc = f.enc === E_EBCDIC;
  if (type === T_XN) {
    const sign = s.charCodeAt(0);
    if (sign !== 67 && sign !== 68) err(num, o, 'bad-char', "amount must start with 'C' or 'D'");
    out[o++] = ebc ? ASCII_TO_EBCDIC[sign] : sign;
    start = 1;
  }
  const z = type === T_Z;
  if (f.enc === E_BCD) {
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (z && (c === 61 || c === 68)))) err(num, o, 'bad-digit', `character ${JSON.stringify(s[i])} is not a digit`);
    }
    const digits = len - start; // includes leading zero padding
    const nb = (digits + 1) >> 1;
    const padLeft = type === T_XN ? true : f.padLeft;
    for (let i = 0; i < nb; i++) out[o + i] = 0; // pad nibbles and leading zeros stay 0
    let nib = ((digits & 1) === 1 && padLeft ? 1 : 0) + pad;
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const d = c <= 57 ? c - 48 : 0x0d; // '=' or 'D' → D nibble (track 2)
      out[o + (nib >> 1)] |= (nib & 1) === 0 ? d << 4 : d;
      nib++;
    }
    return o + nb;
  }
  // ASCII / EBCDIC digits: check and write in one pass ('0'..'9' is 0xF0..0xF9 in EBCDIC)
  const zero = ebc ? 0xf0 : 48;
  const o0 = o; // error offset: where the field's digits start, as before padding
  for (let i = 0; i < pad; i++) out[o++] = zero;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) out[o++] = c - 48 + zero;
    else if (z && (c === 61 || c === 68)) out[o++] = ebc ? ASCII_TO_EBCDIC[61] : 61; // track 2 'D' separator normalised to '='
    else err(num, o0, 'bad-digit', `character ${JSON.stringify(s[i])} is not a digit`);
  }
  return o;
}

function joinFixed(f: CompiledField, v: Record<string, string>): string {
  const parts: string[] = [];
  for (const sf of f.subfields!) {
    const x = v[sf.id];
    if (typeof x !== 'string') err(f.num, 0, 'bad-value', `sub-field ${sf.id} must be a string`);
    if (x.length > sf.length) err(f.num, 0, 'length-exceeds-max', `sub-field ${sf.id} longer than ${sf.length}`);
    parts.push(x.length === sf.length ? x : sf.type === 'n' ? x.padStart(sf.length, '0') : x.padEnd(sf.length, ' '));
  }
  for (const k in v) if (!f.subfields!.some((sf) => sf.id === k)) err(f.num, 0, 'bad-value', `unknown sub-field ${JSON.stringify(k)}`);
  return parts.join('');
}

export function encodeTlvField(f: CompiledField, v: Record<string, string>, o: number): number {
  if (f.enc !== E_BINARY) {
    const tags = tlvTags(v);
    const len = tlvEncodedLength(v, f.num, tags);
    if (len > f.length) err(f.num, o, 'length-exceeds-max', `TLV length ${len} exceeds max ${f.length}`);
    if (f.prefixDigits === 0 && len !== f.length) err(f.num, o, 'bad-length', `must be exactly ${f.length} bytes`);
    ensure(o, f.prefixBytes + len * 2);
    if (f.prefixDigits !== 0) o = writePrefix(f, len, o);
    const tmp = Buffer.allocUnsafe(len);
    writeTlv(v, tmp, 0, f.num, tags);
    for (let i = 0; i < len; i++) {
      out[o++] = HEXCH[tmp[i] >> 4];
      out[o++] = HEXCH[tmp[i] & 15];
    }
    return o;
  }
  // Raw bytes: write the TLV once, after room for the prefix, then fill the prefix in (one tag lookup per tag).
  // The decoded wire order is used when it still names as many tags as the object has: the write loads every tag
  // anyway and gives up (-1) on a missing one, which proves the order is the key set (tlvTags' check, in one pass).
  const at = o + f.prefixBytes;
  const order = (v as TlvObject)[TLV_ORDER];
  let tags: readonly string[] = order !== undefined && Object.values(v).length === order.length ? order : Object.keys(v);
  let p: number;
  try {
    try {
      p = writeTlvChecked(v, tags, f, at, tags === order);
    } catch (e) {
      if (tags !== order || !orderStillHolds(v, order)) p = -1; // a stale order: report in key order, as tlvTags would
      else throw e;
    }
    if (p < 0) {
      tags = Object.keys(v);
      p = writeTlvChecked(v, tags, f, at, false);
    }
  } catch (e) {
    // Report problems in the same order as the two-pass path: tags and values, total length, then hex digits.
    if (e instanceof CodecError) checkTlvLength(f, tlvEncodedLength(v, f.num, tags as string[]), o);
    throw e;
  }
  checkTlvLength(f, p - at, o);
  if (f.prefixDigits !== 0) writePrefix(f, p - at, o);
  return p;
}

function orderStillHolds(v: Record<string, string>, order: readonly string[]): boolean {
  for (let i = 0; i < order.length; i++) if (v[order[i]] === undefined) return false;
  return true;
}

function checkTlvLength(f: CompiledField, len: number, o: number): void {
  if (len > f.length) err(f.num, o, 'length-exceeds-max', `TLV length ${len} exceeds max ${f.length}`);
  if (f.prefixDigits === 0 && len !== f.length) err(f.num, o, 'bad-length', `must be exactly ${f.length} bytes`);
}

/**
 * BER-TLV of v straight into out at o; throws as soon as a tag or value is bad or the total passes f.length.
 * With fromOrder (tags is a remembered wire order, not v's keys) a tag v no longer has returns -1 instead.
 */
function writeTlvChecked(v: Record<string, string>, tags: readonly string[], f: CompiledField, o: number, fromOrder: boolean): number {
  const num = f.num;
  const start = o;
  // A decoded object's own shape has the tag bytes ready (only when the order in use is that shape's).
  const shape = fromOrder ? ((v as Record<symbol, unknown>)[TLV_SHAPE] as TlvShape | undefined) : undefined;
  const shaped = shape !== undefined && shape.tags === tags;
  const list = shaped ? shape.names : tags; // the shape's unfrozen copy: loads from the frozen order are not inlined
  for (let i = 0; i < list.length; i++) {
    const tag = list[i];
    const ix = shaped ? shape.index[i] : -1;
    const x = ix >= 0 ? v[ix] : v[tag]; // an index-like tag by its integer (see TlvShape.index)
    if (x === undefined && fromOrder) return -1;
    // tag bytes: tb[from, to), from the shape or from tagBytes (which validates the tag)
    const tb = shaped ? shape.tagBytes : tagBytes(tag, num);
    const from = shaped ? shape.tagAt[i] : 0;
    const to = shaped ? shape.tagAt[i + 1] : tb.length;
    if (typeof x !== 'string' || (x.length & 1) !== 0) err(num, 0, 'bad-value', `tag ${tag}: value must be an even-length hex string`);
    const len = x.length >> 1;
    if (len > 0xffff) err(num, 0, 'length-exceeds-max', `tag ${tag}: value too long`);
    const need = to - from + (len < 0x80 ? 1 : len < 0x100 ? 2 : 3) + len;
    if (o - start + need > f.length) err(num, start, 'length-exceeds-max', `TLV length exceeds max ${f.length}`); // re-reported by the caller
    ensure(o, need);
    for (let k = from; k < to; k++) out[o++] = tb[k];
    if (len < 0x80) out[o++] = len;
    else if (len < 0x100) {
      out[o++] = 0x81;
      out[o++] = len;
    } else {
      out[o++] = 0x82;
      out[o++] = len >> 8;
      out[o++] = len & 0xff;
    }
    o = writeHex(x, out, o, num);
  }
  return o;
}

/** Fixed-position sub-fields written in place (ASCII/EBCDIC): each padded to its length, checked against its class. */
export function encodeFixedComposite(f: CompiledField, v: Record<string, string>, o: number): number {
  const sfs = f.subfields!;
  // Object.values counts the keys without turning integer ids into strings (Object.keys, for-in)
  if (Object.values(v).length > sfs.length) joinFixed(f, v); // throws the precise unknown-sub-field error
  ensure(o, f.length);
  const ebc = f.enc === E_EBCDIC;
  const numeric = f.type !== T_TEXT;
  for (let j = 0; j < sfs.length; j++) {
    const sf = sfs[j];
    const x = sf.key >= 0 ? v[sf.key] : v[sf.id];
    if (typeof x !== 'string') err(f.num, o, 'bad-value', `sub-field ${sf.id} must be a string`);
    if (x.length > sf.length) err(f.num, o, 'length-exceeds-max', `sub-field ${sf.id} longer than ${sf.length}`);
    const pad = sf.length - x.length;
    const kind = numeric ? T_N : sf.kind;
    const padLeft = sf.kind === T_N;
    if (padLeft) for (let i = 0; i < pad; i++) out[o++] = ebc ? 0xf0 : 48;
    const base = sf.charClass * 256;
    for (let i = 0; i < x.length; i++) {
      const c = x.charCodeAt(i);
      const ok = kind === T_TEXT ? c < 256 && CHAR_OK[base + c] === 1 : kind === T_N || i !== 0 ? c >= 48 && c <= 57 : c === 67 || c === 68;
      if (!ok) err(f.num, o, numeric ? 'bad-digit' : 'bad-char', `sub-field ${sf.id}: character ${JSON.stringify(x[i])} not allowed`);
      out[o++] = ebc ? ASCII_TO_EBCDIC[c] : c;
    }
    if (!padLeft) for (let i = 0; i < pad; i++) out[o++] = ebc ? 0x40 : 32;
  }
  return o;
}
