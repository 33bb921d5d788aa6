// ISO 8583:1987 field definitions (as in jPOS ISO87APackager / ISO87BPackager and moov-io Spec87),
// and the four built-in 1987 dialects that differ only in encodings.
import type { FieldSpec, MessageSpec } from '../spec.js';

type Row = [num: number, type: FieldSpec['type'], length: number, prefix: FieldSpec['prefix'], name: string];

const ROWS: Row[] = [
  [2, 'n', 19, 'LL', 'Primary account number (PAN)'],
  [3, 'n', 6, 'fixed', 'Processing code'],
  [4, 'n', 12, 'fixed', 'Amount, transaction'],
  [5, 'n', 12, 'fixed', 'Amount, settlement'],
  [6, 'n', 12, 'fixed', 'Amount, cardholder billing'],
  [7, 'n', 10, 'fixed', 'Transmission date and time'],
  [8, 'n', 8, 'fixed', 'Amount, cardholder billing fee'],
  [9, 'n', 8, 'fixed', 'Conversion rate, settlement'],
  [10, 'n', 8, 'fixed', 'Conversion rate, cardholder billing'],
  [11, 'n', 6, 'fixed', 'System trace audit number (STAN)'],
  [12, 'n', 6, 'fixed', 'Time, local transaction'],
  [13, 'n', 4, 'fixed', 'Date, local transaction'],
  [14, 'n', 4, 'fixed', 'Date, expiration'],
  [15, 'n', 4, 'fixed', 'Date, settlement'],
  [16, 'n', 4, 'fixed', 'Date, conversion'],
  [17, 'n', 4, 'fixed', 'Date, capture'],
  [18, 'n', 4, 'fixed', 'Merchant type (MCC)'],
  [19, 'n', 3, 'fixed', 'Acquiring institution country code'],
  [20, 'n', 3, 'fixed', 'PAN extended, country code'],
  [21, 'n', 3, 'fixed', 'Forwarding institution country code'],
  [22, 'n', 3, 'fixed', 'Point of service entry mode'],
  [23, 'n', 3, 'fixed', 'Card sequence number'],
  [24, 'n', 3, 'fixed', 'Network international identifier (NII)'],
  [25, 'n', 2, 'fixed', 'Point of service condition code'],
  [26, 'n', 2, 'fixed', 'Point of service capture code'],
  [27, 'n', 1, 'fixed', 'Authorizing identification response length'],
  [28, 'xn', 9, 'fixed', 'Amount, transaction fee'],
  [29, 'xn', 9, 'fixed', 'Amount, settlement fee'],
  [30, 'xn', 9, 'fixed', 'Amount, transaction processing fee'],
  [31, 'xn', 9, 'fixed', 'Amount, settlement processing fee'],
  [32, 'n', 11, 'LL', 'Acquiring institution identification code'],
  [33, 'n', 11, 'LL', 'Forwarding institution identification code'],
  [34, 'ns', 28, 'LL', 'Primary account number, extended'],
  [35, 'z', 37, 'LL', 'Track 2 data'],
  [36, 'n', 104, 'LLL', 'Track 3 data'],
  [37, 'an', 12, 'fixed', 'Retrieval reference number'],
  [38, 'an', 6, 'fixed', 'Authorization identification response'],
  [39, 'an', 2, 'fixed', 'Response code'],
  [40, 'an', 3, 'fixed', 'Service restriction code'],
  [41, 'ans', 8, 'fixed', 'Card acceptor terminal identification'],
  [42, 'ans', 15, 'fixed', 'Card acceptor identification code'],
  [43, 'ans', 40, 'fixed', 'Card acceptor name/location'],
  [44, 'ans', 25, 'LL', 'Additional response data'],
  [45, 'ans', 76, 'LL', 'Track 1 data'],
  [46, 'ans', 999, 'LLL', 'Additional data (ISO)'],
  [47, 'ans', 999, 'LLL', 'Additional data (national)'],
  [48, 'ans', 999, 'LLL', 'Additional data (private)'],
  [49, 'an', 3, 'fixed', 'Currency code, transaction'],
  [50, 'an', 3, 'fixed', 'Currency code, settlement'],
  [51, 'an', 3, 'fixed', 'Currency code, cardholder billing'],
  [52, 'b', 8, 'fixed', 'Personal identification number (PIN) data'],
  [53, 'n', 16, 'fixed', 'Security related control information'],
  [54, 'ans', 120, 'LLL', 'Additional amounts'],
  [55, 'b', 255, 'LLL', 'ICC data (EMV)'],
  [56, 'ans', 999, 'LLL', 'Reserved (ISO)'],
  [57, 'ans', 999, 'LLL', 'Reserved (national)'],
  [58, 'ans', 999, 'LLL', 'Reserved (national)'],
  [59, 'ans', 999, 'LLL', 'Reserved (national)'],
  [60, 'ans', 999, 'LLL', 'Reserved (national)'],
  [61, 'ans', 999, 'LLL', 'Reserved (private)'],
  [62, 'ans', 999, 'LLL', 'Reserved (private)'],
  [63, 'ans', 999, 'LLL', 'Reserved (private)'],
  [64, 'b', 8, 'fixed', 'Message authentication code (MAC)'],
  [66, 'n', 1, 'fixed', 'Settlement code'],
  [67, 'n', 2, 'fixed', 'Extended payment code'],
  [68, 'n', 3, 'fixed', 'Receiving institution country code'],
  [69, 'n', 3, 'fixed', 'Settlement institution country code'],
  [70, 'n', 3, 'fixed', 'Network management information code'],
  [71, 'n', 4, 'fixed', 'Message number'],
  [72, 'n', 4, 'fixed', 'Message number, last'],
  [73, 'n', 6, 'fixed', 'Date, action'],
  [74, 'n', 10, 'fixed', 'Credits, number'],
  [75, 'n', 10, 'fixed', 'Credits, reversal number'],
  [76, 'n', 10, 'fixed', 'Debits, number'],
  [77, 'n', 10, 'fixed', 'Debits, reversal number'],
  [78, 'n', 10, 'fixed', 'Transfer, number'],
  [79, 'n', 10, 'fixed', 'Transfer, reversal number'],
  [80, 'n', 10, 'fixed', 'Inquiries, number'],
  [81, 'n', 10, 'fixed', 'Authorizations, number'],
  [82, 'n', 12, 'fixed', 'Credits, processing fee amount'],
  [83, 'n', 12, 'fixed', 'Credits, transaction fee amount'],
  [84, 'n', 12, 'fixed', 'Debits, processing fee amount'],
  [85, 'n', 12, 'fixed', 'Debits, transaction fee amount'],
  [86, 'n', 16, 'fixed', 'Credits, amount'],
  [87, 'n', 16, 'fixed', 'Credits, reversal amount'],
  [88, 'n', 16, 'fixed', 'Debits, amount'],
  [89, 'n', 16, 'fixed', 'Debits, reversal amount'],
  [90, 'n', 42, 'fixed', 'Original data elements'],
  [91, 'an', 1, 'fixed', 'File update code'],
  [92, 'an', 2, 'fixed', 'File security code'],
  [93, 'an', 5, 'fixed', 'Response indicator'],
  [94, 'an', 7, 'fixed', 'Service indicator'],
  [95, 'an', 42, 'fixed', 'Replacement amounts'],
  [96, 'b', 8, 'fixed', 'Message security code'],
  [97, 'xn', 17, 'fixed', 'Amount, net settlement'],
  [98, 'ans', 25, 'fixed', 'Payee'],
  [99, 'n', 11, 'LL', 'Settlement institution identification code'],
  [100, 'n', 11, 'LL', 'Receiving institution identification code'],
  [101, 'ans', 17, 'LL', 'File name'],
  [102, 'ans', 28, 'LL', 'Account identification 1'],
  [103, 'ans', 28, 'LL', 'Account identification 2'],
  [104, 'ans', 100, 'LLL', 'Transaction description'],
];
for (let n = 105; n <= 127; n++) ROWS.push([n, 'ans', 999, 'LLL', n <= 111 ? 'Reserved (ISO)' : n <= 119 ? 'Reserved (national)' : 'Reserved (private)']);
ROWS.push([128, 'b', 8, 'fixed', 'Message authentication code (MAC)']);

/** Sub-field layouts shared by 1987 and 1993 where the standard fixes them. */
export const DE43_SUBFIELDS: FieldSpec['subfields'] = {
  kind: 'fixed',
  fields: [
    { id: '1', name: 'Name', length: 25, type: 'ans' },
    { id: '2', name: 'City', length: 13, type: 'ans' },
    { id: '3', name: 'Country', length: 2, type: 'ans' },
  ],
};
export const DE90_SUBFIELDS: FieldSpec['subfields'] = {
  kind: 'fixed',
  fields: [
    { id: '1', name: 'Original MTI', length: 4, type: 'n' },
    { id: '2', name: 'Original STAN', length: 6, type: 'n' },
    { id: '3', name: 'Original transmission date and time', length: 10, type: 'n' },
    { id: '4', name: 'Original acquiring institution id', length: 11, type: 'n' },
    { id: '5', name: 'Original forwarding institution id', length: 11, type: 'n' },
  ],
};
export const DE95_SUBFIELDS: FieldSpec['subfields'] = {
  kind: 'fixed',
  fields: [
    { id: '1', name: 'Actual amount, transaction', length: 12, type: 'an' },
    { id: '2', name: 'Actual amount, settlement', length: 12, type: 'an' },
    { id: '3', name: 'Actual amount, transaction fee', length: 9, type: 'an' },
    { id: '4', name: 'Actual amount, settlement fee', length: 9, type: 'an' },
  ],
};

export function iso87Fields(overrides: Record<number, Partial<FieldSpec>> = {}): Record<string, FieldSpec> {
  const fields: Record<string, FieldSpec> = {};
  for (const [num, type, length, prefix, name] of ROWS) fields[num] = { name, type, length, prefix, ...overrides[num] };
  fields[43].subfields = DE43_SUBFIELDS;
  fields[55].subfields = { kind: 'ber-tlv' };
  fields[90].subfields = DE90_SUBFIELDS;
  fields[95].subfields = DE95_SUBFIELDS;
  return fields;
}

// DE 55 is raw bytes in every dialect (jPOS ISO87A carries it as LLLCHAR, i.e. the bytes as they are).
const RAW55 = { 55: { encoding: 'binary' as const } };

export const iso87Ascii: MessageSpec = {
  name: 'iso87-ascii',
  description: 'ISO 8583:1987, ASCII numerics and lengths, hex-ASCII bitmap (jPOS ISO87APackager, moov-io Spec87ASCII)',
  mtiEncoding: 'ascii',
  bitmapEncoding: 'hex',
  numericEncoding: 'ascii',
  textEncoding: 'ascii',
  binaryEncoding: 'hex',
  lengthEncoding: 'ascii',
  fields: iso87Fields(RAW55),
};

export const iso87AsciiBinBitmap: MessageSpec = {
  ...iso87Ascii,
  name: 'iso87-ascii-binbitmap',
  description: 'ISO 8583:1987, ASCII numerics and lengths, 8/16-byte binary bitmap, DE 52/64/96/128 raw bytes (npm iso_8583 and many hosts)',
  bitmapEncoding: 'binary',
  binaryEncoding: 'binary',
  fields: iso87Fields(RAW55),
};

export const iso87Bcd: MessageSpec = {
  name: 'iso87-bcd',
  description: 'ISO 8583:1987, BCD numerics and length prefixes, binary bitmap (jPOS ISO87BPackager)',
  mtiEncoding: 'bcd',
  bitmapEncoding: 'binary',
  numericEncoding: 'bcd',
  textEncoding: 'ascii',
  binaryEncoding: 'binary',
  lengthEncoding: 'bcd',
  fields: iso87Fields(),
};

export const iso87Ebcdic: MessageSpec = {
  name: 'iso87-ebcdic',
  description: 'ISO 8583:1987, EBCDIC (code page 037) text, numerics and lengths, binary bitmap (IBM hosts)',
  mtiEncoding: 'ebcdic',
  bitmapEncoding: 'binary',
  numericEncoding: 'ebcdic',
  textEncoding: 'ebcdic',
  binaryEncoding: 'binary',
  lengthEncoding: 'ebcdic',
  fields: iso87Fields(),
};
