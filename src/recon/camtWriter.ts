// Writes a camt.053.001.08 bank statement, streamed (bounded memory for millions of entries): tests and the
// bench build "bank statements" with it from what the switch sent; a demo bank can too. The output validates
// against the official camt.053.001.08 XSD (test/recon/camt.test.ts).
import { AtomicXmlWriter, esc } from '../settlement/iso20022/xml.js';
import { formatMinor } from './currency.js';
import type { Cdi } from './types.js';

export const CAMT053_NS = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';

export interface StatementEntrySpec {
  amount: number;
  currency: string;
  cdi: Cdi;
  bookingDate: string;
  valueDate?: string;
  servicerRef: string;
  entryRef?: string;
  status?: 'BOOK' | 'PDNG' | 'INFO';
  reversal?: boolean;
  /** A batch-booked entry: one detail per transaction it carries. */
  details?: { endToEndId?: string; txId?: string; pmtInfId?: string; instrId?: string; amount?: number; cdi?: Cdi }[];
  batch?: { pmtInfId?: string; count: number };
  info?: string;
}

export interface StatementHeader {
  msgId: string;
  statementId: string;
  /** IBAN of the account the statement is for. */
  account: string;
  currency: string;
  createdAt: string;
  opening: { amount: number; cdi: Cdi; date: string };
  /** Known up front (the XSD puts balances before entries); omitted when the writer streams unknown entries. */
  closing?: { amount: number; cdi: Cdi; date: string };
}

function bal(type: string, b: { amount: number; cdi: Cdi; date: string }, ccy: string): string {
  return `<Bal><Tp><CdOrPrtry><Cd>${type}</Cd></CdOrPrtry></Tp><Amt Ccy="${ccy}">${formatMinor(b.amount, ccy)}</Amt><CdtDbtInd>${b.cdi}</CdtDbtInd><Dt><Dt>${b.date}</Dt></Dt></Bal>`;
}

export function entryXml(e: StatementEntrySpec): string {
  const ccy = e.currency;
  let x =
    `<Ntry>${e.entryRef ? `<NtryRef>${esc(e.entryRef)}</NtryRef>` : ''}<Amt Ccy="${ccy}">${formatMinor(e.amount, ccy)}</Amt><CdtDbtInd>${e.cdi}</CdtDbtInd>` +
    `${e.reversal ? '<RvslInd>true</RvslInd>' : ''}<Sts><Cd>${e.status ?? 'BOOK'}</Cd></Sts><BookgDt><Dt>${e.bookingDate}</Dt></BookgDt><ValDt><Dt>${e.valueDate ?? e.bookingDate}</Dt></ValDt>` +
    `<AcctSvcrRef>${esc(e.servicerRef)}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>${e.cdi === 'CRDT' ? 'RCDT' : 'ICDT'}</Cd><SubFmlyCd>${e.batch ? 'BOOK' : 'ESCT'}</SubFmlyCd></Fmly></Domn></BkTxCd>`;
  if (e.details?.length || e.batch) {
    x += '<NtryDtls>';
    if (e.batch) x += `<Btch>${e.batch.pmtInfId ? `<PmtInfId>${esc(e.batch.pmtInfId)}</PmtInfId>` : ''}<NbOfTxs>${e.batch.count}</NbOfTxs></Btch>`;
    for (const d of e.details ?? []) {
      x +=
        `<TxDtls><Refs>${d.pmtInfId ? `<PmtInfId>${esc(d.pmtInfId)}</PmtInfId>` : ''}${d.instrId ? `<InstrId>${esc(d.instrId)}</InstrId>` : ''}` +
        `${d.endToEndId ? `<EndToEndId>${esc(d.endToEndId)}</EndToEndId>` : ''}${d.txId ? `<TxId>${esc(d.txId)}</TxId>` : ''}</Refs>` +
        `${d.amount !== undefined ? `<Amt Ccy="${ccy}">${formatMinor(d.amount, ccy)}</Amt><CdtDbtInd>${d.cdi ?? e.cdi}</CdtDbtInd>` : ''}</TxDtls>`;
    }
    x += '</NtryDtls>';
  }
  if (e.info) x += `<AddtlNtryInf>${esc(e.info.slice(0, 500))}</AddtlNtryInf>`;
  return x + '</Ntry>';
}

/** Streams a statement to `path` (temp file + rename); resolves to the number of entries written. */
export async function writeCamt053(path: string, h: StatementHeader, entries: Iterable<StatementEntrySpec> | AsyncIterable<StatementEntrySpec>): Promise<number> {
  const w = new AtomicXmlWriter(path);
  await w.write(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${CAMT053_NS}"><BkToCstmrStmt><GrpHdr><MsgId>${esc(h.msgId)}</MsgId><CreDtTm>${h.createdAt}</CreDtTm></GrpHdr>` +
      `<Stmt><Id>${esc(h.statementId)}</Id><CreDtTm>${h.createdAt}</CreDtTm><Acct><Id><IBAN>${esc(h.account)}</IBAN></Id><Ccy>${h.currency}</Ccy></Acct>` +
      bal('OPBD', h.opening, h.currency) +
      (h.closing ? bal('CLBD', h.closing, h.currency) : ''),
  );
  let n = 0;
  for await (const e of entries) {
    if (e.currency !== h.currency && !/^[A-Z]{3}$/.test(e.currency)) throw new Error(`entry currency ${e.currency} is not an ISO 4217 code`);
    await w.write(entryXml(e) + '\n');
    n++;
  }
  await w.write('</Stmt></BkToCstmrStmt></Document>\n');
  await w.commit();
  return n;
}
