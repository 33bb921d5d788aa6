// AML/CFT screening of payout beneficiaries against a watch list file. Names are normalised (Unicode
// decomposition without accents, case folded, punctuation and spacing removed) and compared whole and with
// their words sorted (word order), tolerating small spelling differences by a bounded edit distance:
// ≤ 4 characters must match exactly, ≤ 10 allow 1 edit, longer names 2 (3 above 20). A hit holds the payout.
import { splitCsvLine } from '../util/csv.js';
import { readFileSync } from 'node:fs';

export interface WatchEntry {
  name: string;
  list: string;
  ref: string;
}

export interface ScreeningResult {
  hit: boolean;
  entry?: string;
  list?: string;
  ref?: string;
  /** 1 − edits / length of the closer form; 1 for an exact normalised match. */
  score?: number;
}

/** Bound on the list size we load (a bigger file is a configuration error, not something to page through). */
const MAX_ENTRIES = 200_000;

export function normaliseName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function forms(name: string): [string, string] {
  const n = normaliseName(name);
  return [n.replace(/ /g, ''), n.split(' ').filter(Boolean).sort().join('')];
}

export function allowedEdits(len: number): number {
  return len <= 4 ? 0 : len <= 10 ? 1 : len <= 20 ? 2 : 3;
}

/** Levenshtein distance, or `max + 1` as soon as it must exceed `max` (banded, O(len × max)). */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Parses `name,list,ref` CSV (header optional; quoted fields with "" escapes). */
export function parseWatchlist(csv: string): WatchEntry[] {
  const out: WatchEntry[] = [];
  const lines = csv.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const f = splitCsvLine(line).map((x) => x.trim());
    if (i === 0 && f[0].toLowerCase() === 'name') continue;
    if (!f[0]) throw new Error(`watch list line ${i + 1}: empty name`);
    out.push({ name: f[0], list: f[1] ?? '', ref: f[2] ?? '' });
    if (out.length > MAX_ENTRIES) throw new Error(`watch list has more than ${MAX_ENTRIES} entries`);
  }
  return out;
}


export class Watchlist {
  private readonly entries: { e: WatchEntry; whole: string; sorted: string }[];

  constructor(entries: WatchEntry[]) {
    this.entries = entries.map((e) => {
      const [whole, sorted] = forms(e.name);
      return { e, whole, sorted };
    });
  }

  static fromFile(path: string): Watchlist {
    return new Watchlist(parseWatchlist(readFileSync(path, 'utf8')));
  }

  get size(): number {
    return this.entries.length;
  }

  screen(name: string): ScreeningResult {
    const [whole, sorted] = forms(name);
    if (!whole) return { hit: false };
    let best: ScreeningResult = { hit: false };
    for (const x of this.entries) {
      const max = allowedEdits(Math.min(whole.length, x.whole.length));
      const d = Math.min(boundedDistance(whole, x.whole, max), boundedDistance(sorted, x.sorted, max));
      if (d <= max) {
        const score = 1 - d / Math.max(whole.length, x.whole.length);
        if (!best.hit || score > best.score!) best = { hit: true, entry: x.e.name, list: x.e.list, ref: x.e.ref, score };
        if (d === 0) break;
      }
    }
    return best;
  }
}
