// The acquirer edge: TCP listeners that turn frames into requests for the pipeline and its answers back into
// frames. Two wire forms share one connection core: ISO 8583 (codec spec + length-header framing) and
// newline-delimited canonical JSON ({"mti":…,"fields":{…}} per line).
// Bounds: max connections, max frame/line bytes, max in-flight requests per connection (beyond it the socket is
// paused: backpressure), idle timeout, and a deadline for a frame that is started but never finished (a client that
// sends one byte a second). Answers may leave in a different order than requests came (pipelining).
// Bad input: an undecodable frame is answered 30 when enough of it decodes (see ./salvage.ts), else dropped with one
// log line; a garbage length header closes that connection only.
import { dialectOf } from './dialect.js';
import { createServer, type Server, type Socket } from 'node:net';
import { CodecError, FrameSplitter, decode, encode, frame, swapTpdu, type CompiledSpec, type FramingOptions, type IsoMessage } from '../../codecs/index.js';
import type { IsoListenerConfig, JsonListenerConfig, ListenerConfig } from '../config/types.js';
import type { Logger } from '../runtime/log.js';
import { bytesPreview } from '../runtime/log.js';
import { decisionToIso } from './iso-txn.js';
import { salvage } from './salvage.js';

/** Answers one request; null = no answer (e.g. a response or advice acknowledgement sent to us). */
export type RequestHandler = (msg: IsoMessage, listener: ListenerConfig) => Promise<IsoMessage | null>;

/** MAC hooks for a listener configured with one (./mac.ts). */
export interface WireMac {
  /** true when the request's DE 64/128 is right for its bytes. */
  verify(msg: IsoMessage, bytes: Buffer): Promise<boolean>;
  /** Encodes `msg` with its MAC field filled in. */
  encodeSigned(msg: IsoMessage): Promise<Buffer>;
}

export interface ListenerStats {
  connections: number;
  accepted: number;
  requests: number;
  answered: number;
  badFrames: number;
  garbageClosed: number;
  idleClosed: number;
  slowClosed: number;
  paused: number;
}

export interface AcquirerListener {
  readonly id: string;
  readonly kind: 'iso' | 'json';
  readonly port: number;
  readonly stats: ListenerStats;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** One decoded unit from the wire: a request, or something to answer with a format error, or nothing. */
interface Item {
  msg?: IsoMessage;
  /** Answer to send without calling the handler (format error). */
  reply?: IsoMessage;
  tpdu?: Buffer;
  bytes?: Buffer;
}

interface Wire {
  /** Splits a chunk into items; throws on a stream that cannot continue (garbage header, oversize line). */
  push(chunk: Buffer): Item[];
  readonly buffered: number;
  encode(resp: IsoMessage, item: Item): Promise<Buffer> | Buffer;
}

/** How long a started frame may take to complete (slow-drip clients). */
const PARTIAL_FRAME_MS = 10_000;

function isoWire(cfg: IsoListenerConfig, spec: CompiledSpec, log: Logger, mac: WireMac | null): Wire {
  const framing: FramingOptions = { lengthHeader: cfg.framing as FramingOptions['lengthHeader'], tpdu: cfg.tpdu, maxFrame: cfg.maxFrameBytes };
  const splitter = new FrameSplitter(framing);
  // A 1993 acquirer's messages are remapped to the switch's internal 1987 shape and back (src/switch/dialect.ts).
  const dialect = dialectOf(spec);
  const toItem = (payload: Buffer, tpdu: Buffer | undefined): Item | null => {
    try {
      return { msg: dialect.fromWire(decode(spec, payload)), tpdu, bytes: payload };
    } catch (e) {
      const reply = e instanceof CodecError ? salvage(spec, payload, e) : null;
      log.warn(reply ? 'malformed request answered 30' : 'undecodable frame dropped', {
        error: e instanceof Error ? e.message : String(e),
        bytes: payload.length,
        head: bytesPreview(payload, 6),
      });
      return reply ? { reply, tpdu } : null;
    }
  };
  return {
    get buffered() {
      return splitter.buffered;
    },
    push(chunk) {
      const out: Item[] = [];
      try {
        for (const f of splitter.push(chunk)) {
          const it = toItem(f.payload, f.tpdu);
          if (it) out.push(it);
        }
      } catch (e) {
        const frames = (e as { frames?: { payload: Buffer; tpdu?: Buffer }[] }).frames ?? [];
        for (const f of frames) {
          const it = toItem(f.payload, f.tpdu);
          if (it) out.push(it);
        }
        (e as { items?: Item[] }).items = out;
        throw e;
      }
      return out;
    },
    encode(resp, item) {
      const tpdu = item.tpdu ? swapTpdu(item.tpdu) : undefined;
      const out = dialect.toWire(resp);
      if (mac && item.msg && !resp.mti.startsWith('08')) return mac.encodeSigned(out).then((b) => frame(b, framing, tpdu));
      return frame(encode(spec, out), framing, tpdu);
    },
  };
}

function jsonWire(cfg: JsonListenerConfig, log: Logger): Wire {
  let pending = '';
  const toItem = (line: string): Item | null => {
    if (line.trim() === '') return null;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      log.warn('json line is not JSON', { bytes: line.length });
      return { reply: { mti: '0000', fields: { 39: '30', 44: 'not JSON' } } };
    }
    const m = v as IsoMessage;
    if (!m || typeof m !== 'object' || typeof m.mti !== 'string' || !/^\d{4}$/.test(m.mti) || !m.fields || typeof m.fields !== 'object' || Array.isArray(m.fields)) {
      log.warn('json line is not a message', { bytes: line.length });
      return { reply: { mti: '0000', fields: { 39: '30', 44: 'expected {"mti":"0200","fields":{…}}' } } };
    }
    for (const [k, val] of Object.entries(m.fields)) {
      const ok = /^\d{1,3}$/.test(k) && (typeof val === 'string' || (typeof val === 'object' && val !== null && Object.values(val).every((x) => typeof x === 'string')));
      if (!ok) {
        log.warn('json message with a bad field', { field: k });
        const reply: IsoMessage = { mti: m.mti, fields: { 39: '30', 44: `field ${k}` } };
        if (typeof m.fields[11] === 'string') reply.fields[11] = m.fields[11];
        return { reply };
      }
    }
    return { msg: m };
  };
  return {
    get buffered() {
      return pending.length;
    },
    push(chunk) {
      const out: Item[] = [];
      let text = pending + chunk.toString('utf8');
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (line.length > cfg.maxFrameBytes) throw Object.assign(new Error(`line of ${line.length} bytes exceeds ${cfg.maxFrameBytes}`), { items: out });
        const it = toItem(line);
        if (it) out.push(it);
      }
      if (text.length > cfg.maxFrameBytes) throw Object.assign(new Error(`line longer than ${cfg.maxFrameBytes} bytes`), { items: out });
      pending = text;
      return out;
    },
    encode(resp) {
      return Buffer.from(JSON.stringify(resp) + '\n', 'utf8');
    },
  };
}

class Connection {
  inFlight = 0;
  private backlog: Item[] = [];
  private paused = false;
  private corked = false;
  private closing = false;
  partialSince = 0;
  lastActivity = Date.now();
  loggedBad = 0;

  constructor(
    readonly sock: Socket,
    private readonly wire: Wire,
    private readonly cfg: ListenerConfig,
    private readonly handler: RequestHandler,
    private readonly stats: ListenerStats,
    private readonly log: Logger,
    private readonly onIdle: () => void,
    private readonly mac: WireMac | null,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (c: Buffer) => this.onData(c));
    sock.on('drain', () => this.maybeResume());
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = Date.now();
    let items: Item[];
    try {
      items = this.wire.push(chunk);
    } catch (e) {
      items = (e as { items?: Item[] }).items ?? [];
      this.stats.garbageClosed++;
      this.log.warn('bad framing; closing this connection', { error: (e as Error).message, remote: this.sock.remotePort });
      for (const it of items) this.dispatch(it);
      this.closing = true;
      this.sock.pause();
      if (this.inFlight === 0) this.sock.destroy();
      return;
    }
    // A frame deadline runs from the last completed frame: a busy pipelined stream always has a partial frame
    // buffered at chunk boundaries, a slow-drip client never completes one.
    this.partialSince = this.wire.buffered === 0 ? 0 : items.length > 0 || !this.partialSince ? this.lastActivity : this.partialSince;
    for (const it of items) {
      if (this.inFlight >= this.cfg.maxInFlight) this.backlog.push(it);
      else this.dispatch(it);
    }
    if (this.inFlight >= this.cfg.maxInFlight && !this.paused) {
      this.paused = true;
      this.stats.paused++;
      this.sock.pause();
    }
  }

  private dispatch(it: Item): void {
    if (it.reply) {
      this.stats.badFrames++;
      void this.send(it.reply, it);
      return;
    }
    if (!it.msg) return;
    this.inFlight++;
    this.stats.requests++;
    const msg = it.msg;
    const run =
      this.mac && it.bytes && !msg.mti.startsWith('08')
        ? this.mac.verify(msg, it.bytes).then((ok) => {
            if (ok) return this.handler(msg, this.cfg);
            this.log.warn('request with a missing or bad MAC answered 63', { mti: msg.mti, stan: msg.fields[11] });
            return decisionToIso(msg, { responseCode: '63', approvedAmount: 0 });
          })
        : this.handler(msg, this.cfg);
    run.then(
      (resp) => (resp ? this.send(resp, it) : undefined),
      (e) => this.log.error('request handler failed', { error: (e as Error).message, mti: it.msg?.mti }),
    ).finally(() => {
      this.inFlight--;
      this.afterAnswer();
    });
  }

  private async send(resp: IsoMessage, it: Item): Promise<void> {
    if (this.sock.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = await this.wire.encode(resp, it);
    } catch (e) {
      this.log.error('cannot encode answer', { error: (e as Error).message, mti: resp.mti });
      return;
    }
    if (this.sock.destroyed) return;
    // Coalesce answers finished in the same tick into one write.
    if (!this.corked) {
      this.corked = true;
      this.sock.cork();
      setImmediate(() => {
        this.corked = false;
        this.sock.uncork();
      });
    }
    this.stats.answered++;
    this.lastActivity = Date.now();
    this.sock.write(bytes);
  }

  private afterAnswer(): void {
    while (this.backlog.length > 0 && this.inFlight < this.cfg.maxInFlight) this.dispatch(this.backlog.shift()!);
    if (this.closing && this.inFlight === 0) {
      this.sock.end();
      return;
    }
    this.maybeResume();
    if (this.inFlight === 0) this.onIdle();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private maybeResume(): void {
    if (!this.paused || this.closing) return;
    if (this.inFlight < this.cfg.maxInFlight && this.backlog.length === 0 && this.sock.writableLength < 1 << 20) {
      this.paused = false;
      if (this.partialSince) this.partialSince = Date.now();
      this.sock.resume();
    }
  }

  /** Stop reading; end the socket once in-flight answers are written. */
  drain(): void {
    this.closing = true;
    this.sock.pause();
    this.backlog = [];
    if (this.inFlight === 0) this.sock.end();
  }
}

async function listen(
  cfg: ListenerConfig,
  makeWire: () => Wire,
  handler: RequestHandler,
  log: Logger,
  mac: WireMac | null,
): Promise<AcquirerListener> {
  const stats: ListenerStats = { connections: 0, accepted: 0, requests: 0, answered: 0, badFrames: 0, garbageClosed: 0, idleClosed: 0, slowClosed: 0, paused: 0 };
  const conns = new Set<Connection>();
  const llog = log.child({ listener: cfg.id });
  let drainWaiters: (() => void)[] = [];
  const server: Server = createServer((sock) => {
    stats.accepted++;
    stats.connections = conns.size + 1;
    const c: Connection = new Connection(sock, makeWire(), cfg, handler, stats, llog, () => {
      if (drainWaiters.length && [...conns].every((x) => x.inFlight === 0)) for (const w of drainWaiters.splice(0)) w();
    }, mac);
    conns.add(c);
    sock.on('error', (e) => llog.debug('connection error', { error: e.message }));
    sock.on('close', () => {
      conns.delete(c);
      stats.connections = conns.size;
      if (drainWaiters.length && [...conns].every((x) => x.inFlight === 0)) for (const w of drainWaiters.splice(0)) w();
    });
  });
  server.maxConnections = cfg.maxConnections;
  server.on('error', (e) => llog.error('listener error', { error: e.message }));
  // One ticker for idle and slow-drip checks: O(connections) once a second, no timer per socket.
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const c of conns) {
      if (c.inFlight === 0 && now - c.lastActivity > cfg.idleTimeoutMs) {
        stats.idleClosed++;
        c.sock.destroy();
      } else if (c.partialSince && !c.isPaused && now - c.partialSince > Math.min(PARTIAL_FRAME_MS, cfg.idleTimeoutMs)) {
        stats.slowClosed++;
        llog.warn('frame not completed in time; closing this connection', { remote: c.sock.remotePort });
        c.sock.destroy();
      }
    }
  }, Math.min(1000, Math.max(50, Math.floor(cfg.idleTimeoutMs / 4))));
  ticker.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  llog.info('listening', { kind: cfg.kind, host: cfg.host, port });
  let closed: Promise<void> | null = null;
  return {
    id: cfg.id,
    kind: cfg.kind,
    port,
    stats,
    close(graceMs = 10_000) {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        for (const c of conns) c.drain();
        if ([...conns].some((c) => c.inFlight > 0)) {
          await Promise.race([new Promise<void>((r) => drainWaiters.push(r)), new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
        }
        drainWaiters = [];
        // Give ended sockets a moment to flush, then force the rest.
        await new Promise<void>((r) => setTimeout(r, 20).unref());
        for (const c of conns) c.sock.destroy();
        clearInterval(ticker);
        await stopped;
      })();
      return closed;
    },
  };
}

export function startIsoListener(cfg: IsoListenerConfig, spec: CompiledSpec, handler: RequestHandler, log: Logger, mac: WireMac | null = null): Promise<AcquirerListener> {
  return listen(cfg, () => isoWire(cfg, spec, log.child({ listener: cfg.id }), mac), handler, log, mac);
}

export function startJsonListener(cfg: JsonListenerConfig, handler: RequestHandler, log: Logger): Promise<AcquirerListener> {
  return listen(cfg, () => jsonWire(cfg, log.child({ listener: cfg.id })), handler, log, null);
}
