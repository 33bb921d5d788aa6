// The transaction data an ARQC covers, built from DE 55 tags in the order of the common CDOL1 (EMV Book 2,
// Visa CVN 10 / M/Chip 4): amount, other amount, terminal country, TVR, currency, date, type, UN, AIP, ATC, IAD.
// The acquirer simulator builds its ARQC over exactly this concatenation.
import type { EmvTags } from '../model/txn.js';

export const ARQC_DATA_TAGS = ['9F02', '9F03', '9F1A', '95', '5F2A', '9A', '9C', '9F37', '82', '9F36', '9F10'] as const;

/** Hex of the ARQC input data, or undefined when a tag is missing. */
export function arqcData(emv: EmvTags): string | undefined {
  let out = '';
  for (const t of ARQC_DATA_TAGS) {
    const v = emv[t];
    if (v === undefined || !/^[0-9A-Fa-f]*$/.test(v) || v.length % 2 !== 0) return undefined;
    out += v.toUpperCase();
  }
  return out;
}

/** ARC (authorisation response code, 2 bytes) for the ARPC: the ASCII of DE 39. */
export function arcFor(responseCode: string): string {
  return Buffer.from(responseCode.padEnd(2, '0').slice(0, 2), 'ascii').toString('hex').toUpperCase();
}
