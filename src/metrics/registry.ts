// Process-wide metrics: counters, gauges and latency histograms with labels, rendered in the Prometheus text
// format for /metrics and as a plain snapshot for the live dashboard. Recording is a map lookup and an add:
// cheap enough for the hot path. Label sets are bounded (MAX_SERIES per metric) so a bad label cannot grow memory.
import hdr from 'hdr-histogram-js';

const MAX_SERIES = 256;
type Labels = Record<string, string>;
const OVERFLOW_KEY = 'overflow="true"';

/** Keys of frozen label objects (hot paths keep one per series and pass it again): sorted and escaped once.
 * Only frozen ones: a caller may reuse and change an ordinary object between calls. */
const keyOfLabels = new WeakMap<Labels, string>();

function seriesKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const known = keyOfLabels.get(labels);
  if (known !== undefined) return known;
  const key = buildKey(labels);
  if (Object.isFrozen(labels)) keyOfLabels.set(labels, key);
  return key;
}

function buildKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  if (keys.length > 1) keys.sort();
  let out = '';
  for (const k of keys) out += `${out ? ',' : ''}${k}="${escapeLabel(labels[k])}"`;
  return out;
}

// Three payment-path series per request: most label values need no escaping, so test once before replacing thrice.
const NEEDS_ESCAPE = /[\\"\n]/;
function escapeLabel(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

abstract class Metric<T> {
  protected readonly series = new Map<string, T>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name ${name}`);
  }
  protected slot(labels: Labels | undefined, make: () => T): T {
    let key = seriesKey(labels);
    let s = this.series.get(key);
    if (s !== undefined) return s;
    // Past the bound every new label set shares one overflow series.
    if (this.series.size >= MAX_SERIES) {
      key = OVERFLOW_KEY;
      s = this.series.get(key);
      if (s !== undefined) return s;
    }
    s = make();
    this.series.set(key, s);
    return s;
  }
  abstract render(): string;
}

export class Counter extends Metric<{ v: number }> {
  inc(labels?: Labels, by = 1): void {
    this.slot(labels, () => ({ v: 0 })).v += by;
  }
  get(labels?: Labels): number {
    return this.series.get(seriesKey(labels))?.v ?? 0;
  }
  /** Every series as [labels-key, value]; the key is Prometheus label text, e.g. `code="51"`. */
  entries(): [string, number][] {
    return [...this.series].map(([k, s]) => [k, s.v]);
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, s] of this.series) out += `${this.name}${k ? `{${k}}` : ''} ${s.v}\n`;
    return out;
  }
}

export class Gauge extends Metric<{ v: number }> {
  set(value: number, labels?: Labels): void {
    this.slot(labels, () => ({ v: 0 })).v = value;
  }
  get(labels?: Labels): number {
    return this.series.get(seriesKey(labels))?.v ?? 0;
  }
  entries(): [string, number][] {
    return [...this.series].map(([k, s]) => [k, s.v]);
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const [k, s] of this.series) out += `${this.name}${k ? `{${k}}` : ''} ${s.v}\n`;
    return out;
  }
}

/** Latency in microseconds into an HDR histogram (1 µs – 60 s, 3 significant digits); rendered as a summary. */
export class Latency extends Metric<hdr.Histogram> {
  private static make(): hdr.Histogram {
    return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  }
  recordMicros(us: number, labels?: Labels): void {
    this.slot(labels, Latency.make).recordValue(Math.max(1, Math.min(60_000_000, Math.round(us))));
  }
  /** Percentile in milliseconds (0 when nothing was recorded). */
  percentileMs(p: number, labels?: Labels): number {
    const h = this.series.get(seriesKey(labels));
    return h && h.totalCount > 0 ? h.getValueAtPercentile(p) / 1000 : 0;
  }
  count(labels?: Labels): number {
    return this.series.get(seriesKey(labels))?.totalCount ?? 0;
  }
  reset(): void {
    for (const h of this.series.values()) h.reset();
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} summary\n`;
    for (const [k, h] of this.series) {
      const sep = k ? `${k},` : '';
      for (const q of [0.5, 0.9, 0.99, 0.999]) out += `${this.name}{${sep}quantile="${q}"} ${h.getValueAtPercentile(q * 100) / 1e6}\n`;
      out += `${this.name}_count${k ? `{${k}}` : ''} ${h.totalCount}\n`;
    }
    return out;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric<unknown>>();
  private get<M extends Metric<unknown>>(name: string, make: () => M): M {
    const m = this.metrics.get(name);
    if (m) return m as M;
    const created = make();
    this.metrics.set(name, created);
    return created;
  }
  counter(name: string, help: string): Counter {
    return this.get(name, () => new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.get(name, () => new Gauge(name, help));
  }
  latency(name: string, help: string): Latency {
    return this.get(name, () => new Latency(name, help));
  }
  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    let out = '';
    for (const m of this.metrics.values()) out += m.render();
    return out;
  }
}

/** The switch's one registry; edges and stages record into it, /metrics and the dashboard read it. */
export const metrics = new Registry();
