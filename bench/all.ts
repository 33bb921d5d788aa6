// `npm run bench`: runs every benchmark with --json, one after another (never in parallel: the box has 2 cores),
// and writes bench/results/summary.json plus bench/results/summary.svg, a chart of each headline against its target.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJsonLine } from './lib/results.js';

interface Bench {
  name: string;
  /** Headline key compared with the target, and whether higher is better. */
  key: string;
  target: number;
  higherIsBetter: boolean;
  unit: string;
}

// Targets from the issues; each bench prints its own full headline, this picks one figure per bench for the chart.
const BENCHES: Bench[] = [
  { name: 'codec', key: 'roundTripsPerSec', target: 300_000, higherIsBetter: true, unit: 'round trips/s' },
  { name: 'hsm', key: 'opsPerSec', target: 20_000, higherIsBetter: true, unit: 'HSM ops/s' },
  { name: 'fraud', key: 'scoresPerSec', target: 0, higherIsBetter: true, unit: 'fraud scores/s' },
  { name: 'auth', key: 'tps', target: 15_000, higherIsBetter: true, unit: 'authorizations/s' },
  { name: 'switch', key: 'maxTpsP99Under50', target: 10_000, higherIsBetter: true, unit: 'TPS at p99 < 50 ms' },
  { name: 'http', key: 'paymentsPerSec', target: 5_000, higherIsBetter: true, unit: 'payments/s' },
  { name: 'settle', key: 'postingsPerSec', target: 100_000, higherIsBetter: true, unit: 'postings/s' },
  { name: 'recon', key: 'entriesPerSec', target: 0, higherIsBetter: true, unit: 'statement entries/s' },
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = join(root, 'bench', 'results');

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One horizontal bar per bench: achieved / target (the target line at 100 %). */
export function summarySvg(rows: { name: string; unit: string; value?: number; target: number }[]): string {
  const W = 760;
  const rowH = 34;
  const left = 170;
  const barW = 420;
  const H = 60 + rows.length * rowH;
  const maxRatio = 3;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">gerbang benchmarks: achieved / target (target line = 100 %)</text>`,
  ];
  const x100 = left + barW / maxRatio;
  rows.forEach((r, i) => {
    const y = 40 + i * rowH;
    const ratio = r.value !== undefined && r.target > 0 ? r.value / r.target : undefined;
    const w = ratio === undefined ? 0 : Math.min(maxRatio, ratio) * (barW / maxRatio);
    const color = ratio === undefined ? '#bbb' : ratio >= 1 ? '#2e7d32' : '#c62828';
    parts.push(`<text x="10" y="${y + 18}">${escapeXml(r.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="20" fill="${color}"/>`);
    const label = r.value === undefined ? 'not run / failed' : `${Math.round(r.value).toLocaleString('en')} ${r.unit}${r.target ? ` (target ${r.target.toLocaleString('en')})` : ''}`;
    parts.push(`<text x="${left + w + 6}" y="${y + 18}">${escapeXml(label)}</text>`);
  });
  parts.push(`<line x1="${x100}" y1="32" x2="${x100}" y2="${H - 10}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function main(): number {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  mkdirSync(resultsDir, { recursive: true });
  const summary: Record<string, unknown> = { ranAt: new Date().toISOString(), node: process.version, results: {} };
  const rows: { name: string; unit: string; value?: number; target: number }[] = [];
  for (const b of BENCHES) {
    if (only.length && !only.includes(b.name)) continue;
    const script = join(root, 'dist', 'bench', `${b.name}.js`);
    if (!existsSync(script)) {
      rows.push({ name: b.name, unit: b.unit, target: b.target });
      continue;
    }
    process.stderr.write(`bench ${b.name} …\n`);
    const r = spawnSync(process.execPath, [script, '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 15 * 60_000 });
    const headline = lastJsonLine(r.stdout ?? '');
    (summary.results as Record<string, unknown>)[b.name] = headline ?? { error: `exit ${r.status}`, stderr: (r.stderr ?? '').slice(-2000) };
    const v = headline?.[b.key];
    rows.push({ name: b.name, unit: b.unit, target: b.target, value: typeof v === 'number' ? v : undefined });
    process.stderr.write(`  ${JSON.stringify(headline ?? { error: r.status })}\n`);
  }
  writeFileSync(join(resultsDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(resultsDir, 'summary.svg'), summarySvg(rows));
  const headline: Record<string, number | null> = {};
  for (const r of rows) headline[r.name] = r.value ?? null;
  process.stdout.write(JSON.stringify(headline) + '\n');
  return rows.every((r) => r.value !== undefined) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
