// Hand-written SVG line charts for bench results: no dependency, opens in any browser.
// A figure is one or more panels side by side; each panel has its own axes (linear or log10 y), series with a
// legend, and optional horizontal reference lines (a latency target, a measured ceiling).

export interface Series {
  name: string;
  color: string;
  /** [x, y] points; non-finite y values are skipped (a step that produced no answers). */
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface RefLine {
  y: number;
  label: string;
  color: string;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** log10 y axis: latency spans 1 ms … seconds once a step saturates. */
  yLog?: boolean;
  /** log10 x axis: offered rates from 100 to 20,000 spread evenly. */
  xLog?: boolean;
  series: readonly Series[];
  refLines?: readonly RefLine[];
}

const PANEL_W = 520;
const PANEL_H = 380;
const M = { left: 70, right: 20, top: 40, bottom: 95 };
const MAX_POINTS = 10_000; // a chart, not a data dump

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Compact tick label: 12000 → "12k", 0.5 → "0.5". */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

/** "Nice" linear ticks (1-2-5 steps) covering [0, max]. */
export function linearTicks(max: number, target = 6): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  if (ticks[ticks.length - 1] < max) ticks.push(+(ticks[ticks.length - 1] + step).toPrecision(12));
  return ticks;
}

/** Powers of ten covering [min, max] for a log axis (min is clamped to > 0). */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(max, 1e-3))));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return ticks;
}

function renderPanel(p: Panel, ox: number): string {
  const w = PANEL_W - M.left - M.right;
  const h = PANEL_H - M.top - M.bottom;
  const ok = ([x, y]: readonly [number, number]) => Number.isFinite(x) && Number.isFinite(y) && (!p.yLog || y > 0) && (!p.xLog || x > 0);
  const pts = p.series.flatMap((s) => s.points.filter(ok));
  if (pts.length > MAX_POINTS) throw new RangeError(`plot: ${pts.length} points is more than ${MAX_POINTS}`);
  const refs = p.refLines ?? [];
  const xMax = Math.max(1, ...pts.map(([x]) => x));
  const yVals = [...pts.map(([, y]) => y), ...refs.map((r) => r.y)];
  const xTicks = p.xLog ? logTicks(Math.min(...pts.map(([x]) => x), xMax), xMax) : linearTicks(xMax);
  const yTicks = p.yLog ? logTicks(Math.min(...yVals, 1), Math.max(...yVals, 10)) : linearTicks(Math.max(1, ...yVals));
  const x0 = p.xLog ? xTicks[0] : 0;
  const x1 = xTicks[xTicks.length - 1];
  const y0 = p.yLog ? yTicks[0] : 0;
  const y1 = yTicks[yTicks.length - 1];
  const sx = (x: number) => ox + M.left + (p.xLog ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * w;
  const sy = (y: number) =>
    p.yLog ? M.top + h - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * h : M.top + h - ((y - y0) / (y1 - y0)) * h;

  const out: string[] = [];
  out.push(`<text x="${ox + PANEL_W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  // grid and tick labels
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${ox + M.left}" y1="${y}" x2="${ox + M.left + w}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + h}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${M.top + h + 16}" text-anchor="middle" font-size="11">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${ox + M.left}" y="${M.top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${ox + M.left + w / 2}" y="${M.top + h + 36}" text-anchor="middle" font-size="12">${esc(p.xLabel)}${p.xLog ? ' (log scale)' : ''}</text>`);
  const yMid = M.top + h / 2;
  out.push(`<text x="${ox + 16}" y="${yMid}" text-anchor="middle" font-size="12" transform="rotate(-90 ${ox + 16} ${yMid})">${esc(p.yLabel)}${p.yLog ? ' (log scale)' : ''}</text>`);
  // reference lines
  for (const r of refs) {
    if (p.yLog && !(r.y > 0)) continue;
    const y = sy(r.y).toFixed(1);
    out.push(`<line x1="${ox + M.left}" y1="${y}" x2="${ox + M.left + w}" y2="${y}" stroke="${esc(r.color)}" stroke-dasharray="2 4" stroke-width="1.5"/>`);
    out.push(`<text x="${ox + M.left + w - 4}" y="${y}" dy="-4" text-anchor="end" font-size="11" fill="${esc(r.color)}">${esc(r.label)}</text>`);
  }
  // series
  for (const s of p.series) {
    const good = s.points.filter(ok);
    if (good.length === 0) continue;
    const d = good.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const [x, y] of good) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${esc(s.color)}"/>`);
  }
  // legend under the x label
  let lx = ox + M.left;
  const ly = M.top + h + 60;
  for (const s of p.series) {
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${esc(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 27}" y="${ly}" dy="4" font-size="11">${esc(s.name)}</text>`);
    lx += 40 + s.name.length * 6.5;
  }
  return out.join('\n');
}

/** A whole SVG document: the panels side by side under an optional caption line. */
export function renderSvg(panels: readonly Panel[], caption = ''): string {
  if (panels.length === 0) throw new RangeError('renderSvg: no panels');
  const width = PANEL_W * panels.length;
  const height = PANEL_H + (caption ? 24 : 0);
  const body = panels.map((p, i) => renderPanel(p, i * PANEL_W)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    caption ? `<text x="10" y="${PANEL_H + 16}" font-size="11" fill="#555">${esc(caption)}</text>` : '',
    `</svg>`,
    '',
  ].join('\n');
}
