// TCP framing: a length header (and optionally a 5-byte TPDU) in front of each message, and a streaming
// splitter that turns arbitrary chunks back into whole frames with a hard cap on buffered bytes.
//
// Garbage header policy (`onGarbage`):
//  - 'close' (default): push() throws CodecError reason 'bad-frame'; the splitter stays failed (every later push
//    throws too) and the caller must close the connection — after garbage, no later byte can be trusted.
//  - 'resync': the splitter drops one byte and looks for a plausible header again; `discarded` counts dropped bytes.
//    Only safe for headers that can be told from garbage (ascii4, hex4, bcd2); a len2 header of any value below
//    maxFrame looks valid, so resync on len2 can only skip oversized ones.
// A header of length 0 is a keep-alive (jPOS ASCIIChannel, VAP polls): skipped and counted in `keepAlives`.
import { CodecError } from './errors.js';

export type LengthHeader =
  | 'none' // one push() = one frame (datagram-like transports, tests, the CLI)
  | 'len2' // 2 bytes big-endian (PostChannel, NACChannel)
  | 'len4' // 4 bytes big-endian (RawChannel)
  | 'ascii4' // 4 ASCII digits (ASCIIChannel)
  | 'hex4' // 4 ASCII hex characters (HEXChannel)
  | 'bcd2'; // 2 BCD bytes (NCCChannel / BCDChannel)

export interface FramingOptions {
  lengthHeader: LengthHeader;
  /** A 5-byte TPDU follows the length header and is counted in the length (NACChannel). */
  tpdu?: boolean;
  /** Largest frame accepted (bytes after the header, TPDU included). Default 8192; at most 65535 for 2-byte headers. */
  maxFrame?: number;
  onGarbage?: 'close' | 'resync';
}

export interface Frame {
  /** The ISO 8583 message bytes. */
  payload: Buffer;
  /** The 5-byte TPDU when framing has one (reply with source and destination swapped: see swapTpdu). */
  tpdu?: Buffer;
}

export const DEFAULT_MAX_FRAME = 8192;
const HEADER_BYTES: Record<LengthHeader, number> = { none: 0, len2: 2, len4: 4, ascii4: 4, hex4: 4, bcd2: 2 };
const HEADER_MAX: Record<LengthHeader, number> = { none: Infinity, len2: 0xffff, len4: 0x7fffffff, ascii4: 9999, hex4: 0xffff, bcd2: 9999 };

function checkOptions(opts: FramingOptions): Required<FramingOptions> {
  if (!opts || !(opts.lengthHeader in HEADER_BYTES)) throw new CodecError(null, 0, 'bad-spec', `lengthHeader must be one of ${Object.keys(HEADER_BYTES).join(', ')}`);
  const maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
  if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > Math.min(HEADER_MAX[opts.lengthHeader], 1 << 24)) throw new CodecError(null, 0, 'bad-spec', `maxFrame ${maxFrame} does not fit ${opts.lengthHeader}`);
  return { lengthHeader: opts.lengthHeader, tpdu: opts.tpdu ?? false, maxFrame, onGarbage: opts.onGarbage ?? 'close' };
}

/** Header + TPDU + payload as one Buffer. */
export function frame(payload: Uint8Array, opts: FramingOptions, tpdu?: Uint8Array): Buffer {
  const o = checkOptions(opts);
  if (o.tpdu && (!tpdu || tpdu.length !== 5)) throw new CodecError(null, 0, 'bad-frame', 'framing needs a 5-byte TPDU');
  const body = o.tpdu ? 5 + payload.length : payload.length;
  if (body > o.maxFrame) throw new CodecError(null, 0, 'bad-frame', `frame of ${body} bytes exceeds maxFrame ${o.maxFrame}`);
  const h = HEADER_BYTES[o.lengthHeader];
  const out = Buffer.allocUnsafe(h + body);
  writeHeader(out, o.lengthHeader, body);
  if (o.tpdu) out.set(tpdu!, h);
  out.set(payload, h + (o.tpdu ? 5 : 0));
  return out;
}

function writeHeader(out: Buffer, kind: LengthHeader, n: number): void {
  switch (kind) {
    case 'none':
      return;
    case 'len2':
      out.writeUInt16BE(n, 0);
      return;
    case 'len4':
      out.writeUInt32BE(n, 0);
      return;
    case 'ascii4':
      out.write(String(n).padStart(4, '0'), 0, 'latin1');
      return;
    case 'hex4':
      out.write(n.toString(16).toUpperCase().padStart(4, '0'), 0, 'latin1');
      return;
    case 'bcd2':
      out[0] = (Math.floor(n / 1000) << 4) | (Math.floor(n / 100) % 10);
      out[1] = ((Math.floor(n / 10) % 10) << 4) | n % 10;
      return;
  }
}

/** Reads a header at buf[o]; returns the body length, or -1 when the bytes cannot be a header. */
function readHeader(buf: Buffer, o: number, kind: LengthHeader): number {
  switch (kind) {
    case 'len2':
      return buf.readUInt16BE(o);
    case 'len4':
      return buf.readUInt32BE(o);
    case 'ascii4': {
      let n = 0;
      for (let i = 0; i < 4; i++) {
        const c = buf[o + i] - 48;
        if (c < 0 || c > 9) return -1;
        n = n * 10 + c;
      }
      return n;
    }
    case 'hex4': {
      let n = 0;
      for (let i = 0; i < 4; i++) {
        const c = buf[o + i];
        const v = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
        if (v < 0) return -1;
        n = n * 16 + v;
      }
      return n;
    }
    case 'bcd2': {
      let n = 0;
      for (let i = 0; i < 2; i++) {
        const hi = buf[o + i] >> 4, lo = buf[o + i] & 15;
        if (hi > 9 || lo > 9) return -1;
        n = n * 100 + hi * 10 + lo;
      }
      return n;
    }
    default:
      return -1;
  }
}

/** Splits a TCP byte stream into frames. Never buffers more than header + maxFrame bytes. */
export class FrameSplitter {
  private readonly opts: Required<FramingOptions>;
  private readonly headerBytes: number;
  private pending: Buffer = Buffer.alloc(0);
  private failed: CodecError | null = null;
  /** Bytes dropped while resynchronising after garbage. */
  discarded = 0;
  /** Zero-length frames (keep-alives) seen. */
  keepAlives = 0;
  /** Total bytes consumed so far (for error offsets). */
  private consumed = 0;

  constructor(opts: FramingOptions) {
    this.opts = checkOptions(opts);
    this.headerBytes = HEADER_BYTES[this.opts.lengthHeader];
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Feeds a chunk; returns every frame it completes (maybe none, maybe many). Throws CodecError 'bad-frame' (policy 'close'). */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    const frames: Frame[] = [];
    const tp = this.opts.tpdu ? 5 : 0;
    if (this.opts.lengthHeader === 'none') {
      if (chunk.length > this.opts.maxFrame) return this.fail(0, `frame of ${chunk.length} bytes exceeds maxFrame ${this.opts.maxFrame}`);
      if (chunk.length < tp) return this.fail(0, 'frame shorter than its TPDU');
      const b = Buffer.from(chunk);
      frames.push(tp ? { tpdu: b.subarray(0, 5), payload: b.subarray(5) } : { payload: b });
      return frames;
    }
    let buf = this.pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.pending, chunk]);
    let o = 0;
    const h = this.headerBytes;
    while (buf.length - o >= h) {
      const len = readHeader(buf, o, this.opts.lengthHeader);
      const bad = len < 0 ? 'garbage length header' : len > this.opts.maxFrame ? `declared length ${len} exceeds maxFrame ${this.opts.maxFrame}` : len > 0 && len < tp ? 'frame shorter than its TPDU' : '';
      if (bad) {
        if (this.opts.onGarbage === 'resync') {
          o++;
          this.discarded++;
          continue;
        }
        this.pending = Buffer.alloc(0);
        return this.fail(this.consumed + o, bad, frames);
      }
      if (len === 0) {
        this.keepAlives++;
        o += h;
        continue;
      }
      if (buf.length - o < h + len) break;
      // Copy out so frames do not pin the caller's (possibly pooled) chunk.
      const body = Buffer.from(buf.subarray(o + h, o + h + len));
      frames.push(tp ? { tpdu: body.subarray(0, 5), payload: body.subarray(5) } : { payload: body });
      o += h + len;
    }
    this.consumed += o;
    this.pending = o === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(o));
    return frames;
  }

  private fail(offset: number, reason: string, frames: Frame[] = []): never {
    this.failed = new CodecError(null, offset, 'bad-frame', `${reason}; close the connection`);
    // Frames completed before the garbage are still good, but a throw loses them: hand them over on the error.
    (this.failed as CodecError & { frames?: Frame[] }).frames = frames;
    throw this.failed;
  }
}

/** The TPDU for a reply: destination and source addresses swapped (NACChannel). */
export function swapTpdu(tpdu: Uint8Array): Buffer {
  if (tpdu.length !== 5) throw new CodecError(null, 0, 'bad-frame', 'TPDU must be 5 bytes');
  return Buffer.from([tpdu[0], tpdu[3], tpdu[4], tpdu[1], tpdu[2]]);
}
