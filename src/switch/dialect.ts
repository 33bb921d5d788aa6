// ISO 8583 version remapping at the wire edges: inside, the switch speaks one shape (1987 MTIs and fields, as
// isoToTxn / txnToIso / decisionToIso build them); a link or listener whose spec is a 1993 dialect converts on the
// way out (to1993) and on the way in (from1993). Plain functions over canonical messages, no I/O.
//
// What changes between the versions (ISO 8583:1987 → ISO 8583-1:1993):
//   MTI            version digit 0 → 1; network management 0800/0810 → 1804/1814
//   DE 12 (+13)    hhmmss + MMDD → YYMMDDhhmmss (DE 13 is "date, effective" in 1993: not carried over)
//   DE 22          POS entry mode n3 → POS data code an12 (card data input mode, PIN capture, cardholder auth method)
//   DE 24          new: function code (100 authorization, 200 financial, 400 reversal, 801/802/831 network)
//   DE 25          POS condition code n2 → message reason code n4 (reversal reason: 4021 timeout, 4000 cancellation)
//   DE 39          response code an2 → action code n3 (table below); a 1987 reversal's DE 39 reason moves to DE 25
//   DE 43          40 fixed characters (name 25, city 13, country 2) → LL..99 text (same 40 characters)
//   DE 56 / 90     original data elements: DE 90 (n42, fixed) → DE 56 (LL..35: MTI, STAN, date-time, acquirer)
//   DE 70          network management code → DE 24 (001 → 801 sign-on, 002 → 802 sign-off, 301 → 831 echo)
// A spec speaks 1993 when its DE 39 is the three-digit action code: the spec data says so, no dialect names.
import type { CompiledSpec, FieldValue, IsoMessage } from '../../codecs/index.js';

export interface Dialect {
  version: 1987 | 1993;
  /** The switch's internal (1987-shaped) message → the wire version. */
  toWire(m: IsoMessage, now?: Date): IsoMessage;
  /** A message as received → the switch's internal shape. */
  fromWire(m: IsoMessage): IsoMessage;
}

const SAME: Dialect = { version: 1987, toWire: (m) => m, fromWire: (m) => m };
const V93: Dialect = { version: 1993, toWire: (m, now) => to1993(m, now), fromWire: from1993 };

export function dialectOf(spec: CompiledSpec): Dialect {
  const de39 = spec.source.fields['39'];
  return de39 && de39.type === 'n' && de39.length === 3 ? V93 : SAME;
}

/** 1987 response code ↔ 1993 action code, both ways for these pairs. */
const PAIRS: [string, string][] = [
  ['00', '000'], ['08', '001'], ['10', '002'], ['11', '003'],
  ['05', '100'], ['54', '101'], ['59', '102'], ['62', '104'], ['75', '106'], ['03', '109'], ['13', '110'],
  ['14', '111'], ['51', '116'], ['55', '117'], ['56', '118'], ['57', '119'], ['58', '120'], ['61', '121'],
  ['65', '123'], ['04', '200'], ['41', '208'], ['43', '209'],
  ['12', '902'], ['30', '904'], ['91', '907'], ['96', '909'], ['94', '913'], ['25', '914'],
];
const TO_ACTION = new Map(PAIRS);
const FROM_ACTION = new Map(PAIRS.map(([a, b]) => [b, a] as [string, string]));
// 1993 codes without their own 1987 pair.
for (const [b, a] of [['911', '91'], ['912', '91'], ['400', '00'], ['800', '00'], ['906', '91'], ['910', '91']] as const) FROM_ACTION.set(b, a);

export function actionCodeOf(code87: string, mti93: string): string {
  if (code87 === '00' && mti93.startsWith('143')) return '400'; // reversal accepted
  if (code87 === '00' && mti93.startsWith('18')) return '800'; // network management accepted
  return TO_ACTION.get(code87) ?? '909';
}

export function responseCodeOf(action: string): string {
  const c = FROM_ACTION.get(action);
  if (c) return c;
  // Unlisted codes by their class: 0xx approved, 1xx declined, 2xx pick up, 9xx system.
  switch (action[0]) {
    case '0':
      return '00';
    case '1':
      return '05';
    case '2':
      return '04';
    default:
      return '96';
  }
}

const NET_TO_FUNCTION: Record<string, string> = { '001': '801', '002': '802', '301': '831' };
const FUNCTION_TO_NET: Record<string, string> = { '801': '001', '802': '002', '831': '301' };
const REVERSAL_REASON: Record<string, string> = { '68': '4021', '17': '4000' };
const REASON_TO_87: Record<string, string> = { '4021': '68', '4000': '17' };

function mtiTo93(mti: string): string {
  if (mti[0] !== '0') return mti;
  if (mti === '0800') return '1804';
  if (mti === '0810') return '1814';
  return '1' + mti.slice(1);
}

function mtiFrom93(mti: string): string {
  if (mti[0] !== '1') return mti;
  if (mti.startsWith('180')) return '0800';
  if (mti.startsWith('181')) return '0810';
  return '0' + mti.slice(1);
}

/** Function code (DE 24) of a 1993 request by its MTI class. */
function functionCode(mti93: string): string | undefined {
  switch (mti93.slice(0, 2)) {
    case '11':
      return '100';
    case '12':
      return '200';
    case '14':
      return '400';
    default:
      return undefined;
  }
}

/** YY for a MMDD date near `now` (a date more than six months ahead is last year's). */
function yearFor(mmdd: string, now: Date): string {
  let y = now.getUTCFullYear();
  const month = Number(mmdd.slice(0, 2));
  if (month - (now.getUTCMonth() + 1) > 6) y--;
  else if (now.getUTCMonth() + 1 - month > 6) y++;
  return String(y % 100).padStart(2, '0');
}

/** 1987 POS entry mode (PAN entry 2 digits + PIN capability 1 digit) → 1993 POS data code (12 positions). */
export function posDataCode(entry: string, hasPin: boolean): string {
  const pan = entry.slice(0, 2);
  const input = pan === '01' || pan === '81' ? '6' : pan === '02' || pan === '90' || pan === '91' ? '2' : pan === '05' || pan === '07' ? '5' : '0';
  const pinCap = entry[2] === '1' ? 'C' : entry[2] === '2' ? '0' : '1';
  const cardholderPresent = pan === '81' ? '5' : '0';
  // Positions 1–4 and 6, 9–11 unknown (0); 5 cardholder present; 7 card data input mode; 8 PIN as auth method;
  // 12 PIN capture capability.
  return '0000' + cardholderPresent + '0' + input + (hasPin ? '1' : '0') + '000' + pinCap;
}

export function posEntryMode(code: string): string {
  const input = code[6];
  const pan = input === '6' ? (code[4] === '5' ? '81' : '01') : input === '2' ? '90' : input === '5' ? '05' : '00';
  const pin = code[11] === '0' ? '2' : code[11] === '1' || code[11] === undefined ? '0' : '1';
  return pan + pin;
}

function str(f: Record<string, FieldValue>, n: number): string | undefined {
  const v = f[n];
  return typeof v === 'string' ? v : undefined;
}

/** The switch's 1987-shaped message in 1993 form. Idempotent: fields already in 1993 form are left alone. */
export function to1993(m: IsoMessage, now = new Date()): IsoMessage {
  const f: Record<string, FieldValue> = { ...m.fields };
  const mti = mtiTo93(m.mti);
  const isRequest = (Number(mti[2]) & 1) === 0;
  const net = str(f, 70);
  if (net !== undefined && mti.startsWith('18')) {
    if (NET_TO_FUNCTION[net]) f[24] = NET_TO_FUNCTION[net];
    delete f[70];
  } else if (isRequest && f[24] === undefined) {
    const fc = functionCode(mti);
    if (fc) f[24] = fc;
  }
  const t = str(f, 12);
  if (t !== undefined && t.length === 6) {
    const d = str(f, 13) ?? str(f, 7)?.slice(0, 4) ?? '0101';
    f[12] = yearFor(d, now) + d + t;
    delete f[13];
  } else if (t === undefined) delete f[13];
  const pos = str(f, 22);
  if (pos !== undefined && pos.length === 3) f[22] = posDataCode(pos, f[52] !== undefined);
  if (str(f, 25)?.length === 2) delete f[25]; // POS condition code: no 1993 counterpart
  const de39 = str(f, 39);
  if (de39 !== undefined && de39.length === 2) {
    if (isRequest && mti.startsWith('14')) {
      f[25] = REVERSAL_REASON[de39] ?? '4000';
      delete f[39];
    } else f[39] = actionCodeOf(de39, mti);
  }
  const de43 = f[43];
  if (de43 && typeof de43 === 'object') f[43] = `${de43['1'] ?? ''}`.padEnd(25, ' ') + `${de43['2'] ?? ''}`.padEnd(13, ' ') + `${de43['3'] ?? ''}`.padEnd(2, ' ');
  const de90 = f[90];
  if (de90 && typeof de90 === 'object') {
    const de7 = (de90['3'] ?? '0000000000').padStart(10, '0');
    const acq = String(Number(de90['4'] ?? '0'));
    f[56] = mtiTo93(de90['1'] ?? '0200') + (de90['2'] ?? '000000') + yearFor(de7.slice(0, 4), now) + de7 + String(acq.length).padStart(2, '0') + acq;
    delete f[90];
  }
  return { mti, fields: f };
}

/** A 1993 message as the switch handles it inside (1987 shape). Idempotent on 1987 fields. */
export function from1993(m: IsoMessage): IsoMessage {
  const f: Record<string, FieldValue> = { ...m.fields };
  const mti = mtiFrom93(m.mti);
  const fc = str(f, 24);
  if (fc !== undefined) {
    if (mti.startsWith('08') && FUNCTION_TO_NET[fc]) f[70] = FUNCTION_TO_NET[fc];
    delete f[24];
  }
  const t = str(f, 12);
  if (t !== undefined && t.length === 12) {
    f[12] = t.slice(6);
    f[13] = t.slice(2, 6);
  }
  const pos = str(f, 22);
  if (pos !== undefined && pos.length === 12) f[22] = posEntryMode(pos);
  const reason = str(f, 25);
  if (reason !== undefined && reason.length === 4) {
    if (mti.startsWith('04') && f[39] === undefined) f[39] = REASON_TO_87[reason] ?? '17';
    delete f[25];
  }
  const de39 = str(f, 39);
  if (de39 !== undefined && de39.length === 3) f[39] = responseCodeOf(de39);
  const de43 = str(f, 43);
  if (de43 !== undefined) {
    const p = de43.padEnd(40, ' ');
    f[43] = { '1': p.slice(0, 25), '2': p.slice(25, 38), '3': p.slice(38, 40) };
  }
  const de56 = str(f, 56);
  if (de56 !== undefined && de56.length >= 22) {
    const len = Number(de56.slice(22, 24));
    const acq = Number.isInteger(len) && len > 0 ? de56.slice(24, 24 + len) : '0';
    f[90] = { '1': mtiFrom93(de56.slice(0, 4)), '2': de56.slice(4, 10), '3': de56.slice(12, 22), '4': acq.padStart(11, '0'), '5': '00000000000' };
    delete f[56];
  }
  return { mti, fields: f };
}
