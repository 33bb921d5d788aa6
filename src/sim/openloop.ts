// Open-loop request scheduling with coordinated-omission-free latency accounting.
//
// Request `seq` is *intended* to leave at t0 + seq / rate, whatever happened to earlier requests; its latency is
// (time the answer arrived − intended send time). A switch that stalls therefore shows its queueing in the
// percentiles even though the generator could not send while it was busy. A timer wakes about once a millisecond
// and sends everything that has become due (capped per wake so answers still get read).
//
// A request that gets no answer within `timeoutMs` of its intended send time counts as a timeout and is recorded in
// the histogram at `timeoutMs` (a lower bound on its real latency), so dropping requests cannot make percentiles look
// better. Answers that come after that are counted as `late` and otherwise ignored.
import { performance } from 'node:perf_hooks';
import { LatencyHistogram, type LatencySummary } from './latency.js';

export interface OpenLoopOptions<T = unknown> {
  /** Offered rate, requests per second (> 0). */
  tps: number;
  /** How long to offer load; requests = round(tps × durationMs / 1000). */
  durationMs: number;
  /** Per-request answer deadline, measured from the intended send time. */
  timeoutMs: number;
  /** Requests allowed to await an answer at once; a due request beyond it is not sent and counts as an error. */
  maxInFlight: number;
  /** Most requests sent per timer wake, so a backlog cannot starve the reading of answers. */
  maxBurst?: number;
  /**
   * Sends request `seq` (intended at `intendedAt`, performance.now() clock) and returns the key its answer will
   * be matched by plus what the caller wants back with the answer, or null when it could not be sent (no
   * connection, encode failure): counted as an error.
   */
  send(seq: number, intendedAt: number): { key: string; data: T } | null;
  /** Called about every `progressEveryMs` while the run lasts. */
  onProgress?(p: OpenLoopProgress): void;
  progressEveryMs?: number;
  /** Called once for every request that timed out (so the caller can forget per-request state). */
  onTimeout?(key: string, data: T): void;
}

export interface OpenLoopProgress {
  elapsedMs: number;
  sent: number;
  answered: number;
  timeouts: number;
  errors: number;
  inFlight: number;
  /** Answers per second over the last progress interval. */
  recentTps: number;
  p99Ms: number;
}

export interface OpenLoopResult extends LatencySummary {
  /** Requests the schedule called for. */
  scheduled: number;
  sent: number;
  answered: number;
  timeouts: number;
  /** Not sent (in-flight bound, send failure) or explicitly failed by the caller. */
  errors: number;
  /** Answers after their request had timed out; also answers nobody was waiting for. */
  late: number;
  /** Answers per second over the offered period plus the drain that followed (answered / elapsed). */
  tps: number;
  offeredTps: number;
  elapsedMs: number;
  /** How far behind its intended time the generator actually sent (p99): large means the generator itself lagged. */
  sendLagP99Ms: number;
}

interface Pending<T> {
  intendedAt: number;
  done: boolean;
  data: T;
}

const DEFAULT_BURST = 4096;

export class OpenLoop<T = unknown> {
  readonly latency = new LatencyHistogram();
  private readonly sendLag = new LatencyHistogram();
  private readonly pending = new Map<string, Pending<T>>();
  /** Pending entries in send order (intended times ascending), for the timeout sweep. */
  private order: { key: string; p: Pending<T> }[] = [];
  private orderHead = 0;
  private readonly total: number;
  private readonly interval: number;
  private t0 = 0;
  private next = 0;
  private sent = 0;
  private answered = 0;
  private timeouts = 0;
  private errors = 0;
  private late = 0;
  private lastProgressAt = 0;
  private lastProgressAnswered = 0;
  private timer: NodeJS.Timeout | null = null;
  private finish: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly o: OpenLoopOptions<T>) {
    if (!(o.tps > 0) || !Number.isFinite(o.tps)) throw new RangeError(`tps must be > 0, got ${o.tps}`);
    if (!(o.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${o.durationMs}`);
    if (!(o.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${o.timeoutMs}`);
    if (!(o.maxInFlight >= 1)) throw new RangeError(`maxInFlight must be >= 1, got ${o.maxInFlight}`);
    this.total = Math.max(1, Math.round((o.tps * o.durationMs) / 1000));
    this.interval = 1000 / o.tps;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Runs the schedule, then waits for every request to be answered or to time out. */
  run(): Promise<OpenLoopResult> {
    if (this.t0 !== 0) throw new Error('OpenLoop.run called twice');
    this.t0 = performance.now();
    this.lastProgressAt = this.t0;
    return new Promise((resolve) => {
      this.finish = () => resolve(this.result());
      if (this.stopped) return this.finish();
      this.tick();
    });
  }

  /** Ends the run early (Ctrl-C): stops sending, times out nothing more, resolves run() with what was measured. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.finish?.();
  }

  /**
   * An answer arrived for `key`. Returns the request's latency in ms and its data, or undefined when nobody was
   * waiting for it (late after a timeout, duplicate, or unknown): counted as `late`.
   */
  answer(key: string): { latencyMs: number; data: T } | undefined {
    const p = this.pending.get(key);
    if (p === undefined) {
      this.late++;
      return undefined;
    }
    this.pending.delete(key);
    p.done = true;
    const latencyMs = performance.now() - p.intendedAt;
    this.latency.recordMs(latencyMs);
    this.answered++;
    return { latencyMs, data: p.data };
  }

  /** The request under `key` failed without an answer (connection lost): counts as an error, not in latency. */
  fail(key: string): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    p.done = true;
    this.errors++;
  }

  private tick = (): void => {
    this.timer = null;
    if (this.stopped) return;
    const now = performance.now();
    const burst = this.o.maxBurst ?? DEFAULT_BURST;
    const due = Math.min(this.total, Math.floor((now - this.t0) / this.interval) + 1);
    let budget = burst;
    while (this.next < due && budget-- > 0) {
      const seq = this.next++;
      const intendedAt = this.t0 + seq * this.interval;
      if (this.pending.size >= this.o.maxInFlight) {
        this.errors++;
        continue;
      }
      let sent: { key: string; data: T } | null;
      try {
        sent = this.o.send(seq, intendedAt);
      } catch {
        sent = null;
      }
      if (sent === null || this.pending.has(sent.key)) {
        this.errors++;
        continue;
      }
      this.sendLag.recordMs(performance.now() - intendedAt);
      const p: Pending<T> = { intendedAt, done: false, data: sent.data };
      this.pending.set(sent.key, p);
      this.order.push({ key: sent.key, p });
      this.sent++;
    }
    this.sweep(performance.now());
    this.progress(now);
    if (this.next >= this.total && this.pending.size === 0) {
      this.finish?.();
      this.stopped = true;
      return;
    }
    // Behind schedule: come back at once (next macrotask, after I/O); else wake for the next due request.
    const wait = this.next < this.total ? Math.max(0, this.t0 + this.next * this.interval - performance.now()) : 5;
    this.timer = setTimeout(this.tick, wait < 1 ? 0 : Math.min(wait, 5));
  };

  private sweep(now: number): void {
    const order = this.order;
    const deadline = now - this.o.timeoutMs;
    while (this.orderHead < order.length) {
      const e = order[this.orderHead];
      if (!e.p.done) {
        if (e.p.intendedAt > deadline) break;
        this.pending.delete(e.key);
        e.p.done = true;
        this.timeouts++;
        this.latency.recordMs(this.o.timeoutMs);
        this.o.onTimeout?.(e.key, e.p.data);
      }
      this.orderHead++;
    }
    // Compact the consumed prefix now and then (bounded: order holds at most sent-but-unswept entries).
    if (this.orderHead > 65_536 && this.orderHead * 2 > order.length) {
      this.order = order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  private progress(now: number): void {
    const every = this.o.progressEveryMs ?? 1000;
    if (!this.o.onProgress || now - this.lastProgressAt < every) return;
    const dt = (now - this.lastProgressAt) / 1000;
    this.o.onProgress({
      elapsedMs: Math.round(now - this.t0),
      sent: this.sent,
      answered: this.answered,
      timeouts: this.timeouts,
      errors: this.errors,
      inFlight: this.pending.size,
      recentTps: Math.round((this.answered - this.lastProgressAnswered) / dt),
      p99Ms: this.latency.percentileMs(99),
    });
    this.lastProgressAt = now;
    this.lastProgressAnswered = this.answered;
  }

  private result(): OpenLoopResult {
    const elapsedMs = performance.now() - this.t0;
    // Requests the schedule had not reached when stopped early are not counted at all.
    const s = this.latency.summary();
    return {
      ...s,
      scheduled: this.total,
      sent: this.sent,
      answered: this.answered,
      timeouts: this.timeouts,
      errors: this.errors,
      late: this.late,
      tps: Math.round((this.answered / Math.max(elapsedMs, this.o.durationMs)) * 1000),
      offeredTps: this.o.tps,
      elapsedMs: Math.round(elapsedMs),
      sendLagP99Ms: this.sendLag.percentileMs(99),
    };
  }
}
