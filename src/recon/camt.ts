// Streaming reader for bank-to-customer cash management messages: camt.053 statements, camt.054 debit/credit
// notifications and camt.052 reports, in the versions banks actually send (001.02 … 001.08). Elements are
// matched by local name whatever the namespace, so one reader handles all versions; the differences it bridges:
//   - entry status: `<Sts>BOOK</Sts>` (001.02–001.06) or `<Sts><Cd>BOOK</Cd></Sts>` (001.07+);
//   - detail amount: `TxDtls/AmtDtls/TxAmt/Amt` (001.02) or `TxDtls/Amt` (001.03+);
//   - dates: `Dt` or `DtTm` (the date part is kept).
// A SAX parser (saxes) feeds a small state machine; entries are yielded as each chunk is parsed, so memory stays
// flat for a statement of millions of entries (only the current entry is held).
import { createReadStream } from 'node:fs';
import { SaxesParser } from 'saxes';
import { parseAmount } from './currency.js';
import type { BankEntry, Cdi, StatementBalance, TxDetail } from './types.js';

export interface CamtOptions {
  /** Name used in entry keys, errors and the report (default 'camt'). */
  source?: string;
  onBalance?: (b: StatementBalance) => void;
  /** Refuse an entry with more transaction details than this (default 100,000): bounds one entry's memory. */
  maxDetails?: number;
}

const ROOTS: Record<string, BankEntry['message']> = { BkToCstmrStmt: '053', BkToCstmrDbtCdtNtfctn: '054', BkToCstmrAcctRpt: '052' };
const REPORT = new Set(['Stmt', 'Ntfctn', 'Rpt']);

function local(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

function dateOnly(v: string): string {
  return v.slice(0, 10);
}

function cdi(v: string, where: string): Cdi {
  if (v === 'CRDT' || v === 'DBIT') return v;
  throw new Error(`${where}: CdtDbtInd must be CRDT or DBIT, got "${v}"`);
}

/** A push parser: write text chunks, entries go to `emit` as each one closes. */
export interface CamtParser {
  write(chunk: string): void;
  /** Ends the document; throws when it was not a camt.052/053/054 message. */
  close(): void;
}

export function camtParser(emit: (e: BankEntry) => void, o: CamtOptions = {}): CamtParser {
  const source = o.source ?? 'camt';
  const maxDetails = o.maxDetails ?? 100_000;
  const parser = new SaxesParser({ position: true });
  const stack: string[] = [];
  let text = '';
  let ccy = '';
  let message: BankEntry['message'] | undefined;
  let statementId = '';
  let account = '';
  let entryIndex = 0;
  let entry: BankEntry | undefined;
  let amountText = '';
  let detail: TxDetail | undefined;
  let detailAmountText = '';
  let detailCcy = '';
  let detailAmountRank = 0; // 3: TxDtls/Amt, 2: AmtDtls/TxAmt/Amt, 1: AmtDtls/InstdAmt/Amt
  let bal: Partial<StatementBalance> & { amountText?: string } | undefined;
  let btk: string[] = [];
  const where = () => `${source}: line ${parser.line}`;

  parser.on('error', (e) => {
    throw new Error(`${source}: not well-formed XML: ${e.message}`);
  });
  parser.on('opentag', (tag) => {
    const name = local(tag.name);
    stack.push(name);
    text = '';
    switch (name) {
      case 'Ntry':
        if (!message) throw new Error(`${where()}: Ntry outside a camt.052/053/054 report`);
        entry = {
          source, index: entryIndex++, message, statementId, account, amount: -1, currency: '', cdi: 'CRDT', reversal: false, status: '', details: [],
        };
        amountText = '';
        btk = [];
        break;
      case 'TxDtls':
        if (entry) {
          detail = {};
          detailAmountText = '';
          detailCcy = '';
          detailAmountRank = 0;
        }
        break;
      case 'Bal':
        if (!entry) bal = { source, statementId, account };
        break;
      case 'Amt': {
        const c = (tag.attributes as Record<string, string>).Ccy;
        ccy = c ?? '';
        break;
      }
      default:
        if (stack.length <= 2 && ROOTS[name]) message = ROOTS[name];
    }
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', () => {
    const name = stack[stack.length - 1];
    const parent = stack[stack.length - 2];
    const v = text.trim();
    text = '';
    if (entry) {
      if (detail) {
        switch (name) {
          case 'EndToEndId':
            if (parent === 'Refs' && v !== 'NOTPROVIDED') detail.endToEndId = v;
            break;
          case 'AcctSvcrRef':
            if (parent === 'Refs') detail.servicerRef = v;
            break;
          case 'TxId':
            if (parent === 'Refs') detail.txId = v;
            break;
          case 'InstrId':
            if (parent === 'Refs') detail.instrId = v;
            break;
          case 'PmtInfId':
            if (parent === 'Refs') detail.pmtInfId = v;
            break;
          case 'MsgId':
            if (parent === 'Refs') detail.msgId = v;
            break;
          case 'Amt': {
            const gp = stack[stack.length - 3];
            const rank = parent === 'TxDtls' ? 3 : parent === 'TxAmt' && gp === 'AmtDtls' ? 2 : parent === 'InstdAmt' && gp === 'AmtDtls' ? 1 : 0;
            if (rank > detailAmountRank) {
              detailAmountRank = rank;
              detailAmountText = v;
              detailCcy = ccy;
            }
            break;
          }
          case 'CdtDbtInd':
            if (parent === 'TxDtls') detail.cdi = cdi(v, where());
            break;
          case 'TxDtls':
            if (detailAmountRank > 0) {
              if (!detailCcy) throw new Error(`${where()}: transaction amount without Ccy`);
              detail.currency = detailCcy;
              detail.amount = parseAmount(detailAmountText, detailCcy);
            }
            if (entry.details.length >= maxDetails) throw new Error(`${where()}: entry has more than ${maxDetails} transaction details`);
            entry.details.push(detail);
            detail = undefined;
            break;
        }
      } else {
        switch (name) {
          case 'NtryRef':
            entry.entryRef = v;
            break;
          case 'Amt':
            if (parent === 'Ntry') {
              amountText = v;
              entry.currency = ccy;
            }
            break;
          case 'CdtDbtInd':
            if (parent === 'Ntry') entry.cdi = cdi(v, where());
            break;
          case 'RvslInd':
            if (parent === 'Ntry') entry.reversal = v === 'true' || v === '1';
            break;
          case 'Sts':
            if (parent === 'Ntry' && v) entry.status = v; // 001.02–001.06: text content
            break;
          case 'Cd':
            if (parent === 'Sts') entry.status = v; // 001.07+: Sts/Cd
            else if (stack.includes('BkTxCd')) btk.push(v);
            break;
          case 'SubFmlyCd':
            btk.push(v);
            break;
          case 'Dt':
          case 'DtTm':
            if (parent === 'BookgDt') entry.bookingDate = dateOnly(v);
            else if (parent === 'ValDt') entry.valueDate = dateOnly(v);
            break;
          case 'AcctSvcrRef':
            if (parent === 'Ntry') entry.servicerRef = v;
            break;
          case 'NbOfTxs':
            if (parent === 'Btch') entry.batchCount = Number(v);
            break;
          case 'AddtlNtryInf':
            entry.info = v.length > 500 ? v.slice(0, 500) : v;
            break;
          case 'Ntry': {
            const e = entry;
            entry = undefined;
            if (!amountText || !e.currency) throw new Error(`${where()}: entry ${e.index} has no Amt with Ccy`);
            e.amount = parseAmount(amountText, e.currency);
            if (!e.status) e.status = 'BOOK';
            if (btk.length) e.bankTxCode = btk.join('/');
            emit(e);
            break;
          }
        }
      }
      stack.pop();
      return;
    }
    if (bal) {
      if (name === 'Cd' && stack.includes('Tp')) bal.type = v;
      else if (name === 'Amt' && parent === 'Bal') {
        bal.amountText = v;
        bal.currency = ccy;
      } else if (name === 'CdtDbtInd' && parent === 'Bal') bal.cdi = cdi(v, where());
      else if ((name === 'Dt' || name === 'DtTm') && parent === 'Dt') bal.date = dateOnly(v);
      else if (name === 'Bal') {
        const b = bal;
        bal = undefined;
        if (b.amountText && b.currency && o.onBalance) {
          o.onBalance({ source, statementId: b.statementId ?? '', account: b.account ?? '', type: b.type ?? '', amount: parseAmount(b.amountText, b.currency), currency: b.currency, cdi: b.cdi ?? 'CRDT', date: b.date ?? '' });
        }
      }
      stack.pop();
      return;
    }
    if (name === 'Id' && REPORT.has(parent)) statementId = v;
    else if ((name === 'IBAN' && parent === 'Id') || (name === 'Id' && parent === 'Othr' && stack[stack.length - 4] === 'Acct')) {
      if (stack[stack.length - 3] === 'Acct' || stack[stack.length - 4] === 'Acct') account = v;
    } else if (REPORT.has(name)) {
      statementId = '';
      account = '';
    }
    stack.pop();
  });

  return {
    write: (chunk) => void parser.write(chunk),
    close() {
      parser.close();
      if (!message) throw new Error(`${source}: not a camt.052/053/054 document (no BkToCstmrStmt, BkToCstmrDbtCdtNtfctn or BkToCstmrAcctRpt)`);
    },
  };
}

/** Parses a camt.052/053/054 document from text chunks; yields its entries in file order. */
export async function* parseStatement(chunks: AsyncIterable<string> | Iterable<string>, o: CamtOptions = {}): AsyncGenerator<BankEntry> {
  const out: BankEntry[] = [];
  const p = camtParser((e) => out.push(e), o);
  for await (const chunk of chunks) {
    p.write(chunk);
    if (out.length) {
      // Hand the chunk's entries over before reading more: the caller's pace bounds what is held.
      for (const e of out) yield e;
      out.length = 0;
    }
  }
  p.close();
  for (const e of out) yield e;
}

/** The same without a generator per entry (the hot path of big statements): `onEntry` runs as entries close. */
export async function scanStatement(chunks: AsyncIterable<string> | Iterable<string>, onEntry: (e: BankEntry) => void, o: CamtOptions = {}): Promise<number> {
  let n = 0;
  const p = camtParser((e) => {
    n++;
    onEntry(e);
  }, o);
  for await (const chunk of chunks) p.write(chunk);
  p.close();
  return n;
}

export function statementChunks(path: string): AsyncIterable<string> {
  return createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }) as AsyncIterable<string>;
}

/** Reads a camt file from disk in 256 KiB chunks. */
export function readStatement(path: string, o: CamtOptions = {}): AsyncGenerator<BankEntry> {
  return parseStatement(statementChunks(path), { source: o.source ?? path.split('/').pop()!, ...o });
}

/** Streams a camt file from disk into `onEntry`; resolves to the number of entries. */
export function scanStatementFile(path: string, onEntry: (e: BankEntry) => void, o: CamtOptions = {}): Promise<number> {
  return scanStatement(statementChunks(path), onEntry, { source: o.source ?? path.split('/').pop()!, ...o });
}
