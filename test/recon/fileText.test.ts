import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStatement, statementChunks } from '../../src/recon/camt.js';
import { completeUtf8, fileText } from '../../src/recon/fileText.js';
import { collect, samples, tempDir } from './helpers.js';

describe('fileText (ASCII chunks copied, others decoded at character boundaries)', () => {
  it('gives back the exact text however the bytes are cut, with 2-, 3- and 4-byte characters', async () => {
    const text = 'plain ascii <Ntry>\n' + 'Zürich € 𝄞 '.repeat(40) + '\nand ascii again\n';
    const path = join(tempDir(), 'mixed.txt');
    writeFileSync(path, text, 'utf8');
    for (const n of [1, 2, 3, 5, 7, 64, 1 << 16]) expect((await collect(fileText(path, n))).join('')).toBe(text);
  });

  it('hands a block out in pieces of at most pieceBytes, cut at character boundaries', async () => {
    const text = 'plain ascii <Ntry>\n' + 'Zürich € 𝄞 '.repeat(40) + '\nand ascii again\n';
    const path = join(tempDir(), 'pieces.txt');
    writeFileSync(path, text, 'utf8');
    for (const block of [7, 64, 1 << 16]) {
      for (const piece of [4, 5, 7, 64]) {
        const got = await collect(fileText(path, block, piece));
        expect(got.join('')).toBe(text);
        for (const g of got) expect(Buffer.byteLength(g, 'utf8')).toBeLessThanOrEqual(piece);
        expect(got.some((g) => g.includes('\ufffd'))).toBe(false);
      }
    }
    await expect(collect(fileText(path, 64, 3))).rejects.toThrow(/at least one character/);
  });

  it('completeUtf8 leaves out only a split character at the end', () => {
    const euro = Buffer.from('a€', 'utf8'); // 61 e2 82 ac
    expect(completeUtf8(euro)).toBe(4);
    expect(completeUtf8(euro.subarray(0, 3))).toBe(1);
    expect(completeUtf8(euro.subarray(0, 2))).toBe(1);
    expect(completeUtf8(Buffer.from('abc'))).toBe(3);
    expect(completeUtf8(Buffer.from('𝄞', 'utf8').subarray(0, 3))).toBe(0);
  });

  it('the camt reader gives the same entries from the file in 5-byte chunks as from the whole text', async () => {
    const path = samples('camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml');
    const whole = await collect(parseStatement([readFileSync(path, 'utf8')]));
    expect(whole).toHaveLength(5);
    expect(await collect(parseStatement(statementChunks(path, 5)))).toEqual(whole);
  });
});
