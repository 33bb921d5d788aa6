// pacs.008.001.09 (FI-to-FI customer credit transfer) for the interbank settlement of a batch's net positions:
// one CdtTrfTxInf per non-zero position, the participant as debtor when it owes the switch, as creditor when the
// switch owes it. MsgId and ids carry the batch id.
import type { BankParty, BatchRecord, NetPosition } from '../types.js';
import { AtomicXmlWriter, currencyAlpha, esc, formatAmount, text } from './xml.js';

export const PACS008_NS = 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.09';
const BIC_RE = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

function agent(id: string, p: BankParty | undefined): string {
  if (p?.bic && BIC_RE.test(p.bic)) return `<FinInstnId><BICFI>${p.bic}</BICFI></FinInstnId>`;
  return `<FinInstnId>${p?.name ? `<Nm>${text(p.name, 140)}</Nm>` : ''}<Othr><Id>${text(id, 35)}</Id></Othr></FinInstnId>`;
}

function account(a: string | undefined): string {
  if (!a) return '';
  if (/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/.test(a)) return `<Id><IBAN>${a}</IBAN></Id>`;
  return `<Id><Othr><Id>${text(a, 34)}</Id></Othr></Id>`;
}

export interface Pacs008Parties {
  switchParty: BankParty & { id: string };
  participants: Record<string, BankParty>;
}

/** The positions that produce a transfer (non-zero), in a stable order. */
export function transferablePositions(batch: BatchRecord): NetPosition[] {
  return batch.positions.filter((p) => BigInt(p.amount) !== 0n);
}

export async function writePacs008(path: string, batch: BatchRecord, parties: Pacs008Parties, beforeRename?: () => void): Promise<void> {
  const w = new AtomicXmlWriter(path);
  const positions = transferablePositions(batch);
  let ctrl = 0n;
  for (const p of positions) ctrl += BigInt(p.amount) < 0n ? -BigInt(p.amount) : BigInt(p.amount);
  await w.write(`<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${PACS008_NS}"><FIToFICstmrCdtTrf>`);
  // CtrlSum is a plain sum of amounts; with one currency it is also the total in that currency.
  const ccys = new Set(positions.map((p) => p.currency));
  const ctrlText = ccys.size === 1 ? formatAmount(ctrl, [...ccys][0]) : undefined;
  await w.write(
    `<GrpHdr><MsgId>${esc(batch.id)}-PACS008</MsgId><CreDtTm>${batch.closedAt}</CreDtTm><NbOfTxs>${positions.length}</NbOfTxs>` +
      (ctrlText ? `<CtrlSum>${ctrlText}</CtrlSum>` : '') +
      `<IntrBkSttlmDt>${batch.date}</IntrBkSttlmDt><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>`,
  );
  const me = parties.switchParty;
  let i = 0;
  for (const p of positions) {
    i++;
    const amt = BigInt(p.amount);
    const other = parties.participants[p.participant];
    const them = { id: p.participant, party: other };
    const us = { id: me.id, party: me as BankParty };
    const [debtor, creditor] = amt > 0n ? [them, us] : [us, them];
    const ref = `${batch.id}-${String(i).padStart(6, '0')}`;
    await w.write(
      `<CdtTrfTxInf><PmtId><InstrId>${esc(ref)}</InstrId><EndToEndId>${esc(ref)}</EndToEndId><TxId>${esc(ref)}</TxId></PmtId>` +
        `<IntrBkSttlmAmt Ccy="${currencyAlpha(p.currency)}">${formatAmount(amt < 0n ? -amt : amt, p.currency)}</IntrBkSttlmAmt>` +
        `<ChrgBr>SLEV</ChrgBr>` +
        `<Dbtr><Nm>${text(debtor.party?.name ?? debtor.id, 140)}</Nm></Dbtr>` +
        (debtor.party?.account ? `<DbtrAcct>${account(debtor.party.account)}</DbtrAcct>` : '') +
        `<DbtrAgt>${agent(debtor.id, debtor.party)}</DbtrAgt>` +
        `<CdtrAgt>${agent(creditor.id, creditor.party)}</CdtrAgt>` +
        `<Cdtr><Nm>${text(creditor.party?.name ?? creditor.id, 140)}</Nm></Cdtr>` +
        (creditor.party?.account ? `<CdtrAcct>${account(creditor.party.account)}</CdtrAcct>` : '') +
        `<RmtInf><Ustrd>${text(`Net settlement ${p.role} ${p.participant} batch ${batch.id}`, 140)}</Ustrd></RmtInf></CdtTrfTxInf>`,
    );
  }
  await w.write(`</FIToFICstmrCdtTrf></Document>\n`);
  await w.commit(beforeRename);
}

export { account as accountXml, agent as agentXml };
