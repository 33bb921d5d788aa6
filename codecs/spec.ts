// The message spec format: plain data (TypeScript objects or JSON) that one engine interprets.
// compileSpec() validates a spec once and turns it into a dense per-field table of small descriptors
// (numbers, no closures) that encode/decode index by field number.
import { CodecError } from './errors.js';

/**
 * Content class: n digits; z track-2 digits and '='; xn 'C'/'D' then digits (amount with sign);
 * a letters and space; an letters, digits, space; ans/ns/anp printable ASCII; b binary bytes.
 */
export type ContentClass = 'n' | 'z' | 'xn' | 'a' | 'an' | 'ans' | 'ns' | 'anp' | 'b';
/** How the data bytes are written. 'hex' = binary as two ASCII hex characters per byte (jPOS IFA_BINARY). */
export type DataEncoding = 'ascii' | 'bcd' | 'binary' | 'ebcdic' | 'hex';
/** How a length prefix is written. bcd: LL = 1 byte, LLL/LLLL = 2 bytes; binary: LL = 1 byte, LLL/LLLL = 2 bytes. */
export type PrefixEncoding = 'ascii' | 'bcd' | 'binary' | 'ebcdic';
export type LengthKind = 'fixed' | 'LL' | 'LLL' | 'LLLL';

export interface SubfieldSpec {
  /** Key of the sub-field in the JSON object ("1", "2", … or a name). */
  id: string;
  name: string;
  /** Exact length in characters. */
  length: number;
  type: 'n' | 'a' | 'an' | 'ans' | 'xn';
}

export type SubfieldLayout =
  /** Fixed-position composite over the field's text (DE 43, DE 90, DE 95). */
  | { kind: 'fixed'; fields: SubfieldSpec[] }
  /** BER-TLV over the field's bytes (DE 55, EMV); values upper-case hex. The field must be type 'b'. */
  | { kind: 'ber-tlv' }
  /** Private tag-length-value over the field's text: `tagLength` characters, `lengthDigits` digits, the value. */
  | { kind: 'tlv'; tagLength: 2 | 3; lengthDigits: 2 | 3 };

export interface FieldSpec {
  name: string;
  type: ContentClass;
  /** Fixed length, or maximum for variable fields, in units: digits (n, z), characters (text, xn incl. sign), bytes (b). */
  length: number;
  /** Default 'fixed'. */
  prefix?: LengthKind;
  /** Encoding of the length prefix; defaults to the message's `lengthEncoding`. */
  prefixEncoding?: PrefixEncoding;
  /** Encoding of the data; defaults to the message's `numericEncoding` (n, z, xn), `textEncoding`, or `binaryEncoding` (b). */
  encoding?: DataEncoding;
  /** BCD odd-length padding side (default 'left' for fixed numerics, 'right' for variable). */
  pad?: 'left' | 'right';
  subfields?: SubfieldLayout;
}

export interface MessageSpec {
  name: string;
  description: string;
  /** MTI encoding: 4 ASCII digits, 2 BCD bytes or 4 EBCDIC digits. */
  mtiEncoding: 'ascii' | 'bcd' | 'ebcdic';
  /** Bitmap encoding: 8 raw bytes per bitmap, or 16 ASCII hex characters per bitmap. */
  bitmapEncoding: 'binary' | 'hex';
  numericEncoding: 'ascii' | 'bcd' | 'ebcdic';
  textEncoding: 'ascii' | 'ebcdic';
  binaryEncoding: 'binary' | 'hex';
  lengthEncoding: PrefixEncoding;
  /** Fields 2..192 (1 and 65 are bitmap indicators, 129.. only with a tertiary bitmap). */
  fields: Record<string, FieldSpec>;
}

// ---- compiled form ----

export const T_N = 0, T_Z = 1, T_XN = 2, T_TEXT = 3, T_B = 4;
export const E_ASCII = 0, E_BCD = 1, E_BINARY = 2, E_EBCDIC = 3, E_HEX = 4;
export const S_NONE = 0, S_FIXED = 1, S_BERTLV = 2, S_TLV = 3;
/** Character classes for text validation. */
export const C_A = 0, C_AN = 1, C_ANS = 2;

/** A fixed-position sub-field, compiled: `key` is the id as an integer when it is one (integer-keyed loads). */
export interface CompiledSubfield {
  readonly id: string;
  readonly key: number; // -1 when id is not a canonical array index
  readonly length: number;
  readonly type: SubfieldSpec['type'];
  readonly kind: number; // T_N, T_XN or T_TEXT
  readonly charClass: number; // C_* for text
}

export interface CompiledField {
  readonly num: number;
  readonly name: string;
  readonly type: number; // T_*
  readonly charClass: number; // C_* (text fields)
  readonly enc: number; // E_*
  readonly length: number; // fixed length or max, in units
  readonly prefixDigits: number; // 0 fixed, 2, 3, 4
  readonly prefixEnc: number; // E_ASCII | E_BCD | E_BINARY | E_EBCDIC
  readonly prefixBytes: number;
  readonly padLeft: boolean;
  readonly sub: number; // S_*
  readonly subfields: readonly CompiledSubfield[] | null;
  readonly tlvTagLength: number;
  readonly tlvLengthDigits: number;
}

export interface CompiledSpec {
  readonly name: string;
  readonly description: string;
  readonly source: MessageSpec;
  readonly mtiEnc: number;
  readonly bitmapHex: boolean;
  /** Index = field number (0..192); null where the spec defines no field. */
  readonly fields: readonly (CompiledField | null)[];
}

export const MAX_FIELD = 192;
const ENC: Record<string, number> = { ascii: E_ASCII, bcd: E_BCD, binary: E_BINARY, ebcdic: E_EBCDIC, hex: E_HEX };
const TYPES: Record<string, number> = { n: T_N, z: T_Z, xn: T_XN, a: T_TEXT, an: T_TEXT, ans: T_TEXT, ns: T_TEXT, anp: T_TEXT, b: T_B };
const PREFIX: Record<string, number> = { fixed: 0, LL: 2, LLL: 3, LLLL: 4 };

function bad(msg: string, field: number | null = null): never {
  throw new CodecError(field, 0, 'bad-spec', msg);
}

export function prefixByteCount(digits: number, enc: number): number {
  if (digits === 0) return 0;
  if (enc === E_BCD) return (digits + 1) >> 1;
  if (enc === E_BINARY) return digits <= 2 ? 1 : 2;
  return digits;
}

/** Validates a spec (from code or JSON) and compiles it. Throws CodecError reason 'bad-spec'. */
export function compileSpec(spec: MessageSpec): CompiledSpec {
  if (!spec || typeof spec !== 'object') bad('spec must be an object');
  if (typeof spec.name !== 'string' || !spec.name) bad('spec.name must be a non-empty string');
  if (!['ascii', 'bcd', 'ebcdic'].includes(spec.mtiEncoding)) bad(`mtiEncoding ${spec.mtiEncoding}`);
  if (!['binary', 'hex'].includes(spec.bitmapEncoding)) bad(`bitmapEncoding ${spec.bitmapEncoding}`);
  if (!['ascii', 'bcd', 'ebcdic'].includes(spec.numericEncoding)) bad(`numericEncoding ${spec.numericEncoding}`);
  if (!['ascii', 'ebcdic'].includes(spec.textEncoding)) bad(`textEncoding ${spec.textEncoding}`);
  if (!['binary', 'hex'].includes(spec.binaryEncoding)) bad(`binaryEncoding ${spec.binaryEncoding}`);
  if (!(spec.lengthEncoding in ENC) || spec.lengthEncoding === ('hex' as string)) bad(`lengthEncoding ${spec.lengthEncoding}`);
  if (!spec.fields || typeof spec.fields !== 'object') bad('spec.fields must be an object');
  const fields: (CompiledField | null)[] = new Array(MAX_FIELD + 1).fill(null);
  for (const [key, f] of Object.entries(spec.fields)) {
    const num = Number(key);
    if (!Number.isInteger(num) || num < 2 || num > MAX_FIELD || num === 65 || num === 129) bad(`field number ${key}`);
    fields[num] = compileField(num, f, spec);
  }
  return { name: spec.name, description: spec.description ?? '', source: spec, mtiEnc: ENC[spec.mtiEncoding], bitmapHex: spec.bitmapEncoding === 'hex', fields };
}

function compileField(num: number, f: FieldSpec, spec: MessageSpec): CompiledField {
  if (!f || typeof f !== 'object') bad('field spec must be an object', num);
  const type = TYPES[f.type];
  if (type === undefined) bad(`type ${f.type}`, num);
  if (!Number.isInteger(f.length) || f.length < 1 || f.length > 9999) bad(`length ${f.length}`, num);
  const prefixDigits = PREFIX[f.prefix ?? 'fixed'];
  if (prefixDigits === undefined) bad(`prefix ${f.prefix}`, num);
  if (prefixDigits > 0 && f.length >= 10 ** prefixDigits) bad(`max length ${f.length} does not fit a ${f.prefix} prefix`, num);
  const prefixEnc = ENC[f.prefixEncoding ?? spec.lengthEncoding];
  if (prefixEnc === undefined || prefixEnc === E_HEX) bad(`prefixEncoding ${f.prefixEncoding}`, num);
  if (prefixEnc === E_BINARY && prefixDigits > 0 && f.length > (prefixDigits <= 2 ? 255 : 65535)) bad('length does not fit a binary prefix', num);
  const defEnc = type === T_B ? spec.binaryEncoding : type === T_TEXT ? spec.textEncoding : spec.numericEncoding;
  const enc = ENC[f.encoding ?? defEnc];
  if (enc === undefined) bad(`encoding ${f.encoding}`, num);
  const okEnc =
    type === T_B ? enc === E_BINARY || enc === E_HEX : type === T_TEXT ? enc === E_ASCII || enc === E_EBCDIC : enc === E_ASCII || enc === E_BCD || enc === E_EBCDIC;
  if (!okEnc) bad(`encoding ${f.encoding ?? defEnc} does not suit type ${f.type}`, num);
  const charClass = f.type === 'a' ? C_A : f.type === 'an' ? C_AN : C_ANS;
  let sub = S_NONE;
  let subfields: CompiledSubfield[] | null = null;
  let tlvTagLength = 0;
  let tlvLengthDigits = 0;
  if (f.subfields) {
    const s = f.subfields;
    if (s.kind === 'fixed') {
      if (type !== T_TEXT && type !== T_N) bad('fixed sub-fields need a text or numeric field', num);
      if (!Array.isArray(s.fields) || s.fields.length === 0) bad('fixed sub-fields need a list', num);
      let total = 0;
      const ids = new Set<string>();
      for (const sf of s.fields) {
        if (!sf || typeof sf.id !== 'string' || ids.has(sf.id)) bad(`sub-field id ${sf?.id}`, num);
        ids.add(sf.id);
        if (!Number.isInteger(sf.length) || sf.length < 1) bad(`sub-field ${sf.id} length`, num);
        if (!['n', 'a', 'an', 'ans', 'xn'].includes(sf.type)) bad(`sub-field ${sf.id} type ${sf.type}`, num);
        total += sf.length;
      }
      if (prefixDigits !== 0 || total !== f.length) bad(`fixed sub-fields must be a fixed field and sum to ${f.length} (got ${total})`, num);
      sub = S_FIXED;
      subfields = s.fields.map((x) => ({
        id: x.id,
        key: /^(?:0|[1-9][0-9]{0,8})$/.test(x.id) ? Number(x.id) : -1,
        length: x.length,
        type: x.type,
        kind: x.type === 'n' ? T_N : x.type === 'xn' ? T_XN : T_TEXT,
        charClass: x.type === 'a' ? C_A : x.type === 'an' ? C_AN : C_ANS,
      }));
    } else if (s.kind === 'ber-tlv') {
      if (type !== T_B) bad('ber-tlv sub-fields need a binary (b) field', num);
      sub = S_BERTLV;
    } else if (s.kind === 'tlv') {
      if (type !== T_TEXT) bad('tlv sub-fields need a text field', num);
      if (s.tagLength !== 2 && s.tagLength !== 3) bad('tlv tagLength must be 2 or 3', num);
      if (s.lengthDigits !== 2 && s.lengthDigits !== 3) bad('tlv lengthDigits must be 2 or 3', num);
      sub = S_TLV;
      tlvTagLength = s.tagLength;
      tlvLengthDigits = s.lengthDigits;
    } else bad(`sub-field kind ${(s as { kind: string }).kind}`, num);
  }
  return {
    num,
    name: String(f.name ?? `Field ${num}`),
    type,
    charClass,
    enc,
    length: f.length,
    prefixDigits,
    prefixEnc,
    prefixBytes: prefixByteCount(prefixDigits, prefixEnc),
    padLeft: f.pad ? f.pad === 'left' : prefixDigits === 0,
    sub,
    subfields,
    tlvTagLength,
    tlvLengthDigits,
  };
}
