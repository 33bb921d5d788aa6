// LMK files: JSON {"test": bool, "pairs": ["32 hex" × 20 for pairs 00-01 … 38-39], "keyBlock": "64 hex"}.
// No file means the published test LMK (clearly a test key set). A real deployment would never keep an LMK in a file.
import { readFileSync } from 'node:fs';
import { testLmk, type LmkSet } from './crypto/index.js';

export function loadLmk(file?: string): LmkSet {
  if (!file) return testLmk();
  let j: { test?: unknown; pairs?: unknown; keyBlock?: unknown };
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`LMK file ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(j.pairs) || j.pairs.length !== 20 || !j.pairs.every((p) => typeof p === 'string' && /^[0-9A-Fa-f]{32}$/.test(p))) {
    throw new Error(`LMK file ${file}: "pairs" must be 20 strings of 32 hex characters (pairs 00-01 … 38-39)`);
  }
  if (typeof j.keyBlock !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(j.keyBlock)) throw new Error(`LMK file ${file}: "keyBlock" must be 64 hex characters (AES-256)`);
  return { pairs: j.pairs.map((p: string) => Buffer.from(p, 'hex')), keyBlock: Buffer.from(j.keyBlock, 'hex'), test: j.test === true };
}
