// Streamed, atomic XML file writing for ISO 20022 messages: bounded memory (the writer awaits 'drain' when the
// stream's buffer is full), written to a temp file, fsynced, then renamed into place, so a reader never sees a
// half-written file and a crash leaves at worst a temp file that the next run overwrites.
import { createWriteStream, fsyncSync, mkdirSync, openSync, closeSync, renameSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { currencyExponent } from '../../state/money.js';

const ALPHA: Record<string, string> = {
  '360': 'IDR', '840': 'USD', '978': 'EUR', '826': 'GBP', '702': 'SGD', '458': 'MYR', '764': 'THB', '608': 'PHP',
  '036': 'AUD', '156': 'CNY', '392': 'JPY', '410': 'KRW', '704': 'VND', '048': 'BHD', '414': 'KWD', '512': 'OMR', '788': 'TND',
};

/** ISO 4217 alphabetic code for a numeric one (ISO 20022 amounts carry the alphabetic code). */
export function currencyAlpha(numeric: string): string {
  const a = ALPHA[numeric];
  if (!a) throw new Error(`no ISO 4217 alphabetic code known for currency ${numeric}`);
  return a;
}

/** Minor units (integer or BigInt) → decimal text with the currency's exponent: 123456 IDR → "1234.56". */
export function formatAmount(minor: number | bigint, currency: string): string {
  const exp = currencyExponent(currency);
  if (exp === undefined) throw new Error(`unknown currency ${currency}`);
  let v = BigInt(minor);
  const neg = v < 0n;
  if (neg) v = -v;
  const s = v.toString().padStart(exp + 1, '0');
  const out = exp === 0 ? s : `${s.slice(0, s.length - exp)}.${s.slice(s.length - exp)}`;
  return neg ? '-' + out : out;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

/** ISO 20022 "Max140Text"-style fields: trimmed and cut to `max` characters. */
export function text(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return esc(t.length > max ? t.slice(0, max) : t);
}

export class AtomicXmlWriter {
  private readonly out: WriteStream;
  private readonly tmp: string;
  private failed: Error | undefined;
  private buf = '';
  /** Characters buffered before a write call: small strings are joined, memory stays bounded. */
  private static readonly CHUNK = 64 * 1024;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = join(dirname(path), `.${Date.now().toString(36)}-${process.pid}.tmp`);
    this.out = createWriteStream(this.tmp, { flags: 'w', highWaterMark: 256 * 1024 });
    this.out.on('error', (e) => (this.failed = e));
  }

  get tempPath(): string {
    return this.tmp;
  }

  /** Queues text; awaits the disk when the stream's buffer is full (backpressure). */
  async write(s: string): Promise<void> {
    if (this.failed) throw this.failed;
    this.buf += s;
    if (this.buf.length >= AtomicXmlWriter.CHUNK) await this.flushBuf();
  }

  private async flushBuf(): Promise<void> {
    const chunk = this.buf;
    this.buf = '';
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }

  /** Flushes, fsyncs and renames the temp file into place (and fsyncs the directory). */
  async commit(beforeRename?: () => void): Promise<void> {
    await this.flushBuf();
    await new Promise<void>((resolve, reject) => this.out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (this.failed) throw this.failed;
    const fd = openSync(this.tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    beforeRename?.();
    renameSync(this.tmp, this.path);
    const dfd = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}
