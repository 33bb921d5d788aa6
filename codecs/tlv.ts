// BER-TLV (EMV, DE 55) and private tag-length-value (DE 48 / 62 / 127 style) sub-fields.
// BER-TLV values are upper-case hex. Decoding is strict (minimal lengths, no duplicate tags, no padding bytes)
// so that encode(decode(b)) gives b back byte for byte.
import { CodecError } from './errors.js';
import { HEX, HEX_VAL } from './charsets.js';

/** Tags of a decoded TLV object in wire order, kept off the enumerable keys (JS orders "82", "95" first). */
export const TLV_ORDER: unique symbol = Symbol('tlvOrder');
export type TlvObject = Record<string, string> & { [TLV_ORDER]?: string[] };

/** Limits: a DE 55 holds at most 255 bytes in every dialect here; cap tags so a hostile field cannot explode. */
export const MAX_TLV_TAGS = 128;

/** Common EMV tags (EMV Book 3 Annex A) → names. */
export const EMV_TAGS: Readonly<Record<string, string>> = {
  '4F': 'Application Identifier (AID) - card',
  '50': 'Application Label',
  '57': 'Track 2 Equivalent Data',
  '5A': 'Application PAN',
  '5F20': 'Cardholder Name',
  '5F24': 'Application Expiration Date',
  '5F25': 'Application Effective Date',
  '5F28': 'Issuer Country Code',
  '5F2A': 'Transaction Currency Code',
  '5F34': 'PAN Sequence Number',
  '71': 'Issuer Script Template 1',
  '72': 'Issuer Script Template 2',
  '82': 'Application Interchange Profile',
  '84': 'Dedicated File (DF) Name',
  '8A': 'Authorisation Response Code',
  '91': 'Issuer Authentication Data',
  '95': 'Terminal Verification Results',
  '9A': 'Transaction Date',
  '9B': 'Transaction Status Information',
  '9C': 'Transaction Type',
  '9F02': 'Amount, Authorised (Numeric)',
  '9F03': 'Amount, Other (Numeric)',
  '9F06': 'Application Identifier (AID) - terminal',
  '9F07': 'Application Usage Control',
  '9F09': 'Application Version Number - terminal',
  '9F10': 'Issuer Application Data',
  '9F1A': 'Terminal Country Code',
  '9F1E': 'Interface Device (IFD) Serial Number',
  '9F26': 'Application Cryptogram',
  '9F27': 'Cryptogram Information Data',
  '9F33': 'Terminal Capabilities',
  '9F34': 'Cardholder Verification Method (CVM) Results',
  '9F35': 'Terminal Type',
  '9F36': 'Application Transaction Counter (ATC)',
  '9F37': 'Unpredictable Number',
  '9F41': 'Transaction Sequence Counter',
  '9F53': 'Transaction Category Code',
  '9F6E': 'Form Factor Indicator / Third Party Data',
};

/** Tags whose values are secret or card data: never printed (cryptograms, track data, PAN). */
export const EMV_SENSITIVE_TAGS: ReadonlySet<string> = new Set(['9F26', '57', '5A', '5F20', '56', '9F6B', '9F10', '91', '9F4B']);

/** Tag code → its hex name, so decoding reuses one (internalised) string per tag instead of building it each time. */
const tagNames = new Map<number, string>();
const MAX_TAG_NAMES = 4096;
function tagName(code: number): string {
  let name = tagNames.get(code);
  if (name !== undefined) return name;
  name = code.toString(16).toUpperCase();
  if (name.length % 2 === 1) name = '0' + name;
  if (tagNames.size < MAX_TAG_NAMES) tagNames.set(code, name);
  return name;
}

function tlvErr(field: number | null, offset: number, msg: string): never {
  throw new CodecError(field, offset, 'bad-tlv', msg);
}

/**
 * A tag sequence seen before: its tag codes, its tags in wire order (frozen, shared) and a prototype that carries
 * them as TLV_ORDER. Decoded objects inherit TLV_ORDER from it, so a decode defines no property on the object (an
 * Object.defineProperty per decode cost about half as much as all the tag stores) and builds no order array. Terminals
 * send a handful of sequences, so a few shapes cover the traffic; the cache is bounded and overwritten round-robin.
 */
export interface TlvShape {
  readonly codes: Float64Array;
  readonly tags: readonly string[];
  /** The same tags in an unfrozen array, for the hot loops: an element load from a frozen array is not inlined by
   * V8 11 (Node 20) and costs a KeyedLoadIC call each (~9 ns against ~0.3 ns, 15 tags on both decode and encode). */
  readonly names: readonly string[];
  /** Per tag, its value as an integer key when the tag is a canonical array index ("82", "95"), else -1: such keys
   * live in the object's elements, and an integer-keyed access skips the string-to-index step of a keyed access by
   * name (a decode store ~30 ns cheaper each). */
  readonly index: Int32Array;
  /** The tags' BER bytes, end to end, and where each starts (tagAt[n] = total): encode skips tagBytes' lookups. */
  readonly tagBytes: Uint8Array;
  readonly tagAt: Int32Array;
  readonly proto: object;
  readonly template: Record<string, string>;
}
/** Internal (not exported from index.ts): the shape a decoded TLV object inherits, next to TLV_ORDER. */
export const TLV_SHAPE: unique symbol = Symbol('tlvShape');
export const MAX_TLV_SHAPES = 64;
const shapes: TlvShape[] = [];
let nextShape = 0; // round-robin slot once the cache is full
let lastShape: TlvShape | null = null;

/** Tag codes, tags and value positions of the BER-TLV being decoded (decode is synchronous: one scratch serves all).
 * Values are kept as offsets, not strings: a young string stored into this long-lived array costs a write barrier. */
const seenCodes = new Float64Array(MAX_TLV_TAGS);
const seenTags: string[] = new Array(MAX_TLV_TAGS).fill('');
const seenAt = new Int32Array(MAX_TLV_TAGS);
const seenLen = new Int32Array(MAX_TLV_TAGS);

/** A tag as an integer when it is a canonical array index (no leading zero; tags are at most 8 digits), else -1. */
function arrayIndex(tag: string): number {
  return /^(?:0|[1-9][0-9]*)$/.test(tag) ? Number(tag) : -1;
}

function findShape(n: number, guess: TlvShape | null, guessHolds: boolean): TlvShape {
  if (guess !== null && guessHolds && guess.codes.length === n) return guess;
  for (let s = 0; s < shapes.length; s++) {
    const codes = shapes[s].codes;
    if (codes.length !== n) continue;
    let k = 0;
    while (k < n && codes[k] === seenCodes[k]) k++;
    if (k === n) return shapes[s];
  }
  const tags = Object.freeze(seenTags.slice(0, n));
  const tagAt = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) tagAt[k + 1] = tagAt[k] + (tags[k].length >> 1);
  const bytes = new Uint8Array(tagAt[n]);
  for (let k = 0; k < n; k++) bytes.set(tagBytes(tags[k], null), tagAt[k]); // decoded tags are valid BER tags
  const proto = Object.create(Object.prototype, { [TLV_ORDER]: { value: tags, enumerable: false } }) as Record<symbol, unknown>;
  const template: Record<string, string> = {};
  for (let k = 0; k < n; k++) template[tags[k]] = '';
  const shape: TlvShape = { codes: seenCodes.slice(0, n), tags, names: tags.slice(), index: Int32Array.from(tags, arrayIndex), tagBytes: bytes, tagAt, proto, template };
  Object.defineProperty(proto, TLV_SHAPE, { value: shape, enumerable: false });
  Object.freeze(proto);
  if (shapes.length < MAX_TLV_SHAPES) shapes.push(shape);
  else {
    shapes[nextShape] = shape;
    nextShape = (nextShape + 1) % MAX_TLV_SHAPES;
  }
  return shape;
}

/** Decodes BER-TLV in bytes[start, end) into { TAG: HEXVALUE }. `field` only labels errors. */
export function decodeTlv(bytes: Uint8Array, start = 0, end = bytes.length, field: number | null = 55): TlvObject {
  let n = 0;
  // While the tags repeat the last shape's sequence they cannot repeat each other: no duplicate scan needed.
  const guess = lastShape;
  let guessHolds = guess !== null;
  let o = start;
  while (o < end) {
    const tagStart = o;
    const b0 = bytes[o++];
    if (b0 === 0x00 || b0 === 0xff) tlvErr(field, tagStart, 'padding byte where a tag should start');
    let tagCode = b0;
    if ((b0 & 0x1f) === 0x1f) {
      for (let k = 1; ; k++) {
        if (o >= end) tlvErr(field, tagStart, 'truncated tag');
        if (k > 3) tlvErr(field, tagStart, 'tag longer than 4 bytes');
        const b = bytes[o++];
        tagCode = tagCode * 256 + b;
        if ((b & 0x80) === 0) break;
      }
    }
    if (o >= end) tlvErr(field, o, `tag ${tagName(tagCode)}: missing length`);
    let len = bytes[o++];
    if (len & 0x80) {
      const ln = len & 0x7f;
      if (ln < 1 || ln > 2) tlvErr(field, o - 1, `tag ${tagName(tagCode)}: unsupported length form 0x${HEX[len]}`);
      if (o + ln > end) tlvErr(field, o, `tag ${tagName(tagCode)}: truncated length`);
      len = ln === 1 ? bytes[o] : (bytes[o] << 8) | bytes[o + 1];
      if (len < (ln === 1 ? 0x80 : 0x100)) tlvErr(field, o - 1, `tag ${tagName(tagCode)}: non-minimal length`);
      o += ln;
    }
    if (o + len > end) tlvErr(field, o, `tag ${tagName(tagCode)}: length ${len} runs past the field end`);
    if (n >= MAX_TLV_TAGS) tlvErr(field, tagStart, `more than ${MAX_TLV_TAGS} tags`);
    if (guessHolds && !(n < guess!.codes.length && guess!.codes[n] === tagCode)) guessHolds = false;
    // duplicates by tag code: a scan of ≤ MAX_TLV_TAGS numbers beats a megamorphic property lookup per tag
    if (!guessHolds) for (let k = 0; k < n; k++) if (seenCodes[k] === tagCode) tlvErr(field, tagStart, `duplicate tag ${tagName(tagCode)}`);
    seenCodes[n] = tagCode;
    seenTags[n] = guessHolds ? guess!.names[n] : tagName(tagCode);
    seenAt[n] = o;
    seenLen[n++] = len;
    o += len;
  }
  const shape = findShape(n, guess, guessHolds);
  const index = shape.index;
  lastShape = shape;
  const out = { ...shape.template } as TlvObject;
  Object.setPrototypeOf(out, shape.proto);
  // one hex string for the whole field, then a substring per value (no per-tag native call)
  const hex = n === 0 ? '' : hexUpper(bytes, start, end);
  for (let k = 0; k < n; k++) {
    const at = seenAt[k] - start, len = seenLen[k];
    const value = len === 1 ? HEX[bytes[start + at]] : hex.slice(2 * at, 2 * (at + len));
    const ix = index[k];
    if (ix >= 0) out[ix] = value;
    else out[seenTags[k]] = value;
  }
  return out;
}

// byte → its two upper-case hex ASCII codes as one 16-bit store (in this machine's byte order)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HEX_PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  const hi = HEX[i].charCodeAt(0), lo = HEX[i].charCodeAt(1);
  HEX_PAIR[i] = LITTLE_ENDIAN ? hi | (lo << 8) : (hi << 8) | lo;
}
type Latin1Buffer = Buffer & { latin1Slice(s: number, e: number): string };
// own (unpooled, so 2-byte aligned) memory, seen both as bytes and as 16-bit pairs
let hexScratch = Buffer.allocUnsafeSlow(1024) as Latin1Buffer;
let hexPairs = new Uint16Array(hexScratch.buffer, 0, 512);

/** Upper-case hex of bytes[s, e) with one string allocation. */
export function hexUpper(bytes: Uint8Array, s: number, e: number): string {
  const n = e - s;
  if (n === 1) return HEX[bytes[s]];
  if (n * 2 > hexScratch.length) {
    hexScratch = Buffer.allocUnsafeSlow(n * 2) as Latin1Buffer; // bounded by the input size
    hexPairs = new Uint16Array(hexScratch.buffer, 0, n);
  }
  const pairs = hexPairs;
  for (let i = 0; i < n; i++) pairs[i] = HEX_PAIR[bytes[s + i]];
  return hexScratch.latin1Slice(0, n * 2);
}

/** Tags in wire order when the object came from decodeTlv (and was not reshaped), else key order. */
export function tlvTags(obj: Record<string, string>): string[] {
  const order = (obj as TlvObject)[TLV_ORDER];
  if (order !== undefined) {
    let ok = Object.keys(obj).length === order.length; // Object.keys is far cheaper than counting with for-in
    for (let i = 0; ok && i < order.length; i++) ok = obj[order[i]] !== undefined;
    if (ok) return order;
  }
  return Object.keys(obj);
}

/** Size in bytes of the BER-TLV encoding of obj; validates tags and values. */
export function tlvEncodedLength(obj: Record<string, string>, field: number | null = 55, tags: string[] = tlvTags(obj)): number {
  let total = 0;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    const v = obj[tag];
    tagBytes(tag, field);
    if (typeof v !== 'string' || v.length % 2 !== 0) throw new CodecError(field, 0, 'bad-value', `tag ${tag}: value must be an even-length hex string`);
    const len = v.length >> 1;
    if (len > 0xffff) throw new CodecError(field, 0, 'length-exceeds-max', `tag ${tag}: value too long`);
    total += (tag.length >> 1) + (len < 0x80 ? 1 : len < 0x100 ? 2 : 3) + len;
  }
  return total;
}

/** Validated tags → their bytes. Bounded: past MAX_TAG_CACHE entries, new tags are checked but not cached. */
const tagCache = new Map<string, Uint8Array>();
const MAX_TAG_CACHE = 4096;

export function tagBytes(tag: string, field: number | null): Uint8Array {
  const hit = tagCache.get(tag);
  if (hit !== undefined) return hit;
  const n = tag.length >> 1;
  if (typeof tag !== 'string' || tag.length % 2 !== 0 || n < 1 || n > 4) throw new CodecError(field, 0, 'bad-tlv', `bad tag ${JSON.stringify(tag)}`);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c0 = tag.charCodeAt(2 * i), c1 = tag.charCodeAt(2 * i + 1);
    if (c0 > 0x7f || c1 > 0x7f || HEX_VAL[c0] < 0 || HEX_VAL[c1] < 0) throw new CodecError(field, 0, 'bad-tlv', `bad tag ${JSON.stringify(tag)}`);
    bytes[i] = (HEX_VAL[c0] << 4) | HEX_VAL[c1];
  }
  // The tag's own continuation bits must agree with its length, or decode would read it differently.
  const multi = (bytes[0] & 0x1f) === 0x1f;
  if (bytes[0] === 0 || bytes[0] === 0xff || (multi ? n < 2 : n !== 1)) throw new CodecError(field, 0, 'bad-tlv', `tag ${tag}: malformed BER tag`);
  for (let i = 1; i < n; i++) {
    if (((bytes[i] & 0x80) !== 0) !== i < n - 1) throw new CodecError(field, 0, 'bad-tlv', `tag ${tag}: malformed BER tag`);
  }
  if (tagCache.size < MAX_TAG_CACHE) tagCache.set(tag, bytes);
  return bytes;
}

/** Writes the BER-TLV encoding of obj into out at offset o (caller sized it with tlvEncodedLength); returns the new offset. */
export function writeTlv(obj: Record<string, string>, out: Uint8Array, o: number, field: number | null = 55, tags: string[] = tlvTags(obj)): number {
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    const tb = tagBytes(tag, field);
    for (let k = 0; k < tb.length; k++) out[o++] = tb[k];
    const v = obj[tag];
    const len = v.length >> 1;
    if (len < 0x80) out[o++] = len;
    else if (len < 0x100) {
      out[o++] = 0x81;
      out[o++] = len;
    } else {
      out[o++] = 0x82;
      out[o++] = len >> 8;
      out[o++] = len & 0xff;
    }
    o = writeHex(v, out, o, field);
  }
  return o;
}

/** Byte value of each pair of ASCII hex digits (either case), indexed (c0 << 7) | c1 for c0, c1 < 128; else -1.
 * One load per output byte instead of two nibble loads, shifts and a separate ASCII check. */
export const HEX_PAIR_VAL = new Int16Array(128 * 128).fill(-1);
for (let c0 = 0; c0 < 128; c0++) {
  for (let c1 = 0; c1 < 128; c1++) if (HEX_VAL[c0] >= 0 && HEX_VAL[c1] >= 0) HEX_PAIR_VAL[(c0 << 7) | c1] = (HEX_VAL[c0] << 4) | HEX_VAL[c1];
}

export function writeHex(s: string, out: Uint8Array, o: number, field: number | null): number {
  const n = s.length;
  for (let i = 0; i < n; i += 2) {
    const c0 = s.charCodeAt(i), c1 = s.charCodeAt(i + 1); // c1 is NaN past an odd end: fails c1 < 128
    const b = c0 < 128 && c1 < 128 ? HEX_PAIR_VAL[(c0 << 7) | c1] : -1;
    if (b < 0) throw new CodecError(field, o, 'bad-hex', `not hex: ${JSON.stringify(s.slice(i, i + 2))}`);
    out[o++] = b;
  }
  return o;
}

/** BER-TLV encoding of obj as a new Buffer. */
export function encodeTlv(obj: Record<string, string>, field: number | null = 55): Buffer {
  const out = Buffer.alloc(tlvEncodedLength(obj, field));
  writeTlv(obj, out, 0, field);
  return out;
}

// ---- private TLV over text: TAG (2|3 chars) LEN (2|3 digits) VALUE ----

/** Parses "TTLLvalue…" text into { TT: value }; strict (no duplicates, exact end). */
export function decodePrivateTlv(text: string, tagLength: number, lengthDigits: number, field: number | null = null, baseOffset = 0): TlvObject {
  const out: TlvObject = {};
  const order: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (i + tagLength + lengthDigits > text.length) tlvErr(field, baseOffset + i, 'truncated tag or length');
    const tag = text.slice(i, i + tagLength);
    let len = 0;
    for (let k = 0; k < lengthDigits; k++) {
      const d = text.charCodeAt(i + tagLength + k) - 48;
      if (d < 0 || d > 9) tlvErr(field, baseOffset + i + tagLength, `tag ${tag}: length is not digits`);
      len = len * 10 + d;
    }
    const vs = i + tagLength + lengthDigits;
    if (vs + len > text.length) tlvErr(field, baseOffset + vs, `tag ${tag}: length ${len} runs past the field end`);
    if (Object.prototype.hasOwnProperty.call(out, tag)) tlvErr(field, baseOffset + i, `duplicate tag ${tag}`);
    if (order.length >= MAX_TLV_TAGS) tlvErr(field, baseOffset + i, `more than ${MAX_TLV_TAGS} tags`);
    out[tag] = text.slice(vs, vs + len);
    order.push(tag);
    i = vs + len;
  }
  Object.defineProperty(out, TLV_ORDER, { value: order, enumerable: false });
  return out;
}

/** Inverse of decodePrivateTlv. */
export function encodePrivateTlv(obj: Record<string, string>, tagLength: number, lengthDigits: number, field: number | null = null): string {
  const parts: string[] = [];
  const max = 10 ** lengthDigits - 1;
  for (const tag of tlvTags(obj)) {
    const v = obj[tag];
    if (tag.length !== tagLength) throw new CodecError(field, 0, 'bad-tlv', `tag ${JSON.stringify(tag)} must be ${tagLength} characters`);
    if (typeof v !== 'string') throw new CodecError(field, 0, 'bad-value', `tag ${tag}: value must be a string`);
    if (v.length > max) throw new CodecError(field, 0, 'length-exceeds-max', `tag ${tag}: value longer than ${max}`);
    parts.push(tag, String(v.length).padStart(lengthDigits, '0'), v);
  }
  return parts.join('');
}
