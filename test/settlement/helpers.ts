import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';
import { generateRecords, type GeneratorOptions } from '../../src/stream/generate.js';
import type { NewSettledRecord } from '../../src/stream/types.js';
import type { SettlementConfig } from '../../src/settlement/types.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtures = join(repoRoot, 'test/fixtures/settlement');

/** The official ISO 20022 schemas: ../shared beside the repo (CI), else /work/shared. */
export function xsdPath(name: string): string {
  const rel = resolve(repoRoot, '../shared/iso20022/xsd', name);
  return existsSync(rel) ? rel : join('/work/shared/iso20022/xsd', name);
}

/** Validates with libxml2 (xmllint-wasm) against the official XSD; returns the error messages. */
export async function validateAgainst(xml: string, xsd: string): Promise<string[]> {
  const r = await validateXML({
    xml: [{ fileName: 'doc.xml', contents: xml }],
    schema: [{ fileName: xsd, contents: readFileSync(xsdPath(xsd), 'utf8') }],
    initialMemoryPages: 512,
    maxMemoryPages: 4096,
  });
  return r.valid ? [] : r.errors.map((e) => e.message ?? e.rawMessage);
}

/** `amlMerchant` gets a name that the test watch list matches despite spacing, case and spelling. */
export function beneficiaryConfig(extra: Partial<SettlementConfig> = {}, amlMerchant = 'M0007'): SettlementConfig {
  const beneficiaries: SettlementConfig['beneficiaries'] = {};
  for (let i = 0; i < 50; i++) {
    const id = `M${String(i).padStart(4, '0')}`;
    beneficiaries[id] = { name: `Toko ${['Maju', 'Jaya', 'Sentosa', 'Makmur', 'Abadi'][i % 5]} ${i}`, account: `ID${String(1000 + i)}0011223344`, bic: 'BNINIDJA' };
  }
  beneficiaries[amlMerchant] = { name: 'Abu  bakar Trading', account: '0070070070', bic: 'BMRIIDJA' };
  for (let i = 0; i < 20; i++) beneficiaries[`S${String(i).padStart(4, '0')}`] = { name: `Seller ${i}`, account: `990000${i}` };
  return {
    pricing: { defaultMdr: { bps: 200, fixed: 0 }, interchange: { bps: 100, fixed: 0 }, scheme: { bps: 10, fixed: 0 }, schemeId: 'SCHEME', switchFee: { bps: 0, fixed: 100 } },
    calendar: { timeZone: 'Asia/Jakarta', holidays: ['2026-11-26'], cutoffs: { '360': '16:00', '840': '15:00' } },
    payouts: { minAmount: 10_000, holdDays: 2, manualApprovalThreshold: 50_000_000 },
    switchParty: { id: 'GERBANG', name: 'PT Gerbang Pembayaran', account: 'ID12GERB00000000001', bic: 'CENAIDJA' },
    participants: { ISS0: { name: 'Bank Satu', bic: 'BNINIDJA' }, ISS1: { name: 'Bank Dua', bic: 'BRINIDJA' }, SCHEME: { name: 'Skema Nasional' } },
    beneficiaries,
    watchlistFile: join(fixtures, 'watchlist.csv'),
    ...extra,
  };
}

/** Records spread over Mon 23 – Wed 25 Nov 2026 (Jakarta), one every ~90 s. */
export function multiDayRecords(count: number, opts: GeneratorOptions = {}): NewSettledRecord[] {
  return [...generateRecords(count, { seed: 5, gapMs: 45_000, startMs: Date.parse('2026-11-23T00:30:00Z'), splitShare: 0.25, ...opts })];
}

/** A pain.002.001.11 answer to a pain.001: the listed payout ids rejected with `reason`, all others accepted. */
export function pain002For(originalMsgId: string, e2eIds: string[], rejected: Map<string, string>): string {
  const tx = e2eIds
    .map(
      (id, i) =>
        `<TxInfAndSts><StsId>S${i}</StsId><OrgnlEndToEndId>${id}</OrgnlEndToEndId><TxSts>${rejected.has(id) ? 'RJCT' : 'ACSC'}</TxSts>` +
        (rejected.has(id) ? `<StsRsnInf><Rsn><Cd>${rejected.get(id)}</Cd></Rsn></StsRsnInf>` : '') +
        `</TxInfAndSts>`,
    )
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11"><CstmrPmtStsRpt>` +
    `<GrpHdr><MsgId>BANK-STS-0001</MsgId><CreDtTm>2026-11-24T10:00:00Z</CreDtTm></GrpHdr>` +
    `<OrgnlGrpInfAndSts><OrgnlMsgId>${originalMsgId}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.10</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>` +
    `<OrgnlPmtInfAndSts><OrgnlPmtInfId>${originalMsgId.replace('-PAIN001', '-IDR')}</OrgnlPmtInfId>${tx}</OrgnlPmtInfAndSts>` +
    `</CstmrPmtStsRpt></Document>\n`
  );
}

export function endToEndIds(xml: string): string[] {
  return [...xml.matchAll(/<EndToEndId>([^<]+)<\/EndToEndId>/g)].map((m) => m[1]);
}
