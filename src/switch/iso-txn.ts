// Stages between the wire form (ISO 8583 in the codec's canonical JSON form) and the internal transaction.
// Plain functions over plain data: isoToTxn (request → Txn or a format error), decisionToIso (request + Decision →
// response), txnToIso (Txn → request for an issuer, the inverse of isoToTxn), isoToDecision (issuer response →
// Decision), reversalFor / adviceFor (SAF messages). No I/O, no clock reads except through the `now` argument.
import type { FieldValue, IsoMessage } from '../../codecs/index.js';
import type { Decision, PinData, Txn, TxnKind } from '../model/txn.js';

/** A request too malformed to authorize; `code` is DE 39 for the answer (30 format error, 12 invalid transaction). */
export interface FormatError {
  formatError: true;
  code: '30' | '12';
  field: number | null;
  detail: string;
}

export function isFormatError(x: unknown): x is FormatError {
  return typeof x === 'object' && x !== null && (x as FormatError).formatError === true;
}

/** What an edge knows about where a request came from. */
export interface EdgeContext {
  /** Listener id, recorded in Txn.channel as `${kind}:${id}`. */
  listenerId: string;
  kind: 'iso' | 'json';
  /** DE 32 of the acquirer behind this listener. */
  acquirerId: string;
  /** The acquirer's PIN keys (names in the key store: TPK/ZPK, BDKs for DUKPT), block format and DUKPT fields. */
  pin: EdgePin | null;
}

export interface EdgePin {
  keyRef?: string;
  bdkRef?: string;
  aesBdkRef?: string;
  format: string;
  /** Field of the DUKPT KSN (default 62) and of an AES PIN block (default 52). */
  ksnField?: number;
  aesPinBlockField?: number;
}

const HEX16 = /^[0-9A-Fa-f]{16}$/;
const HEX32 = /^[0-9A-Fa-f]{32}$/;
const KSN = /^(?:[0-9A-Fa-f]{20}|[0-9A-Fa-f]{24})$/;

/**
 * The request's PIN, by what came with it: a 24-hex-digit KSN is an AES DUKPT terminal (X9.24-3; its ISO format 4
 * block, 16 bytes, in `aesPinBlockField`), a 20-digit one a TDES DUKPT terminal (X9.24-1; block in DE 52), none a
 * TPK/ZPK block in DE 52. Undefined when no PIN block came; a format error when one came malformed or without the
 * key this acquirer would need.
 */
function pinOf(msg: IsoMessage, cfg: EdgePin | null): PinData | FormatError | undefined {
  const ksnField = cfg?.ksnField ?? 62;
  const aesField = cfg?.aesPinBlockField ?? 52;
  const rawKsn = str(msg, ksnField);
  const ksn = rawKsn !== undefined && KSN.test(rawKsn) ? rawKsn.toUpperCase() : undefined;
  if (ksn !== undefined && ksn.length === 24) {
    const block = str(msg, aesField);
    if (block === undefined) {
      // A block in DE 52 beside an AES KSN that names another field for it: refused, never treated as "no PIN".
      return aesField !== 52 && str(msg, 52) !== undefined ? fe(52, `PIN block in DE 52 with an AES DUKPT KSN: this acquirer's AES blocks travel in DE ${aesField}`) : undefined;
    }
    if (!cfg?.aesBdkRef) return fe(aesField, 'AES DUKPT PIN block from an acquirer with no AES BDK configured');
    if (!HEX32.test(block)) return fe(aesField, 'AES DUKPT PIN block must be 32 hex digits (ISO 9564 format 4)');
    return { block: block.toUpperCase(), format: '48', keyRef: cfg.aesBdkRef, ksn };
  }
  const block = str(msg, 52);
  if (block === undefined) {
    // An AES block in its own field without the KSN that names its key: refused, never treated as "no PIN".
    if (cfg?.aesBdkRef && aesField !== 52 && str(msg, aesField) !== undefined) return fe(ksnField, 'AES PIN block without a 24-hex-digit KSN');
    return undefined;
  }
  const keyRef = ksn ? cfg?.bdkRef : cfg?.keyRef;
  if (!keyRef) return fe(52, ksn ? 'DUKPT PIN block from an acquirer with no BDK configured' : 'PIN block from an acquirer with no PIN key configured');
  if (!HEX16.test(block)) return fe(52, 'PIN block must be 16 hex digits');
  const pin: PinData = { block: block.toUpperCase(), format: cfg!.format, keyRef };
  if (ksn) pin.ksn = ksn;
  return pin;
}

const fe = (field: number | null, detail: string, code: '30' | '12' = '30'): FormatError => ({ formatError: true, code, field, detail });

function str(msg: IsoMessage, n: number): string | undefined {
  const v = msg.fields[n];
  return typeof v === 'string' ? v : undefined;
}

/** MTIs the switch authorizes (with their repeats). */
const AUTH_MTIS = new Set(['0100', '0101', '0200', '0201', '0220', '0221', '0400', '0401', '0420', '0421']);

export function isNetworkManagement(mti: string): boolean {
  return mti === '0800' || mti === '0801';
}

/** DE 3 positions 1–2 (transaction type) → kind, per MTI class. */
function kindOf(mti: string, pc: string, hasOriginal: boolean): TxnKind | null {
  const cls = mti.slice(0, 3);
  const type = pc.slice(0, 2);
  if (cls === '040' || cls === '042') return 'reversal';
  if (cls === '022') return 'completion';
  if (type === '31' || type === '30') return 'balance';
  if (cls === '010') return hasOriginal ? 'incremental' : type === '00' ? 'preauth' : type === '01' ? 'cash' : null;
  if (cls === '020') return type === '00' ? 'purchase' : type === '01' ? 'cash' : type === '20' ? 'refund' : null;
  return null;
}

function trimZeros(s: string): string {
  const t = s.replace(/^0+/, '');
  return t === '' ? '0' : t;
}

/** ISO request → Txn. `id` is the switch-wide id the edge assigned. */
export function isoToTxn(msg: IsoMessage, ctx: EdgeContext, id: string, now: Date): Txn | FormatError {
  const mti = msg.mti;
  if (!AUTH_MTIS.has(mti)) return fe(0, `MTI ${mti} is not handled`, '12');
  const pc = str(msg, 3);
  if (!pc || !/^\d{6}$/.test(pc)) return fe(3, 'processing code missing');
  const stan = str(msg, 11);
  if (!stan) return fe(11, 'STAN missing');
  let pan = str(msg, 2);
  const track2 = str(msg, 35);
  let expiry = str(msg, 14);
  let serviceCode: string | undefined;
  if (track2) {
    const sep = track2.search(/[=D]/);
    if (sep < 12) return fe(35, 'track 2 has no PAN separator');
    const t2pan = track2.slice(0, sep);
    if (pan && pan !== t2pan) return fe(35, 'track 2 PAN differs from DE 2');
    pan = t2pan;
    const rest = track2.slice(sep + 1);
    if (rest.length >= 4) expiry ??= rest.slice(0, 4);
    if (rest.length >= 7) serviceCode = rest.slice(4, 7);
  }
  if (!pan) return fe(2, 'PAN missing');
  const amountText = str(msg, 4);
  const de90 = msg.fields[90];
  const original = typeof de90 === 'object' ? de90 : undefined;
  const kind = kindOf(mti, pc, false);
  if (!kind) return fe(3, `processing code ${pc} not supported for ${mti}`, '12');
  if (amountText === undefined && kind !== 'balance') return fe(4, 'amount missing');
  const amount = amountText === undefined ? 0 : Number(amountText);
  if (!Number.isSafeInteger(amount)) return fe(4, 'amount not an integer');
  const currency = str(msg, 49);
  if (!currency) return fe(49, 'currency missing');
  const de32 = str(msg, 32);
  const acquirerId = de32 !== undefined ? trimZeros(de32) : ctx.acquirerId;
  if (acquirerId !== trimZeros(ctx.acquirerId)) return fe(32, `acquirer ${acquirerId} is not the acquirer of this listener`);

  const txn: Txn = { id, kind, mti, processingCode: pc, pan, amount, currency, stan, acquirerId, channel: `${ctx.kind}:${ctx.listenerId}` };
  if (expiry !== undefined) txn.expiry = expiry;
  if (track2) txn.track2 = track2;
  if (serviceCode) txn.serviceCode = serviceCode;
  const de6 = str(msg, 6);
  const de51 = str(msg, 51);
  if (de6 !== undefined && de51 !== undefined) (txn.billingAmount = Number(de6)), (txn.billingCurrency = de51);
  const de7 = str(msg, 7);
  if (de7) txn.transmittedAt = de7;
  const de12 = str(msg, 12);
  const de13 = str(msg, 13);
  if (de12 && de13) txn.localTime = `${now.getUTCFullYear()}-${de13.slice(0, 2)}-${de13.slice(2)}T${de12.slice(0, 2)}:${de12.slice(2, 4)}:${de12.slice(4)}`;
  const copy: [number, keyof Txn][] = [
    [37, 'rrn'],
    [41, 'terminalId'],
    [42, 'merchantId'],
    [18, 'mcc'],
    [22, 'posEntryMode'],
  ];
  for (const [n, k] of copy) {
    const v = str(msg, n);
    if (v !== undefined) (txn as unknown as Record<string, unknown>)[k] = k === 'terminalId' || k === 'merchantId' ? v.trimEnd() : v;
  }
  const de33 = str(msg, 33);
  if (de33) txn.forwarderId = trimZeros(de33);
  const de43 = msg.fields[43];
  if (typeof de43 === 'object') {
    txn.merchantName = (de43['1'] ?? '').trimEnd();
    if (de43['3']) txn.merchantCountry = de43['3'].trim();
  } else if (typeof de43 === 'string') txn.merchantName = de43.slice(0, 25).trimEnd();
  if (txn.posEntryMode) txn.cardPresent = !/^(01|81|10)/.test(txn.posEntryMode);
  const pin = pinOf(msg, ctx.pin);
  if (pin !== undefined) {
    if ('formatError' in pin) return pin;
    txn.pin = pin;
  }
  const de55 = msg.fields[55];
  if (typeof de55 === 'object') txn.emv = { ...de55 };
  if (kind === 'reversal' || kind === 'completion' || kind === 'incremental') {
    const o: NonNullable<Txn['original']> = {};
    if (original) {
      if (original['2'] && /[1-9]/.test(original['2'])) o.stan = original['2'];
      if (original['3'] && /[1-9]/.test(original['3'])) o.transmittedAt = original['3'];
      if (original['4'] && /[1-9]/.test(original['4'])) o.acquirerId = trimZeros(original['4']);
    }
    if (txn.rrn) o.rrn = txn.rrn;
    const de38 = str(msg, 38);
    if (de38) o.authCode = de38;
    if (!o.stan && !o.rrn) return fe(90, 'original data elements missing');
    o.acquirerId ??= acquirerId;
    txn.original = o;
  }
  return txn;
}

/** Fields a response echoes from its request (never PIN, track data or chip data). */
const ECHO = [2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 18, 19, 22, 23, 24, 25, 32, 33, 37, 41, 42, 49, 50, 51, 90, 100];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** DE 54 additional amount: account type 00, amount type (01 ledger, 02 available), currency, C/D, 12 digits. */
function additionalAmount(type: '01' | '02', currency: string, amount: number): string {
  return `00${type}${currency}${amount < 0 ? 'D' : 'C'}${pad(Math.abs(amount), 12)}`;
}

/** The answer to `req` carrying `d`. Works for any request MTI (0100 → 0110, 0421 → 0430 …). */
export function decisionToIso(req: IsoMessage, d: Pick<Decision, 'responseCode' | 'approvedAmount' | 'authCode' | 'availableBalance' | 'ledgerBalance' | 'arpc'>): IsoMessage {
  const mti = responseMtiOf(req.mti);
  const fields: Record<string, FieldValue> = {};
  for (const n of ECHO) {
    const v = req.fields[n];
    if (v !== undefined) fields[n] = v;
  }
  fields[39] = d.responseCode;
  if (d.authCode) fields[38] = d.authCode;
  if (d.responseCode === '10' && typeof req.fields[4] === 'string') fields[4] = pad(d.approvedAmount, 12);
  const currency = typeof req.fields[49] === 'string' ? (req.fields[49] as string) : undefined;
  if (currency && (d.availableBalance !== undefined || d.ledgerBalance !== undefined)) {
    let de54 = '';
    if (d.ledgerBalance !== undefined) de54 += additionalAmount('01', currency, d.ledgerBalance);
    if (d.availableBalance !== undefined) de54 += additionalAmount('02', currency, d.availableBalance);
    fields[54] = de54;
  }
  if (d.arpc && typeof req.fields[55] === 'object') {
    const arc = Buffer.from(d.responseCode.padEnd(2, '0').slice(0, 2), 'ascii').toString('hex').toUpperCase();
    fields[55] = { '91': d.arpc.length === 16 ? d.arpc + arc : d.arpc };
  }
  return { mti, fields };
}

/** '0200' → '0210', '0201' → '0210', '0421' → '0430', '0800' → '0810'. */
export function responseMtiOf(mti: string): string {
  const f = mti.charCodeAt(2) - 48;
  return mti.slice(0, 2) + String(f % 2 === 0 ? f + 1 : f) + '0';
}

/** Answer to an acquirer's network management request (0800 sign-on / echo / sign-off): always 00. */
export function networkResponse(req: IsoMessage): IsoMessage {
  const fields: Record<string, FieldValue> = {};
  for (const n of [7, 11, 32, 33, 70]) if (req.fields[n] !== undefined) fields[n] = req.fields[n];
  fields[39] = '00';
  return { mti: '0810', fields };
}

/** DE 7 (MMDDhhmmss, GMT). */
export function transmissionTime(now: Date): string {
  return pad(now.getUTCMonth() + 1, 2) + pad(now.getUTCDate(), 2) + pad(now.getUTCHours(), 2) + pad(now.getUTCMinutes(), 2) + pad(now.getUTCSeconds(), 2);
}

const KIND_MTI: Record<TxnKind, string> = {
  preauth: '0100',
  incremental: '0100',
  balance: '0100',
  purchase: '0200',
  cash: '0200',
  refund: '0200',
  completion: '0220',
  reversal: '0420',
};

/**
 * Txn → request for an issuer (canonical form; the issuer link's spec encodes it, which is the dialect translation).
 * `stan` is the link's own STAN; `forwarderId` the switch's institution id (DE 33); `pinBlock` the block already
 * translated to the issuer's ZPK (never the acquirer's).
 */
export function txnToIso(txn: Txn, o: { stan: string; now: Date; forwarderId: string; receiverId?: string; pinBlock?: string }): IsoMessage {
  const f: Record<string, FieldValue> = {};
  if (txn.pan && !txn.track2) f[2] = txn.pan;
  f[3] = txn.processingCode;
  f[4] = pad(txn.amount, 12);
  if (txn.billingAmount !== undefined && txn.billingCurrency) (f[6] = pad(txn.billingAmount, 12)), (f[51] = txn.billingCurrency);
  f[7] = transmissionTime(o.now);
  f[11] = o.stan;
  if (txn.localTime && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(txn.localTime)) {
    f[12] = txn.localTime.slice(11, 13) + txn.localTime.slice(14, 16) + txn.localTime.slice(17, 19);
    f[13] = txn.localTime.slice(5, 7) + txn.localTime.slice(8, 10);
  }
  if (txn.expiry && !txn.track2) f[14] = txn.expiry;
  if (txn.mcc) f[18] = txn.mcc;
  if (txn.posEntryMode) f[22] = txn.posEntryMode;
  f[32] = txn.acquirerId;
  f[33] = o.forwarderId;
  if (txn.track2) f[35] = txn.track2;
  if (txn.rrn) f[37] = txn.rrn;
  if (txn.original?.authCode) f[38] = txn.original.authCode;
  if (txn.terminalId) f[41] = txn.terminalId.padEnd(8, ' ').slice(0, 8);
  if (txn.merchantId) f[42] = txn.merchantId.padEnd(15, ' ').slice(0, 15);
  if (txn.merchantName !== undefined) f[43] = { '1': txn.merchantName.padEnd(25, ' ').slice(0, 25), '2': ' '.repeat(13), '3': (txn.merchantCountry ?? '  ').padEnd(2, ' ').slice(0, 2) };
  f[49] = txn.currency;
  if (o.pinBlock) f[52] = o.pinBlock;
  if (txn.emv) f[55] = { ...txn.emv };
  if (txn.original && (txn.kind === 'reversal' || txn.kind === 'completion' || txn.kind === 'incremental')) {
    f[90] = {
      '1': KIND_MTI[txn.kind === 'reversal' ? 'purchase' : 'preauth'],
      '2': txn.original.stan ?? '000000',
      '3': txn.original.transmittedAt ?? '0000000000',
      '4': pad(Number(txn.original.acquirerId ?? txn.acquirerId), 11),
      '5': pad(0, 11),
    };
  }
  if (o.receiverId) f[100] = o.receiverId;
  return { mti: KIND_MTI[txn.kind], fields: f };
}

/** The issuer's answer → Decision. Unknown or missing DE 39 is a system error (96). */
export function isoToDecision(resp: IsoMessage, txn: Txn, issuerId: string): Decision {
  const code = typeof resp.fields[39] === 'string' && /^[0-9A-Z]{2}$/.test(resp.fields[39] as string) ? (resp.fields[39] as string) : '96';
  const approved = code === '00' || code === '10' || code === '08' || code === '11';
  let approvedAmount = 0;
  if (approved) approvedAmount = code === '10' && typeof resp.fields[4] === 'string' ? Number(resp.fields[4]) : txn.amount;
  const d: Decision = { txnId: txn.id, responseCode: code, approved, approvedAmount, reasons: [{ check: 'issuer', ok: approved, detail: `${issuerId} answered ${code}` }] };
  const de38 = resp.fields[38];
  if (typeof de38 === 'string' && de38.trim()) d.authCode = de38;
  const de54 = resp.fields[54];
  if (typeof de54 === 'string') {
    for (let i = 0; i + 20 <= de54.length; i += 20) {
      const type = de54.slice(i + 2, i + 4);
      const amount = Number(de54.slice(i + 8, i + 20)) * (de54[i + 7] === 'D' ? -1 : 1);
      if (type === '02') d.availableBalance = amount;
      else if (type === '01') d.ledgerBalance = amount;
    }
  }
  const de55 = resp.fields[55];
  if (typeof de55 === 'object' && de55['91']) d.arpc = de55['91'].slice(0, 16);
  return d;
}

/**
 * 0420 reversal of a request the issuer did not answer: the request's identifying fields, DE 39 = 68 (response
 * received too late), DE 90 naming the original. PIN and chip data are not repeated.
 */
export function reversalFor(sent: IsoMessage, o: { stan: string; now: Date }): IsoMessage {
  const fields: Record<string, FieldValue> = {};
  for (const n of [2, 3, 4, 6, 12, 13, 14, 18, 22, 32, 33, 35, 37, 38, 41, 42, 43, 49, 51, 100]) if (sent.fields[n] !== undefined) fields[n] = sent.fields[n];
  fields[7] = transmissionTime(o.now);
  fields[11] = o.stan;
  fields[39] = '68';
  fields[90] = {
    '1': sent.mti,
    '2': String(sent.fields[11] ?? '000000'),
    '3': String(sent.fields[7] ?? '0000000000'),
    '4': pad(Number(sent.fields[32] ?? 0), 11),
    '5': pad(Number(sent.fields[33] ?? 0), 11),
  };
  return { mti: '0420', fields };
}

/** 0120 advice of a stand-in decision: the request plus DE 38/39 as the switch decided, DE 60 = 'STIP'. */
export function adviceFor(req: IsoMessage, d: Decision, o: { stan: string; now: Date }): IsoMessage {
  const fields: Record<string, FieldValue> = { ...req.fields };
  delete fields[52];
  delete fields[64];
  delete fields[128];
  fields[7] = transmissionTime(o.now);
  fields[11] = o.stan;
  fields[39] = d.responseCode;
  if (d.authCode) fields[38] = d.authCode;
  else delete fields[38];
  if (d.approved) fields[4] = pad(d.approvedAmount, 12);
  fields[60] = 'STIP';
  return { mti: '0120', fields };
}
