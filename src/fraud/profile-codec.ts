// A card profile as compact bytes (stored inside the card's velocity record, src/state/records.ts).
// Why: the profile is ~170 numbers; msgpack packs and parses them one by one (≈2 µs encode + 1 µs decode per
// authorization, inside the LMDB write lock), while this layout is a plain loop per array. Each array is stored at
// the narrowest width that holds all its values exactly (u8/u16/u32 for non-negative integers, else float64), so the
// record stays small (~0.5 KB; all-float64 was 1.35 KB and cost system time in LMDB's writes) and every value comes
// back bit-exact (-0, fractions, negatives and NaN take float64).
import { CARD_MCCS, CARD_RING, DAY_BUCKETS, type CardProfile } from './types.js';

/** Format byte: the layout below. Another value (or a short or long buffer) is refused, never guessed at. */
const FORMAT = 2;
const SCALARS = 7;
/** Largest encoding: format, scalars, MCC count, 9 arrays of at most 24 float64s and their width bytes. */
const MAX_BYTES = 1 + 8 * SCALARS + 1 + 9 * (1 + 8 * 24);

/** Reused between calls: the caller's put copies the bytes before the next encode (msgpack bin). */
const scratch = new DataView(new ArrayBuffer(MAX_BYTES));

/** Bytes per value that hold every element of `a` exactly: 1, 2 or 4 (non-negative integers), else 8 (float64). */
function widthOf(a: readonly number[]): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    // x >>> 0 === x: an integer in [0, 2^32) (not NaN, not a fraction); 1 / x < 0 only for -0.
    if ((x >>> 0) !== x || (x === 0 && 1 / x < 0)) return 8;
    if (x > max) max = x;
  }
  return max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
}

/** Writes a width byte, then the values (one loop per width: no branch per value); returns the next offset. */
function putArray(v: DataView, at: number, a: readonly number[]): number {
  const w = widthOf(a);
  v.setUint8(at++, w);
  const n = a.length;
  if (w === 1) for (let i = 0; i < n; i++) v.setUint8(at + i, a[i]);
  else if (w === 2) for (let i = 0; i < n; i++) v.setUint16(at + 2 * i, a[i], true);
  else if (w === 4) for (let i = 0; i < n; i++) v.setUint32(at + 4 * i, a[i], true);
  else for (let i = 0; i < n; i++) v.setFloat64(at + 8 * i, a[i], true);
  return at + n * w;
}

/** Reads `n` values of width `w` from `at` (one loop per width, as putArray wrote them). */
function getArray(v: DataView, at: number, n: number, w: number): number[] {
  const a = new Array<number>(n);
  if (w === 1) for (let i = 0; i < n; i++) a[i] = v.getUint8(at + i);
  else if (w === 2) for (let i = 0; i < n; i++) a[i] = v.getUint16(at + 2 * i, true);
  else if (w === 4) for (let i = 0; i < n; i++) a[i] = v.getUint32(at + 4 * i, true);
  else for (let i = 0; i < n; i++) a[i] = v.getFloat64(at + 8 * i, true);
  return a;
}

/**
 * The profile's bytes: a view of a buffer reused by the next call, so store (copy) it before encoding another.
 * Expects a valid v1 profile (assertCardProfile; updateCardProfile checks it).
 */
export function encodeCardProfile(p: CardProfile): Uint8Array {
  const v = scratch;
  v.setUint8(0, FORMAT);
  let at = 1;
  for (const x of [p.n, p.head, p.amtN, p.amtMean, p.amtM2, p.lastUsed, p.lastSeen]) {
    v.setFloat64(at, x, true);
    at += 8;
  }
  v.setUint8(at++, p.mccs.length);
  for (const a of [p.ts, p.amt, p.mer, p.flg, p.hId, p.hCnt, p.hAmt, p.hours, p.mccs]) at = putArray(v, at, a);
  return new Uint8Array(v.buffer, 0, at);
}

const refuse = (): never => {
  throw new TypeError('fraud: not an encoded v1 card profile');
};

/** The profile encodeCardProfile wrote; throws a TypeError on any other bytes (corrupt or another format). */
export function decodeCardProfile(b: Uint8Array): CardProfile {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nMccs = b.length > 1 + 8 * SCALARS ? b[1 + 8 * SCALARS] : -1;
  if (b[0] !== FORMAT || nMccs < 0 || nMccs > CARD_MCCS) refuse();
  const f = (i: number) => v.getFloat64(1 + 8 * i, true);
  let at = 2 + 8 * SCALARS;
  const next = (n: number): number[] => {
    const w = at < b.length ? b[at] : 0;
    if (!(w === 1 || w === 2 || w === 4 || w === 8) || at + 1 + n * w > b.length) refuse();
    const a = getArray(v, at + 1, n, w);
    at += 1 + n * w;
    return a;
  };
  // Same key order as emptyCardProfile: one object shape for every profile.
  const p: CardProfile = {
    v: 1, n: f(0), head: f(1),
    ts: next(CARD_RING), amt: next(CARD_RING), mer: next(CARD_RING), flg: next(CARD_RING),
    hId: next(DAY_BUCKETS), hCnt: next(DAY_BUCKETS), hAmt: next(DAY_BUCKETS),
    amtN: f(2), amtMean: f(3), amtM2: f(4),
    hours: next(24), mccs: next(nMccs),
    lastUsed: f(5), lastSeen: f(6),
  };
  if (at !== b.length) refuse();
  return p;
}
