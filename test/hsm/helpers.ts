// Test helpers: form keys under the test LMK exactly as `gerbang hsm form-key` does, and raw framed TCP exchanges.
import net from 'node:net';
import { testLmk } from '../../hsm-sim/crypto/index.js';
import { KEY_TYPE_CODES, LmkKeys, type KeyName } from '../../hsm-sim/keys.js';

const keys = new LmkKeys(testLmk());
export function formKey(type: KeyName, clearHex: string, scheme: 'U' | 'T' | 'S' = 'U'): string {
  return keys.encrypt(KEY_TYPE_CODES[type], Buffer.from(clearHex, 'hex'), scheme, scheme === 'S');
}

export function frame(s: string | Buffer): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
}

/** A raw connection that collects response frames (as latin1 strings) and notices when it is closed. */
export class RawConn {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private readonly frames: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const n = this.buf.readUInt16BE(0);
        this.frames.push(this.buf.toString('latin1', 2, 2 + n));
        this.buf = this.buf.subarray(2 + n);
      }
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  write(b: Buffer | string): void {
    this.socket.write(typeof b === 'string' ? Buffer.from(b, 'latin1') : b);
  }
  async read(n: number, timeoutMs = 5000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    while (this.frames.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.frames.length} frames`);
      if (Date.now() > until) throw new Error(`timed out with ${this.frames.length}/${n} frames`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.frames.splice(0, n);
  }
  async request(msg: string): Promise<string> {
    this.write(frame(msg));
    return (await this.read(1))[0];
  }
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }
  end(): void {
    this.socket.destroy();
  }
}
