// Latency accounting for the load generator: an HDR histogram in microseconds (3 significant digits),
// summarised in milliseconds. Values are clamped into the histogram's range so a pathological sample is counted,
// never thrown away or allowed to grow memory.
import hdr from 'hdr-histogram-js';

const MAX_US = 3_600_000_000; // one hour: far beyond any request timeout

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    bitBucketSize: 32,
  });

  /** Records one latency given in milliseconds (fractional allowed). */
  recordMs(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us >= 1)) us = 1; // also catches NaN
    else if (us > MAX_US) us = MAX_US;
    this.h.recordValue(us);
  }

  get count(): number {
    return this.h.totalCount;
  }

  percentileMs(p: number): number {
    return this.h.totalCount === 0 ? 0 : round3(this.h.getValueAtPercentile(p) / 1000);
  }

  summary(): LatencySummary {
    const n = this.h.totalCount;
    return {
      count: n,
      p50Ms: this.percentileMs(50),
      p90Ms: this.percentileMs(90),
      p99Ms: this.percentileMs(99),
      p999Ms: this.percentileMs(99.9),
      maxMs: n === 0 ? 0 : round3(this.h.maxValue / 1000),
      meanMs: n === 0 ? 0 : round3(this.h.mean / 1000),
    };
  }

  reset(): void {
    this.h.reset();
  }

  /** Frees the histogram's buffers (a no-op for the JS implementation, required for the WASM one). */
  destroy(): void {
    this.h.destroy();
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
