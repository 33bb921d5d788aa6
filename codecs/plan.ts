// Per-field plans: each field of a spec gets, once, a decoder and an encoder closure specialised to its shape
// (ASCII digits, ASCII text, raw binary, BER-TLV, ASCII fixed composites), so the per-message loop does no
// branching on type, encoding, prefix or sub-fields. A fast closure only ever takes the happy path: on anything it
// does not accept (bad byte, wrong type, short input) it hands the same arguments to the general decodeField /
// encodeField, which produce the result or the exact error they always did. Shapes without a fast closure (BCD,
// EBCDIC, xn, hex binary, private TLV) run the general functions. Still data-driven: the closures are chosen from
// the spec, never written per dialect.
import { HEX_VAL } from './charsets.js';
import {
  CHAR_OK,
  decodeField,
  encodeField,
  encodeFixedComposite,
  encodeTlvField,
  ensure,
  generalPlan,
  out,
  readPrefix,
  writePrefix,
  type FieldDecoder,
  type FieldEncoder,
  type FieldPlan,
} from './engine.js';
import { type CompiledField, type CompiledSpec, E_ASCII, E_BINARY, S_BERTLV, S_FIXED, S_NONE, T_B, T_N, T_TEXT, T_Z } from './spec.js';
import { decodeTlv, hexUpper } from './tlv.js';

const plans = new WeakMap<CompiledSpec, FieldPlan>();
let lastSpec: CompiledSpec | null = null;
let lastPlan: FieldPlan | null = null;

/** The fast plan of spec, built on first use and kept as long as the spec is. */
export function planFor(spec: CompiledSpec): FieldPlan {
  if (spec === lastSpec) return lastPlan!;
  let plan = plans.get(spec);
  if (plan === undefined) {
    plan = buildPlan(spec);
    plans.set(spec, plan);
  }
  lastSpec = spec;
  lastPlan = plan;
  return plan;
}

function buildPlan(spec: CompiledSpec): FieldPlan {
  const general = generalPlan(spec);
  const dec = spec.fields.map((f, num) => (f === null ? null : (fastDecoder(f) ?? general.dec[num])));
  const enc = spec.fields.map((f, num) => (f === null ? null : (fastEncoder(f) ?? general.enc[num])));
  return { dec, enc };
}

// Shapes with a fast closure (any length prefix: readPrefix / writePrefix handle every prefix encoding).
const isAsciiDigits = (f: CompiledField) => (f.type === T_N || f.type === T_Z) && f.enc === E_ASCII && f.sub === S_NONE;
const isAsciiText = (f: CompiledField) => f.type === T_TEXT && f.enc === E_ASCII && f.sub === S_NONE;
const isRawBinary = (f: CompiledField) => f.type === T_B && f.enc === E_BINARY && f.sub === S_NONE;
const isAsciiFixed = (f: CompiledField) => (f.type === T_TEXT || f.type === T_N) && f.enc === E_ASCII && f.sub === S_FIXED;
const isRawBerTlv = (f: CompiledField) => f.type === T_B && f.enc === E_BINARY && f.sub === S_BERTLV;

// ---------------------------------------------------------------- decode

function fastDecoder(f: CompiledField): FieldDecoder | null {
  if (isAsciiDigits(f)) return decodeDigits(f);
  if (isAsciiText(f)) return decodeText(f);
  if (isRawBinary(f)) return decodeBinary(f);
  if (isRawBerTlv(f)) return decodeBerTlv(f);
  if (isAsciiFixed(f) && f.length <= MAX_FIXED_TABLE) return decodeFixed(f);
  return null;
}

function decodeDigits(f: CompiledField): FieldDecoder {
  const num = f.num, fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length, z = f.type === T_Z;
  return (buf, str, o, end, fields) => {
    const len = fixed ? max : readPrefix(f, buf, o, end);
    const s = fixed ? o : o + pb;
    const e = s + len;
    if (e > end) return decodeField(f, buf, str, o, end, fields);
    for (let i = s; i < e; i++) {
      const c = buf[i];
      if ((c < 48 || c > 57) && !(z && c === 61)) return decodeField(f, buf, str, o, end, fields);
    }
    fields[num] = str.slice(s, e);
    return e;
  };
}

function decodeText(f: CompiledField): FieldDecoder {
  const num = f.num, fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length, base = f.charClass * 256;
  return (buf, str, o, end, fields) => {
    const len = fixed ? max : readPrefix(f, buf, o, end);
    const s = fixed ? o : o + pb;
    const e = s + len;
    if (e > end) return decodeField(f, buf, str, o, end, fields);
    for (let i = s; i < e; i++) if (CHAR_OK[base + buf[i]] !== 1) return decodeField(f, buf, str, o, end, fields);
    fields[num] = str.slice(s, e);
    return e;
  };
}

function decodeBinary(f: CompiledField): FieldDecoder {
  const num = f.num, fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length;
  return (buf, str, o, end, fields) => {
    const len = fixed ? max : readPrefix(f, buf, o, end);
    const s = fixed ? o : o + pb;
    if (s + len > end) return decodeField(f, buf, str, o, end, fields);
    fields[num] = hexUpper(buf, s, s + len);
    return s + len;
  };
}

function decodeBerTlv(f: CompiledField): FieldDecoder {
  const num = f.num, fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length;
  return (buf, str, o, end, fields) => {
    const len = fixed ? max : readPrefix(f, buf, o, end);
    const s = fixed ? o : o + pb;
    if (s + len > end) return decodeField(f, buf, str, o, end, fields);
    fields[num] = decodeTlv(buf, s, s + len, num);
    return s + len;
  };
}

/** Fixed composites up to this length get a per-position byte table (length × 256 bytes). */
const MAX_FIXED_TABLE = 256;

/**
 * ASCII fixed-position sub-fields: one table says, per position and byte, whether the field's own class and its
 * sub-field's class both allow it (as decodeField checks them, in two passes), then one slice per sub-field.
 */
function decodeFixed(f: CompiledField): FieldDecoder {
  const num = f.num, len = f.length, sfs = f.subfields!;
  const ok = new Uint8Array(len * 256);
  let p = 0;
  for (const sf of sfs) {
    for (let i = 0; i < sf.length; i++, p++) {
      for (let c = 0; c < 256; c++) {
        const field = f.type === T_TEXT ? CHAR_OK[f.charClass * 256 + c] === 1 : c >= 48 && c <= 57;
        const digit = c >= 48 && c <= 57;
        const sub = sf.type === 'ans' ? true : sf.type === 'n' ? digit : sf.type === 'xn' ? (i === 0 ? c === 67 || c === 68 : digit) : CHAR_OK[sf.charClass * 256 + c] === 1;
        ok[p * 256 + c] = field && sub ? 1 : 0;
      }
    }
  }
  const keys = sfs.map((sf) => (sf.key >= 0 ? sf.key : sf.id));
  const lens = sfs.map((sf) => sf.length);
  // cloned, then overwritten in place: the same keys in the same order as decodeField's stores, without its
  // first-store-into-an-empty-object runtime call
  const template: Record<string, string> = {};
  for (const k of keys) template[k] = '';
  return (buf, str, o, end, fields) => {
    if (o + len > end) return decodeField(f, buf, str, o, end, fields);
    for (let i = 0; i < len; i++) if (ok[i * 256 + buf[o + i]] !== 1) return decodeField(f, buf, str, o, end, fields);
    const obj: Record<string, string> = { ...template };
    let s = o;
    for (let j = 0; j < keys.length; j++) {
      obj[keys[j]] = str.slice(s, s + lens[j]);
      s += lens[j];
    }
    fields[num] = obj;
    return s;
  };
}

// ---------------------------------------------------------------- encode

function fastEncoder(f: CompiledField): FieldEncoder | null {
  if (isAsciiDigits(f)) return encodeDigits(f);
  if (isAsciiText(f)) return encodeText(f);
  if (isRawBinary(f)) return encodeBinary(f);
  if (isRawBerTlv(f)) return encodeBerTlv(f);
  if (f.sub === S_FIXED && f.enc === E_ASCII) return encodeFixed(f);
  return null;
}

function encodeDigits(f: CompiledField): FieldEncoder {
  const fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length, z = f.type === T_Z;
  return (v, o) => {
    if (typeof v !== 'string') return encodeField(f, v, o);
    const n = v.length;
    // too long, or a short fixed track 2 (only n pads): the general path says why
    if (n > max || (fixed && z && n < max)) return encodeField(f, v, o);
    const len = fixed ? max : n;
    ensure(o, pb + len);
    const b = out; // after ensure: it may have grown
    let p = fixed ? o : writePrefix(f, len, o);
    for (let i = n; i < len; i++) b[p++] = 48; // fixed n: leading zeros
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c >= 48 && c <= 57) b[p++] = c;
      else if (z && (c === 61 || c === 68)) b[p++] = 61; // track 2 'D' separator normalised to '='
      else return encodeField(f, v, o);
    }
    return p;
  };
}

function encodeText(f: CompiledField): FieldEncoder {
  const fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length, base = f.charClass * 256;
  return (v, o) => {
    if (typeof v !== 'string') return encodeField(f, v, o);
    const n = v.length;
    if (n > max) return encodeField(f, v, o);
    const len = fixed ? max : n;
    ensure(o, pb + len);
    const b = out;
    let p = fixed ? o : writePrefix(f, len, o);
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c > 0x7e || CHAR_OK[base + c] !== 1) return encodeField(f, v, o);
      b[p++] = c;
    }
    for (let i = n; i < len; i++) b[p++] = 32; // fixed text: trailing spaces
    return p;
  };
}

function encodeBinary(f: CompiledField): FieldEncoder {
  const fixed = f.prefixDigits === 0, pb = f.prefixBytes, max = f.length;
  return (v, o) => {
    if (typeof v !== 'string') return encodeField(f, v, o);
    const n = v.length;
    const len = n >> 1;
    if ((n & 1) === 1 || len > max || (fixed && len < max)) return encodeField(f, v, o);
    ensure(o, pb + len);
    const b = out;
    let p = fixed ? o : writePrefix(f, len, o);
    for (let i = 0; i < n; i += 2) {
      const c0 = v.charCodeAt(i), c1 = v.charCodeAt(i + 1);
      if (c0 > 0x7f || c1 > 0x7f) return encodeField(f, v, o);
      const hi = HEX_VAL[c0], lo = HEX_VAL[c1];
      if (hi < 0 || lo < 0) return encodeField(f, v, o);
      b[p++] = (hi << 4) | lo;
    }
    return p;
  };
}

/** A plain object goes straight to the TLV writer; anything else (a hex string, a bad value) takes the general path. */
function encodeBerTlv(f: CompiledField): FieldEncoder {
  return (v, o) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? encodeTlvField(f, v, o) : encodeField(f, v, o));
}

function encodeFixed(f: CompiledField): FieldEncoder {
  return (v, o) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? encodeFixedComposite(f, v, o) : encodeField(f, v, o));
}
