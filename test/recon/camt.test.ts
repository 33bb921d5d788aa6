import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStatement, readStatement } from '../../src/recon/camt.js';
import { writeCamt053, type StatementEntrySpec } from '../../src/recon/camtWriter.js';
import { bankItems } from '../../src/recon/match.js';
import type { StatementBalance } from '../../src/recon/types.js';
import { chunked, collect, samples, tempDir, validateAgainst } from './helpers.js';

describe('camt reader on the real bank samples', () => {
  it('reads the Swiss camt.053.001.04 statement: five booked CHF entries, balances and references', async () => {
    const bals: StatementBalance[] = [];
    const entries = await collect(readStatement(samples('camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml'), { onBalance: (b) => bals.push(b) }));
    expect(entries.map((e) => [e.amount, e.cdi, e.status, e.bookingDate])).toEqual([
      [450, 'CRDT', 'BOOK', '2020-11-24'],
      [7770, 'DBIT', 'BOOK', '2020-11-24'],
      [150000, 'CRDT', 'BOOK', '2020-11-24'],
      [153700, 'CRDT', 'BOOK', '2020-11-24'],
      [169222, 'CRDT', 'BOOK', '2020-11-24'],
    ]);
    expect(entries.every((e) => e.currency === 'CHF' && e.account === 'CH2909000000250094239' && e.message === '053')).toBe(true);
    expect(entries[0].entryRef).toBe('41100000000872849');
    expect(entries[3].servicerRef).toBe('07582000303KBMSU');
    expect(entries[3].valueDate).toBe('2020-11-25');
    expect(bals.map((b) => [b.type, b.amount])).toEqual([['OPBD', 21199319], ['CLBD', 21511221], ['CLAV', 21511221], ['FWAV', 21664921]]);
    // The reader lost nothing: opening + entries value-dated on the 24th = CLBD; + the one value-dated the 25th = FWAV.
    const net = (xs: typeof entries) => xs.reduce((s, e) => s + (e.cdi === 'CRDT' ? e.amount : -e.amount), 0);
    expect(21199319 + net(entries.filter((e) => e.valueDate === '2020-11-24'))).toBe(21511221);
    expect(21199319 + net(entries)).toBe(21664921);
  });

  it('reads the Swiss camt.054.001.04 notification', async () => {
    const [e, ...rest] = await collect(readStatement(samples('200519_camt.054-Credit_P_CH2909000000250094239_1110092691_0_2019042421291293.xml')));
    expect(rest).toHaveLength(0);
    expect(e).toMatchObject({ message: '054', amount: 150000, currency: 'CHF', cdi: 'CRDT', servicerRef: '074820002ZZ9J42U', bookingDate: '2019-04-24', valueDate: '2019-04-25' });
  });

  it('reads the Finnish camt.053.001.02 sample: batch entries split into their detail amounts (AmtDtls/TxAmt)', async () => {
    const bals: StatementBalance[] = [];
    const entries = await collect(readStatement(samples('FI_camt_053_sample.xml'), { onBalance: (b) => bals.push(b) }));
    expect(entries).toHaveLength(10);
    const e = entries.find((x) => x.servicerRef === '091029ACCTSTMTARCH03')!;
    expect(e).toMatchObject({ amount: 423005, cdi: 'DBIT', batchCount: 3, currency: 'EUR' });
    expect(e.details.map((d) => [d.servicerRef, d.amount])).toEqual([['091029ARCH03001', 200002], ['091029ARCH03002', 100001], ['091029ARCH03003', 123002]]);
    // A batch-booked entry whose details add up is matched detail by detail.
    expect(bankItems(e).map((b) => [b.refs[b.refs.length - 1], b.amount])).toEqual([['091029ARCH03001', 200002], ['091029ARCH03002', 100001], ['091029ARCH03003', 123002]]);
    expect(entries.find((x) => x.servicerRef === '091029ACCTSTMTARCH08')!.details[0].endToEndId).toBe('EndToEndIdSCT01');
    const opbd = bals.find((b) => b.type === 'OPBD')!;
    const clbd = bals.find((b) => b.type === 'CLBD')!;
    const net = entries.reduce((s, x) => s + (x.cdi === 'CRDT' ? x.amount : -x.amount), 0);
    expect(opbd.amount + net).toBe(clbd.amount);
  });

  it('gives the same entries however the text is cut into chunks', async () => {
    const xml = readFileSync(samples('FI_camt_053_sample.xml'), 'utf8');
    const whole = await collect(parseStatement([xml]));
    for (const n of [1, 7, 64, 1000]) expect(await collect(parseStatement(chunked(xml, n)))).toEqual(whole);
  });

  it('reads a value however the XML spells it: CDATA, entities, a comment inside, a namespace prefix', async () => {
    // The same entry four ways; a bank's XML library may emit any of them, and the reference must come out the same.
    const ntry = (ref: string, amt: string) =>
      `<c:Ntry><c:Amt Ccy="EUR">${amt}</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts><c:Cd>BOOK</c:Cd></c:Sts><c:BookgDt><c:Dt>2026-11-24</c:Dt></c:BookgDt>` +
      `<c:NtryDtls><c:TxDtls><c:Refs><c:EndToEndId>${ref}</c:EndToEndId></c:Refs></c:TxDtls></c:NtryDtls></c:Ntry>`;
    const xml =
      '<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><c:BkToCstmrStmt><c:Stmt><c:Id>S</c:Id>' +
      ntry('A&amp;B-1', '12.50') +
      ntry('<![CDATA[A&B-1]]>', '<![CDATA[12.50]]>') +
      ntry('A<!-- split by a comment -->&#38;B-1', '12<!-- x -->.50') +
      ntry('A&#x26;<![CDATA[B]]>-1', ' 12.50 ') +
      '</c:Stmt></c:BkToCstmrStmt></c:Document>';
    for (const n of [xml.length, 5]) {
      const entries = await collect(parseStatement(chunked(xml, n)));
      expect(entries.map((e) => [e.amount, e.details[0].endToEndId])).toEqual([
        [1250, 'A&B-1'],
        [1250, 'A&B-1'],
        [1250, 'A&B-1'],
        [1250, 'A&B-1'],
      ]);
    }
  });
});

describe('camt.053.001.08', () => {
  const entries: StatementEntrySpec[] = [
    { amount: 1_234_500, currency: 'IDR', cdi: 'DBIT', bookingDate: '2026-11-24', servicerRef: 'BNK-1', details: [{ endToEndId: 'PO0000000001', amount: 1_234_500 }] },
    {
      amount: 300_000, currency: 'IDR', cdi: 'DBIT', bookingDate: '2026-11-24', servicerRef: 'BNK-2', batch: { pmtInfId: 'B20261123-IDR', count: 2 },
      details: [{ endToEndId: 'PO0000000002', amount: 100_000 }, { endToEndId: 'PO0000000003', amount: 200_000 }],
    },
    { amount: 5_000, currency: 'IDR', cdi: 'CRDT', bookingDate: '2026-11-24', servicerRef: 'BNK-3', status: 'PDNG', info: 'pending <&> credit' },
  ];

  it('the writer produces XSD-valid files and the reader reads Sts/Cd, batches and details back', async () => {
    const dir = tempDir();
    const path = join(dir, 'stmt.xml');
    await writeCamt053(path, { msgId: 'M1', statementId: 'S1', account: 'ID12GERB00000000001', currency: 'IDR', createdAt: '2026-11-24T20:00:00Z', opening: { amount: 10_000_000, cdi: 'CRDT', date: '2026-11-24' } }, entries);
    const xml = readFileSync(path, 'utf8');
    expect(await validateAgainst(xml, 'camt.053.001.08.xsd')).toEqual([]);
    const got = await collect(readStatement(path));
    expect(got.map((e) => [e.status, e.amount, e.cdi, e.details.length, e.batchCount])).toEqual([
      ['BOOK', 1_234_500, 'DBIT', 1, undefined],
      ['BOOK', 300_000, 'DBIT', 2, 2],
      ['PDNG', 5_000, 'CRDT', 0, undefined],
    ]);
    expect(got[2].info).toBe('pending <&> credit');
    expect(got[1].details.map((d) => d.endToEndId)).toEqual(['PO0000000002', 'PO0000000003']);
    expect(got[0].account).toBe('ID12GERB00000000001');
  });
});

describe('bad input', () => {
  it('refuses a document that is not a camt message, naming the file', async () => {
    await expect(collect(parseStatement(['<Document><CstmrPmtStsRpt/></Document>'], { source: 'x.xml' }))).rejects.toThrow(/x\.xml: not a camt/);
  });
  it('refuses malformed XML with the position', async () => {
    await expect(collect(parseStatement(['<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">1.00</Amt></Stmt>'], { source: 'bad.xml' }))).rejects.toThrow(/bad\.xml: not well-formed/);
  });
  it('refuses an entry without an amount, an unknown currency and too many decimals', async () => {
    const doc = (ntry: string) => [`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>S</Id>${ntry}</Stmt></BkToCstmrStmt></Document>`];
    await expect(collect(parseStatement(doc('<Ntry><CdtDbtInd>CRDT</CdtDbtInd></Ntry>')))).rejects.toThrow(/entry 0 has no Amt/);
    await expect(collect(parseStatement(doc('<Ntry><Amt Ccy="XXQ">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>')))).rejects.toThrow(/unknown currency XXQ/);
    await expect(collect(parseStatement(doc('<Ntry><Amt Ccy="EUR">1.001</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>')))).rejects.toThrow(/more decimals/);
    await expect(collect(parseStatement(doc('<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDX</CdtDbtInd></Ntry>')))).rejects.toThrow(/CRDT or DBIT/);
  });
});
