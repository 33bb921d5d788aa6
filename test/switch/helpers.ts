// Test helpers: a real TCP ISO 8583 client (framing + codec) matching answers by DE 11, a JSON-lines client,
// a demo-card request builder and a switch configuration for tests (temp data dir, free ports).
import { createConnection, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameSplitter, decode, encode, frame, type FramingOptions, type IsoMessage } from '../../codecs/index.js';
import { resolveConfig } from '../../src/config/load.js';
import type { SwitchConfig } from '../../src/config/types.js';
import { demoKeys } from '../../src/demo/portfolio.js';
import { luhnCheckDigit } from '../../src/state/pan.js';

export class IsoClient {
  private splitter: FrameSplitter;
  private waiters = new Map<string, ((m: IsoMessage) => void)[]>();
  readonly received: IsoMessage[] = [];
  closed = false;
  private constructor(
    readonly sock: Socket,
    private readonly spec: string,
    private readonly framing: FramingOptions,
  ) {
    this.splitter = new FrameSplitter(framing);
    sock.on('data', (c) => {
      for (const f of this.splitter.push(c)) {
        const m = decode(spec, f.payload);
        this.received.push(m);
        const k = String(m.fields[11] ?? '');
        const list = this.waiters.get(k);
        const w = list?.shift();
        if (list && list.length === 0) this.waiters.delete(k);
        w?.(m);
      }
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }
  static connect(port: number, spec = 'iso87-ascii', framing: FramingOptions = { lengthHeader: 'ascii4' }): Promise<IsoClient> {
    return new Promise((res, rej) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => res(new IsoClient(s, spec, framing)));
      s.once('error', rej);
    });
  }
  send(msg: IsoMessage): void {
    this.sock.write(frame(encode(this.spec, msg), this.framing));
  }
  request(msg: IsoMessage, timeoutMs = 10_000): Promise<IsoMessage> {
    const stan = String(msg.fields[11]);
    const p = new Promise<IsoMessage>((res, rej) => {
      const w = (m: IsoMessage) => (clearTimeout(t), res(m));
      const t = setTimeout(() => {
        const list = this.waiters.get(stan);
        if (list) list.splice(list.indexOf(w), 1);
        rej(new Error(`no answer for STAN ${stan}`));
      }, timeoutMs);
      const list = this.waiters.get(stan) ?? [];
      list.push(w);
      this.waiters.set(stan, list);
    });
    this.send(msg);
    return p;
  }
  close(): void {
    this.sock.destroy();
  }
}

export class JsonClient {
  private buf = '';
  private waiters: ((m: IsoMessage) => void)[] = [];
  private constructor(readonly sock: Socket) {
    sock.on('data', (c) => {
      this.buf += c.toString('utf8');
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiters.shift()?.(JSON.parse(line) as IsoMessage);
      }
    });
    sock.on('error', () => {});
  }
  static connect(port: number): Promise<JsonClient> {
    return new Promise((res, rej) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => res(new JsonClient(s)));
      s.once('error', rej);
    });
  }
  /** Sends one line (message or raw text) and resolves with the next answer line. */
  request(msg: IsoMessage | string): Promise<IsoMessage> {
    const p = new Promise<IsoMessage>((res) => this.waiters.push(res));
    this.sock.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n');
    return p;
  }
  close(): void {
    this.sock.destroy();
  }
}

let stanSeq = Math.floor(Math.random() * 500_000);
export const nextStan = (): string => String((stanSeq = (stanSeq % 999_998) + 1)).padStart(6, '0');

/** A PAN with the right Luhn digit for a prefix (e.g. a remote bank's range). */
export function panFor(prefix: string, length = 16, fill = '1'): string {
  const partial = prefix + fill.repeat(length - 1 - prefix.length);
  return partial + luhnCheckDigit(partial);
}

export const ACQUIRER = '100001';

/** A 0200 purchase in canonical form. */
export function purchase(pan: string, amount: number, extra: Record<string, string | Record<string, string>> = {}): IsoMessage {
  const stan = nextStan();
  return {
    mti: '0200',
    fields: {
      2: pan,
      3: '000000',
      4: String(amount).padStart(12, '0'),
      7: '1125120000',
      11: stan,
      12: '120000',
      13: '1125',
      14: '3012',
      18: '5411',
      22: '012',
      32: ACQUIRER,
      37: `RRN${stan}000`.slice(0, 12),
      41: 'TERM0001',
      42: 'MERCHANT0000001',
      49: '360',
      ...extra,
    },
  };
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `gerbang-${tag}-`));
}

/** A switch config for tests: ISO + JSON listeners on free ports, a remote bank (sim) for BIN 4999 and 5999. */
export function testConfig(dataDir: string, over: { issuer?: Record<string, unknown>; onus?: boolean; raw?: Record<string, unknown> } = {}): SwitchConfig {
  const keys: Record<string, { type: string; value: string }> = {};
  for (const k of demoKeys()) keys[k.name] = { type: k.type, value: k.key };
  delete keys['pvk.demo'];
  delete keys['cvk.demo'];
  delete keys['mkac.demo'];
  return resolveConfig({
    dataDir,
    hsm: { simulator: true },
    engine: { workers: 1, demoCards: 20 },
    issuerSimulator: { issuerId: 'bank-b', spec: 'iso87-bcd', framing: 'len2' },
    keys,
    listeners: [
      { id: 'iso', kind: 'iso', port: 0, acquirerId: ACQUIRER, spec: 'iso87-ascii', framing: 'ascii4', pin: { keyRef: 'tpk.demo', bdkRef: 'bdk.demo', aesBdkRef: 'bdk.aes.demo', aesPinBlockField: 110 }, idleTimeoutMs: 60_000, maxInFlight: 64 },
      { id: 'json', kind: 'json', port: 0, acquirerId: ACQUIRER, pin: { keyRef: 'tpk.demo', bdkRef: 'bdk.demo', aesBdkRef: 'bdk.aes.demo' } },
    ],
    issuers: [
      {
        id: 'bank-b',
        institutionId: '200002',
        spec: 'iso87-bcd',
        framing: 'len2',
        links: [{ name: 'primary', simulator: true }],
        zpkRef: 'zpk.issuer',
        requestTimeoutMs: 500,
        safRetryMs: 200,
        reconnectInitialMs: 50,
        reconnectMaxMs: 400,
        ...over.issuer,
      },
    ],
    routing: [...(over.onus === false ? [] : [{ prefix: '476173', to: 'onus' }, { prefix: '520473', to: 'onus' }]), { prefix: '4999', to: 'bank-b' }, { prefix: '5999', to: 'bank-b' }],
    ...over.raw,
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
