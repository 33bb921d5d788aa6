// What the dashboard shows, computed from the switch's own Prometheus exposition (metrics.render()) so the
// page and /metrics can never disagree. Plain functions: parse the text, then diff two readings for rates.

/** One sample: metric name, its labels, its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format 0.0.4 (the subset the registry writes). Bad lines are skipped. */
export function parseExposition(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    const value = Number(m[4]);
    if (!Number.isFinite(value)) continue;
    const list = out.get(m[1]) ?? [];
    list.push({ name: m[1], labels, value });
    out.set(m[1], list);
  }
  return out;
}

/**
 * Which metrics feed which panel. Defaults name what the switch core, the engine and this API record;
 * a panel whose metric is absent shows "no data" rather than a made-up zero.
 */
export interface DashboardSources {
  /** Counters of decided transactions with a `code` label (DE 39) and optionally `channel`. Summed. */
  decisions: string[];
  /** Latency summaries (quantile label, seconds). The first one present is shown. */
  latency: string[];
  /** Gauge per issuer link, labels `issuer` and `link`: 1 up, 0 not up. An issuer is up when any link is. */
  issuerLinks: string;
  /** Counter of stand-in decisions by `issuer`: an issuer that is not up and stood in since the last snapshot shows "stand-in". */
  standIn: string;
  /** Gauge per store-and-forward queue, label `issuer` (or `queue`). */
  safDepth: string;
  /** Gauge 1 = HSM reachable. */
  hsmUp: string;
  /** Gauge: transactions flagged for fraud review and not yet worked. */
  reviewQueue: string;
  /** Counter: declines by the fraud stage (code 59 is counted too when this is absent). */
  fraudDeclines: string;
  /** Gauges labelled `stage` (e.g. settlement, reconciliation): 1 ok, 0 failing; `_last_run_seconds` optional. */
  settlement: string;
}

export const DEFAULT_SOURCES: DashboardSources = {
  decisions: ['gerbang_switch_decisions_total', 'gerbang_http_decisions_total'],
  latency: ['gerbang_switch_latency_seconds', 'gerbang_http_request_seconds'],
  issuerLinks: 'gerbang_issuer_link_status',
  standIn: 'gerbang_standin_total',
  safDepth: 'gerbang_saf_depth',
  hsmUp: 'gerbang_hsm_up',
  reviewQueue: 'gerbang_fraud_review_queue',
  fraudDeclines: 'gerbang_fraud_declines_total',
  settlement: 'gerbang_settlement_status',
};

const APPROVED = new Set(['00', '10', '11', '85']);

export interface Totals {
  at: number;
  total: number;
  approved: number;
  byCode: Record<string, number>;
  byChannel: Record<string, number>;
  standIn: Record<string, number>;
}

export interface Snapshot {
  at: number;
  /** Transactions per second over the last interval, overall and by channel. */
  tps: number;
  tpsByChannel: Record<string, number>;
  /** Approved / decided over the last interval (null when nothing was decided). */
  approvalRate: number | null;
  /** Since start. */
  totals: { decided: number; approved: number };
  declinesByCode: Record<string, number>;
  latencyMs: { p50: number; p99: number; source: string } | null;
  fraud: { declines: number; reviewQueue: number | null };
  issuerLinks: Record<string, 'up' | 'down' | 'stand-in'>;
  safDepth: Record<string, number>;
  hsm: 'up' | 'down' | 'unknown';
  settlement: Record<string, number>;
  extra: Record<string, number>;
}

function channelOf(s: Sample, metric: string): string {
  if (s.labels.channel) return s.labels.channel.split(':')[0];
  return metric.includes('_http_') ? 'http' : 'switch';
}

export function totalsOf(parsed: Map<string, Sample[]>, src: DashboardSources, at: number): Totals {
  const t: Totals = { at, total: 0, approved: 0, byCode: {}, byChannel: {}, standIn: {} };
  for (const s of parsed.get(src.standIn) ?? []) {
    const id = s.labels.issuer ?? 'issuer';
    t.standIn[id] = (t.standIn[id] ?? 0) + s.value;
  }
  for (const name of src.decisions) {
    for (const s of parsed.get(name) ?? []) {
      const code = s.labels.code ?? s.labels.response_code ?? '??';
      t.total += s.value;
      if (APPROVED.has(code)) t.approved += s.value;
      t.byCode[code] = (t.byCode[code] ?? 0) + s.value;
      const ch = channelOf(s, name);
      t.byChannel[ch] = (t.byChannel[ch] ?? 0) + s.value;
    }
  }
  return t;
}

export function buildSnapshot(parsed: Map<string, Sample[]>, src: DashboardSources, prev: Totals | undefined, now: number, extra: Record<string, number> = {}): { snapshot: Snapshot; totals: Totals } {
  const t = totalsOf(parsed, src, now);
  const dt = prev ? (now - prev.at) / 1000 : 0;
  const dTotal = prev ? t.total - prev.total : 0;
  const dApproved = prev ? t.approved - prev.approved : 0;
  const tpsByChannel: Record<string, number> = {};
  if (dt > 0) for (const [ch, v] of Object.entries(t.byChannel)) tpsByChannel[ch] = (v - (prev?.byChannel[ch] ?? 0)) / dt;

  let latencyMs: Snapshot['latencyMs'] = null;
  for (const name of src.latency) {
    const qs = parsed.get(name);
    if (!qs || qs.length === 0) continue;
    // Several label sets (e.g. per operation): show the worst of each quantile, the number that matters.
    const q = (quantile: string) => Math.max(0, ...qs.filter((s) => s.labels.quantile === quantile).map((s) => s.value)) * 1000;
    latencyMs = { p50: q('0.5'), p99: q('0.99'), source: name };
    break;
  }

  const declinesByCode: Record<string, number> = {};
  for (const [code, v] of Object.entries(t.byCode)) if (!APPROVED.has(code) && v > 0) declinesByCode[code] = v;

  const fraudCounter = parsed.get(src.fraudDeclines);
  const fraudDeclines = fraudCounter ? fraudCounter.reduce((s, x) => s + x.value, 0) : (t.byCode['59'] ?? 0);
  const review = parsed.get(src.reviewQueue);

  const issuerLinks: Snapshot['issuerLinks'] = {};
  for (const s of parsed.get(src.issuerLinks) ?? []) {
    const id = s.labels.issuer ?? 'issuer';
    if (s.value >= 1) issuerLinks[id] = 'up';
    else if (issuerLinks[id] !== 'up') issuerLinks[id] = (t.standIn[id] ?? 0) > (prev?.standIn[id] ?? 0) ? 'stand-in' : 'down';
  }
  const safDepth: Record<string, number> = {};
  for (const s of parsed.get(src.safDepth) ?? []) safDepth[s.labels.issuer ?? s.labels.queue ?? 'saf'] = s.value;
  const hsmS = parsed.get(src.hsmUp);
  const settlement: Record<string, number> = {};
  for (const s of parsed.get(src.settlement) ?? []) settlement[s.labels.stage ?? 'settlement'] = s.value;

  const snapshot: Snapshot = {
    at: now,
    tps: dt > 0 ? dTotal / dt : 0,
    tpsByChannel,
    approvalRate: dTotal > 0 ? dApproved / dTotal : null,
    totals: { decided: t.total, approved: t.approved },
    declinesByCode,
    latencyMs,
    fraud: { declines: fraudDeclines, reviewQueue: review ? review.reduce((s, x) => s + x.value, 0) : null },
    issuerLinks,
    safDepth,
    hsm: hsmS && hsmS.length ? (hsmS.every((s) => s.value >= 1) ? 'up' : 'down') : 'unknown',
    settlement,
    extra,
  };
  return { snapshot, totals: t };
}
