// The switch's HSM client: payShield-style host commands over TCP with a small connection pool, pipelining (many
// requests in flight per connection, answered in order, matched by an echoed sequence header), a per-request
// timeout, and reconnect with a fail-fast window. An unreachable or silent HSM surfaces as HsmUnavailableError
// (the switch answers 91/96), never as a hang.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { gcmOpen, gcmSeal, hostKeyKcv, hostKeyTransportKey, x25519, x25519Generate } from '../../hsm-sim/crypto/x25519.js';
import { HsmError, HsmUnavailableError, type HostKeyUsage, type HsmApi, type KeyTypeName, type PinBlockFormat, type PinTranslation } from './api.js';

export interface HsmClientOptions {
  host: string;
  port: number;
  /** Characters of message header (default 4); the client uses it as a sequence number and checks the echo. */
  headerLength?: number;
  /** TCP connections in the pool (default 2). */
  connections?: number;
  /** Per-request deadline (default 2000 ms); a request past it fails and its connection is recycled. */
  timeoutMs?: number;
  /** Requests in flight per connection before new requests are refused (default 2048). */
  maxInFlightPerConnection?: number;
}

/** HsmApi plus provisioning commands (PIN under LMK, offsets, PVVs) and a raw command escape hatch. */
export interface HsmClient extends HsmApi {
  /** BA: a clear PIN under the LMK (only accepted by an HSM with the test LMK or --dev). For card provisioning. */
  encryptPinUnderLmk(pin: string, pan: string): Promise<string>;
  /** DE: IBM 3624 offset for a PIN under the LMK (F-padded to 12). */
  generateIbmOffset(p: { pvk: string; pinUnderLmk: string; pan: string; checkLength?: number; decimalisationTable?: string; pinValidationData?: string }): Promise<string>;
  /** DG: Visa PVV for a PIN under the LMK. */
  generateVisaPvv(p: { pvk: string; pinUnderLmk: string; pan: string; pvki: string }): Promise<string>;
  /** Sends `command` + `fields` (latin1) and returns the response after the header: response code, error code, fields. */
  command(command: string, fields: string): Promise<string>;
}

export const KEY_TYPE_CODE: Record<KeyTypeName, string> = {
  ZMK: '000', ZPK: '001', TPK: '002', PVK: '002', CVK: '402', TAK: '003', ZAK: '008', BDK: '009', 'MK-AC': '109',
};
export const DEFAULT_DECIMALISATION_TABLE = '0123456789012345';

const MAX_RESPONSE = 16 * 1024;
/** The simulator's frame limit (hsm-sim MAX_FRAME); larger requests are refused before they are sent. */
const MAX_REQUEST = 16 * 1024;

interface Pending {
  header: string;
  deadline: number;
  resolve: (body: string) => void;
  reject: (e: Error) => void;
}

class Connection {
  private socket: net.Socket | null = null;
  private queue: Pending[] = [];
  private head = 0;
  private buf: Buffer = Buffer.alloc(0);
  private corked = false;
  private failedAt = 0;

  constructor(
    private readonly opts: Required<HsmClientOptions>,
    private readonly retryDelayMs: number,
  ) {}

  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** `frame` is the whole request: 2-byte length, header, command and fields. */
  send(header: string, frame: Buffer): Promise<string> {
    if (this.inFlight >= this.opts.maxInFlightPerConnection) return Promise.reject(new HsmUnavailableError('HSM client: too many requests in flight'));
    const sock = this.ensureSocket();
    if (!sock) return Promise.reject(new HsmUnavailableError(`HSM at ${this.opts.host}:${this.opts.port} is unreachable (retrying shortly)`));
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ header, deadline: Date.now() + this.opts.timeoutMs, resolve, reject });
      if (!this.corked) {
        this.corked = true;
        sock.cork();
        process.nextTick(() => {
          this.corked = false;
          sock.uncork();
        });
      }
      sock.write(frame);
    });
  }

  /** Fails the oldest request if it is past its deadline: the connection is then recycled (its order is lost). */
  sweep(now: number): void {
    const first = this.queue[this.head];
    if (first && first.deadline < now) this.fail(new HsmUnavailableError(`HSM did not answer within ${this.opts.timeoutMs} ms`));
  }

  close(): void {
    this.fail(new HsmUnavailableError('HSM client closed'));
  }

  private ensureSocket(): net.Socket | null {
    if (this.socket) return this.socket;
    if (this.failedAt && Date.now() - this.failedAt < this.retryDelayMs) return null;
    const s = net.connect({ host: this.opts.host, port: this.opts.port });
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(s, chunk));
    s.on('error', () => {
      this.failedAt = Date.now();
      this.fail(new HsmUnavailableError(`HSM connection to ${this.opts.host}:${this.opts.port} failed`), s);
    });
    s.on('close', () => this.fail(new HsmUnavailableError('HSM closed the connection'), s));
    this.socket = s;
    this.buf = Buffer.alloc(0);
    return s;
  }

  private onData(s: net.Socket, chunk: Buffer): void {
    if (s !== this.socket) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    const h = this.opts.headerLength;
    while (this.buf.length - off >= 2) {
      const len = this.buf.readUInt16BE(off);
      if (len > MAX_RESPONSE || len < h + 4) return this.fail(new HsmUnavailableError(`HSM sent a broken frame (length ${len})`));
      if (this.buf.length - off < 2 + len) break;
      const msg = this.buf.toString('latin1', off + 2, off + 2 + len);
      off += 2 + len;
      const p = this.queue[this.head];
      if (!p || msg.slice(0, h) !== p.header) return this.fail(new HsmUnavailableError('HSM response out of sequence'));
      this.queue[this.head++] = undefined as unknown as Pending;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      p.resolve(msg.slice(h));
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }

  private fail(err: Error, from?: net.Socket): void {
    if (from && from !== this.socket) return;
    const s = this.socket;
    this.socket = null;
    this.buf = Buffer.alloc(0);
    const q = this.queue;
    const head = this.head;
    this.queue = [];
    this.head = 0;
    if (s) s.destroy();
    for (let i = head; i < q.length; i++) q[i].reject(err);
  }
}

function account12(pan: string): string {
  if (!/^[0-9]{13,19}$/.test(pan)) throw new HsmError('--', '15', 'PAN must be 13..19 digits');
  return pan.slice(-13, -1);
}
function accountField(pan: string, formats: string[]): string {
  if (formats.includes('48')) return String(pan.length).padStart(2, '0') + pan;
  return account12(pan);
}
/** Reads an LMK-encrypted key (U/T/S) at `pos` of a response. */
function keyAt(s: string, pos: number): string {
  const c = s[pos];
  if (c === 'U' || c === 'X') return s.slice(pos, pos + 33);
  if (c === 'T' || c === 'Y') return s.slice(pos, pos + 49);
  if (c === 'S') return s.slice(pos, pos + 1 + Number(s.slice(pos + 2, pos + 6)));
  throw new HsmError('--', '15', 'unexpected key scheme in HSM response');
}
function hexToLatin1(hex: string, bytes: number, what: string): string {
  if (hex.length !== bytes * 2 || !/^[0-9A-Fa-f]*$/.test(hex)) throw new HsmError('KQ', '15', `${what} must be ${bytes} bytes of hex`);
  return Buffer.from(hex, 'hex').toString('latin1');
}
const HOST_KEY_USAGES: readonly string[] = ['D0', 'M7'];
function checkHostUsage(cmd: string, usage: string): void {
  if (!HOST_KEY_USAGES.includes(usage)) throw new HsmError(cmd, '04', `host key usage must be D0 or M7, not ${usage}`);
}
/** Splits a response of fixed-width hex fields; throws when it is not exactly that. */
function hexFields(cmd: string, r: string, widths: number[]): Buffer[] {
  const total = widths.reduce((a, b) => a + b, 0);
  if (r.length !== total || !/^[0-9A-F]*$/.test(r)) throw new HsmError(cmd, '--', `malformed ${cmd} response`);
  let pos = 0;
  return widths.map((w) => Buffer.from(r.slice(pos, (pos += w)), 'hex'));
}
function toHex(b: Buffer): string {
  return b.toString('hex').toUpperCase();
}

function validationData(v: string | undefined, acct12: string): string {
  if (!v) return acct12 + 'FFFF';
  return v.length === 12 ? v + 'FFFF' : v;
}
/** An IBM 3624 verification's fields after its keys (DA/EA after the maximum PIN length, GO after the KSN). */
function ibmFields(p: { pinBlock: string; format: string; pan: string; offset: string; checkLength?: number; decimalisationTable?: string; pinValidationData?: string }): string {
  const checkLength = p.checkLength ?? p.offset.replace(/F+$/i, '').length;
  return (
    p.pinBlock + p.format + String(checkLength).padStart(2, '0') + accountField(p.pan, [p.format]) +
    (p.decimalisationTable ?? DEFAULT_DECIMALISATION_TABLE) + validationData(p.pinValidationData, account12(p.pan)) + p.offset.toUpperCase().padEnd(12, 'F')
  );
}

export function createHsmClient(options: HsmClientOptions): HsmClient {
  const opts: Required<HsmClientOptions> = {
    headerLength: 4,
    connections: 2,
    timeoutMs: 2000,
    maxInFlightPerConnection: 2048,
    ...options,
  };
  if (opts.connections < 1 || opts.connections > 64) throw new Error('connections must be 1..64');
  if (opts.headerLength < 0 || opts.headerLength > 32) throw new Error('headerLength must be 0..32');
  const pool = Array.from({ length: opts.connections }, () => new Connection(opts, Math.min(1000, opts.timeoutMs)));
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const c of pool) c.sweep(now);
  }, Math.max(5, Math.min(250, opts.timeoutMs / 4)));
  sweeper.unref();
  let seq = 0;
  let rr = 0;
  let closed = false;
  const seqMod = opts.headerLength === 0 ? 1 : Math.min(36 ** opts.headerLength, 2 ** 40);

  async function command(cmd: string, fields: string): Promise<string> {
    if (closed) throw new HsmUnavailableError('HSM client closed');
    seq = (seq + 1) % seqMod;
    const header = opts.headerLength === 0 ? '' : seq.toString(36).toUpperCase().padStart(opts.headerLength, '0');
    // Least-loaded of two round-robin neighbours: cheap and keeps pipelines even.
    const a = pool[rr++ % pool.length];
    const b = pool[rr % pool.length];
    const conn = b.inFlight < a.inFlight ? b : a;
    const msg = header + cmd + fields;
    if (msg.length > MAX_REQUEST) throw new HsmError(cmd, '80', `request of ${msg.length} bytes exceeds ${MAX_REQUEST}`);
    const frame = Buffer.allocUnsafe(2 + msg.length);
    frame.writeUInt16BE(msg.length, 0);
    frame.write(msg, 2, 'latin1');
    return conn.send(header, frame);
  }

  /** Sends and splits the response: fields after a '00', false after '01' when `verify`, HsmError otherwise. */
  async function call(cmd: string, fields: string, verify = false): Promise<string | false> {
    const body = await command(cmd, fields);
    const code = body.slice(2, 4);
    if (code === '00') return body.slice(4);
    if (verify && code === '01') return false;
    throw new HsmError(cmd, code);
  }
  async function fieldsOf(cmd: string, fields: string): Promise<string> {
    return (await call(cmd, fields)) as string;
  }

  return {
    command,
    async diagnostics() {
      const r = await fieldsOf('NC', '');
      return { lmkCheckValue: r.slice(0, 16), firmware: r.slice(16) };
    },
    async generateKey(type, o = {}) {
      const scheme = o.scheme ?? 'U';
      const r = await fieldsOf('A0', (o.zmk ? '1' : '0') + KEY_TYPE_CODE[type] + scheme + (o.zmk ? o.zmk + 'X' : ''));
      const key = keyAt(r, 0);
      const keyUnderZmk = o.zmk ? keyAt(r, key.length) : undefined;
      const kcv = r.slice(key.length + (keyUnderZmk?.length ?? 0));
      return keyUnderZmk ? { key, kcv, keyUnderZmk } : { key, kcv };
    },
    async keyCheckValue(type, key) {
      const r = await fieldsOf('BU', 'FF' + (key[0] === 'T' ? '2' : '1') + key + ';' + KEY_TYPE_CODE[type]);
      return r.slice(0, 6);
    },
    async importKey(type, zmk, keyUnderZmk, scheme = 'U') {
      const r = await fieldsOf('A6', KEY_TYPE_CODE[type] + zmk + keyUnderZmk + scheme);
      const key = keyAt(r, 0);
      return { key, kcv: r.slice(key.length) };
    },
    async exportKey(type, zmk, key) {
      const r = await fieldsOf('A8', KEY_TYPE_CODE[type] + zmk + key + 'X');
      const keyUnderZmk = keyAt(r, 0);
      return { keyUnderZmk, kcv: r.slice(keyUnderZmk.length) };
    },
    async translatePin(p): Promise<PinTranslation> {
      const cmd = p.sourceKeyType === 'TPK' ? 'CA' : 'CC';
      const r = await fieldsOf(cmd, p.sourceKey + p.destZpk + '12' + p.pinBlock + p.sourceFormat + p.destFormat + accountField(p.pan, [p.sourceFormat, p.destFormat]));
      return parseTranslation(r);
    },
    async translatePinFromDukpt(p): Promise<PinTranslation> {
      const desc = p.aes ? '024' : '020';
      const r = await fieldsOf('G0', p.bdk + p.destZpk + desc + p.ksn + p.pinBlock + p.sourceFormat + p.destFormat + accountField(p.pan, [p.sourceFormat, p.destFormat]));
      return parseTranslation(r);
    },
    async verifyPinIbm(p) {
      return (await call(p.keyType === 'TPK' ? 'DA' : 'EA', p.key + p.pvk + '12' + ibmFields(p), true)) !== false;
    },
    async verifyPinIbmDukpt(p) {
      return (await call('GO', '0' + p.bdk + p.pvk + (p.aes ? '024' : '020') + p.ksn + ibmFields(p), true)) !== false;
    },
    async verifyPinVisa(p) {
      const fields = p.key + p.pvk + p.pinBlock + p.format + accountField(p.pan, [p.format]) + p.pvki + p.pvv;
      return (await call(p.keyType === 'TPK' ? 'DC' : 'EC', fields, true)) !== false;
    },
    async verifyPinVisaDukpt(p) {
      const fields = '0' + p.bdk + p.pvk + (p.aes ? '024' : '020') + p.ksn + p.pinBlock + p.format + accountField(p.pan, [p.format]) + p.pvki + p.pvv;
      return (await call('GQ', fields, true)) !== false;
    },
    async generateCvv(p) {
      return fieldsOf('CW', p.cvk + p.pan + ';' + p.expiry + p.serviceCode);
    },
    async verifyCvv(p) {
      return (await call('CY', p.cvk + p.cvv + p.pan + ';' + p.expiry + p.serviceCode, true)) !== false;
    },
    async verifyArqc(p) {
      const y = (p.pan + p.panSequence.padStart(2, '0')).padStart(16, '0').slice(-16);
      const data = Buffer.from(p.data, 'hex');
      if (data.length > 255 || data.length * 2 !== p.data.length) throw new HsmError('KQ', '15', 'transaction data must be ≤ 255 bytes of hex');
      let tail = '';
      if (p.arpc?.method === 1) tail = '1' + hexToLatin1(p.arpc.arc, 2, 'ARC');
      else if (p.arpc?.method === 2) {
        const prop = p.arpc.proprietaryData ?? '';
        tail = '2' + hexToLatin1(p.arpc.csu, 4, 'CSU') + String(prop.length / 2) + hexToLatin1(prop, prop.length / 2, 'proprietary data');
      }
      const fields =
        (p.arpc ? '1' : '0') + '1' + p.mkac + hexToLatin1(y, 8, 'PAN/PSN') + hexToLatin1(p.atc, 2, 'ATC') + hexToLatin1(p.unpredictableNumber, 4, 'UN') +
        data.length.toString(16).toUpperCase().padStart(2, '0') + data.toString('latin1') + ';' + hexToLatin1(p.arqc, 8, 'ARQC') + tail;
      const r = await call('KQ', fields, true);
      if (r === false) return { ok: false };
      return r.length ? { ok: true, arpc: Buffer.from(r, 'latin1').toString('hex').toUpperCase() } : { ok: true };
    },
    async generateMac(p) {
      return fieldsOf('M6', macFields(p));
    },
    async verifyMac(p) {
      return (await call('M8', macFields(p) + p.mac.toUpperCase(), true)) !== false;
    },
    async generateDataKey(usage) {
      checkHostUsage('XA', usage);
      const r = await fieldsOf('XA', usage);
      const key = keyAt(r, 0);
      return { key, kcv: r.slice(key.length) };
    },
    async exportDataKey(usage, key) {
      checkHostUsage('XC', usage);
      const eph = x25519Generate();
      const r = await fieldsOf('XC', usage + key + toHex(eph.publicKey));
      const [hsmPub, iv, ct, tag] = hexFields('XC', r.slice(0, -6), [64, 24, 64, 32]);
      const kcv = r.slice(-6);
      let shared: Buffer | undefined;
      let k: Buffer | undefined;
      let clear: Buffer;
      try {
        shared = x25519(eph.privateKey, hsmPub);
        k = hostKeyTransportKey('export', usage, shared, eph.publicKey, hsmPub);
        clear = gcmOpen(k, iv, Buffer.from('XC' + usage, 'latin1'), ct, tag);
      } catch (e) {
        throw new HsmError('XC', '--', `exported host key does not open: ${(e as Error).message}`);
      } finally {
        shared?.fill(0);
        k?.fill(0);
      }
      if (clear.length !== 32 || hostKeyKcv(clear) !== kcv) {
        clear.fill(0);
        throw new HsmError('XC', '--', 'exported host key does not match its check value');
      }
      return clear;
    },
    async importDataKey(usage, clear) {
      checkHostUsage('XG', usage);
      if (clear.length !== 32) throw new HsmError('XG', '15', 'host data key must be 32 bytes');
      const [hsmPub] = hexFields('XE', await fieldsOf('XE', ''), [64]);
      const eph = x25519Generate();
      const iv = randomBytes(12);
      let shared: Buffer | undefined;
      let k: Buffer | undefined;
      let box: { ciphertext: Buffer; tag: Buffer };
      try {
        shared = x25519(eph.privateKey, hsmPub);
        k = hostKeyTransportKey('import', usage, shared, eph.publicKey, hsmPub);
        box = gcmSeal(k, iv, Buffer.from('XG' + usage, 'latin1'), clear);
      } catch (e) {
        throw new HsmError('XE', '--', `HSM transport key rejected: ${(e as Error).message}`);
      } finally {
        shared?.fill(0);
        k?.fill(0);
      }
      const r = await fieldsOf('XG', usage + toHex(eph.publicKey) + toHex(iv) + toHex(box.ciphertext) + toHex(box.tag));
      const key = keyAt(r, 0);
      const kcv = r.slice(key.length);
      if (kcv !== hostKeyKcv(clear)) throw new HsmError('XG', '--', 'imported host key check value does not match');
      return { key, kcv };
    },
    async encryptPinUnderLmk(pin, pan) {
      return fieldsOf('BA', String(pin.length).padStart(2, '0') + pin + account12(pan));
    },
    async generateIbmOffset(p) {
      const acct = account12(p.pan);
      const checkLength = String(p.checkLength ?? 4).padStart(2, '0');
      return fieldsOf('DE', p.pvk + p.pinUnderLmk + checkLength + acct + (p.decimalisationTable ?? DEFAULT_DECIMALISATION_TABLE) + validationData(p.pinValidationData, acct));
    },
    async generateVisaPvv(p) {
      return fieldsOf('DG', p.pvk + p.pinUnderLmk + account12(p.pan) + p.pvki);
    },
    async close() {
      closed = true;
      clearInterval(sweeper);
      for (const c of pool) c.close();
    },
  };
}

function parseTranslation(r: string): PinTranslation {
  const pinLength = Number(r.slice(0, 2));
  const format = r.slice(-2) as PinBlockFormat;
  return { pinLength, pinBlock: r.slice(2, -2), format };
}

function macFields(p: { keyType: 'TAK' | 'ZAK'; key: string; algorithm: 'iso9797-1-alg1' | 'iso9797-1-alg3' | 'aes-cmac'; data: Uint8Array }): string {
  const alg = p.algorithm === 'iso9797-1-alg1' ? '01' : p.algorithm === 'iso9797-1-alg3' ? '03' : '05';
  const padding = p.algorithm === 'aes-cmac' ? '0' : '1';
  if (p.data.length > 8192) throw new HsmError(p.algorithm, '80', 'MAC data longer than 8192 bytes');
  const data = Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('latin1');
  return '0' + '0' + alg + padding + KEY_TYPE_CODE[p.keyType] + p.key + p.data.length.toString(16).toUpperCase().padStart(4, '0') + data;
}
