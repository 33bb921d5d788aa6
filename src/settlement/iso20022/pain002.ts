// Reads a pain.002 payment status report (001.11, and older versions banks still send: elements are matched by
// local name, whatever the namespace) with a streaming parser: group, payment-information and transaction
// statuses with their reason codes. A transaction without its own status inherits its PmtInf's or the group's.
import { createReadStream } from 'node:fs';
import { SaxesParser } from 'saxes';

export type StatusClass = 'accepted' | 'rejected' | 'pending';

export interface TxStatus {
  endToEndId: string;
  status: string;
  reason?: string;
}

export interface PmtInfStatus {
  id: string;
  status?: string;
  reason?: string;
  transactions: TxStatus[];
}

export interface StatusReport {
  msgId: string;
  originalMsgId: string;
  originalMsgType: string;
  groupStatus?: string;
  groupReason?: string;
  paymentInfos: PmtInfStatus[];
}

const ACCEPTED = new Set(['ACCP', 'ACSC', 'ACSP', 'ACTC', 'ACWC', 'ACCC', 'ACFC', 'ACWP']);

export function classify(code: string | undefined): StatusClass {
  if (!code) return 'pending';
  if (code === 'RJCT') return 'rejected';
  return ACCEPTED.has(code) ? 'accepted' : 'pending';
}

/** Upper bound on transactions one report may list (a bigger one is refused, not buffered). */
const MAX_TX = 5_000_000;

export function parsePain002(xml: AsyncIterable<string> | Iterable<string>): Promise<StatusReport> {
  return new Promise((resolve, reject) => {
    const parser = new SaxesParser({ xmlns: true });
    const path: string[] = [];
    let textBuf = '';
    const rep: StatusReport = { msgId: '', originalMsgId: '', originalMsgType: '', paymentInfos: [] };
    let pmt: PmtInfStatus | undefined;
    let tx: Partial<TxStatus> | undefined;
    let txCount = 0;
    let sawRoot = false;
    let failed = false;
    parser.on('error', (e) => {
      failed = true;
      reject(new Error(`pain.002: ${e.message}`));
    });
    parser.on('opentag', (n) => {
      const name = n.local ?? n.name;
      path.push(name);
      textBuf = '';
      if (name === 'CstmrPmtStsRpt') sawRoot = true;
      else if (name === 'OrgnlPmtInfAndSts') pmt = { id: '', transactions: [] };
      else if (name === 'TxInfAndSts') tx = {};
    });
    const onText = (t: string) => {
      textBuf += t;
    };
    parser.on('text', onText);
    parser.on('cdata', onText); // a CDATA section is text too
    parser.on('closetag', (n) => {
      const name = n.local ?? n.name;
      const parent = path[path.length - 2];
      const v = textBuf.trim();
      const inReason = path.includes('StsRsnInf') && name === 'Cd' && parent === 'Rsn';
      if (parent === 'GrpHdr' && name === 'MsgId') rep.msgId = v;
      else if (parent === 'OrgnlGrpInfAndSts') {
        if (name === 'OrgnlMsgId') rep.originalMsgId = v;
        else if (name === 'OrgnlMsgNmId') rep.originalMsgType = v;
        else if (name === 'GrpSts') rep.groupStatus = v;
      } else if (inReason) {
        if (tx) tx.reason ??= v;
        else if (pmt) pmt.reason ??= v;
        else rep.groupReason ??= v;
      } else if (tx && parent === 'TxInfAndSts') {
        if (name === 'OrgnlEndToEndId') tx.endToEndId = v;
        else if (name === 'TxSts') tx.status = v;
      } else if (pmt && parent === 'OrgnlPmtInfAndSts') {
        if (name === 'OrgnlPmtInfId') pmt.id = v;
        else if (name === 'PmtInfSts') pmt.status = v;
      }
      if (name === 'TxInfAndSts' && tx && pmt) {
        if (!tx.endToEndId) throw new Error('pain.002: TxInfAndSts without OrgnlEndToEndId');
        if (++txCount > MAX_TX) throw new Error(`pain.002: more than ${MAX_TX} transactions`);
        pmt.transactions.push({ endToEndId: tx.endToEndId, status: tx.status ?? pmt.status ?? rep.groupStatus ?? '', ...(tx.reason ? { reason: tx.reason } : {}) });
        tx = undefined;
      } else if (name === 'OrgnlPmtInfAndSts' && pmt) {
        rep.paymentInfos.push(pmt);
        pmt = undefined;
      }
      path.pop();
      textBuf = '';
    });
    (async () => {
      for await (const chunk of xml) {
        if (failed) return;
        parser.write(chunk);
      }
      parser.close();
      if (failed) return;
      if (!sawRoot) throw new Error('pain.002: no CstmrPmtStsRpt element (not a payment status report)');
      if (!rep.originalMsgId) throw new Error('pain.002: OrgnlGrpInfAndSts/OrgnlMsgId missing');
      resolve(rep);
    })().catch((e) => {
      if (!failed) reject(e instanceof Error && e.message.startsWith('pain.002') ? e : new Error(`pain.002: ${(e as Error).message}`));
      failed = true;
    });
  });
}

export function readPain002(path: string): Promise<StatusReport> {
  return parsePain002(createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 }) as AsyncIterable<string>);
}
