// Where every bench leaves its figures: bench/results/<name>.json (and any side files such as plots).
// Writes go to a .tmp file first and are renamed into place, so a reader never sees half a file.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results in the source tree, whether we run from bench/ (tsx) or from dist/bench/ (compiled). */
export function resultsDir(): string {
  const benchDir = dirname(dirname(fileURLToPath(import.meta.url))); // …/bench or …/dist/bench
  const parent = dirname(benchDir);
  const root = basename(parent) === 'dist' ? dirname(parent) : parent;
  return join(root, 'bench', 'results');
}

/** Writes `text` to bench/results/<fileName> atomically; returns the path written. */
export function writeResultFile(fileName: string, text: string, dir = resultsDir()): string {
  if (!/^[A-Za-z0-9._-]+$/.test(fileName)) throw new Error(`writeResultFile: bad file name ${JSON.stringify(fileName)}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}

/** Writes bench/results/<name>.json with the run's figures plus when and where they were measured. */
export function writeResults(name: string, figures: Record<string, unknown>, dir = resultsDir()): string {
  const doc = {
    bench: name,
    measuredAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...figures,
  };
  return writeResultFile(`${name}.json`, JSON.stringify(doc, null, 2) + '\n', dir);
}

/** Median of a non-empty list (used to summarise repeated noisy runs). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The last line of a --json run is its headline object. */
export function lastJsonLine(output: string): Record<string, unknown> | undefined {
  const lines = output.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      const v = JSON.parse(line) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
