// Network / acquirer clearing files: CSV, one line per cleared transaction (layout in README.md).
//   record_id,amount,currency,cleared_date[,kind][,merchant_id][,arn]
// A header line names the columns (any order; unknown columns are ignored). amount is an integer in minor units,
// currency ISO 4217 numeric or alphabetic, cleared_date YYYY-MM-DD, kind one of the settled-record kinds
// (default purchase): captures and representments are credits, refunds and chargebacks debits.
// Streamed in byte chunks: lines are found and split on bytes (an unquoted line — nearly all of them — makes
// strings only for the record id, the ARN and the kind); a line with a quote takes the RFC 4180 splitter.
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { MAX_CSV_FIELDS, splitCsvBytes, splitCsvLine } from '../util/csv.js';
import { toAlpha } from './currency.js';
import type { BankItem, Cdi } from './types.js';

export const CLEARING_COLUMNS = ['record_id', 'amount', 'currency', 'cleared_date', 'kind', 'merchant_id', 'arn'] as const;
const KINDS = ['purchase', 'advice', 'completion', 'refund', 'chargeback', 'representment'];
const DEBIT_KINDS = new Set(['refund', 'chargeback']);
const KIND_BYTES = KINDS.map((k) => Buffer.from(k, 'latin1'));
/** Longest line accepted, in bytes: bounds the carry between chunks. */
const MAX_LINE = 4096;
const NONE = -1;

function bad(source: string, line: number, why: string): never {
  throw new Error(`${source}: line ${line}: ${why}`);
}

/** 1–12 ASCII digits in buf[s, e) → their value; −1 otherwise (no string, no regex: this runs per line). */
function digitsAt(buf: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > 12) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** YYYY-MM-DD in buf[s, e) → YYYYMMDD as a number; −1 otherwise. */
function dateKeyAt(buf: Uint8Array, s: number, e: number): number {
  if (e - s !== 10 || buf[s + 4] !== 45 || buf[s + 7] !== 45) return -1;
  const y = digitsAt(buf, s, s + 4);
  const m = digitsAt(buf, s + 5, s + 7);
  const d = digitsAt(buf, s + 8, s + 10);
  return y < 0 || m < 0 || d < 0 ? -1 : y * 10_000 + m * 100 + d;
}

export interface ClearingOptions {
  source?: string;
}

/** Columns by name → field number (−1: absent), from the header line. */
interface Columns {
  ref: number;
  amount: number;
  currency: number;
  date: number;
  kind: number;
  arn: number;
}

class ClearingLines {
  lineNo = 0;
  private col: Columns | undefined;
  private readonly starts = new Int32Array(MAX_CSV_FIELDS);
  private readonly ends = new Int32Array(MAX_CSV_FIELDS);
  /** Small caches: a file has few currencies and dates; keyed on the bytes, so no string is made to look up. */
  private readonly currencies = new Map<number, string>();
  private readonly dates = new Map<number, string>();

  constructor(private readonly source: string) {}

  get sawHeader(): boolean {
    return this.col !== undefined;
  }

  /** One line: bytes [start, end) of `buf` without its LF. */
  line(buf: Buffer, start: number, end: number, ascii: boolean, out: BankItem[]): void {
    this.lineNo++;
    if (end - start > MAX_LINE) throw new Error(`${this.source}: line ${this.lineNo} is longer than ${MAX_LINE} bytes`);
    if (end > start && buf[end - 1] === 13) end--;
    if (end === start) return;
    const n = splitCsvBytes(buf, start, end, this.starts, this.ends);
    if (n < 0 || !this.col) return this.textLine(buf.toString('utf8', start, end), out);
    const { starts, ends, col } = this;
    const text = (k: number): string | undefined => (k < 0 || k >= n ? undefined : ascii ? buf.toString('latin1', starts[k], ends[k]) : buf.toString('utf8', starts[k], ends[k]));
    const ref = text(col.ref);
    if (!ref) bad(this.source, this.lineNo, 'record_id is empty');
    const amount = col.amount < n ? digitsAt(buf, starts[col.amount], ends[col.amount]) : -1;
    if (amount <= 0) bad(this.source, this.lineNo, `amount "${text(col.amount)}" must be a positive integer of minor units`);
    let currency: string | undefined;
    if (col.currency < n && ends[col.currency] - starts[col.currency] === 3) {
      const s = starts[col.currency];
      currency = this.currencies.get((buf[s] << 16) | (buf[s + 1] << 8) | buf[s + 2]);
    }
    currency ??= this.currency(text(col.currency));
    const dk = col.date < n ? dateKeyAt(buf, starts[col.date], ends[col.date]) : -1;
    if (dk < 0) bad(this.source, this.lineNo, `cleared_date "${text(col.date)}" is not YYYY-MM-DD`);
    let date = this.dates.get(dk);
    if (date === undefined) {
      date = text(col.date)!;
      if (this.dates.size < 10_000) this.dates.set(dk, date);
    }
    const kind = col.kind >= 0 && col.kind < n && ends[col.kind] > starts[col.kind] ? this.kindAt(buf, starts[col.kind], ends[col.kind]) ?? bad(this.source, this.lineNo, `unknown kind "${text(col.kind)}"`) : 'purchase';
    this.push(out, ref, amount, currency, date, kind, text(col.arn));
  }

  /** The general path: a line with quotes (or the header), split on its text. */
  private textLine(line: string, out: BankItem[]): void {
    let f: string[];
    try {
      f = splitCsvLine(line);
    } catch (e) {
      throw new Error(`${this.source}: line ${this.lineNo}: ${(e as Error).message}`);
    }
    if (!this.col) {
      const at = new Map<string, number>();
      f.forEach((name, i) => at.set(name.trim().toLowerCase(), i));
      for (const need of ['record_id', 'amount', 'currency', 'cleared_date']) {
        if (!at.has(need)) throw new Error(`${this.source}: header lacks column ${need} (columns: ${CLEARING_COLUMNS.join(',')})`);
      }
      this.col = { ref: at.get('record_id')!, amount: at.get('amount')!, currency: at.get('currency')!, date: at.get('cleared_date')!, kind: at.get('kind') ?? NONE, arn: at.get('arn') ?? NONE };
      return;
    }
    const { col } = this;
    const ref = f[col.ref];
    const amountText = f[col.amount];
    if (!ref) bad(this.source, this.lineNo, 'record_id is empty');
    const amount = amountText === undefined ? -1 : digitsAt(Buffer.from(amountText, 'latin1'), 0, amountText.length);
    if (amount <= 0 || amountText.length !== Buffer.byteLength(amountText)) bad(this.source, this.lineNo, `amount "${amountText}" must be a positive integer of minor units`);
    const currency = this.currency(f[col.currency]);
    const date = f[col.date];
    if (date === undefined || dateKeyAt(Buffer.from(date, 'latin1'), 0, date.length) < 0) bad(this.source, this.lineNo, `cleared_date "${date}" is not YYYY-MM-DD`);
    const kindText = col.kind >= 0 ? f[col.kind] || 'purchase' : 'purchase';
    if (!KINDS.includes(kindText)) bad(this.source, this.lineNo, `unknown kind "${kindText}"`);
    this.push(out, ref, amount, currency, date, kindText, col.arn >= 0 ? f[col.arn] : undefined);
  }

  private currency(code: string | undefined): string {
    let alpha: string;
    try {
      alpha = toAlpha(code ?? '');
    } catch {
      bad(this.source, this.lineNo, `unknown currency "${code}"`);
    }
    if (code!.length === 3 && this.currencies.size < 1_000) this.currencies.set((code!.charCodeAt(0) << 16) | (code!.charCodeAt(1) << 8) | code!.charCodeAt(2), alpha);
    return alpha;
  }

  private kindAt(buf: Buffer, s: number, e: number): string | undefined {
    for (let k = 0; k < KIND_BYTES.length; k++) {
      const kb = KIND_BYTES[k];
      if (kb.length === e - s && buf.compare(kb, 0, kb.length, s, e) === 0) return KINDS[k];
    }
    return undefined;
  }

  private push(out: BankItem[], ref: string, amount: number, currency: string, date: string, kind: string, arn: string | undefined): void {
    const cdi: Cdi = DEBIT_KINDS.has(kind) ? 'DBIT' : 'CRDT';
    const line = this.lineNo;
    out.push({ key: `${this.source}#${line}`, refs: arn ? [ref, arn] : [ref], amount, currency, cdi, date, source: this.source, label: `line ${line} ${kind}` });
  }
}

/** Parses clearing CSV chunks (bytes, or text) into bank items, one array per chunk. Errors name the line. */
export async function* parseClearing(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, o: ClearingOptions = {}): AsyncGenerator<BankItem[]> {
  const source = o.source ?? 'clearing';
  const lines = new ClearingLines(source);
  let carry: Buffer | undefined;
  for await (const chunk of chunks) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry) {
      buf = Buffer.concat([carry, buf]);
      carry = undefined;
    }
    const ascii = isAscii(buf);
    const out: BankItem[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      lines.line(buf, start, nl, ascii, out);
      start = nl + 1;
    }
    if (buf.length - start > MAX_LINE) throw new Error(`${source}: line ${lines.lineNo + 1} is longer than ${MAX_LINE} bytes`);
    // Copied: a view would keep the whole chunk alive until the next one.
    if (start < buf.length) carry = Buffer.from(buf.subarray(start));
    if (out.length) yield out;
  }
  const out: BankItem[] = [];
  if (carry) lines.line(carry, 0, carry.length, isAscii(carry), out);
  if (!lines.sawHeader) throw new Error(`${source}: empty clearing file (no header)`);
  if (out.length) yield out;
}

export function readClearing(path: string, o: ClearingOptions = {}): AsyncGenerator<BankItem[]> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  return parseClearing(stream as AsyncIterable<Buffer>, { source: o.source ?? path.split('/').pop()!, ...o });
}
