// A fixed binary layout for postings (the ledger writes one per settled record): msgpack spent ~1.8 µs packing a
// capture's posting and ~1.3 µs unpacking it; this layout takes a fraction of that. A value starts with 0xc1, a
// byte msgpack never uses, so the postings database holds either this layout or msgpack (books written before it,
// or a posting of a shape this layout does not know) and decodes both. Layout, after the tag and LAYOUT_VERSION:
//   flags u8 (FLAG_*), id, seq, kind, currency, businessDate, entry count u8, entries (account, field u8, amount),
//   [reverses], [note], [transfer: amount, merchantId, issuerId, acquirerId, [originalId],
//   [split: platformFee, seller count u8, sellers (sellerId, amount)]]
// A string is a length byte < 0x80 and that many ASCII bytes, or 0xff, a u32 length and UTF-8 bytes. A number
// is 0xce and a u32, or 0xcb and a float64 (both little-endian).
import { Encoder as MsgpackEncoder } from 'msgpackr';
import type { Entry, Field, Posting, TransferFacts } from './posting.js';

export const POSTING_TAG = 0xc1;
const LAYOUT_VERSION = 1;
const FLAG_REVERSES = 1;
const FLAG_NOTE = 2;
const FLAG_TRANSFER = 4;
const FLAG_ORIGINAL = 8;
const FLAG_SPLIT = 16;
/** A posting has at most this many entries (and a split this many sellers) in this layout; more go to msgpack. */
const MAX_ITEMS = 255;
const FIELDS: readonly Field[] = ['D', 'C', 'PD', 'PC'];
/** msgpackr's encode modes (lmdb passes them): RESET means the bytes are copied before the next encode. */
const RESET_BUFFER_MODE = 1024;

let buf = Buffer.allocUnsafe(4096);
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
/** Makes the shared buffer hold at least `n` bytes (its contents are not kept: an encode starts over). */
function reserve(n: number): void {
  if (n <= buf.length) return;
  buf = Buffer.allocUnsafe(Math.max(buf.length * 2, n));
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Bytes a string takes at most (UTF-8 needs at most 3 bytes per UTF-16 unit). */
const strMax = (s: string) => 5 + 3 * s.length;

// The writers take the buffer and offset as arguments and return the next offset: module variables (a context
// slot each) were reloaded and stored per byte written, ~2x the instructions of an encode.
function putString(b: Buffer, o: number, s: string): number {
  const n = s.length;
  if (n < 0x80) {
    b[o] = n;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return putUtf8(b, o, s); // not ASCII: rewritten as UTF-8
      b[o + 1 + i] = c;
    }
    return o + 1 + n;
  }
  return putUtf8(b, o, s);
}

function putUtf8(b: Buffer, o: number, s: string): number {
  b[o] = 0xff;
  const n = b.write(s, o + 5, 'utf8');
  view.setUint32(o + 1, n, true);
  return o + 5 + n;
}

function putNumber(b: Buffer, v: DataView, o: number, n: number): number {
  if (n >>> 0 === n) {
    b[o] = 0xce;
    v.setUint32(o + 1, n, true);
    return o + 5;
  }
  b[o] = 0xcb;
  v.setFloat64(o + 1, n, true);
  return o + 9;
}

/** FIELDS.indexOf(f) without the builtin call. */
function fieldCode(f: unknown): number {
  return f === 'D' ? 0 : f === 'C' ? 1 : f === 'PD' ? 2 : f === 'PC' ? 3 : -1;
}

/** Own enumerable keys of `o` that hold a value (msgpack stores undefined; this layout omits it). */
function definedKeys(o: object): number {
  let n = 0;
  for (const k in o) if ((o as Record<string, unknown>)[k] !== undefined) n++;
  return n;
}

const isStr = (s: unknown): s is string => typeof s === 'string';
const isNum = (n: unknown): n is number => typeof n === 'number';

/** True when `p` is exactly a Posting this layout stores without losing anything (else msgpack stores it). */
export function fitsLayout(p: Posting): boolean {
  if (!isStr(p.id) || !isNum(p.seq) || !isStr(p.kind) || !isStr(p.currency) || !isStr(p.businessDate)) return false;
  if (!Array.isArray(p.entries) || p.entries.length > MAX_ITEMS) return false;
  let keys = 6;
  for (let i = 0; i < p.entries.length; i++) {
    const e = p.entries[i];
    if (!Array.isArray(e) || e.length !== 3 || !isStr(e[0]) || fieldCode(e[1]) < 0 || !isNum(e[2])) return false;
  }
  if (p.reverses !== undefined) {
    if (!isStr(p.reverses)) return false;
    keys++;
  }
  if (p.note !== undefined) {
    if (!isStr(p.note)) return false;
    keys++;
  }
  const t = p.transfer;
  if (t !== undefined) {
    keys++;
    if (t === null || typeof t !== 'object' || !isNum(t.amount) || !isStr(t.merchantId) || !isStr(t.issuerId) || !isStr(t.acquirerId)) return false;
    let tk = 4;
    if (t.originalId !== undefined) {
      if (!isStr(t.originalId)) return false;
      tk++;
    }
    const s = t.split;
    if (s !== undefined) {
      tk++;
      if (s === null || typeof s !== 'object' || !isNum(s.platformFee) || !Array.isArray(s.sellers) || s.sellers.length > MAX_ITEMS || definedKeys(s) !== 2) return false;
      for (const x of s.sellers) {
        if (x === null || typeof x !== 'object' || !isStr(x.sellerId) || !isNum(x.amount) || definedKeys(x) !== 2) return false;
      }
    }
    if (definedKeys(t) !== tk) return false;
  }
  return definedKeys(p) === keys;
}

/**
 * Encodes a posting that fitsLayout. The bytes live in a shared buffer until the next call unless `copy`:
 * lmdb copies them at once inside a write transaction (RESET mode), a batched put outside one needs its own.
 */
export function encodePosting(p: Posting, copy: boolean): Buffer {
  const es = p.entries;
  const t = p.transfer;
  // The buffer is sized once for the worst case, so the writers below check nothing.
  let max = 4 + 9 + strMax(p.id) + strMax(p.kind) + strMax(p.currency) + strMax(p.businessDate);
  for (let i = 0; i < es.length; i++) max += strMax(es[i][0]) + 10;
  if (p.reverses !== undefined) max += strMax(p.reverses);
  if (p.note !== undefined) max += strMax(p.note);
  if (t !== undefined) {
    max += 9 + strMax(t.merchantId) + strMax(t.issuerId) + strMax(t.acquirerId);
    if (t.originalId !== undefined) max += strMax(t.originalId);
    if (t.split !== undefined) {
      max += 10;
      for (const s of t.split.sellers) max += strMax(s.sellerId) + 9;
    }
  }
  reserve(max);
  const b = buf;
  const v = view;
  b[0] = POSTING_TAG;
  b[1] = LAYOUT_VERSION;
  b[2] =
    (p.reverses !== undefined ? FLAG_REVERSES : 0) |
    (p.note !== undefined ? FLAG_NOTE : 0) |
    (t !== undefined ? FLAG_TRANSFER : 0) |
    (t?.originalId !== undefined ? FLAG_ORIGINAL : 0) |
    (t?.split !== undefined ? FLAG_SPLIT : 0);
  let o = putString(b, 3, p.id);
  o = putNumber(b, v, o, p.seq);
  o = putString(b, o, p.kind);
  o = putString(b, o, p.currency);
  o = putString(b, o, p.businessDate);
  b[o++] = es.length;
  for (let i = 0; i < es.length; i++) {
    const e = es[i];
    o = putString(b, o, e[0]);
    b[o++] = fieldCode(e[1]);
    o = putNumber(b, v, o, e[2]);
  }
  if (p.reverses !== undefined) o = putString(b, o, p.reverses);
  if (p.note !== undefined) o = putString(b, o, p.note);
  if (t !== undefined) {
    o = putNumber(b, v, o, t.amount);
    o = putString(b, o, t.merchantId);
    o = putString(b, o, t.issuerId);
    o = putString(b, o, t.acquirerId);
    if (t.originalId !== undefined) o = putString(b, o, t.originalId);
    if (t.split !== undefined) {
      o = putNumber(b, v, o, t.split.platformFee);
      b[o++] = t.split.sellers.length;
      for (const s of t.split.sellers) {
        o = putString(b, o, s.sellerId);
        o = putNumber(b, v, o, s.amount);
      }
    }
  }
  return copy ? Buffer.from(b.subarray(0, o)) : b.subarray(0, o);
}

// Decoder state: one value at a time (decoding never re-enters).
let src: Uint8Array = buf;
let srcView: DataView = view;
let at = 0;
let end = 0;

function check(n: number): void {
  if (at + n > end) throw new Error('posting layout: value truncated');
}

const SHORT = 32;

function readString(): string {
  check(1);
  const n = src[at++];
  if (n < 0x80) {
    check(n);
    const s = at;
    at += n;
    // Short ASCII (ids, account names): fromCharCode over 8-byte groups beats a native slice per string.
    if (n <= SHORT) {
      let out = '';
      let i = s;
      for (; i + 8 <= at; i += 8) out += String.fromCharCode(src[i], src[i + 1], src[i + 2], src[i + 3], src[i + 4], src[i + 5], src[i + 6], src[i + 7]);
      return i < at ? out + tail(i, at - i) : out;
    }
    return Buffer.prototype.latin1Slice.call(src, s, at);
  }
  if (n !== 0xff) throw new Error(`posting layout: bad string tag ${n}`);
  check(4);
  const len = srcView.getUint32(at, true);
  at += 4;
  check(len);
  const out = Buffer.prototype.utf8Slice.call(src, at, at + len);
  at += len;
  return out;
}

/** The 1–7 bytes from src[i] as one string (one concatenation per string instead of one per byte). */
function tail(i: number, k: number): string {
  const f = String.fromCharCode;
  switch (k) {
    case 1:
      return f(src[i]);
    case 2:
      return f(src[i], src[i + 1]);
    case 3:
      return f(src[i], src[i + 1], src[i + 2]);
    case 4:
      return f(src[i], src[i + 1], src[i + 2], src[i + 3]);
    case 5:
      return f(src[i], src[i + 1], src[i + 2], src[i + 3], src[i + 4]);
    case 6:
      return f(src[i], src[i + 1], src[i + 2], src[i + 3], src[i + 4], src[i + 5]);
    default:
      return f(src[i], src[i + 1], src[i + 2], src[i + 3], src[i + 4], src[i + 5], src[i + 6]);
  }
}

/**
 * Decoded strings that repeat across postings (kinds, currencies, dates, account and participant ids), by a hash
 * of their bytes: a hit allocates nothing and returns a flat string whose hash V8 already holds (the rules look
 * these ids up in Maps). A slot keeps the last string that hashed to it.
 */
const CACHE_SLOTS = 8192;
const cache: string[] = new Array<string>(CACHE_SLOTS).fill('');

function readCachedString(): string {
  check(1);
  const n = src[at];
  if (n === 0 || n > SHORT) return readString();
  check(1 + n);
  const s = at + 1;
  const e = s + n;
  let h = n;
  for (let i = s; i < e; i++) h = (Math.imul(h, 31) + src[i]) | 0;
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const c = cache[slot];
  if (c.length === n) {
    let i = 0;
    while (i < n && c.charCodeAt(i) === src[s + i]) i++;
    if (i === n) {
      at = e;
      return c;
    }
  }
  at = e;
  // A flat copy (a concatenation would be a rope that every later use walks).
  const out: string = Buffer.prototype.latin1Slice.call(src, s, e);
  cache[slot] = out;
  return out;
}

/** readString, but `known` itself when the bytes spell it (the caller asked for the posting by that id). */
function readKnownString(known: string | undefined): string {
  const n = known === undefined ? -1 : known.length;
  if (n < 0 || n > SHORT || at + 1 + n > end || src[at] !== n) return readString();
  const s = at + 1;
  for (let i = 0; i < n; i++) if (known!.charCodeAt(i) !== src[s + i]) return readString();
  at = s + n;
  return known!;
}

function readNumber(): number {
  check(1);
  const tag = src[at++];
  if (tag === 0xce) {
    check(4);
    const n = srcView.getUint32(at, true);
    at += 4;
    return n;
  }
  if (tag !== 0xcb) throw new Error(`posting layout: bad number tag ${tag}`);
  check(8);
  const n = srcView.getFloat64(at, true);
  at += 8;
  return n;
}

/** Decodes bytes [start, stop) of `bytes`, which begin with POSTING_TAG. */
export function decodePosting(bytes: Uint8Array, start = 0, stop = bytes.length): Posting {
  return decode(bytes, start, stop, true) as Posting;
}

/** A posting without its entries. */
export type PostingHead = Omit<Posting, 'entries'>;

/**
 * Like decodePosting, but skips the entries (a transfer's state needs only the rest). `id`, the id the posting
 * was read by, is returned as its id instead of a new copy.
 */
export function decodePostingHead(bytes: Uint8Array, start = 0, stop = bytes.length, id?: string): PostingHead {
  return decode(bytes, start, stop, false, id);
}

function skipString(): void {
  check(1);
  const n = src[at++];
  if (n < 0x80) {
    check(n);
    at += n;
    return;
  }
  if (n !== 0xff) throw new Error(`posting layout: bad string tag ${n}`);
  check(4);
  const len = srcView.getUint32(at, true);
  check(4 + len);
  at += 4 + len;
}

function decode(bytes: Uint8Array, start: number, stop: number, withEntries: boolean, knownId?: string): PostingHead | Posting {
  if (bytes !== src || srcView.byteLength !== bytes.byteLength) srcView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  src = bytes; // lmdb reads into one reused buffer: its view is made once
  at = start;
  end = Math.min(stop, bytes.length);
  check(3);
  if (src[at] !== POSTING_TAG || src[at + 1] !== LAYOUT_VERSION) throw new Error(`posting layout: bad header ${src[at]} ${src[at + 1]}`);
  const flags = src[at + 2];
  at += 3;
  const id = readKnownString(knownId);
  const seq = readNumber();
  const kind = readCachedString();
  const currency = readCachedString();
  const businessDate = readCachedString();
  check(1);
  const n = src[at++];
  let p: PostingHead | Posting;
  if (withEntries) {
    const entries: Entry[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const a = readCachedString();
      check(1);
      const f = FIELDS[src[at++]];
      if (f === undefined) throw new Error('posting layout: bad entry field');
      entries[i] = [a, f, readNumber()];
    }
    p = { id, seq, kind, currency, businessDate, entries };
  } else {
    for (let i = 0; i < n; i++) {
      skipString();
      check(1);
      if (FIELDS[src[at++]] === undefined) throw new Error('posting layout: bad entry field');
      readNumber();
    }
    p = { id, seq, kind, currency, businessDate };
  }
  if (flags & FLAG_REVERSES) p.reverses = readString();
  if (flags & FLAG_NOTE) p.note = readString();
  if (flags & FLAG_TRANSFER) {
    const t: TransferFacts = { amount: readNumber(), merchantId: readCachedString(), issuerId: readCachedString(), acquirerId: readCachedString() };
    if (flags & FLAG_ORIGINAL) t.originalId = readString();
    if (flags & FLAG_SPLIT) {
      const platformFee = readNumber();
      check(1);
      const k = src[at++];
      const sellers: { sellerId: string; amount: number }[] = new Array(k);
      for (let i = 0; i < k; i++) sellers[i] = { sellerId: readCachedString(), amount: readNumber() };
      t.split = { platformFee, sellers };
    }
    p.transfer = t;
  }
  if (at !== end) throw new Error(`posting layout: ${end - at} bytes left over`);
  return p;
}

/**
 * The postings database's value encoder, given to lmdb through its documented `encoder: { Encoder }` option: lmdb
 * constructs it with the options it gives msgpack (shared structures included) and calls `encode(value, mode)` /
 * `decode(bytes, end)` for every value. Postings of a shape the layout knows are written in it; everything else,
 * and every value written before it (msgpack), goes through msgpack as before.
 */
export class PostingEncoder extends MsgpackEncoder {
  constructor(options?: ConstructorParameters<typeof MsgpackEncoder>[0]) {
    super(options);
    // msgpackr defines encode/decode as instance properties (not prototype methods), so they are wrapped here.
    const msgEncode = this.encode.bind(this) as (value: unknown, mode?: number) => Uint8Array;
    const msgDecode = this.decode.bind(this) as (bytes: Uint8Array, options?: unknown) => unknown;
    this.encode = ((value: unknown, mode?: number): Uint8Array => {
      const p = value as Posting;
      if (p !== null && typeof p === 'object' && Array.isArray(p.entries) && fitsLayout(p)) return encodePosting(p, !((mode ?? 0) & RESET_BUFFER_MODE));
      return msgEncode(value, mode);
    }) as typeof this.encode;
    this.decode = ((bytes: Uint8Array, options?: unknown): unknown => {
      // lmdb passes the value's end (a number) or msgpackr's {start, end}; see msgpackr's unpack.
      let start = 0;
      let stop = bytes.length;
      if (typeof options === 'number') {
        if (options > -1) stop = options;
      } else if (options !== null && typeof options === 'object') {
        const o = options as { start?: number; end?: number };
        start = o.start ?? 0;
        stop = o.end || bytes.length;
      }
      if (bytes[start] === POSTING_TAG) return decodePosting(bytes, start, stop);
      return msgDecode(bytes, options);
    }) as typeof this.decode;
  }
}
