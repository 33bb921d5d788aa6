// Framing: headers as jPOS channels write them (PostChannel len2, ASCIIChannel ascii4, NACChannel len2 + TPDU,
// HEXChannel hex4, BCDChannel bcd2, RawChannel len4), and the streaming splitter.
import { describe, expect, it } from 'vitest';
import { CodecError, FrameSplitter, frame, swapTpdu } from '../../codecs/index.js';
import { asc, cat, hex } from './fixtures.js';

const payload = asc('0800822000000000000004000000000000001125103000000001301');

describe('frame()', () => {
  it('writes each header kind', () => {
    const n = payload.length; // 55
    expect(frame(payload, { lengthHeader: 'len2' }).subarray(0, 2).equals(hex('0037'))).toBe(true);
    expect(frame(payload, { lengthHeader: 'ascii4' }).subarray(0, 4).toString()).toBe('0055');
    expect(frame(payload, { lengthHeader: 'hex4' }).subarray(0, 4).toString()).toBe('0037');
    expect(frame(payload, { lengthHeader: 'bcd2' }).subarray(0, 2).equals(hex('0055'))).toBe(true);
    expect(frame(payload, { lengthHeader: 'len4' }).subarray(0, 4).equals(hex('00000037'))).toBe(true);
    const t = frame(payload, { lengthHeader: 'len2', tpdu: true }, hex('6000010000'));
    expect(t.subarray(0, 7).equals(hex('003C 6000010000'))).toBe(true);
    expect(t.length).toBe(2 + 5 + n);
  });
  it('refuses frames over maxFrame and a missing TPDU', () => {
    expect(() => frame(payload, { lengthHeader: 'len2', maxFrame: 10 })).toThrow(CodecError);
    expect(() => frame(payload, { lengthHeader: 'len2', tpdu: true })).toThrow(CodecError);
  });
  it('swaps TPDU addresses for the reply', () => {
    expect(swapTpdu(hex('6000010002')).equals(hex('6000020001'))).toBe(true);
  });
});

describe('FrameSplitter', () => {
  for (const lengthHeader of ['len2', 'len4', 'ascii4', 'hex4', 'bcd2'] as const) {
    it(`${lengthHeader}: byte-by-byte, many frames in one chunk, and everything between`, () => {
      const stream = cat(frame(payload, { lengthHeader }), frame(asc('A'), { lengthHeader }), frame(payload, { lengthHeader }));
      for (const step of [1, 2, 3, 7, 64, stream.length]) {
        const s = new FrameSplitter({ lengthHeader });
        const got: string[] = [];
        for (let i = 0; i < stream.length; i += step) for (const f of s.push(stream.subarray(i, i + step))) got.push(f.payload.toString());
        expect(got).toEqual([payload.toString(), 'A', payload.toString()]);
        expect(s.buffered).toBe(0);
      }
    });
  }
  it('TPDU is split off and returned', () => {
    const s = new FrameSplitter({ lengthHeader: 'len2', tpdu: true });
    const [f] = s.push(frame(payload, { lengthHeader: 'len2', tpdu: true }, hex('6000010002')));
    expect(f.tpdu!.equals(hex('6000010002'))).toBe(true);
    expect(f.payload.equals(payload)).toBe(true);
  });
  it('zero length is a keep-alive', () => {
    const s = new FrameSplitter({ lengthHeader: 'ascii4' });
    expect(s.push(cat(asc('0000'), frame(asc('X'), { lengthHeader: 'ascii4' }))).map((f) => f.payload.toString())).toEqual(['X']);
    expect(s.keepAlives).toBe(1);
  });
  it("policy 'close': garbage header throws bad-frame, frames before it are on the error, the splitter stays failed", () => {
    const s = new FrameSplitter({ lengthHeader: 'ascii4' });
    let err: (CodecError & { frames?: unknown[] }) | undefined;
    try {
      s.push(cat(frame(asc('OK'), { lengthHeader: 'ascii4' }), asc('GARBAGE')));
    } catch (e) {
      err = e as CodecError;
    }
    expect(err?.reason).toBe('bad-frame');
    expect(err?.offset).toBe(6);
    expect(err?.frames).toHaveLength(1);
    expect(() => s.push(frame(asc('OK'), { lengthHeader: 'ascii4' }))).toThrow(CodecError);
  });
  it('an oversized declared length is refused before buffering it (len2 0xFFFF with maxFrame 4096)', () => {
    const s = new FrameSplitter({ lengthHeader: 'len2', maxFrame: 4096 });
    expect(() => s.push(hex('FFFF00'))).toThrow(/exceeds maxFrame/);
    expect(s.buffered).toBe(0);
  });
  it("policy 'resync': skips garbage until a plausible header", () => {
    const s = new FrameSplitter({ lengthHeader: 'ascii4', onGarbage: 'resync', maxFrame: 100 });
    const got = s.push(cat(asc('xy'), frame(asc('HELLO'), { lengthHeader: 'ascii4' })));
    expect(got.map((f) => f.payload.toString())).toEqual(['HELLO']);
    expect(s.discarded).toBe(2);
  });
  it('never holds more than header + maxFrame bytes', () => {
    const s = new FrameSplitter({ lengthHeader: 'len2', maxFrame: 300 });
    s.push(hex('012C')); // 300 declared
    for (let i = 0; i < 299; i++) expect(s.push(hex('41'))).toEqual([]);
    expect(s.buffered).toBe(301);
    expect(s.push(hex('41'))).toHaveLength(1);
    expect(s.buffered).toBe(0);
  });
  it("'none': one push is one frame", () => {
    const s = new FrameSplitter({ lengthHeader: 'none' });
    expect(s.push(payload)[0].payload.equals(payload)).toBe(true);
  });
});
