import { describe, expect, it } from 'vitest';
import { parsePain002 } from '../../src/settlement/iso20022/pain002.js';

// A hand-written pain.002.001.11 as some bank libraries emit it: a namespace prefix, a CDATA section, an entity.
const report = (e2e1: string, e2e2: string) => `<?xml version="1.0" encoding="UTF-8"?>
<p:Document xmlns:p="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11">
  <p:CstmrPmtStsRpt>
    <p:GrpHdr><p:MsgId>BANK-STS-1</p:MsgId><p:CreDtTm>2026-11-24T08:00:00Z</p:CreDtTm></p:GrpHdr>
    <p:OrgnlGrpInfAndSts><p:OrgnlMsgId><![CDATA[B20261123-PAIN001]]></p:OrgnlMsgId><p:OrgnlMsgNmId>pain.001.001.09</p:OrgnlMsgNmId></p:OrgnlGrpInfAndSts>
    <p:OrgnlPmtInfAndSts>
      <p:OrgnlPmtInfId>PMT-1</p:OrgnlPmtInfId><p:PmtInfSts>ACSP</p:PmtInfSts>
      <p:TxInfAndSts><p:OrgnlEndToEndId>${e2e1}</p:OrgnlEndToEndId></p:TxInfAndSts>
      <p:TxInfAndSts><p:OrgnlEndToEndId>${e2e2}</p:OrgnlEndToEndId><p:TxSts>RJCT</p:TxSts>
        <p:StsRsnInf><p:Rsn><p:Cd>AC04</p:Cd></p:Rsn></p:StsRsnInf></p:TxInfAndSts>
    </p:OrgnlPmtInfAndSts>
  </p:CstmrPmtStsRpt>
</p:Document>`;

describe('pain.002 reader', () => {
  it('reads CDATA and entity-encoded values like plain text; a transaction inherits its PmtInf status', async () => {
    const rep = await parsePain002([report('<![CDATA[PO-1]]>', 'PO&#45;2')]);
    expect(rep.originalMsgId).toBe('B20261123-PAIN001');
    expect(rep.msgId).toBe('BANK-STS-1');
    expect(rep.paymentInfos).toEqual([
      {
        id: 'PMT-1',
        status: 'ACSP',
        transactions: [
          { endToEndId: 'PO-1', status: 'ACSP' },
          { endToEndId: 'PO-2', status: 'RJCT', reason: 'AC04' },
        ],
      },
    ]);
  });
});
