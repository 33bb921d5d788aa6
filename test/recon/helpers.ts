import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** ../shared beside the repo (CI), else /work/shared. */
export function sharedPath(...parts: string[]): string {
  const rel = resolve(repoRoot, '../shared', ...parts);
  return existsSync(rel) ? rel : join('/work/shared', ...parts);
}

export const samples = (name: string) => sharedPath('iso20022/samples', name);

export function tempDir(prefix = 'gerbang-recon-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function validateAgainst(xml: string, xsd: string): Promise<string[]> {
  const r = await validateXML({
    xml: [{ fileName: 'doc.xml', contents: xml }],
    schema: [{ fileName: xsd, contents: readFileSync(sharedPath('iso20022/xsd', xsd), 'utf8') }],
    initialMemoryPages: 512,
    maxMemoryPages: 4096,
  });
  return r.valid ? [] : r.errors.map((e) => e.message ?? e.rawMessage);
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Splits a string into chunks of `n` characters (to cut the XML at arbitrary points). */
export function* chunked(s: string, n: number): Generator<string> {
  for (let i = 0; i < s.length; i += n) yield s.slice(i, i + n);
}
