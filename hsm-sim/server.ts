// The HSM's TCP edge: 2-byte big-endian length framing, a per-host header echoed back, commands dispatched in order.
// Handlers are synchronous, so responses leave in request order; all responses produced by one read are written in
// one write, and a connection stops reading while its socket's write buffer is full (bounded memory).
import net from 'node:net';
import { createCtx, execute, type Ctx } from './commands.js';
import { LmkKeys } from './keys.js';
import { loadLmk } from './lmk-file.js';
import { runSelfTest } from './selftest.js';
import type { LmkSet } from './crypto/index.js';

/** Largest accepted frame (bytes after the length prefix); larger declared lengths close the connection. */
export const MAX_FRAME = 16 * 1024;
/** A partial frame older than this closes the connection (a peer that stalls mid-frame). */
const PARTIAL_FRAME_TIMEOUT_MS = 10_000;
/** Log lines per second before the rest are only counted. */
const LOG_LINES_PER_SEC = 20;
const MAX_CONNECTIONS = 256;
const EMPTY = Buffer.alloc(0);
/** A command code of two printable characters (the usual case: no replace needed for stats and logs). */
const PRINTABLE_CMD = /^[\x20-\x7e]{2}/;

function assert(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

export interface HsmServerOptions {
  host?: string;
  port?: number;
  lmk?: LmkSet;
  lmkFile?: string;
  headerLength?: number;
  /** Allow clear-PIN / clear-key commands with a non-test LMK. */
  dev?: boolean;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
  /** `false` skips the power-up self-test (known-answer tests of the crypto functions, see selftest.ts). */
  selfTest?: false;
}

export interface HsmStats {
  port: number;
  connections: number;
  requests: number;
  errors: number;
  verifyFailures: number;
  brokenFrames: number;
  byCommand: Record<string, number>;
  /** The power-up self-test that passed before listening (null when skipped with selfTest: false). */
  selfTest: { kats: number; ms: number } | null;
}

export interface HsmServer {
  port: number;
  close(): Promise<void>;
  stats(): HsmStats;
}

export async function startHsmServer(opts: HsmServerOptions = {}): Promise<HsmServer> {
  const headerLength = opts.headerLength ?? 4;
  if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > 32) throw new Error('header length must be 0..32');
  const lmk = opts.lmk ?? loadLmk(opts.lmkFile);
  // The X25519 transport key pair (XE/XG) is made here, once per process: its private half lives only in this ctx.
  const ctx: Ctx = createCtx(new LmkKeys(lmk), lmk.test || opts.dev === true);
  const write = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  // Power-up self-test before serving, as a real HSM: a failed KAT means the crypto cannot be trusted, so refuse.
  let selfTest: HsmStats['selfTest'] = null;
  if (opts.selfTest !== false) {
    const r = runSelfTest();
    if (!r.ok) throw new Error(`hsm: self-test failed (${r.failed.join(', ')}), refusing to start`);
    selfTest = { kats: r.kats, ms: r.ms };
    write(`hsm: self-test passed (${r.kats} KATs, ${r.ms} ms)`);
  }
  const stats: HsmStats = { port: 0, connections: 0, requests: 0, errors: 0, verifyFailures: 0, brokenFrames: 0, byCommand: {}, selfTest };
  let logWindow = 0;
  let logCount = 0;
  let suppressed = 0;
  const log = (line: string): void => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== logWindow) {
      if (suppressed > 0) write(`hsm: ${suppressed} more log lines suppressed`);
      logWindow = now;
      logCount = 0;
      suppressed = 0;
    }
    if (++logCount <= LOG_LINES_PER_SEC) write(line);
    else suppressed++;
  };

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    if (sockets.size >= MAX_CONNECTIONS) {
      log('hsm: connection limit reached, refusing');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    stats.connections++;
    socket.setNoDelay(true);
    let buf: Buffer = EMPTY;
    let partialSince = 0;
    const timer = setInterval(() => {
      if (buf.length > 0 && Date.now() - partialSince > PARTIAL_FRAME_TIMEOUT_MS) {
        stats.brokenFrames++;
        log(`hsm: ${socket.remoteAddress}:${socket.remotePort} stalled mid-frame, closing`);
        socket.destroy();
      }
    }, PARTIAL_FRAME_TIMEOUT_MS / 2);
    timer.unref();
    const cleanup = (): void => {
      clearInterval(timer);
      sockets.delete(socket);
    };
    socket.on('close', cleanup);
    socket.on('error', () => socket.destroy());
    socket.on('drain', () => socket.resume());

    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      // All responses to this read are built as one latin1 string (2 length characters + header + response each)
      // and leave in one Buffer and one write: no per-response Buffers, one syscall per read.
      let out = '';
      let off = 0;
      while (buf.length - off >= 2) {
        const len = buf.readUInt16BE(off);
        if (len > MAX_FRAME || len < headerLength + 2) {
          stats.brokenFrames++;
          log(`hsm: frame length ${len} outside ${headerLength + 2}..${MAX_FRAME}, closing connection`);
          if (out.length) socket.write(Buffer.from(out, 'latin1'));
          socket.destroy();
          return;
        }
        if (buf.length - off < 2 + len) break;
        const header = buf.toString('latin1', off + 2, off + 2 + headerLength);
        const body = buf.toString('latin1', off + 2 + headerLength, off + 2 + len);
        off += 2 + len;
        const r = execute(body, ctx);
        stats.requests++;
        const cmd = PRINTABLE_CMD.test(body) ? body.slice(0, 2) : body.slice(0, 2).replace(/[^\x20-\x7e]/g, '?');
        stats.byCommand[cmd] = (stats.byCommand[cmd] ?? 0) + 1;
        if (r.code === '01') stats.verifyFailures++;
        else if (r.code !== '00') {
          stats.errors++;
          log(`hsm: ${cmd} → ${r.code}: ${r.message ?? ''}`);
        }
        const n = headerLength + r.response.length;
        assert(n <= 0xffff, 'response longer than a frame');
        out += String.fromCharCode(n >> 8, n & 0xff) + header + r.response;
      }
      buf = off === buf.length ? EMPTY : buf.subarray(off);
      if (buf.length > 0 && off > 0) buf = Buffer.from(buf); // do not pin the whole chunk for a few trailing bytes
      if (buf.length > 0 && (off > 0 || partialSince === 0)) partialSince = Date.now();
      if (buf.length === 0) partialSince = 0;
      if (out.length && !socket.write(Buffer.from(out, 'latin1'))) socket.pause();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  stats.port = port;
  return {
    port,
    stats: () => ({ ...stats, byCommand: { ...stats.byCommand }, selfTest: stats.selfTest && { ...stats.selfTest } }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
