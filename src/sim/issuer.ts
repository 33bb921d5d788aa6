// The issuer simulator: a remote bank host on a TCP port. It answers network management (0800 → 0810: sign-on,
// sign-off, echo), authorizations and financial requests (0100/0200 → 0110/0210, approve or decline at a seeded
// rate), reversals (0400/0420 → 0410/0430) and advices (0120/0220 → 0130/0230), and counts everything it received
// so tests can assert that a reversal or an advice arrived. On request it misbehaves (see IssuerFailMode).
//
// It holds no keys: PIN blocks and cryptograms are received and counted, not verified (a real issuer would).
// Limits: connections (maxConnections), answers waiting for their delay (maxInFlight; beyond it requests are
// dropped and counted as `overloaded`), bytes buffered per connection (the codec splitter's maxFrame; a peer that
// stops reading is paused at WRITE_HIGH_WATER bytes), and the `recent()` ring.
import { macIso9797Alg3 } from '../../hsm-sim/crypto/mac.js';
import { macInput } from '../switch/mac.js';
import { dialectOf } from '../switch/dialect.js';
import net from 'node:net';
import {
  CodecError,
  decode,
  encode,
  frame,
  FrameSplitter,
  getSpec,
  isRequest,
  maskPan,
  responseMti,
  swapTpdu,
  type CompiledSpec,
  type FramingOptions,
  type IsoMessage,
  type LengthHeader,
  type SpecRef,
} from '../../codecs/index.js';
import { mulberry32 } from './prng.js';

/**
 * none: behaves. down: refuses connections (stops listening, closes the open ones).
 * slow: answers financial requests after `slowMs` (set it above the switch's timeout).
 * drop: never answers a `dropRate` share of financial requests. garble: answers a `garbleRate` share of financial
 * requests with a broken message inside a well-formed frame (bad MTI, truncated body or random bytes, in turn).
 * Network management (0800) is always answered while listening, so the link stays up and the fault shows per request.
 */
export type IssuerFailMode = 'none' | 'down' | 'slow' | 'drop' | 'garble';
export const ISSUER_FAIL_MODES: readonly IssuerFailMode[] = ['none', 'down', 'slow', 'drop', 'garble'];

export interface IssuerSimOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Codec spec (default 'iso87-bcd': a dialect other than the acquirers', so the switch translates). */
  spec?: SpecRef;
  /** Length header name or full framing options (default 'len2'). */
  framing?: LengthHeader | FramingOptions;
  /** Share of 0100/0200 approved (default 0.95); the rest get 51. */
  approveRate?: number;
  /** Answer delay and uniform jitter around it, ms (defaults 5 and 2). */
  latencyMs?: number;
  jitterMs?: number;
  fail?: IssuerFailMode;
  slowMs?: number;
  dropRate?: number;
  garbleRate?: number;
  /**
   * TEST ONLY: the bank's clear double-length TAK (32 hex). With it the host verifies the MAC (DE 64/128) of every
   * financial request — a wrong or missing MAC is answered 63 — and signs its answers (ISO 9797-1 MAC algorithm 3,
   * padding method 1), as a real host's HSM would. A simulator stands in for the bank and its HSM, so it holds the
   * key in clear; the switch's side of the same key stays LMK-wrapped in its HSM.
   */
  macKey?: string;
  /** PRNG seed for approve/drop/garble/jitter choices (default 1). */
  seed?: number;
  maxInFlight?: number;
  maxConnections?: number;
  /** Size of the ring of received requests kept for recent() (default 10,000). */
  recentLimit?: number;
  /** One line per notable event (connection errors, undecodable frames): once per connection and kind. */
  log?: (line: string) => void;
}

export interface IssuerSimStats {
  mode: IssuerFailMode;
  connections: number;
  accepted: number;
  /** Requests received, by MTI. */
  received: Record<string, number>;
  /** Answers sent (garbled ones included), by MTI of the answer. */
  answered: Record<string, number>;
  /** DE 39 of the answers sent. */
  byCode: Record<string, number>;
  signOns: number;
  signOffs: number;
  echoes: number;
  /** 0400/0401/0420/0421 received. */
  reversals: number;
  /** 0120/0121/0220/0221 received. */
  advices: number;
  approved: number;
  declined: number;
  dropped: number;
  garbled: number;
  slowed: number;
  overloaded: number;
  badFrames: number;
  decodeErrors: number;
  /** Requests whose MAC was missing or wrong (answered 63); only with macKey. */
  badMacs: number;
  /** Answers scheduled but not yet sent. */
  inFlight: number;
}

/** A received request as recent() reports it: enough to assert on, PAN masked. */
export interface ReceivedRequest {
  at: number;
  /** MTI in the 1987 shape (a 1993 host's 1200 shows as 0200); `wireMti` as it arrived. */
  mti: string;
  wireMti: string;
  stan?: string;
  processingCode?: string;
  amount?: string;
  pan?: string;
  terminalId?: string;
  rrn?: string;
  /** DE 90 as received (reversals, advices), when present. */
  original?: string | Record<string, string>;
  /** DE 39 carried by the request (reversal reason, advice outcome), when present. */
  responseCode?: string;
  /** DE 70 of a network management message. */
  networkCode?: string;
}

export interface IssuerSim {
  port: number;
  stats(): IssuerSimStats;
  /** The last `recentLimit` requests received, oldest first. */
  recent(): ReceivedRequest[];
  /** Switches behaviour at run time; resolves once a 'down' → up change is listening again. */
  setMode(mode: IssuerFailMode): Promise<void>;
  close(): Promise<void>;
}

/** Fields a response carries over from its request when present. */
const ECHO_FIELDS = [2, 3, 4, 5, 6, 7, 11, 12, 13, 15, 32, 33, 37, 41, 42, 49, 50, 51, 70, 90, 100];
const WRITE_HIGH_WATER = 4 << 20;

interface Conn {
  sock: net.Socket;
  splitter: FrameSplitter;
  timers: Set<NodeJS.Timeout>;
  corked: boolean;
  logged: Set<string>;
}

function framingOf(f: IssuerSimOptions['framing']): FramingOptions {
  if (f === undefined) return { lengthHeader: 'len2' };
  return typeof f === 'string' ? { lengthHeader: f } : f;
}

function checkRate(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${v}`);
  return v;
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

export async function startIssuerSim(opts: IssuerSimOptions = {}): Promise<IssuerSim> {
  const spec: CompiledSpec = typeof opts.spec === 'string' || opts.spec === undefined ? getSpec(opts.spec ?? 'iso87-bcd') : opts.spec;
  const dialect = dialectOf(spec);
  const tak = opts.macKey === undefined ? null : Buffer.from(opts.macKey, 'hex');
  if (tak && tak.length !== 16) throw new RangeError('macKey must be 32 hex characters (a double-length TAK)');
  const macOf = (m: IsoMessage): { field: 64 | 128; mac: string } => {
    const { field, data } = macInput(spec, m);
    return { field, mac: macIso9797Alg3(tak!, data, 1).toString('hex').toUpperCase() };
  };
  const framing = framingOf(opts.framing);
  new FrameSplitter(framing); // validates the framing options now, not on the first connection
  const approveRate = checkRate('approveRate', opts.approveRate ?? 0.95);
  const dropRate = checkRate('dropRate', opts.dropRate ?? 0.5);
  const garbleRate = checkRate('garbleRate', opts.garbleRate ?? 1);
  const latencyMs = Math.max(0, opts.latencyMs ?? 5);
  const jitterMs = Math.max(0, opts.jitterMs ?? 2);
  const slowMs = Math.max(0, opts.slowMs ?? 10_000);
  const maxInFlight = opts.maxInFlight ?? 10_000;
  const maxConnections = opts.maxConnections ?? 64;
  const recentLimit = opts.recentLimit ?? 10_000;
  const log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  if (opts.fail !== undefined && !ISSUER_FAIL_MODES.includes(opts.fail)) throw new RangeError(`fail mode must be one of ${ISSUER_FAIL_MODES.join(', ')}`);
  let mode: IssuerFailMode = opts.fail ?? 'none';
  const rand = mulberry32(opts.seed ?? 1);

  const conns = new Set<Conn>();
  const recentRing: ReceivedRequest[] = [];
  let recentHead = 0;
  let authSeq = 0;
  let garbleTurn = 0;
  const s: IssuerSimStats = {
    mode,
    connections: 0,
    accepted: 0,
    received: {},
    answered: {},
    byCode: {},
    signOns: 0,
    signOffs: 0,
    echoes: 0,
    reversals: 0,
    advices: 0,
    approved: 0,
    declined: 0,
    dropped: 0,
    garbled: 0,
    slowed: 0,
    overloaded: 0,
    badFrames: 0,
    decodeErrors: 0,
    badMacs: 0,
    inFlight: 0,
  };

  function logOnce(c: Conn, kind: string, line: string): void {
    if (c.logged.has(kind)) return;
    c.logged.add(kind);
    log(`issuer-sim: ${line}`);
  }

  function remember(r: ReceivedRequest): void {
    if (recentLimit <= 0) return;
    if (recentRing.length < recentLimit) recentRing.push(r);
    else {
      recentRing[recentHead] = r;
      recentHead = (recentHead + 1) % recentLimit;
    }
  }

  function uncork(c: Conn): void {
    c.corked = false;
    c.sock.uncork();
  }

  function write(c: Conn, payload: Buffer, tpdu: Buffer | undefined): void {
    if (c.sock.destroyed) return;
    if (!c.corked) {
      c.corked = true;
      c.sock.cork();
      process.nextTick(uncork, c);
    }
    c.sock.write(frame(payload, framing, tpdu ? swapTpdu(tpdu) : undefined));
    if (c.sock.writableLength > WRITE_HIGH_WATER && !c.sock.isPaused()) {
      c.sock.pause();
      c.sock.once('drain', () => c.sock.resume());
    }
  }

  function garble(bytes: Buffer): Buffer {
    const turn = garbleTurn++ % 3;
    if (turn === 0) {
      const b = Buffer.from(bytes);
      b.fill(0xff, 0, Math.min(4, b.length)); // no MTI encoding has FF digits
      return b;
    }
    if (turn === 1) return Buffer.from(bytes.subarray(0, Math.max(1, bytes.length >> 1)));
    const b = Buffer.allocUnsafe(Math.max(8, bytes.length));
    for (let i = 0; i < b.length; i++) b[i] = (rand() * 256) | 0;
    return b;
  }

  /** Builds the answer to a request (12 for request classes this host does not handle). */
  function answer(req: IsoMessage, refuse?: string): { msg: IsoMessage; financial: boolean } {
    const f = req.fields;
    const out: IsoMessage = { mti: responseMti(req.mti), fields: {} };
    for (const n of ECHO_FIELDS) if (f[n] !== undefined) out.fields[n] = f[n];
    const cls = req.mti[1];
    const fn = req.mti[2];
    let code = '00';
    let financial = true;
    if (refuse) {
      code = refuse; // decided before looking at the request (a bad MAC): nothing counted as approved or declined
    } else if (cls === '8') {
      financial = false;
      const nmc = typeof f[70] === 'string' ? f[70] : '';
      if (nmc === '001') s.signOns++;
      else if (nmc === '002') s.signOffs++;
      else if (nmc === '301') s.echoes++;
    } else if (cls === '4') {
      s.reversals++;
    } else if (fn === '2') {
      s.advices++;
    } else if ((cls === '1' || cls === '2') && fn === '0') {
      const pc = typeof f[3] === 'string' ? f[3] : '000000';
      if (rand() < approveRate) {
        s.approved++;
        authSeq = (authSeq + 1) % 1_000_000;
        out.fields[38] = String(authSeq).padStart(6, '0');
        if (pc.startsWith('31')) {
          const cur = typeof f[49] === 'string' ? f[49] : '360';
          // DE 54: account type 00, amount type 02 (available balance), currency, C, 12 digits.
          out.fields[54] = `0002${cur}C000000500000`;
        }
      } else {
        s.declined++;
        code = '51';
      }
    } else {
      code = '12'; // a request class this host does not handle
    }
    out.fields[39] = code;
    return { msg: out, financial };
  }

  function onFrame(c: Conn, payload: Buffer, tpdu: Buffer | undefined): void {
    let req: IsoMessage;
    let wire: IsoMessage;
    try {
      wire = decode(spec, payload);
      req = dialect.fromWire(wire); // a 1993 host: remapped to the 1987 shape this host answers in
    } catch (e) {
      s.decodeErrors++;
      logOnce(c, 'decode', `undecodable message from ${c.sock.remoteAddress}:${c.sock.remotePort}: ${(e as Error).message}`);
      return;
    }
    bump(s.received, req.mti);
    const f = req.fields;
    const str = (n: number) => (typeof f[n] === 'string' ? (f[n] as string) : undefined);
    remember({
      at: Date.now(),
      mti: req.mti,
      wireMti: wire.mti,
      stan: str(11),
      processingCode: str(3),
      amount: str(4),
      pan: str(2) !== undefined ? maskPan(str(2)!) : undefined,
      terminalId: str(41),
      rrn: str(37),
      original: f[90],
      responseCode: str(39),
      networkCode: str(70),
    });
    if (!isRequest(req.mti)) {
      logOnce(c, 'unsolicited', `ignoring ${req.mti}: not a request`);
      return;
    }
    let built: { msg: IsoMessage; financial: boolean };
    let bytes: Buffer;
    const signed = tak !== null && req.mti[1] !== '8';
    try {
      let refuse: string | undefined;
      if (signed) {
        const { field, mac } = macOf(wire);
        const got = wire.fields[field];
        if (typeof got !== 'string' || got.toUpperCase() !== mac) {
          s.badMacs++;
          logOnce(c, 'mac', `request with a missing or wrong MAC (DE ${field}) answered 63`);
          refuse = '63'; // security violation
        }
      }
      built = answer(req, refuse);
      const out = dialect.toWire(built.msg);
      if (signed) {
        const { field, mac } = macOf(out);
        out.fields[field] = mac;
      }
      bytes = encode(spec, out);
    } catch (e) {
      s.decodeErrors++;
      logOnce(c, 'encode', `cannot answer ${req.mti}: ${(e as Error).message}`);
      return;
    }
    const code = built.msg.fields[39] as string;
    let delay = latencyMs + (jitterMs > 0 ? (rand() * 2 - 1) * jitterMs : 0);
    if (built.financial) {
      if (mode === 'drop' && rand() < dropRate) {
        s.dropped++;
        return;
      }
      if (mode === 'garble' && rand() < garbleRate) {
        s.garbled++;
        bytes = garble(bytes);
      }
      if (mode === 'slow') {
        s.slowed++;
        delay = slowMs;
      }
    }
    const sendNow = () => {
      bump(s.answered, built.msg.mti);
      bump(s.byCode, code);
      write(c, bytes, tpdu);
    };
    if (delay < 0.5) {
      sendNow();
      return;
    }
    if (s.inFlight >= maxInFlight) {
      s.overloaded++;
      logOnce(c, 'overload', `more than ${maxInFlight} answers waiting; dropping requests`);
      return;
    }
    s.inFlight++;
    const t = setTimeout(() => {
      c.timers.delete(t);
      s.inFlight--;
      sendNow();
    }, delay);
    c.timers.add(t);
  }

  function dropConn(c: Conn): void {
    if (!conns.delete(c)) return;
    for (const t of c.timers) clearTimeout(t);
    s.inFlight -= c.timers.size;
    c.timers.clear();
    s.connections = conns.size;
  }

  const server = net.createServer({ noDelay: true }, (sock) => {
    if (conns.size >= maxConnections || mode === 'down') {
      sock.destroy();
      return;
    }
    const c: Conn = { sock, splitter: new FrameSplitter(framing), timers: new Set(), corked: false, logged: new Set() };
    conns.add(c);
    s.accepted++;
    s.connections = conns.size;
    sock.on('data', (chunk) => {
      let frames;
      try {
        frames = c.splitter.push(chunk);
      } catch (e) {
        s.badFrames++;
        const good = (e as CodecError & { frames?: { payload: Buffer; tpdu?: Buffer }[] }).frames ?? [];
        for (const fr of good) onFrame(c, fr.payload, fr.tpdu);
        logOnce(c, 'frame', `closing ${sock.remoteAddress}:${sock.remotePort}: ${(e as Error).message}`);
        sock.destroy();
        return;
      }
      for (const fr of frames) onFrame(c, fr.payload, fr.tpdu);
    });
    sock.on('error', (e) => logOnce(c, 'socket', `connection error: ${e.message}`));
    sock.on('close', () => dropConn(c));
  });
  server.on('error', (e) => log(`issuer-sim: server error: ${e.message}`));

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      server.once('error', onErr);
      server.listen(port, host, () => {
        server.off('error', onErr);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const closeAll = () => {
    for (const c of [...conns]) {
      c.sock.destroy();
      dropConn(c);
    }
  };

  const port = await listen(opts.port ?? 0);
  if (mode === 'down') await stopListening();

  return {
    port,
    stats: () => ({ ...s, mode, received: { ...s.received }, answered: { ...s.answered }, byCode: { ...s.byCode } }),
    recent: () => (recentRing.length < recentLimit ? recentRing.slice() : [...recentRing.slice(recentHead), ...recentRing.slice(0, recentHead)]),
    async setMode(next: IssuerFailMode) {
      if (!ISSUER_FAIL_MODES.includes(next)) throw new RangeError(`fail mode must be one of ${ISSUER_FAIL_MODES.join(', ')}`);
      const prev = mode;
      mode = next;
      if (next === 'down' && prev !== 'down') {
        closeAll();
        await stopListening();
      } else if (prev === 'down' && next !== 'down') {
        await listen(port);
      }
    },
    async close() {
      closeAll();
      await stopListening();
    },
  };
}
