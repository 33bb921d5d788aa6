// The request path between the edges: decode is done, encode is left to the edge. Per request:
// network management → answer; isoToTxn (30 on bad input) → duplicate check → route → on-us engine or issuer →
// decisionToIso. Records decisions and latency per channel in the metrics registry (the dashboard reads them).
import { isResponse, type IsoMessage } from '../../codecs/index.js';
import type { ListenerConfig } from '../config/types.js';
import { metrics } from '../metrics/registry.js';
import type { Decision, Txn } from '../model/txn.js';
import { mask, type Logger } from '../runtime/log.js';
import type { RequestHandler } from './acquirer-server.js';
import { dupKey, type DuplicateDetector } from './duplicates.js';
import { decisionToIso, isFormatError, isNetworkManagement, isoToTxn, networkResponse, type EdgeContext } from './iso-txn.js';
import { route, type RoutingTable } from './routing.js';

/** Anything that decides a transaction: the on-us engine, an issuer service. */
export interface Decider {
  authorize(txn: Txn): Promise<Decision>;
}

export interface PipelineDeps {
  routes: RoutingTable;
  onus: Decider | null;
  issuers: ReadonlyMap<string, Decider>;
  duplicates: DuplicateDetector<Decision> | null;
  /** Approvals the fraud score flagged for review are queued here for an analyst (absent: not queued). */
  review?: { add(txn: Txn, d: Decision): boolean } | null;
  /**
   * Admission bound: original requests (0100/0200…) being decided at once, across every listener. Past it a new
   * one is answered 91 at once instead of queueing behind work it cannot overtake (absent: no bound).
   */
  maxOutstanding?: number;
  log: Logger;
  now?: () => Date;
}

const decisions = metrics.counter('gerbang_switch_decisions_total', 'Transactions decided by the switch, by channel and DE 39');
const latency = metrics.latency('gerbang_switch_latency_seconds', 'Switch request latency, decode to answer');
// Where a request's time goes: the decider it was routed to (the on-us engine: HSM checks, fraud, durable commit;
// a remote issuer: PIN translation, the round trip, the journal). The rest of the switch latency is the edge's.
const stageLatency = metrics.latency('gerbang_switch_stage_seconds', 'Time in the decider a request was routed to: on-us engine or remote issuer');
const ONUS_STAGE = Object.freeze({ stage: 'onus' });
const issuerStages = new Map<string, Readonly<{ stage: string; issuer: string }>>();
const duplicatesSeen = metrics.counter('gerbang_switch_duplicates_total', 'Duplicate transmissions answered from the stored decision');
const shed = metrics.counter('gerbang_switch_shed_total', 'Requests answered 91 at admission because maxOutstanding were already being decided');
/** An overload is logged once per this interval, with the count shed in it (not once per request). */
const SHED_LOG_INTERVAL_MS = 10_000;

/**
 * What admission may refuse: original authorization and financial requests (MTI class 1 or 2, function 0:
 * 0100, 0101, 0200, 1100 …). Reversals, advices and network management are always taken: they settle state the
 * acquirer would otherwise keep repeating, and refusing them under load only adds load.
 */
export function isSheddable(mti: string): boolean {
  return mti.length === 4 && (mti[1] === '1' || mti[1] === '2') && mti[2] === '0';
}

const decline = (txnId: string, code: string, check: string, detail: string): Decision => ({
  txnId,
  responseCode: code,
  approved: false,
  approvedAmount: 0,
  reasons: [{ check, ok: false, detail }],
});

/** What a duplicate needs to be answered again: the answer fields only (no reasons, no PAN). */
function stored(d: Decision): Decision {
  const out: Decision = { txnId: d.txnId, responseCode: d.responseCode, approved: d.approved, approvedAmount: d.approvedAmount, reasons: [] };
  if (d.authCode !== undefined) out.authCode = d.authCode;
  if (d.availableBalance !== undefined) out.availableBalance = d.availableBalance;
  if (d.ledgerBalance !== undefined) out.ledgerBalance = d.ledgerBalance;
  if (d.arpc !== undefined) out.arpc = d.arpc;
  if (d.standIn) out.standIn = true;
  return out;
}

export interface Pipeline {
  handle: RequestHandler;
  /** Decides a Txn already built by some edge (HTTP API): routing, duplicates are the caller's. */
  decide(txn: Txn): Promise<Decision>;
  /** Original requests being decided now (the quantity maxOutstanding bounds). */
  readonly outstanding: number;
}

/**
 * Per-turn tallies of decisions by channel and DE 39, added to the registry once per event-loop turn: one label
 * lookup per (channel, code) per turn instead of one per request. Bounded by the registry's series bound.
 */
class DecisionTally {
  private readonly counts = new Map<string, { labels: { channel: string; code: string }; n: number }>();
  private scheduled = false;
  private readonly flush = (): void => {
    this.scheduled = false;
    for (const c of this.counts.values()) if (c.n > 0) {
      decisions.inc(c.labels, c.n);
      c.n = 0;
    }
    // Label sets seen are few (channels × codes); forget them past a bound so a bad DE 39 cannot grow this map.
    if (this.counts.size > 1024) this.counts.clear();
  };
  add(channel: string, code: string): void {
    const k = channel + '\u0000' + code;
    let c = this.counts.get(k);
    if (!c) this.counts.set(k, (c = { labels: { channel, code }, n: 0 }));
    c.n++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const tally = new DecisionTally();
  const channelLabels = new Map<string, { channel: string }>();
  const now = deps.now ?? (() => new Date());
  const instance = Date.now().toString(36);
  let seq = 0;
  const ctxCache = new Map<string, EdgeContext>();
  const maxOutstanding = deps.maxOutstanding ?? Infinity;
  if (!(maxOutstanding >= 1)) throw new RangeError(`maxOutstanding must be ≥ 1, got ${deps.maxOutstanding}`);
  let outstanding = 0;
  let shedSinceLog = 0;
  let lastShedLog = 0;
  const edgeOf = (l: ListenerConfig): EdgeContext => {
    let c = ctxCache.get(l.id);
    if (!c) ctxCache.set(l.id, (c = { listenerId: l.id, kind: l.kind, acquirerId: l.acquirerId, pin: l.pin }));
    return c;
  };

  async function decide(txn: Txn): Promise<Decision> {
    const r = txn.pan ? route(txn.pan, deps.routes) : null;
    if (!r) return decline(txn.id, '15', 'route', 'no issuer for this card range');
    try {
      if (r.kind === 'onus') {
        if (!deps.onus) return decline(txn.id, '91', 'route', 'on-us engine not running');
        const t0 = performance.now();
        const d = await deps.onus.authorize(txn);
        stageLatency.recordMicros((performance.now() - t0) * 1000, ONUS_STAGE);
        if (d.review && deps.review) deps.review.add(txn, d);
        return d;
      }
      const issuer = deps.issuers.get(r.issuerId);
      if (!issuer) return decline(txn.id, '91', 'route', `issuer ${r.issuerId} not configured`);
      let labels = issuerStages.get(r.issuerId);
      if (!labels) issuerStages.set(r.issuerId, (labels = Object.freeze({ stage: 'issuer', issuer: r.issuerId })));
      const t0 = performance.now();
      const d = await issuer.authorize(txn);
      stageLatency.recordMicros((performance.now() - t0) * 1000, labels);
      return d;
    } catch (e) {
      deps.log.error('decision failed', { txnId: txn.id, pan: mask(txn.pan), error: (e as Error).message });
      return decline(txn.id, '96', 'system', (e as Error).message);
    }
  }

  async function handle(msg: IsoMessage, listener: ListenerConfig): Promise<IsoMessage | null> {
    const t0 = performance.now();
    if (isNetworkManagement(msg.mti)) return networkResponse(msg);
    if (isResponse(msg.mti)) {
      deps.log.warn('response sent to the switch by an acquirer ignored', { listener: listener.id, mti: msg.mti });
      return null;
    }
    let chl = channelLabels.get(listener.id);
    if (!chl) channelLabels.set(listener.id, (chl = Object.freeze({ channel: `${listener.kind}:${listener.id}` })));
    if (!isSheddable(msg.mti)) return decideRequest(msg, listener, chl, t0);
    if (outstanding >= maxOutstanding) {
      shed.inc(chl);
      tally.add(chl.channel, '91');
      shedSinceLog++;
      const nowMs = Date.now();
      if (nowMs - lastShedLog >= SHED_LOG_INTERVAL_MS) {
        deps.log.warn('overloaded: requests answered 91 at admission', { shed: shedSinceLog, maxOutstanding, sinceMs: lastShedLog ? nowMs - lastShedLog : 0 });
        shedSinceLog = 0;
        lastShedLog = nowMs;
      }
      return decisionToIso(msg, { responseCode: '91', approvedAmount: 0 });
    }
    outstanding++;
    try {
      return await decideRequest(msg, listener, chl, t0);
    } finally {
      outstanding--;
    }
  }

  async function decideRequest(msg: IsoMessage, listener: ListenerConfig, chl: Readonly<{ channel: string }>, t0: number): Promise<IsoMessage> {
    const channel = chl.channel;
    const id = `${instance}-${++seq}`;
    const txn = isoToTxn(msg, edgeOf(listener), id, now());
    if (isFormatError(txn)) {
      deps.log.warn('request rejected', { listener: listener.id, mti: msg.mti, code: txn.code, field: txn.field, detail: txn.detail, pan: mask(typeof msg.fields[2] === 'string' ? msg.fields[2] : undefined) });
      tally.add(channel, txn.code);
      return decisionToIso(msg, { responseCode: txn.code, approvedAmount: 0 });
    }
    let d: Decision;
    if (deps.duplicates) {
      const key = dupKey({ listenerId: listener.id, mti: txn.mti, acquirerId: txn.acquirerId, transmittedAt: txn.transmittedAt, stan: txn.stan, terminalId: txn.terminalId });
      const r = await deps.duplicates.once(key, () => decide(txn).then(stored));
      d = r.value;
      if (r.duplicate) {
        duplicatesSeen.inc({ channel });
        deps.log.info('duplicate transmission answered from the stored decision', { listener: listener.id, stan: txn.stan, pan: mask(txn.pan) });
      }
    } else d = await decide(txn);
    tally.add(channel, d.responseCode);
    latency.recordMicros((performance.now() - t0) * 1000, chl);
    return decisionToIso(msg, d);
  }

  return {
    handle,
    decide,
    get outstanding() {
      return outstanding;
    },
  };
}
