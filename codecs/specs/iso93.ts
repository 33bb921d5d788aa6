// ISO 8583:1993 field definitions for the fields that changed from 1987 (ISO 8583-1:1993 table, as jPOS
// ISO93APackager); fields 66..128 keep the 1987 layout, which is what most 1993 hosts use for them.
import type { FieldSpec, MessageSpec } from '../spec.js';
import { iso87Fields } from './iso87.js';

const CHANGES: Record<number, FieldSpec> = {
  12: { name: 'Date and time, local transaction (YYMMDDhhmmss)', type: 'n', length: 12 },
  13: { name: 'Date, effective (YYMM)', type: 'n', length: 4 },
  15: { name: 'Date, settlement (YYMMDD)', type: 'n', length: 6 },
  22: { name: 'Point of service data code', type: 'an', length: 12 },
  24: { name: 'Function code', type: 'n', length: 3 },
  25: { name: 'Message reason code', type: 'n', length: 4 },
  26: { name: 'Card acceptor business code', type: 'n', length: 4 },
  27: { name: 'Approval code length', type: 'n', length: 1 },
  28: { name: 'Date, reconciliation', type: 'n', length: 6 },
  29: { name: 'Reconciliation indicator', type: 'n', length: 3 },
  30: { name: 'Amounts, original', type: 'n', length: 24 },
  31: { name: 'Acquirer reference data', type: 'ans', length: 99, prefix: 'LL' },
  36: { name: 'Track 3 data', type: 'ns', length: 104, prefix: 'LLL' },
  37: { name: 'Retrieval reference number', type: 'anp', length: 12 },
  38: { name: 'Approval code', type: 'anp', length: 6 },
  39: { name: 'Action code', type: 'n', length: 3 },
  40: { name: 'Service code', type: 'n', length: 3 },
  43: { name: 'Card acceptor name/location', type: 'ans', length: 99, prefix: 'LL' },
  44: { name: 'Additional response data', type: 'ans', length: 99, prefix: 'LL' },
  46: { name: 'Amounts, fees', type: 'ans', length: 204, prefix: 'LLL' },
  53: { name: 'Security related control information', type: 'b', length: 48, prefix: 'LL' },
  56: { name: 'Original data elements', type: 'n', length: 35, prefix: 'LL' },
  57: { name: 'Authorization life cycle code', type: 'n', length: 3 },
  58: { name: 'Authorizing agent institution identification code', type: 'n', length: 11, prefix: 'LL' },
  59: { name: 'Transport data', type: 'ans', length: 999, prefix: 'LLL' },
};

function iso93Fields(): Record<string, FieldSpec> {
  const fields = iso87Fields({ 55: { encoding: 'binary' } });
  for (const [num, f] of Object.entries(CHANGES)) fields[num] = f;
  fields[53] = { ...fields[53], encoding: 'binary' };
  return fields;
}

export const iso93Ascii: MessageSpec = {
  name: 'iso93-ascii',
  description: 'ISO 8583:1993 field definitions, ASCII numerics and lengths, hex-ASCII bitmap (jPOS ISO93APackager)',
  mtiEncoding: 'ascii',
  bitmapEncoding: 'hex',
  numericEncoding: 'ascii',
  textEncoding: 'ascii',
  binaryEncoding: 'hex',
  lengthEncoding: 'ascii',
  fields: iso93Fields(),
};
