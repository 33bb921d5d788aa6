// The acquirer simulator: a terminal network driving a switch open-loop at a fixed rate over N pipelined
// connections. Answers are matched by connection + DE 11 + DE 41; latency is counted from each request's intended
// send time (openloop.ts). Purchases, pre-authorizations and balance inquiries come from the prepared pool
// (pool.ts: DUKPT PIN blocks, ARQCs); refunds, reversals and completions refer to earlier approvals kept in a
// bounded ring, and fall back to a purchase while the ring holds nothing suitable.
import net from 'node:net';
import {
  decode,
  encode,
  frame,
  FrameSplitter,
  getSpec,
  type CompiledSpec,
  type FramingOptions,
  type IsoMessage,
  type LengthHeader,
  type SpecRef,
} from '../../codecs/index.js';
import { completionRequest, clockAt, freshRequest, networkRequest, refundRequest, reversalRequest, SIM_KINDS, type Approval, type Clock, type Envelope, type SimKind } from './messages.js';
import { OpenLoop, type OpenLoopProgress } from './openloop.js';
import { buildTxnPool, type PoolOptions, type TxnPool } from './pool.js';
import { mulberry32 } from './prng.js';
import { patch, prepareWire, type PreparedWire } from './wire.js';

export type Mix = Partial<Record<SimKind, number>>;
export const DEFAULT_MIX: Mix = { purchase: 70, preauth: 15, refund: 5, reversal: 5, balance: 5 };

/** 'purchase:70,preauth:15' → { purchase: 70, preauth: 15 }. Throws RangeError naming the bad part. */
export function parseMix(text: string): Mix {
  const mix: Mix = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+):([0-9]+(?:\.[0-9]+)?)$/.exec(part);
    if (!m || !SIM_KINDS.includes(m[1] as SimKind)) throw new RangeError(`bad mix entry '${part}': expected KIND:WEIGHT with KIND one of ${SIM_KINDS.join(', ')}`);
    mix[m[1] as SimKind] = Number(m[2]);
  }
  const total = Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
  if (!(total > 0)) throw new RangeError('mix weights must add up to more than 0');
  return mix;
}

export interface AcquirerOptions {
  host?: string;
  port: number;
  /** Offered rate, requests per second. */
  tps: number;
  durationS: number;
  /** Seconds of load at the same rate before measuring (JIT, connection pools, caches on both sides); default 0. */
  warmupS?: number;
  /** Called once, after any warm-up, as the measured run starts (a bench samples other processes' CPU here). */
  onMeasureStart?: () => void;
  mix?: Mix;
  /** Codec spec and framing of the switch's acquirer listener (defaults iso87-ascii, ascii4). */
  spec?: SpecRef;
  framing?: LengthHeader | FramingOptions;
  connections?: number;
  /** Per-request deadline from the intended send time (default 5000 ms). */
  timeoutMs?: number;
  /** DE 32; must be the acquirer id the switch's listener expects (default 123456). */
  acquirerId?: string;
  seed?: number;
  /** Send 0800 sign-on on each connection and wait for its answer before the run (default true). */
  signOn?: boolean;
  /** A pool prepared earlier (the bench prepares one and reuses it across steps); else one is built now. */
  pool?: TxnPool;
  /** Options for the pool built when `pool` is absent; sizes default to what the run needs (capped at 50,000). */
  poolOptions?: Partial<PoolOptions>;
  maxInFlight?: number;
  onProgress?: (p: OpenLoopProgress) => void;
  /** Ends the run early when aborted (Ctrl-C); the summary covers what was sent. */
  signal?: AbortSignal;
}

export interface AcquirerSummary {
  offered: number;
  durationS: number;
  sent: number;
  answered: number;
  /** Answers per second achieved. */
  tps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  timeouts: number;
  late: number;
  /** DE 39 of the answers ('none' when an answer carries no DE 39, e.g. from a bare echo server). */
  byCode: Record<string, number>;
  byKind: Record<string, { sent: number; answered: number; approved: number }>;
  undecodable: number;
  poolBuildMs: number;
  poolReused: boolean;
  /** Encoding the pool's messages once for this spec/framing (0 when an earlier run on the pool did it). */
  wireBuildMs: number;
  /** Message shapes the byte patcher could not reproduce exactly (those go through the codec per message). */
  unpatchableShapes: number;
  sendLagP99Ms: number;
  /** CPU time this process spent per request sent (user + system, µs): what the generator costs, whatever the box's load. */
  cpuUsPerRequest: number;
}

interface Req {
  kind: SimKind;
  conn: number;
  approval: Approval | null;
}

interface Conn {
  sock: net.Socket;
  splitter: FrameSplitter;
  alive: boolean;
  corked: boolean;
}

const RING = 4096;

/** Bounded LIFO: push overwrites the oldest entry when full; takeNewest pops the most recent. O(1) both. */
export class RecentRing<T> {
  private readonly items: (T | undefined)[];
  private head = 0; // next write position
  private size = 0;
  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('ring capacity must be >= 1');
    this.items = new Array<T | undefined>(capacity);
  }
  get length(): number {
    return this.size;
  }
  push(v: T): void {
    this.items[this.head] = v;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }
  takeNewest(): T | undefined {
    if (this.size === 0) return undefined;
    this.head = (this.head - 1 + this.capacity) % this.capacity;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.size--;
    return v;
  }
}

// Prepared wire bytes per pool and spec/framing/acquirer, so repeated runs on one pool (bench steps) prepare once.
const wires = new WeakMap<TxnPool, Map<string, PreparedWire>>();
function wireFor(pool: TxnPool, spec: CompiledSpec, framing: FramingOptions, acquirerId: string, preauth: boolean, balance: boolean): PreparedWire {
  let m = wires.get(pool);
  if (!m) wires.set(pool, (m = new Map()));
  const key = `${spec.name}|${framing.lengthHeader}|${framing.tpdu ? 1 : 0}|${acquirerId}|${preauth}|${balance}`;
  let w = m.get(key);
  if (!w) m.set(key, (w = prepareWire(pool, spec, framing, acquirerId, { purchase: true, preauth, balance })));
  return w;
}
const MAX_CONNECTIONS = 256;
const DEFAULT_POOL_CAP = 50_000;

/** Prepares the pool a run of `tps` × `durationS` with `mix` needs (capped), so crypto is not on the clock. */
export function poolFor(tps: number, durationS: number, mix: Mix = DEFAULT_MIX, o: Partial<PoolOptions> = {}, cap = DEFAULT_POOL_CAP): TxnPool {
  const total = Object.values(mix).reduce((a, b) => a + (b ?? 0), 0);
  const n = Math.min(cap, Math.max(1, Math.ceil(tps * durationS)));
  const balanceShare = (mix.balance ?? 0) / total;
  const balanceSize = Math.max(1, Math.ceil(n * balanceShare));
  const debitSize = Math.max(1, n - balanceSize);
  return buildTxnPool({ ...o, debitSize: o.debitSize ?? debitSize, balanceSize: o.balanceSize ?? balanceSize });
}

function framingOf(f: AcquirerOptions['framing']): FramingOptions {
  if (f === undefined) return { lengthHeader: 'ascii4' };
  return typeof f === 'string' ? { lengthHeader: f } : f;
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true });
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

export async function runAcquirer(o: AcquirerOptions): Promise<AcquirerSummary> {
  const host = o.host ?? '127.0.0.1';
  const spec: CompiledSpec = typeof o.spec === 'string' || o.spec === undefined ? getSpec(o.spec ?? 'iso87-ascii') : o.spec;
  const framing = framingOf(o.framing);
  const nConn = o.connections ?? 4;
  if (!(nConn >= 1 && nConn <= MAX_CONNECTIONS)) throw new RangeError(`connections must be 1..${MAX_CONNECTIONS}`);
  if (!(o.tps > 0)) throw new RangeError('tps must be > 0');
  if (!(o.durationS > 0)) throw new RangeError('duration must be > 0');
  const timeoutMs = o.timeoutMs ?? 5000;
  const acquirerId = o.acquirerId ?? '123456';
  if (!/^[0-9]{1,11}$/.test(acquirerId)) throw new RangeError('acquirer id must be 1..11 digits');
  const mix = o.mix ?? DEFAULT_MIX;
  const kinds = SIM_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const k of kinds) cumulative.push((acc += mix[k]!));
  const rand = mulberry32((o.seed ?? 1) * 7 + 3);

  const poolReused = o.pool !== undefined;
  const pool = o.pool ?? poolFor(o.tps, o.durationS, mix, { seed: o.seed, ...o.poolOptions });
  const wiresBefore = wires.get(pool)?.size ?? 0;
  const wire = wireFor(pool, spec, framing, acquirerId, (mix.preauth ?? 0) > 0, (mix.balance ?? 0) > 0);
  let nextDebit = 0;
  let nextBalance = 0;

  // Approved purchases and pre-authorizations that later messages may refer to; each is used at most once.
  const purchases = new RecentRing<Approval>(RING);
  const preauths = new RecentRing<Approval>(RING);
  const takeRecent = (ring: RecentRing<Approval>) => ring.takeNewest();
  const keep = (ring: RecentRing<Approval>, a: Approval) => ring.push(a);

  // Envelope: one STAN sequence for the whole acquirer (the switch's duplicate check keys on DE 32 + DE 11 + DE 7).
  let stan = Math.floor(rand() * 900_000);
  const runTag = String(Date.now() % 10_000).padStart(4, '0');
  let rrnSeq = 0;
  let clockSec = -1;
  let clock: Clock = clockAt(Date.now());
  const envelope = (): Envelope => {
    const nowSec = Math.floor(Date.now() / 1000);
    if (nowSec !== clockSec) {
      clockSec = nowSec;
      clock = clockAt(nowSec * 1000);
    }
    stan = (stan % 999_999) + 1;
    rrnSeq = (rrnSeq + 1) % 100_000_000;
    return { acquirerId, stan: String(stan).padStart(6, '0'), rrn: runTag + String(rrnSeq).padStart(8, '0'), clock };
  };

  // ---- connections
  const conns: Conn[] = [];
  let undecodable = 0;
  let loop: OpenLoop<Req> | null = null;
  const byCode: Record<string, number> = {};
  const byKind: Record<string, { sent: number; answered: number; approved: number }> = {};
  for (const k of SIM_KINDS) byKind[k] = { sent: 0, answered: 0, approved: 0 };
  const control = new Map<string, (m: IsoMessage) => void>(); // sign-on answers

  const onMessage = (ci: number, payload: Buffer) => {
    let msg: IsoMessage;
    try {
      msg = decode(spec, payload);
    } catch {
      undecodable++;
      return;
    }
    const f = msg.fields;
    const tid = typeof f[41] === 'string' ? (f[41] as string).trimEnd() : '';
    const key = `${ci}|${f[11]}|${tid}`;
    const waiter = control.get(key);
    if (waiter) {
      control.delete(key);
      waiter(msg);
      return;
    }
    if (!loop) return;
    const got = loop.answer(key);
    if (!got) return;
    const req = got.data;
    const code = typeof f[39] === 'string' ? (f[39] as string) : 'none';
    byCode[code] = (byCode[code] ?? 0) + 1;
    const bk = byKind[req.kind];
    bk.answered++;
    if (code === '00' || code === '10') {
      bk.approved++;
      const a = req.approval;
      if (a) {
        a.authCode = typeof f[38] === 'string' ? (f[38] as string) : '000000';
        keep(a.kind === 'purchase' ? purchases : preauths, a);
      }
    }
  };

  for (let i = 0; i < nConn; i++) {
    const sock = await connect(host, o.port, 5000).catch((e) => {
      for (const c of conns) c.sock.destroy();
      throw e;
    });
    const c: Conn = { sock, splitter: new FrameSplitter(framing), alive: true, corked: false };
    const ci = conns.length;
    sock.on('data', (chunk) => {
      let frames;
      try {
        frames = c.splitter.push(chunk);
      } catch {
        undecodable++;
        c.alive = false;
        sock.destroy();
        return;
      }
      for (const fr of frames) onMessage(ci, fr.payload);
    });
    sock.on('error', () => {});
    sock.on('close', () => (c.alive = false));
    conns.push(c);
  }

  const uncork = (c: Conn) => {
    c.corked = false;
    c.sock.uncork();
  };
  const tpdu = framing.tpdu ? Buffer.alloc(5) : undefined;
  const write = (c: Conn, msg: IsoMessage) => writeBytes(c, frame(encode(spec, msg), framing, tpdu));
  const writeBytes = (c: Conn, bytes: Buffer) => {
    if (!c.corked) {
      c.corked = true;
      c.sock.cork();
      process.nextTick(uncork, c);
    }
    c.sock.write(bytes);
  };

  try {
    if (o.signOn ?? true) {
      await Promise.all(
        conns.map(
          (c, ci) =>
            new Promise<void>((resolve) => {
              const e = envelope();
              const key = `${ci}|${e.stan}|`;
              const t = setTimeout(() => {
                control.delete(key);
                resolve(); // no answer: run anyway, the requests will show what is wrong
              }, 2000);
              control.set(key, () => {
                clearTimeout(t);
                resolve();
              });
              write(c, networkRequest('001', e));
            }),
        ),
      );
    }

    let rr = 0;
    const pick = (): SimKind => {
      const r = rand() * acc;
      for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]) return kinds[i];
      return kinds[kinds.length - 1];
    };
    const makeLoop = (durationS: number, onProgress?: (p: OpenLoopProgress) => void) =>
      new OpenLoop<Req>({
        tps: o.tps,
        durationMs: durationS * 1000,
        timeoutMs,
        maxInFlight: o.maxInFlight ?? 200_000,
        progressEveryMs: 1000,
        onProgress,
        send: () => {
          let c: Conn | undefined;
          for (let tries = 0; tries < conns.length; tries++) {
            const cand = conns[rr++ % conns.length];
            if (cand.alive) {
              c = cand;
              break;
            }
          }
          if (!c) return null;
          const ci = conns.indexOf(c);
          let kind = pick();
          const e = envelope();
          let msg: IsoMessage;
          let approval: Approval | null = null;
          const orig = kind === 'refund' || kind === 'reversal' ? takeRecent(purchases) : kind === 'completion' ? takeRecent(preauths) : undefined;
          if ((kind === 'refund' || kind === 'reversal' || kind === 'completion') && !orig) kind = 'purchase';
          if (kind === 'refund') msg = refundRequest(orig!, pool, e);
          else if (kind === 'reversal') msg = reversalRequest(orig!, pool, e);
          else if (kind === 'completion') msg = completionRequest(orig!, pool, e);
            else {
            // Fresh chip-and-PIN transactions: the prepared bytes with this message's STAN, times and RRN.
            const fresh = kind === 'balance' ? pool.balance : pool.debit;
            const idx = kind === 'balance' ? nextBalance++ % fresh.length : nextDebit++ % fresh.length;
            const t = fresh[idx];
            const template = wire[kind][idx];
            if (template) writeBytes(c, patch(template, e));
            else write(c, freshRequest(kind, t, pool, e));
            if (kind !== 'balance') approval = { kind, mti: kind === 'preauth' ? '0100' : '0200', card: t.card, terminal: t.terminal, amount: t.amount, stan: e.stan, de7: e.clock.de7, rrn: e.rrn, authCode: '' };
            byKind[kind].sent++;
            return { key: `${ci}|${e.stan}|${pool.terminals[t.terminal].tid}`, data: { kind, conn: ci, approval } };
          }
          write(c, msg);
          byKind[kind].sent++;
          const tid = (msg.fields[41] as string).trimEnd();
          return { key: `${ci}|${e.stan}|${tid}`, data: { kind, conn: ci, approval } };
        },
      });
    const onAbort = () => loop?.stop();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const warmupS = o.warmupS ?? 0;
    if (warmupS > 0 && !o.signal?.aborted) {
      loop = makeLoop(warmupS);
      await loop.run();
      for (const k of SIM_KINDS) byKind[k] = { sent: 0, answered: 0, approved: 0 };
      for (const k of Object.keys(byCode)) delete byCode[k];
      undecodable = 0;
    }
    loop = makeLoop(o.durationS, o.onProgress);
    if (o.signal?.aborted) loop.stop();
    o.onMeasureStart?.();
    const cpu0 = process.cpuUsage();
    const r = await loop.run();
    const cpu = process.cpuUsage(cpu0);
    o.signal?.removeEventListener('abort', onAbort);
    return {
      offered: o.tps,
      durationS: o.durationS,
      sent: r.sent,
      answered: r.answered,
      tps: r.tps,
      p50Ms: r.p50Ms,
      p90Ms: r.p90Ms,
      p99Ms: r.p99Ms,
      p999Ms: r.p999Ms,
      maxMs: r.maxMs,
      errors: r.errors,
      timeouts: r.timeouts,
      late: r.late,
      byCode,
      byKind: Object.fromEntries(Object.entries(byKind).filter(([, v]) => v.sent > 0)),
      undecodable,
      poolBuildMs: poolReused ? 0 : pool.buildMs,
      poolReused,
      wireBuildMs: (wires.get(pool)?.size ?? 0) > wiresBefore ? wire.buildMs : 0,
      unpatchableShapes: wire.unpatchable,
      sendLagP99Ms: r.sendLagP99Ms,
      cpuUsPerRequest: r.sent > 0 ? Math.round((cpu.user + cpu.system) / r.sent) : 0,
      ...(process.env.H5B_DEBUG ? { cpuUser: Math.round(cpu.user / r.sent), cpuSys: Math.round(cpu.system / r.sent) } : {}),
    };
  } finally {
    for (const c of conns) c.sock.destroy();
  }
}
