// Network / acquirer clearing files: CSV, one line per cleared transaction (layout in README.md).
//   record_id,amount,currency,cleared_date[,kind][,merchant_id][,arn]
// A header line names the columns (any order; unknown columns are ignored). amount is an integer in minor units,
// currency ISO 4217 numeric or alphabetic, cleared_date YYYY-MM-DD, kind one of the settled-record kinds
// (default purchase): captures and representments are credits, refunds and chargebacks debits.
// Streamed in chunks: lines are turned into bank items as they arrive, one array per chunk.
import { splitCsvLine as splitCsv } from '../util/csv.js';
import { createReadStream } from 'node:fs';
import { toAlpha } from './currency.js';
import type { BankItem, Cdi } from './types.js';

export const CLEARING_COLUMNS = ['record_id', 'amount', 'currency', 'cleared_date', 'kind', 'merchant_id', 'arn'] as const;
const DEBIT_KINDS = new Set(['refund', 'chargeback']);
const KINDS = new Set(['purchase', 'advice', 'completion', 'refund', 'chargeback', 'representment']);
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_LINE = 4096;


function bad(source: string, line: number, why: string): never {
  throw new Error(`${source}: line ${line}: ${why}`);
}

/** 1–12 ASCII digits → their value; −1 otherwise (no regex, no allocation: this runs per line). */
function digitsValue(s: string | undefined): number {
  if (!s || s.length > 12) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function isDate(s: string | undefined): boolean {
  return s !== undefined && s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && DATE_RE.test(s);
}

export interface ClearingOptions {
  source?: string;
}

/** Parses clearing CSV text chunks into bank items (one array per chunk). Errors name the line. */
export async function* parseClearing(chunks: AsyncIterable<string> | Iterable<string>, o: ClearingOptions = {}): AsyncGenerator<BankItem[]> {
  const source = o.source ?? 'clearing';
  let carry = '';
  let lineNo = 0;
  let col: Record<string, number> | undefined;
  const alphaCache = new Map<string, string>();
  const parseLine = (line: string, out: BankItem[]) => {
    lineNo++;
    if (line.length > MAX_LINE) throw new Error(`${source}: line ${lineNo} is longer than ${MAX_LINE} characters`);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) return;
    let f: string[];
    try {
      f = splitCsv(line);
    } catch (e) {
      throw new Error(`${source}: line ${lineNo}: ${(e as Error).message}`);
    }
    if (!col) {
      col = {};
      f.forEach((name, i) => (col![name.trim().toLowerCase()] = i));
      for (const need of ['record_id', 'amount', 'currency', 'cleared_date']) {
        if (col[need] === undefined) throw new Error(`${source}: header lacks column ${need} (columns: ${CLEARING_COLUMNS.join(',')})`);
      }
      return;
    }
    const ref = f[col.record_id];
    const amountText = f[col.amount];
    const cur = f[col.currency];
    const date = f[col.cleared_date];
    const kind = col.kind !== undefined ? f[col.kind] || 'purchase' : 'purchase';
    if (!ref) bad(source, lineNo, 'record_id is empty');
    const amount = digitsValue(amountText);
    if (amount <= 0) bad(source, lineNo, `amount "${amountText}" must be a positive integer of minor units`);
    let alpha = alphaCache.get(cur);
    if (!alpha) {
      try {
        alpha = toAlpha(cur ?? '');
      } catch {
        bad(source, lineNo, `unknown currency "${cur}"`);
      }
      alphaCache.set(cur, alpha!);
    }
    if (!isDate(date)) bad(source, lineNo, `cleared_date "${date}" is not YYYY-MM-DD`);
    if (!KINDS.has(kind)) bad(source, lineNo, `unknown kind "${kind}"`);
    const cdi: Cdi = DEBIT_KINDS.has(kind) ? 'DBIT' : 'CRDT';
    const arn = col.arn !== undefined ? f[col.arn] : undefined;
    out.push({ key: `${source}#${lineNo}`, refs: arn ? [ref, arn] : [ref], amount, currency: alpha!, cdi, date, source, label: `line ${lineNo} ${kind}` });
  };
  for await (const chunk of chunks) {
    const text = carry + chunk;
    const out: BankItem[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      parseLine(text.slice(start, nl), out);
      start = nl + 1;
    }
    carry = text.slice(start);
    if (carry.length > MAX_LINE) throw new Error(`${source}: line ${lineNo + 1} is longer than ${MAX_LINE} characters`);
    if (out.length) yield out;
  }
  const out: BankItem[] = [];
  if (carry) parseLine(carry, out);
  if (!col) throw new Error(`${source}: empty clearing file (no header)`);
  if (out.length) yield out;
}

export function readClearing(path: string, o: ClearingOptions = {}): AsyncGenerator<BankItem[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  return parseClearing(stream as AsyncIterable<string>, { source: o.source ?? path.split('/').pop()!, ...o });
}
