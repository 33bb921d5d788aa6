// A tiny ISO 8583 test client over a real socket: frames, sends, and collects decoded answers.
import net from 'node:net';
import { decode, encode, frame, FrameSplitter, type FramingOptions, type IsoMessage } from '../../codecs/index.js';

export interface TestClient {
  send(msg: IsoMessage): void;
  sendRaw(bytes: Buffer): void;
  /** Next decoded answer, or rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<IsoMessage>;
  /** Next raw frame payload (undecoded). */
  nextRaw(timeoutMs?: number): Promise<Buffer>;
  closed: Promise<void>;
  close(): void;
}

export function connectClient(port: number, spec = 'iso87-bcd', framing: FramingOptions = { lengthHeader: 'len2' }): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const splitter = new FrameSplitter(framing);
    const queue: Buffer[] = [];
    const waiters: ((b: Buffer) => void)[] = [];
    let onClosed!: () => void;
    const closed = new Promise<void>((r) => (onClosed = r));
    sock.on('data', (d) => {
      for (const f of splitter.push(d)) {
        const w = waiters.shift();
        if (w) w(f.payload);
        else queue.push(f.payload);
      }
    });
    sock.on('close', () => onClosed());
    sock.once('error', reject);
    const nextRaw = (timeoutMs = 2000) =>
      new Promise<Buffer>((res, rej) => {
        const q = queue.shift();
        if (q) return res(q);
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          rej(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const w = (b: Buffer) => {
          clearTimeout(t);
          res(b);
        };
        waiters.push(w);
      });
    sock.once('connect', () =>
      resolve({
        send: (msg) => sock.write(frame(encode(spec, msg), framing)),
        sendRaw: (bytes) => sock.write(bytes),
        nextRaw,
        next: async (timeoutMs) => decode(spec, await nextRaw(timeoutMs)),
        closed,
        close: () => sock.destroy(),
      }),
    );
  });
}

export function financial(mti: string, stan: string, extra: Record<string, string | Record<string, string>> = {}): IsoMessage {
  return {
    mti,
    fields: {
      2: '4761739001010119',
      3: '000000',
      4: '000000012500',
      7: '1125120000',
      11: stan,
      12: '120000',
      13: '1125',
      32: '123456',
      37: `RRN${stan.padStart(9, '0')}`,
      41: 'TERM0001',
      42: 'MERCHANT0000001',
      49: '360',
      ...extra,
    },
  };
}

export function network(code: string, stan: string): IsoMessage {
  return { mti: '0800', fields: { 7: '1125120000', 11: stan, 70: code } };
}

/** A tiny in-test host: decodes each request and answers 00 (echoing DE 11/41), optionally stalling once. */
export interface ApproveServer {
  port: number;
  requests: IsoMessage[];
  close(): Promise<void>;
}

export function startApproveServer(o: { spec?: string; framing?: FramingOptions; stallAfterMs?: number; stallMs?: number; silent?: boolean } = {}): Promise<ApproveServer> {
  const spec = o.spec ?? 'iso87-ascii';
  const framing = o.framing ?? { lengthHeader: 'ascii4' };
  const requests: IsoMessage[] = [];
  const sockets = new Set<net.Socket>();
  let firstAt = 0;
  let stallUntil = 0;
  let stalled = false;
  const held: (() => void)[] = [];
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    const splitter = new FrameSplitter(framing);
    sock.on('data', (d) => {
      for (const f of splitter.push(d)) {
        const req = decode(spec, f.payload);
        if (req.mti !== '0800') requests.push(req);
        if (o.silent && req.mti !== '0800') continue;
        const fields: Record<string, any> = { 39: '00' };
        for (const n of [2, 3, 4, 7, 11, 37, 41, 42, 49, 70]) if (req.fields[n] !== undefined) fields[n] = req.fields[n];
        if (req.mti !== '0800') fields[38] = String(requests.length % 1_000_000).padStart(6, '0');
        const mti = req.mti.slice(0, 2) + String(Number(req.mti[2]) + 1) + req.mti[3];
        const bytes = frame(encode(spec, { mti, fields }), framing);
        const now = performance.now();
        if (req.mti !== '0800' && firstAt === 0) firstAt = now;
        if (o.stallAfterMs !== undefined && !stalled && firstAt > 0 && now - firstAt >= o.stallAfterMs) {
          stalled = true;
          stallUntil = now + (o.stallMs ?? 200);
          setTimeout(() => {
            for (const h of held.splice(0)) h();
          }, o.stallMs ?? 200);
        }
        if (now < stallUntil) held.push(() => sock.write(bytes));
        else sock.write(bytes);
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        requests,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
