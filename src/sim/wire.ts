// Prepared wire bytes for the fresh (chip-and-PIN) transactions of a pool: each is encoded and framed once, before
// the run, and at send time only the per-message fields are written into a copy — DE 7, 11, 12, 13 (digits) and
// DE 37 (the simulator's RRNs are digits too). The byte offsets come from the codec itself: a message encoded with
// those fields all 0s and again all 9s differs exactly in their bytes, and the run of bytes tells the encoding
// (one byte per digit: ASCII 0x30+d or EBCDIC 0xF0+d; half a byte: BCD). Each message shape is checked once against
// a plain codec encode of the same message; a shape that does not match is sent through the codec every time.
import { encode, frame, type CompiledSpec, type FramingOptions, type IsoMessage } from '../../codecs/index.js';
import { freshRequest, type Envelope } from './messages.js';
import type { FreshTxn, TxnPool } from './pool.js';

/** Fields patched per message, in wire order, with their digit counts. */
const PATCHED: readonly [field: number, digits: number][] = [
  [7, 10],
  [11, 6],
  [12, 6],
  [13, 4],
  [37, 12],
];
const PATCH_DIGITS = PATCHED.reduce((a, [, d]) => a + d, 0);

type DigitEncoding = 'ascii' | 'ebcdic' | 'bcd';
interface Slot {
  offset: number;
  digits: number;
  enc: DigitEncoding;
}

/** One prepared message: framed bytes with placeholder fields, and where to write them. */
export interface WireTemplate {
  bytes: Buffer;
  slots: readonly Slot[];
}

function envelopeOf(acquirerId: string, digit: string): Envelope {
  const d = (n: number) => digit.repeat(n);
  return { acquirerId, stan: d(6), rrn: d(12), clock: { de7: d(10), de12: d(6), de13: d(4) } };
}

function writeDigits(buf: Buffer, s: Slot, value: string): void {
  if (s.enc === 'bcd') {
    for (let i = 0; i < s.digits; i += 2) buf[s.offset + (i >> 1)] = ((value.charCodeAt(i) - 48) << 4) | (value.charCodeAt(i + 1) - 48);
  } else {
    const base = s.enc === 'ascii' ? 0x30 : 0xf0;
    for (let i = 0; i < s.digits; i++) buf[s.offset + i] = base + value.charCodeAt(i) - 48;
  }
}

/** Writes the envelope's per-message fields into a copy of the template. */
export function patch(t: WireTemplate, e: Envelope): Buffer {
  const out = Buffer.allocUnsafe(t.bytes.length);
  t.bytes.copy(out);
  const values = [e.clock.de7, e.stan, e.clock.de12, e.clock.de13, e.rrn];
  for (let i = 0; i < t.slots.length; i++) writeDigits(out, t.slots[i], values[i]);
  return out;
}

/** Finds the patch slots by diffing two encodings; null when the bytes do not look like digits we can write. */
function findSlots(a: Buffer, b: Buffer): Slot[] | null {
  if (a.length !== b.length) return null;
  const runs: [number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === i) last[1]++;
    else runs.push([i, 1]);
  }
  const total = runs.reduce((s, r) => s + r[1], 0);
  // Numerics one byte per digit (ASCII/EBCDIC) or BCD; DE 37 is text, always one byte per character.
  const numericDigits = PATCH_DIGITS - 12;
  let numericEnc: DigitEncoding;
  if (total === PATCH_DIGITS) numericEnc = a[runs[0][0]] === 0xf0 ? 'ebcdic' : 'ascii';
  else if (total === numericDigits / 2 + 12) numericEnc = 'bcd';
  else return null;
  const slots: Slot[] = [];
  let ri = 0;
  let pos = runs[0][0];
  for (const [field, digits] of PATCHED) {
    if (ri >= runs.length) return null;
    if (pos < runs[ri][0]) pos = runs[ri][0];
    const enc: DigitEncoding = field === 37 ? (a[pos] === 0xf0 ? 'ebcdic' : 'ascii') : numericEnc;
    const bytes = enc === 'bcd' ? digits / 2 : digits;
    if (pos + bytes > runs[ri][0] + runs[ri][1]) return null;
    slots.push({ offset: pos, digits, enc });
    pos += bytes;
    if (pos === runs[ri][0] + runs[ri][1]) ri++;
  }
  return ri === runs.length ? slots : null;
}

export interface PreparedWire {
  /** Templates per pool entry (null: send through the codec). */
  purchase: (WireTemplate | null)[];
  preauth: (WireTemplate | null)[];
  balance: (WireTemplate | null)[];
  /** Shapes whose patched bytes did not match the codec (their messages are encoded each time). */
  unpatchable: number;
  buildMs: number;
}

/**
 * Encodes and frames every fresh transaction of the pool for one spec/framing. Offsets are computed once per message
 * shape (MTI, PAN and track 2 lengths, DE 55 size) and verified against the codec with a sample envelope.
 */
export function prepareWire(pool: TxnPool, spec: CompiledSpec, framing: FramingOptions, acquirerId: string, kinds: { purchase: boolean; preauth: boolean; balance: boolean }): PreparedWire {
  const t0 = performance.now();
  const tpdu = framing.tpdu ? Buffer.alloc(5) : undefined;
  const zero = envelopeOf(acquirerId, '0');
  // Refunds/reversals/completions fall back to purchases while no approval is at hand: purchases always needed.
  const nine = envelopeOf(acquirerId, '9');
  const sample: Envelope = { acquirerId, stan: '123456', rrn: '987654321012', clock: { de7: '1125134501', de12: '134501', de13: '1125' } };
  const shapes = new Map<string, Slot[] | null>();
  let unpatchable = 0;
  const build = (kind: 'purchase' | 'preauth' | 'balance', t: FreshTxn): WireTemplate | null => {
    const msg: IsoMessage = freshRequest(kind, t, pool, zero);
    const bytes = frame(encode(spec, msg), framing, tpdu);
    const card = pool.cards[t.card];
    const shape = `${msg.mti}|${card.pan.length}|${bytes.length}`;
    let slots = shapes.get(shape);
    if (slots === undefined) {
      slots = findSlots(bytes, frame(encode(spec, freshRequest(kind, t, pool, nine)), framing, tpdu));
      if (slots && !patch({ bytes, slots }, sample).equals(frame(encode(spec, freshRequest(kind, t, pool, sample)), framing, tpdu))) slots = null;
      if (!slots) unpatchable++;
      shapes.set(shape, slots);
    }
    return slots ? { bytes, slots } : null;
  };
  const purchase = kinds.purchase ? pool.debit.map((t) => build('purchase', t)) : [];
  const preauth = kinds.preauth ? pool.debit.map((t) => build('preauth', t)) : [];
  const balance = kinds.balance ? pool.balance.map((t) => build('balance', t)) : [];
  return { purchase, preauth, balance, unpatchable, buildMs: Math.round(performance.now() - t0) };
}
