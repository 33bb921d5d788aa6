// A file's text in chunks, UTF-8 decoded — with a fast path: a chunk of pure ASCII (every byte < 0x80, what
// camt and clearing files almost always are) is the same text in Latin-1, which is a copy, not a decode
// (isAscii is a SIMD scan). Other chunks are cut at the last complete character and decoded as UTF-8; the
// incomplete tail waits for the next chunk, so a character split across chunks is never mangled.
// The file is read in large blocks but handed out as strings of at most MAX_PIECE bytes: V8 puts a string of
// more than ~128 KB in its large-object space (an mmap per string, and GC pressure), which made turning a
// 256 KiB block into one string ~10× dearer than cutting it into 64 KiB ones (measured: ~0.5 s vs ~0.05 s of
// CPU per 88 MB).
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';

/** Largest string handed out, in bytes of the file (well under V8's large-object threshold). */
export const MAX_PIECE = 64 * 1024;

/** Bytes of `buf` up to the last complete UTF-8 character (a split sequence at the end is left out). */
export function completeUtf8(buf: Uint8Array): number {
  const n = buf.length;
  // A character is at most 4 bytes: its lead byte is among the last 4.
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = buf[i];
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need > n ? i : n;
  }
  return n; // only continuation bytes: invalid anyway; decoded as U+FFFD
}

/** Yields the text of `path`, read in blocks of `chunkBytes`, as strings of at most `pieceBytes` bytes. */
export async function* fileText(path: string, chunkBytes = 256 * 1024, pieceBytes = MAX_PIECE): AsyncGenerator<string> {
  if (!(pieceBytes >= 4)) throw new Error('fileText: pieces must hold at least one character (4 bytes)');
  let tail: Buffer | undefined;
  for await (const raw of createReadStream(path, { highWaterMark: chunkBytes })) {
    let buf = raw as Buffer;
    if (tail) {
      buf = Buffer.concat([tail, buf]);
      tail = undefined;
    }
    for (let s = 0; s < buf.length; ) {
      const e = Math.min(buf.length, s + pieceBytes);
      const piece = buf.subarray(s, e);
      if (isAscii(piece)) {
        yield buf.toString('latin1', s, e);
        s = e;
        continue;
      }
      // Cut at the last complete character; a piece of ≥ 4 bytes always holds one unless it ends the block,
      // where the incomplete rest waits for the next block.
      const cut = s + completeUtf8(piece);
      if (cut > s) yield buf.toString('utf8', s, cut);
      if (cut < e && e === buf.length) {
        tail = Buffer.from(buf.subarray(cut));
        break;
      }
      s = cut > s ? cut : e;
    }
  }
  if (tail) yield tail.toString('utf8');
}
