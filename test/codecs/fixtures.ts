// Realistic messages shared by the codec tests (canonical JSON form) and byte helpers for hand-built vectors.
import { decodeTlv, type IsoMessage } from '../../codecs/index.js';

/** Hex text (spaces allowed) → bytes. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** ASCII text → bytes. */
export const asc = (s: string): Buffer => Buffer.from(s, 'latin1');
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

/** A DE 55 as a terminal sends it for an online ARQC (tags per EMV Book 3 Annex A; values made up but well formed). */
export const EMV_REQUEST: Record<string, string> = {
  '9F26': '1122334455667788', // Application Cryptogram (ARQC)
  '9F27': '80', // CID: ARQC
  '9F10': '06010A03A0B800', // Issuer Application Data (Visa CVN 10 shape)
  '9F37': '12345678', // Unpredictable Number
  '9F36': '0001', // ATC
  '95': '0000000000', // TVR
  '9A': '251125', // Transaction Date YYMMDD
  '9C': '00', // Transaction Type: goods and services
  '9F02': '000000005000', // Amount, Authorised
  '5F2A': '0360', // Currency IDR
  '82': '1980', // AIP
  '9F1A': '0360', // Terminal Country Code ID
  '9F33': 'E0F8C8', // Terminal Capabilities
  '9F34': '420300', // CVM Results: online PIN
  '84': 'A0000000031010', // DF Name (Visa credit AID)
};
/** Its BER-TLV bytes, written out tag by tag (tag, one-byte length, value): 96 bytes. */
export const EMV_REQUEST_BYTES = hex(
  '9F2608 1122334455667788  9F2701 80  9F1007 06010A03A0B800  9F3704 12345678  9F3602 0001' +
    '9505 0000000000  9A03 251125  9C01 00  9F0206 000000005000  5F2A02 0360  8202 1980' +
    '9F1A02 0360  9F3303 E0F8C8  9F3403 420300  8407 A0000000031010',
);
export const EMV_RESPONSE: Record<string, string> = { '91': '0A0B0C0D0E0F10113030', '8A': '3030' };

const track2 = '4761739001010119=22122011758928889';
const de43 = { '1': 'ACME STORE               ', '2': 'JAKARTA      ', '3': 'ID' };

export function msg0200(): IsoMessage {
  return {
    mti: '0200',
    fields: {
      '2': '4761739001010119',
      '3': '000000',
      '4': '000000005000',
      '7': '1125103000',
      '11': '000123',
      '12': '173000',
      '13': '1125',
      '14': '2212',
      '18': '5411',
      '22': '051',
      '25': '00',
      '32': '423935',
      '35': track2,
      '37': '532910000123',
      '41': 'TERM0001',
      '42': 'MERCHANT0000001',
      '43': de43,
      '49': '360',
      '52': '7434F67813BAE545',
      // decodeTlv keeps the wire order (a plain object would put integer-like tags 82, 84, 95 first).
      '55': decodeTlv(EMV_REQUEST_BYTES),
    },
  };
}

export function msg0210(): IsoMessage {
  const req = msg0200().fields;
  return {
    mti: '0210',
    fields: {
      '2': req['2'], '3': req['3'], '4': req['4'], '7': req['7'], '11': req['11'], '12': req['12'], '13': req['13'],
      '32': req['32'], '37': req['37'], '38': 'A1B2C3', '39': '00', '41': req['41'], '42': req['42'], '49': req['49'],
      '55': { ...EMV_RESPONSE },
    },
  };
}

export function msg0100(): IsoMessage {
  const m = msg0200();
  m.mti = '0100';
  delete m.fields['52'];
  return m;
}

export function msg0110(): IsoMessage {
  const m = msg0210();
  m.mti = '0110';
  return m;
}

export function msg0420(): IsoMessage {
  const req = msg0200().fields;
  return {
    mti: '0420',
    fields: {
      '2': req['2'], '3': req['3'], '4': req['4'], '7': '1125103100', '11': '000124', '32': req['32'], '37': req['37'],
      '39': '68', '41': req['41'], '42': req['42'], '49': req['49'],
      '90': { '1': '0200', '2': '000123', '3': '1125103000', '4': '00000423935', '5': '00000000000' },
      '95': { '1': '000000000000', '2': '000000000000', '3': 'C00000000', '4': 'C00000000' },
    },
  };
}

export function msg0430(): IsoMessage {
  const m = msg0420();
  m.mti = '0430';
  delete m.fields['95'];
  m.fields['39'] = '00';
  return m;
}

export function msg0800(): IsoMessage {
  return { mti: '0800', fields: { '7': '1125103000', '11': '000001', '70': '301' } };
}

export function msg0810(): IsoMessage {
  return { mti: '0810', fields: { '7': '1125103000', '11': '000001', '39': '00', '70': '301' } };
}

/** ISO 8583:1993 versions (MTI version digit 1; DE 12 is YYMMDDhhmmss, DE 39 a 3-digit action code, DE 24 function code). */
export function msg93(mti: string): IsoMessage {
  const base: IsoMessage = {
    mti,
    fields: {
      '2': '4761739001010119', '3': '000000', '4': '000000005000', '7': '1125103000', '11': '000123',
      '12': '251125173000', '22': '51010151134C', '24': '200', '32': '423935', '37': '532910000123',
      '41': 'TERM0001', '42': 'MERCHANT0000001', '43': 'ACME STORE>JAKARTA ID', '49': '360',
    },
  };
  const f = mti[2];
  if (f === '1' || f === '3') base.fields['39'] = '000';
  if (mti.startsWith('18')) return { mti, fields: { '7': '1125103000', '11': '000001', '24': '831', ...(f === '1' ? { '39': '800' } : {}) } };
  if (mti === '1200' || mti === '1100') base.fields['55'] = { ...EMV_REQUEST };
  if (mti === '1420' || mti === '1430') base.fields['56'] = '1200000123251125173000';
  return base;
}

export const ALL_1987 = { '0100': msg0100, '0110': msg0110, '0200': msg0200, '0210': msg0210, '0420': msg0420, '0430': msg0430, '0800': msg0800, '0810': msg0810 };
export const ALL_1993 = ['1100', '1110', '1200', '1210', '1420', '1430', '1804', '1814'];
