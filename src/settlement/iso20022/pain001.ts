// pain.001.001.10 (customer credit transfer initiation) for merchant and seller payouts: one PmtInf per currency
// debiting the switch's account at the custodian bank, one CdtTrfTxInf per payout with EndToEndId = payout id.
// Payouts are streamed from the caller's iterator, so memory stays bounded for any batch size.
import type { BankParty, BatchRecord, PayoutRecord } from '../types.js';
import { accountXml, agentXml } from './pacs008.js';
import { AtomicXmlWriter, currencyAlpha, esc, formatAmount, text } from './xml.js';

export const PAIN001_NS = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.10';

export interface Pain001Options {
  switchParty: BankParty & { id: string };
  /** Payouts of `currency` carried by the batch, in a stable order (streamed). */
  payouts(currency: string): Iterable<PayoutRecord>;
  /** Test hook between payouts (the crash test stops a batch half-way through the file). */
  afterPayout?: (n: number) => void;
  beforeRename?: () => void;
}

export async function writePain001(path: string, batch: BatchRecord, o: Pain001Options): Promise<void> {
  const w = new AtomicXmlWriter(path);
  const count = batch.payouts.reduce((s, p) => s + p.count, 0);
  const ctrl = batch.payouts.reduce((s, p) => s + BigInt(p.amount), 0n);
  const single = batch.payouts.length === 1 ? batch.payouts[0].currency : undefined;
  const me = o.switchParty;
  await w.write(`<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${PAIN001_NS}"><CstmrCdtTrfInitn>`);
  await w.write(
    `<GrpHdr><MsgId>${esc(batch.id)}-PAIN001</MsgId><CreDtTm>${batch.closedAt}</CreDtTm><NbOfTxs>${count}</NbOfTxs>` +
      (single ? `<CtrlSum>${formatAmount(ctrl, single)}</CtrlSum>` : '') +
      `<InitgPty><Nm>${text(me.name, 140)}</Nm></InitgPty></GrpHdr>`,
  );
  let n = 0;
  for (const sum of batch.payouts) {
    if (sum.count === 0) continue;
    await w.write(
      `<PmtInf><PmtInfId>${esc(batch.id)}-${currencyAlpha(sum.currency)}</PmtInfId><PmtMtd>TRF</PmtMtd><BtchBookg>false</BtchBookg>` +
        `<NbOfTxs>${sum.count}</NbOfTxs><CtrlSum>${formatAmount(BigInt(sum.amount), sum.currency)}</CtrlSum>` +
        `<ReqdExctnDt><Dt>${batch.date}</Dt></ReqdExctnDt>` +
        `<Dbtr><Nm>${text(me.name, 140)}</Nm></Dbtr><DbtrAcct>${accountXml(me.account ?? me.id)}</DbtrAcct>` +
        `<DbtrAgt>${agentXml(me.id, me)}</DbtrAgt><ChrgBr>SLEV</ChrgBr>`,
    );
    let seen = 0;
    for (const p of o.payouts(sum.currency)) {
      if (p.currency !== sum.currency) throw new Error(`payout ${p.id} is in ${p.currency}, not ${sum.currency}`);
      const b = p.beneficiary;
      await w.write(
        `<CdtTrfTxInf><PmtId><InstrId>${esc(p.id)}</InstrId><EndToEndId>${esc(p.id)}</EndToEndId></PmtId>` +
          `<Amt><InstdAmt Ccy="${currencyAlpha(p.currency)}">${formatAmount(p.amount, p.currency)}</InstdAmt></Amt>` +
          (b.bic ? `<CdtrAgt>${agentXml(b.id, b)}</CdtrAgt>` : '') +
          `<Cdtr><Nm>${text(b.name, 140)}</Nm></Cdtr>` +
          (b.account ? `<CdtrAcct>${accountXml(b.account)}</CdtrAcct>` : '') +
          `<RmtInf><Ustrd>${text(`Payout ${p.id} ${b.type} ${b.id} batch ${batch.id}`, 140)}</Ustrd></RmtInf></CdtTrfTxInf>`,
      );
      seen++;
      o.afterPayout?.(++n);
    }
    if (seen !== sum.count) throw new Error(`batch ${batch.id}: ${seen} ${sum.currency} payouts found, ${sum.count} expected`);
    await w.write(`</PmtInf>`);
  }
  await w.write(`</CstmrCdtTrfInitn></Document>\n`);
  await w.commit(o.beforeRename);
}
