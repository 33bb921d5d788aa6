// A file's text in chunks, UTF-8 decoded — with a fast path: a chunk of pure ASCII (every byte < 0x80, what
// camt and clearing files almost always are) is the same text in Latin-1, which is a copy, not a decode
// (isAscii is a SIMD scan). Other chunks are cut at the last complete character and decoded as UTF-8; the
// incomplete tail waits for the next chunk, so a character split across chunks is never mangled.
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';

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

/** Yields the text of `path` in chunks of about `chunkBytes` bytes. */
export async function* fileText(path: string, chunkBytes = 256 * 1024): AsyncGenerator<string> {
  let tail: Buffer | undefined;
  for await (const raw of createReadStream(path, { highWaterMark: chunkBytes })) {
    let buf = raw as Buffer;
    if (tail) {
      buf = Buffer.concat([tail, buf]);
      tail = undefined;
    }
    if (isAscii(buf)) {
      yield buf.toString('latin1');
      continue;
    }
    const cut = completeUtf8(buf);
    if (cut < buf.length) {
      tail = Buffer.from(buf.subarray(cut));
      buf = buf.subarray(0, cut);
    }
    yield buf.toString('utf8');
  }
  if (tail) yield tail.toString('utf8');
}
