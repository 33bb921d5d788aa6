// One client link to a remote bank host: connect, sign on (0800 / DE 70 = 001), echo test (301) when the host has
// been silent for echoIntervalMs, sign off (002) on close, reconnect with exponential backoff and jitter.
// Requests are matched to responses by DE 11 (STANs are allocated here, unique among the link's pending requests)
// and, when both carry one, DE 37. Every request has a deadline; the pending map is bounded by maxInFlight.
import { dialectOf, type Dialect } from '../switch/dialect.js';
import { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { CodecError, FrameSplitter, decode, encode, frame, swapTpdu, type CompiledSpec, type FramingOptions, type IsoMessage } from '../../codecs/index.js';
import type { Logger } from '../runtime/log.js';
import { transmissionTime } from '../switch/iso-txn.js';

export type LinkState = 'down' | 'connecting' | 'signing-on' | 'up' | 'closed';

/** The request was never written: another link, stand-in or 91 may take it. */
export class LinkUnavailableError extends Error {
  override readonly name = 'LinkUnavailableError';
}
/** The request was written but no answer came in time (or the connection dropped): the issuer may have acted on it. */
export class LinkNoAnswerError extends Error {
  override readonly name = 'LinkNoAnswerError';
}

export interface MessageSigner {
  /** Adds DE 64/128 to an outgoing message (encoded bytes in, encoded bytes out). */
  sign(msg: IsoMessage): Promise<IsoMessage>;
  /** true when the incoming message's MAC is right. */
  verify(msg: IsoMessage, bytes: Buffer): Promise<boolean>;
}

export interface LinkOptions {
  issuerId: string;
  name: string;
  host: string;
  port: number;
  spec: CompiledSpec;
  framing: FramingOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  echoIntervalMs: number;
  signOn: boolean;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  maxInFlight: number;
  log: Logger;
  mac?: MessageSigner | null;
  /** First STAN to use (the next ones count up, wrapping after 999999). */
  firstStan?: number;
}

interface Pending {
  resolve(m: IsoMessage): void;
  reject(e: Error): void;
  deadline: number;
  rrn: string | undefined;
  written: boolean;
}

const TPDU = Buffer.from([0x60, 0x00, 0x00, 0x00, 0x00]);

/** Backoff before reconnect attempt `n` (0-based): min(max, initial·2ⁿ), with 50–100 % jitter. */
export function backoffDelay(n: number, initialMs: number, maxMs: number, rand = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(n, 30));
  return Math.round(base * (0.5 + rand() * 0.5));
}

export class IssuerLink extends EventEmitter {
  state: LinkState = 'down';
  private sock: Socket | null = null;
  private splitter: FrameSplitter | null = null;
  private readonly pending = new Map<string, Pending>();
  private stan: number;
  private attempts = 0;
  private lastInbound = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private echoInFlight = false;
  private corked = false;
  private readonly log: Logger;
  /** 1987 ↔ 1993 remapping when the issuer's spec is a 1993 dialect (identity otherwise). */
  private readonly dialect: Dialect;
  stats = { sent: 0, answered: 0, timeouts: 0, unmatched: 0, connects: 0, signOns: 0, echoes: 0, badFrames: 0 };

  constructor(readonly opts: LinkOptions) {
    super();
    this.dialect = dialectOf(opts.spec);
    if (opts.maxInFlight < 1) throw new RangeError('maxInFlight must be ≥ 1');
    this.stan = opts.firstStan ?? 1 + Math.floor(Math.random() * 900_000);
    this.log = opts.log.child({ issuer: opts.issuerId, link: opts.name });
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  get inFlight(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.state !== 'down' || this.reconnectTimer) return;
    const tick = Math.max(5, Math.min(100, Math.floor(this.opts.requestTimeoutMs / 10)));
    this.ticker = setInterval(() => this.onTick(), tick);
    this.ticker.unref();
    this.connect();
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    const prev = this.state;
    this.state = s;
    this.log.info('link state', { from: prev, to: s });
    this.emit('state', s, prev);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.state === 'closed') return;
    this.setState('connecting');
    const sock = new Socket();
    this.sock = sock;
    this.splitter = new FrameSplitter(this.opts.framing);
    sock.setNoDelay(true);
    const timer = setTimeout(() => sock.destroy(new Error('connect timeout')), this.opts.connectTimeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      this.stats.connects++;
      this.lastInbound = Date.now();
      void this.afterConnect(sock);
    });
    sock.on('data', (chunk) => this.onData(sock, chunk));
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (this.sock === sock) this.log.warn('link socket error', { error: e.message });
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (this.sock === sock) this.onDisconnect();
    });
    sock.connect(this.opts.port, this.opts.host);
  }

  private async afterConnect(sock: Socket): Promise<void> {
    if (!this.opts.signOn) {
      this.attempts = 0;
      this.setState('up');
      return;
    }
    this.setState('signing-on');
    try {
      const r = await this.network('001');
      if (r.fields[39] !== '00') throw new Error(`sign-on refused with ${String(r.fields[39])}`);
      if (this.sock !== sock) return;
      this.stats.signOns++;
      this.attempts = 0;
      this.setState('up');
    } catch (e) {
      this.log.warn('sign-on failed', { error: (e as Error).message });
      sock.destroy();
    }
  }

  private onDisconnect(): void {
    this.sock = null;
    this.splitter = null;
    this.echoInFlight = false;
    // Everything written and unanswered may have reached the issuer: the caller reverses it.
    for (const [k, p] of this.pending) {
      this.pending.delete(k);
      p.reject(p.written ? new LinkNoAnswerError('connection lost before the answer') : new LinkUnavailableError('connection lost'));
    }
    if (this.state === 'closed') return;
    this.setState('down');
    const delay = backoffDelay(this.attempts++, this.opts.reconnectInitialMs, this.opts.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private onData(sock: Socket, chunk: Buffer): void {
    if (this.sock !== sock || !this.splitter) return;
    this.lastInbound = Date.now();
    let frames;
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      this.stats.badFrames++;
      this.log.warn('garbage from issuer; reconnecting', { error: (e as Error).message });
      const good = (e as { frames?: { payload: Buffer }[] }).frames ?? [];
      for (const f of good) this.onFrame(f.payload, undefined);
      sock.destroy();
      return;
    }
    for (const f of frames) this.onFrame(f.payload, f.tpdu);
  }

  private onFrame(payload: Buffer, tpdu: Buffer | undefined): void {
    let msg: IsoMessage;
    try {
      msg = this.dialect.fromWire(decode(this.opts.spec, payload));
    } catch (e) {
      this.stats.badFrames++;
      this.log.warn('undecodable message from issuer dropped', { error: e instanceof CodecError ? e.message : String(e), bytes: payload.length });
      return;
    }
    const mti = msg.mti;
    const fn = mti.charCodeAt(2) - 48;
    if (fn % 2 === 0) {
      // A request from the host: answer network management, ignore the rest (the switch is not their issuer).
      if (mti.startsWith('08')) {
        const fields: IsoMessage['fields'] = {};
        for (const n of [7, 11, 70]) if (msg.fields[n] !== undefined) fields[n] = msg.fields[n];
        fields[39] = '00';
        this.write(this.dialect.toWire({ mti: '0810', fields }), tpdu ? swapTpdu(tpdu) : undefined);
      } else this.log.warn('unsolicited request from issuer ignored', { mti });
      return;
    }
    if (this.opts.mac && !mti.startsWith('08')) {
      void this.opts.mac.verify(msg, payload).then(
        (ok) => (ok ? this.settle(msg) : (this.stats.badFrames++, this.log.warn('issuer response with a bad MAC dropped', { mti, stan: msg.fields[11] }))),
        (e) => this.log.warn('MAC verification failed', { error: (e as Error).message }),
      );
      return;
    }
    this.settle(msg);
  }

  private settle(msg: IsoMessage): void {
    const stan = typeof msg.fields[11] === 'string' ? (msg.fields[11] as string) : '';
    const p = this.pending.get(stan);
    const rrn = typeof msg.fields[37] === 'string' ? (msg.fields[37] as string) : undefined;
    if (!p || (p.rrn !== undefined && rrn !== undefined && p.rrn !== rrn)) {
      this.stats.unmatched++;
      this.log.warn('unmatched or late response dropped', { mti: msg.mti, stan });
      return;
    }
    this.pending.delete(stan);
    this.stats.answered++;
    this.emit('answered');
    p.resolve(msg);
  }

  private onTick(): void {
    const now = Date.now();
    for (const [k, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(k);
      this.stats.timeouts++;
      p.reject(p.written ? new LinkNoAnswerError(`no answer within ${this.opts.requestTimeoutMs} ms`) : new LinkUnavailableError('not written before the deadline'));
    }
    if (this.state === 'up' && !this.echoInFlight && now - this.lastInbound >= this.opts.echoIntervalMs) {
      this.echoInFlight = true;
      const sock = this.sock;
      this.network('301').then(
        () => {
          this.stats.echoes++;
          this.echoInFlight = false;
        },
        (e) => {
          this.echoInFlight = false;
          this.log.warn('echo test failed; reconnecting', { error: (e as Error).message });
          if (this.sock === sock) sock?.destroy();
        },
      );
    }
  }

  /** Next STAN not pending on this link. */
  nextStan(): string {
    for (let i = 0; i < 1000; i++) {
      this.stan = this.stan >= 999_999 ? 1 : this.stan + 1;
      const s = String(this.stan).padStart(6, '0');
      if (!this.pending.has(s)) return s;
    }
    throw new LinkUnavailableError('no free STAN');
  }

  private network(code: '001' | '002' | '301'): Promise<IsoMessage> {
    const stan = this.nextStan();
    return this.exchange({ mti: '0800', fields: { 7: transmissionTime(new Date()), 11: stan, 70: code } }, true);
  }

  /**
   * Sends a request and resolves with its answer. DE 11 must be set (use nextStan(), or a stored STAN for a SAF
   * repeat). Rejects LinkUnavailableError when not sent, LinkNoAnswerError when sent but unanswered.
   */
  request(msg: IsoMessage, timeoutMs = this.opts.requestTimeoutMs): Promise<IsoMessage> {
    if (this.state !== 'up') return Promise.reject(new LinkUnavailableError(`link ${this.opts.name} is ${this.state}`));
    return this.exchange(msg, false, timeoutMs);
  }

  private async exchange(msg: IsoMessage, network: boolean, timeoutMs = this.opts.requestTimeoutMs): Promise<IsoMessage> {
    const stan = msg.fields[11];
    if (typeof stan !== 'string' || stan.length !== 6) throw new LinkUnavailableError('request without a six-digit DE 11');
    if (this.pending.has(stan)) throw new LinkUnavailableError(`STAN ${stan} already pending`);
    if (!network && this.pending.size >= this.opts.maxInFlight) throw new LinkUnavailableError('link at maxInFlight');
    const rrn = typeof msg.fields[37] === 'string' ? (msg.fields[37] as string) : undefined;
    let out = this.dialect.toWire(msg); // signed in the form the issuer receives
    if (this.opts.mac && !network) out = await this.opts.mac.sign(out);
    return new Promise<IsoMessage>((resolve, reject) => {
      const p: Pending = { resolve, reject, deadline: Date.now() + timeoutMs, rrn, written: false };
      if (this.pending.has(stan)) return reject(new LinkUnavailableError(`STAN ${stan} already pending`));
      this.pending.set(stan, p);
      this.stats.sent++;
      if (this.write(out, this.opts.framing.tpdu ? TPDU : undefined)) p.written = true;
      else {
        this.pending.delete(stan);
        reject(new LinkUnavailableError('not connected'));
      }
    });
  }

  private write(msg: IsoMessage, tpdu: Buffer | undefined): boolean {
    const sock = this.sock;
    if (!sock || sock.destroyed || !sock.writable) return false;
    let bytes: Buffer;
    try {
      bytes = frame(encode(this.opts.spec, msg), this.opts.framing, tpdu);
    } catch (e) {
      this.log.error('cannot encode message for issuer', { mti: msg.mti, error: (e as Error).message });
      return false;
    }
    // Coalesce messages written in the same tick into one syscall.
    if (!this.corked) {
      this.corked = true;
      sock.cork();
      setImmediate(() => {
        this.corked = false;
        sock.uncork();
      });
    }
    sock.write(bytes);
    return true;
  }

  /** Sign off (when up), close the socket, stop reconnecting. Pending requests fail as unanswered. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.state === 'up' && this.opts.signOn) {
      try {
        await this.network('002');
      } catch {
        // Sign-off is a courtesy: the host may already be gone.
      }
    }
    this.setState('closed');
    if (this.ticker) clearInterval(this.ticker);
    const sock = this.sock;
    if (sock) {
      await new Promise<void>((res) => {
        sock.once('close', () => res());
        sock.end();
        setTimeout(() => sock.destroy(), 500).unref();
      });
    }
    for (const [k, p] of this.pending) {
      this.pending.delete(k);
      p.reject(p.written ? new LinkNoAnswerError('link closed') : new LinkUnavailableError('link closed'));
    }
  }
}
