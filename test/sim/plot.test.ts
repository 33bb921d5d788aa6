import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { linearTicks, logTicks, renderSvg } from '../../bench/lib/plot.js';
import { median, writeResults } from '../../bench/lib/results.js';

function parseSvg(svg: string): { paths: string[]; texts: string[] } {
  const p = new SaxesParser();
  const paths: string[] = [];
  const texts: string[] = [];
  let inText = false;
  p.on('opentag', (t) => {
    if (t.name === 'path') paths.push(String(t.attributes.d));
    inText = t.name === 'text';
  });
  p.on('text', (t) => inText && texts.push(t));
  p.on('closetag', () => (inText = false));
  p.write(svg).close(); // throws on malformed XML
  return { paths, texts };
}

describe('bench/lib plot and results', () => {
  it('renders well-formed SVG with one path per series, escaped labels and a log axis', () => {
    const svg = renderSvg(
      [
        {
          title: 'Latency <p99> & p50',
          xLabel: 'offered TPS',
          yLabel: 'ms',
          yLog: true,
          series: [
            { name: 'p50', color: '#00f', points: [[500, 1], [2000, 10], [5000, 100]] },
            { name: 'p99', color: '#f00', points: [[500, 3], [2000, NaN], [5000, 1000]] },
          ],
          refLines: [{ y: 50, label: 'target', color: '#0a0' }],
        },
        { title: 'TPS', xLabel: 'offered', yLabel: 'achieved', series: [{ name: 'tps', color: '#000', points: [[500, 500], [2000, 1900]] }] },
      ],
      'caption',
    );
    const { paths, texts } = parseSvg(svg);
    expect(paths).toHaveLength(3);
    expect(texts).toContain('Latency <p99> & p50');
    // p50 on a log axis: 1 → 10 → 100 are equal vertical steps.
    const ys = paths[0].split(' ').map((seg) => Number(seg.slice(1).split(',')[1]));
    expect(ys).toHaveLength(3);
    expect(Math.abs(ys[0] - ys[1] - (ys[1] - ys[2]))).toBeLessThan(0.5);
    // The NaN point of p99 is skipped, not drawn as garbage.
    expect(paths[1].split(' ')).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('ticks cover the data', () => {
    expect(linearTicks(17_500)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(logTicks(0.4, 2300)).toEqual([0.1, 1, 10, 100, 1000, 10_000]);
  });

  it('writes results atomically with run metadata; median of repeated runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gerbang-results-'));
    try {
      const path = writeResults('demo', { steps: [1, 2] }, dir);
      const doc = JSON.parse(readFileSync(path, 'utf8'));
      expect(doc.bench).toBe('demo');
      expect(doc.steps).toEqual([1, 2]);
      expect(doc.node).toBe(process.version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
