// Streaming reader for bank-to-customer cash management messages: camt.053 statements, camt.054 debit/credit
// notifications and camt.052 reports, in the versions banks actually send (001.02 … 001.08). Elements are
// matched by local name whatever the namespace, so one reader handles all versions; the differences it bridges:
//   - entry status: `<Sts>BOOK</Sts>` (001.02–001.06) or `<Sts><Cd>BOOK</Cd></Sts>` (001.07+);
//   - detail amount: `TxDtls/AmtDtls/TxAmt/Amt` (001.02) or `TxDtls/Amt` (001.03+);
//   - dates: `Dt` or `DtTm` (the date part is kept).
// A SAX parser (saxes) feeds a path-state machine (below); entries are yielded as each chunk is parsed, so memory stays
// flat for a statement of millions of entries (only the current entry is held).
import { SaxesParser } from 'saxes';
import { parseAmount } from './currency.js';
import { fileText } from './fileText.js';
import type { BankEntry, Cdi, StatementBalance, TxDetail } from './types.js';

export interface CamtOptions {
  /** Name used in entry keys, errors and the report (default 'camt'). */
  source?: string;
  onBalance?: (b: StatementBalance) => void;
  /** Refuse an entry with more transaction details than this (default 100,000): bounds one entry's memory. */
  maxDetails?: number;
}

const ROOTS: Record<string, BankEntry['message']> = { BkToCstmrStmt: '053', BkToCstmrDbtCdtNtfctn: '054', BkToCstmrAcctRpt: '052' };

// The reader is a path-state machine: each open element gets a small integer state from its parent's state and
// its local name, so a SAX event costs one Map lookup and one switch — no path strings, no stack searches — and
// text is collected only inside the leaf elements we read. Every subtree we do not read is S.IGNORE.
const enum S {
  IGNORE = 0,
  TOP = 1,
  ROOT = 2,
  REPORT = 3,
  REPORT_ID = 4,
  ACCT = 5,
  ACCT_ID = 6,
  ACCT_IBAN = 7,
  ACCT_OTHR = 8,
  ACCT_OTHR_ID = 9,
  BAL = 10,
  BAL_TP = 11,
  BAL_CDORPRTRY = 12,
  BAL_TP_CD = 13,
  BAL_AMT = 14,
  BAL_CDI = 15,
  BAL_DT = 16,
  BAL_DT_DT = 17,
  NTRY = 18,
  NTRY_REF = 19,
  NTRY_AMT = 20,
  NTRY_CDI = 21,
  NTRY_RVSL = 22,
  NTRY_STS = 23,
  NTRY_STS_CD = 24,
  NTRY_BOOKG = 25,
  NTRY_BOOKG_DT = 26,
  NTRY_VAL = 27,
  NTRY_VAL_DT = 28,
  NTRY_SVCR = 29,
  BKTX = 30,
  BKTX_CD = 31,
  NTRY_DTLS = 32,
  BTCH = 33,
  BTCH_NB = 34,
  NTRY_INFO = 35,
  TX = 36,
  TX_REFS = 37,
  TX_E2E = 38,
  TX_SVCR = 39,
  TX_TXID = 40,
  TX_INSTR = 41,
  TX_PMTINF = 42,
  TX_MSGID = 43,
  TX_AMT = 44,
  TX_AMTDTLS = 45,
  TX_TXAMT = 46,
  TX_TXAMT_AMT = 47,
  TX_INSTDAMT = 48,
  TX_INSTDAMT_AMT = 49,
  TX_CDI = 50,
}
const STATES = 51;
/** Leaf states whose text we keep. */
const TEXT = new Uint8Array(STATES);
for (const s of [S.REPORT_ID, S.ACCT_IBAN, S.ACCT_OTHR_ID, S.BAL_TP_CD, S.BAL_AMT, S.BAL_CDI, S.BAL_DT_DT, S.NTRY_REF, S.NTRY_AMT, S.NTRY_CDI, S.NTRY_RVSL,
  S.NTRY_STS, S.NTRY_STS_CD, S.NTRY_BOOKG_DT, S.NTRY_VAL_DT, S.NTRY_SVCR, S.BKTX_CD, S.BTCH_NB, S.NTRY_INFO, S.TX_E2E, S.TX_SVCR, S.TX_TXID, S.TX_INSTR,
  S.TX_PMTINF, S.TX_MSGID, S.TX_AMT, S.TX_TXAMT_AMT, S.TX_INSTDAMT_AMT, S.TX_CDI]) TEXT[s] = 1;

// Local names the machine knows, as small integers (0: any other name).
const enum N {
  OTHER = 0,
  Stmt = 1,
  Ntfctn = 2,
  Rpt = 3,
  Id = 4,
  Acct = 5,
  IBAN = 6,
  Othr = 7,
  Bal = 8,
  Tp = 9,
  CdOrPrtry = 10,
  Cd = 11,
  Amt = 12,
  CdtDbtInd = 13,
  Dt = 14,
  DtTm = 15,
  Ntry = 16,
  NtryRef = 17,
  RvslInd = 18,
  Sts = 19,
  BookgDt = 20,
  ValDt = 21,
  AcctSvcrRef = 22,
  BkTxCd = 23,
  SubFmlyCd = 24,
  NtryDtls = 25,
  Btch = 26,
  NbOfTxs = 27,
  AddtlNtryInf = 28,
  TxDtls = 29,
  Refs = 30,
  EndToEndId = 31,
  TxId = 32,
  InstrId = 33,
  PmtInfId = 34,
  MsgId = 35,
  AmtDtls = 36,
  TxAmt = 37,
  InstdAmt = 38,
  Root = 39,
}
const NAMES = new Map<string, number>([
  ['Stmt', N.Stmt], ['Ntfctn', N.Ntfctn], ['Rpt', N.Rpt], ['Id', N.Id], ['Acct', N.Acct], ['IBAN', N.IBAN], ['Othr', N.Othr], ['Bal', N.Bal], ['Tp', N.Tp], ['CdOrPrtry', N.CdOrPrtry], ['Cd', N.Cd], ['Amt', N.Amt], ['CdtDbtInd', N.CdtDbtInd], ['Dt', N.Dt], ['DtTm', N.DtTm], ['Ntry', N.Ntry], ['NtryRef', N.NtryRef], ['RvslInd', N.RvslInd], ['Sts', N.Sts], ['BookgDt', N.BookgDt], ['ValDt', N.ValDt], ['AcctSvcrRef', N.AcctSvcrRef], ['BkTxCd', N.BkTxCd], ['SubFmlyCd', N.SubFmlyCd], ['NtryDtls', N.NtryDtls], ['Btch', N.Btch], ['NbOfTxs', N.NbOfTxs], ['AddtlNtryInf', N.AddtlNtryInf], ['TxDtls', N.TxDtls], ['Refs', N.Refs], ['EndToEndId', N.EndToEndId], ['TxId', N.TxId], ['InstrId', N.InstrId], ['PmtInfId', N.PmtInfId], ['MsgId', N.MsgId], ['AmtDtls', N.AmtDtls], ['TxAmt', N.TxAmt], ['InstdAmt', N.InstdAmt],
]);
for (const r of Object.keys(ROOTS)) NAMES.set(r, N.Root);
/** XML nested deeper than this is refused (camt needs about 12 levels): bounds the state stack. */
const MAX_DEPTH = 256;

// Names bucketed by length and first letter: a lookup is one array index and (nearly always) one string
// comparison, where a Map lookup hashed every fresh tag name (it was ~7 % of the reader's time).
const NAME_SLOTS = 64 * 128;
const NAME_BUCKETS: ([string, number][] | undefined)[] = new Array(NAME_SLOTS);
for (const [name, id] of NAMES) {
  const slot = ((name.length & 63) << 7) | (name.charCodeAt(0) & 127);
  (NAME_BUCKETS[slot] ??= []).push([name, id]);
}

function localNameId(name: string): number {
  if (name.length === 0 || name.length > 63) return N.OTHER;
  const bucket = NAME_BUCKETS[(name.length << 7) | (name.charCodeAt(0) & 127)];
  if (bucket !== undefined) for (let k = 0; k < bucket.length; k++) if (bucket[k][0] === name) return bucket[k][1];
  return N.OTHER;
}

function nameId(qname: string): number {
  const n = localNameId(qname);
  if (n !== N.OTHER) return n;
  const i = qname.indexOf(':'); // a prefixed name: the local part decides
  return i < 0 ? N.OTHER : localNameId(qname.slice(i + 1));
}

/** The state of an element named `n` inside an element in state `p`. */
function next(p: number, n: number, depth: number): number {
  switch (p) {
    case S.IGNORE:
      return S.IGNORE;
    case S.TOP:
      if (n === N.Root) return S.ROOT;
      return depth === 1 ? S.TOP : S.IGNORE; // the message root is the document element or its child
    case S.ROOT:
      return n === N.Stmt || n === N.Ntfctn || n === N.Rpt ? S.REPORT : S.IGNORE;
    case S.REPORT:
      switch (n) {
        case N.Ntry: return S.NTRY;
        case N.Id: return S.REPORT_ID;
        case N.Acct: return S.ACCT;
        case N.Bal: return S.BAL;
        default: return S.IGNORE;
      }
    case S.ACCT:
      return n === N.Id ? S.ACCT_ID : S.IGNORE;
    case S.ACCT_ID:
      return n === N.IBAN ? S.ACCT_IBAN : n === N.Othr ? S.ACCT_OTHR : S.IGNORE;
    case S.ACCT_OTHR:
      return n === N.Id ? S.ACCT_OTHR_ID : S.IGNORE;
    case S.BAL:
      switch (n) {
        case N.Tp: return S.BAL_TP;
        case N.Amt: return S.BAL_AMT;
        case N.CdtDbtInd: return S.BAL_CDI;
        case N.Dt: return S.BAL_DT;
        default: return S.IGNORE;
      }
    case S.BAL_TP:
      return n === N.CdOrPrtry ? S.BAL_CDORPRTRY : S.IGNORE;
    case S.BAL_CDORPRTRY:
      return n === N.Cd ? S.BAL_TP_CD : S.IGNORE;
    case S.BAL_DT:
      return n === N.Dt || n === N.DtTm ? S.BAL_DT_DT : S.IGNORE;
    case S.NTRY:
      switch (n) {
        case N.NtryRef: return S.NTRY_REF;
        case N.Amt: return S.NTRY_AMT;
        case N.CdtDbtInd: return S.NTRY_CDI;
        case N.RvslInd: return S.NTRY_RVSL;
        case N.Sts: return S.NTRY_STS;
        case N.BookgDt: return S.NTRY_BOOKG;
        case N.ValDt: return S.NTRY_VAL;
        case N.AcctSvcrRef: return S.NTRY_SVCR;
        case N.BkTxCd: return S.BKTX;
        case N.NtryDtls: return S.NTRY_DTLS;
        case N.AddtlNtryInf: return S.NTRY_INFO;
        default: return S.IGNORE;
      }
    case S.NTRY_STS:
      return n === N.Cd ? S.NTRY_STS_CD : S.IGNORE;
    case S.NTRY_BOOKG:
      return n === N.Dt || n === N.DtTm ? S.NTRY_BOOKG_DT : S.IGNORE;
    case S.NTRY_VAL:
      return n === N.Dt || n === N.DtTm ? S.NTRY_VAL_DT : S.IGNORE;
    case S.BKTX:
      return n === N.Cd || n === N.SubFmlyCd ? S.BKTX_CD : S.BKTX; // Domn/Cd, Domn/Fmly/Cd, SubFmlyCd, Prtry/Cd
    case S.NTRY_DTLS:
      return n === N.TxDtls ? S.TX : n === N.Btch ? S.BTCH : S.IGNORE;
    case S.BTCH:
      return n === N.NbOfTxs ? S.BTCH_NB : S.IGNORE;
    case S.TX:
      switch (n) {
        case N.Refs: return S.TX_REFS;
        case N.Amt: return S.TX_AMT;
        case N.AmtDtls: return S.TX_AMTDTLS;
        case N.CdtDbtInd: return S.TX_CDI;
        default: return S.IGNORE;
      }
    case S.TX_REFS:
      switch (n) {
        case N.EndToEndId: return S.TX_E2E;
        case N.AcctSvcrRef: return S.TX_SVCR;
        case N.TxId: return S.TX_TXID;
        case N.InstrId: return S.TX_INSTR;
        case N.PmtInfId: return S.TX_PMTINF;
        case N.MsgId: return S.TX_MSGID;
        default: return S.IGNORE;
      }
    case S.TX_AMTDTLS:
      return n === N.TxAmt ? S.TX_TXAMT : n === N.InstdAmt ? S.TX_INSTDAMT : S.IGNORE;
    case S.TX_TXAMT:
      return n === N.Amt ? S.TX_TXAMT_AMT : S.IGNORE;
    case S.TX_INSTDAMT:
      return n === N.Amt ? S.TX_INSTDAMT_AMT : S.IGNORE;
    default:
      return S.IGNORE; // leaves: nothing under them is read
  }
}

// next() as a table for every parent state but TOP (the only one that depends on depth): the hot path is one load.
const NAME_IDS = N.Root + 1;
const TRANSITIONS = new Uint8Array(STATES * NAME_IDS);
for (let p = 0; p < STATES; p++) for (let n = 0; n < NAME_IDS; n++) TRANSITIONS[p * NAME_IDS + n] = p === S.TOP ? S.IGNORE : next(p, n, 2);

/** text.trim(), without the call when both ends are printable ASCII (nearly every value of a machine-written file). */
function trimmed(t: string): string {
  const n = t.length;
  if (n === 0) return t;
  const a = t.charCodeAt(0);
  const z = t.charCodeAt(n - 1);
  return a > 32 && a < 127 && z > 32 && z < 127 ? t : t.trim();
}

function dateOnly(v: string): string {
  return v.slice(0, 10);
}

/** `where` is called only to name an error (building it per element cost a template string each time). */
function cdi(v: string, where: () => string): Cdi {
  if (v === 'CRDT' || v === 'DBIT') return v;
  throw new Error(`${where()}: CdtDbtInd must be CRDT or DBIT, got "${v}"`);
}

/** Strings of the element and the entry being read (see `cur` in camtParser). */
interface Scratch {
  text: string;
  ccy: string;
  amountText: string;
  detailAmountText: string;
  detailCcy: string;
  /** Bank transaction code parts joined by '/' as they arrive. */
  btk: string;
}
const scratch = (): Scratch => ({ text: '', ccy: '', amountText: '', detailAmountText: '', detailCcy: '', btk: '' });

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
  const states = new Uint8Array(MAX_DEPTH + 1);
  states[0] = S.TOP;
  let depth = 0;
  let wantText = false;
  // The element's text and the entry's pending strings live in a young object made per entry: storing the
  // parser's fresh strings into it needs no write-barrier call, as stores into this long-lived closure did.
  let cur = scratch();
  let message: BankEntry['message'] | undefined;
  let statementId = '';
  let account = '';
  let entryIndex = 0;
  let entry: BankEntry | undefined;
  let detail: TxDetail | undefined;
  let detailAmountRank = 0; // 3: TxDtls/Amt, 2: AmtDtls/TxAmt/Amt, 1: AmtDtls/InstdAmt/Amt
  let bal: (Partial<StatementBalance> & { amountText?: string }) | undefined;
  const where = () => `${source}: line ${parser.line}`;

  const detailAmount = (rank: number, v: string) => {
    if (rank > detailAmountRank) {
      detailAmountRank = rank;
      cur.detailAmountText = v;
      cur.detailCcy = cur.ccy;
    }
  };

  parser.on('error', (e) => {
    throw new Error(`${source}: not well-formed XML: ${e.message}`);
  });
  parser.on('opentag', (tag) => {
    if (depth === MAX_DEPTH) throw new Error(`${where()}: elements nested deeper than ${MAX_DEPTH}`);
    const parent = states[depth];
    if (parent === S.IGNORE && message !== undefined) {
      // Inside a subtree we skip (parties, remittance info, charges…): no name lookup, no text.
      states[++depth] = S.IGNORE;
      return;
    }
    const n = nameId(tag.name);
    const st = parent === S.TOP ? next(parent, n, depth + 1) : TRANSITIONS[parent * NAME_IDS + n];
    states[++depth] = st;
    cur.text = '';
    wantText = TEXT[st] === 1;
    switch (st) {
      case S.IGNORE:
        if (n === N.Ntry && !message) throw new Error(`${where()}: Ntry outside a camt.052/053/054 report`);
        break;
      case S.ROOT:
        message = ROOTS[tag.name.slice(tag.name.indexOf(':') + 1)];
        break;
      case S.NTRY:
        entry = {
          source, index: entryIndex++, message: message!, statementId, account, amount: -1, currency: '', cdi: 'CRDT', reversal: false, status: '', details: [],
        };
        cur = scratch();
        break;
      case S.TX:
        detail = {};
        cur.detailAmountText = '';
        cur.detailCcy = '';
        detailAmountRank = 0;
        break;
      case S.BAL:
        bal = { source, statementId, account };
        break;
      case S.NTRY_AMT:
      case S.BAL_AMT:
      case S.TX_AMT:
      case S.TX_TXAMT_AMT:
      case S.TX_INSTDAMT_AMT:
        cur.ccy = (tag.attributes as Record<string, string>).Ccy ?? '';
        break;
    }
  });
  const onText = (t: string) => {
    if (wantText) cur.text += t;
  };
  parser.on('text', onText);
  // A CDATA section is text too (`<EndToEndId><![CDATA[A&B]]></EndToEndId>`): without this its value was lost.
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const st = states[depth--];
    wantText = TEXT[states[depth]] === 1;
    if (st === S.IGNORE) {
      cur.text = '';
      return;
    }
    const v = TEXT[st] === 1 ? trimmed(cur.text) : '';
    cur.text = '';
    switch (st) {
      case S.REPORT:
        statementId = '';
        account = '';
        break;
      case S.REPORT_ID:
        statementId = v;
        break;
      case S.ACCT_IBAN:
      case S.ACCT_OTHR_ID:
        account = v;
        break;
      case S.BAL_TP_CD:
        bal!.type = v;
        break;
      case S.BAL_AMT:
        bal!.amountText = v;
        bal!.currency = cur.ccy;
        break;
      case S.BAL_CDI:
        bal!.cdi = cdi(v, where);
        break;
      case S.BAL_DT_DT:
        bal!.date = dateOnly(v);
        break;
      case S.BAL: {
        const b = bal!;
        bal = undefined;
        if (b.amountText && b.currency && o.onBalance) {
          o.onBalance({ source, statementId: b.statementId ?? '', account: b.account ?? '', type: b.type ?? '', amount: parseAmount(b.amountText, b.currency), currency: b.currency, cdi: b.cdi ?? 'CRDT', date: b.date ?? '' });
        }
        break;
      }
      case S.NTRY_REF:
        entry!.entryRef = v;
        break;
      case S.NTRY_AMT:
        cur.amountText = v;
        entry!.currency = cur.ccy;
        break;
      case S.NTRY_CDI:
        entry!.cdi = cdi(v, where);
        break;
      case S.NTRY_RVSL:
        entry!.reversal = v === 'true' || v === '1';
        break;
      case S.NTRY_STS: // 001.02–001.06: the status is the text content
        if (v) entry!.status = v;
        break;
      case S.NTRY_STS_CD: // 001.07+: Sts/Cd
        entry!.status = v;
        break;
      case S.NTRY_BOOKG_DT:
        entry!.bookingDate = dateOnly(v);
        break;
      case S.NTRY_VAL_DT:
        entry!.valueDate = dateOnly(v);
        break;
      case S.NTRY_SVCR:
        entry!.servicerRef = v;
        break;
      case S.BKTX_CD:
        cur.btk = cur.btk === '' ? v : `${cur.btk}/${v}`;
        break;
      case S.BTCH_NB:
        entry!.batchCount = Number(v);
        break;
      case S.NTRY_INFO:
        entry!.info = v.length > 500 ? v.slice(0, 500) : v;
        break;
      case S.NTRY: {
        const e = entry!;
        entry = undefined;
        if (!cur.amountText || !e.currency) throw new Error(`${where()}: entry ${e.index} has no Amt with Ccy`);
        e.amount = parseAmount(cur.amountText, e.currency);
        if (!e.status) e.status = 'BOOK';
        if (cur.btk !== '') e.bankTxCode = cur.btk;
        emit(e);
        break;
      }
      case S.TX_E2E:
        if (v !== 'NOTPROVIDED') detail!.endToEndId = v;
        break;
      case S.TX_SVCR:
        detail!.servicerRef = v;
        break;
      case S.TX_TXID:
        detail!.txId = v;
        break;
      case S.TX_INSTR:
        detail!.instrId = v;
        break;
      case S.TX_PMTINF:
        detail!.pmtInfId = v;
        break;
      case S.TX_MSGID:
        detail!.msgId = v;
        break;
      case S.TX_AMT:
        detailAmount(3, v);
        break;
      case S.TX_TXAMT_AMT:
        detailAmount(2, v);
        break;
      case S.TX_INSTDAMT_AMT:
        detailAmount(1, v);
        break;
      case S.TX_CDI:
        detail!.cdi = cdi(v, where);
        break;
      case S.TX: {
        const d = detail!;
        detail = undefined;
        if (detailAmountRank > 0) {
          if (!cur.detailCcy) throw new Error(`${where()}: transaction amount without Ccy`);
          d.currency = cur.detailCcy;
          d.amount = parseAmount(cur.detailAmountText, cur.detailCcy);
        }
        if (entry!.details.length >= maxDetails) throw new Error(`${where()}: entry has more than ${maxDetails} transaction details`);
        entry!.details.push(d);
        break;
      }
    }
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

/** The file's text in 256 KiB chunks (ASCII chunks are copied, not decoded: fileText.ts). */
export function statementChunks(path: string, chunkBytes = 256 * 1024): AsyncIterable<string> {
  return fileText(path, chunkBytes);
}

/** Reads a camt file from disk in 256 KiB chunks. */
export function readStatement(path: string, o: CamtOptions = {}): AsyncGenerator<BankEntry> {
  return parseStatement(statementChunks(path), { source: o.source ?? path.split('/').pop()!, ...o });
}

/** Streams a camt file from disk into `onEntry`; resolves to the number of entries. */
export function scanStatementFile(path: string, onEntry: (e: BankEntry) => void, o: CamtOptions = {}): Promise<number> {
  return scanStatement(statementChunks(path), onEntry, { source: o.source ?? path.split('/').pop()!, ...o });
}
