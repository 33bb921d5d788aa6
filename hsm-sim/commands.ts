// The host commands: a table of code → handler. A handler reads its fields with the one parser (Fields), does the
// crypto with clear keys that exist only in this process, and returns the response fields after the error code
// ('00'), or throws HsmFail with the payShield error code ('01' = verification failed).
import { randomBytes, type KeyObject } from 'node:crypto';
import * as c from './crypto/index.js';
import { HsmFail } from './errors.js';
import { Fields } from './fields.js';
import { KEY_TYPE_CODES, LmkKeys, type ClearKey } from './keys.js';

export interface Ctx {
  keys: LmkKeys;
  /** Clear-PIN commands (BA) are allowed only with the test LMK or --dev. */
  dev: boolean;
  firmware: string;
  /** The HSM's X25519 transport key pair (XE/XG), generated once per process; the private half never leaves memory. */
  transport: c.X25519Pair;
}
export type Handler = (f: Fields, ctx: Ctx) => string;

const FORMATS = ['01', '05', '47', '48'] as const;
type Fmt = (typeof FORMATS)[number];
const MAX_MAC_DATA = 8192;
const SINGLE_PAIR_CODES: Record<string, string> = { '00': '000', '01': '001', '02': '002', '03': '003', '08': '008', '09': '009' };

function keyTypeCode(f: Fields): string {
  const t = f.take(3, 'key type').toUpperCase();
  if (!c.isKeyTypeCode(t)) throw new HsmFail('04', `invalid key type code ${t}`);
  return t;
}

function kcvOf(k: ClearKey, bytes = 3): string {
  return c.kcv(k.key, { aes: k.aes, bytes });
}

// ---- PIN helpers: the account field is 12N, or (when ISO format 4 is involved) 2N length + full PAN ----

interface Account {
  acct12: string;
  pan?: string;
}
function accountField(f: Fields, formats: Fmt[]): Account {
  if (formats.includes('48')) {
    const n = Number(f.digits(2, 'PAN length'));
    if (n < 12 || n > 19) throw new HsmFail('15', 'PAN length must be 12..19');
    const pan = f.digits(n, 'PAN');
    return { pan, acct12: pan.slice(-13, -1).padStart(12, '0') };
  }
  return { acct12: f.digits(12, 'account number') };
}
function pinBlockField(f: Fields, k: ClearKey): Buffer {
  return Buffer.from(f.hex(k.aes ? 32 : 16, 'PIN block'), 'hex');
}
function checkFormatKey(fmt: Fmt, k: ClearKey): void {
  if ((fmt === '48') !== k.aes) throw new HsmFail('23', `PIN block format ${fmt} does not fit a ${k.aes ? 'AES' : 'DES'} key`);
}
function openPin(k: ClearKey, block: Buffer, fmt: Fmt, acct: Account): string {
  checkFormatKey(fmt, k);
  return wrapPinErrors(() => {
    if (fmt === '48') return c.decryptPinBlock4(k.key, block, acct.pan ?? '', k.once ? c.aesDecryptorOnce(k.key) : c.aesDecryptor(k.key));
    const clear = k.once ? c.tdesDecryptorOnce(k.key)(block) : c.tdesEcbDecrypt(k.key, block);
    return c.decodePinBlock(c.FORMAT_CODES[fmt] as 0 | 1 | 3, clear, acct.acct12);
  });
}
function closePin(k: ClearKey, pin: string, fmt: Fmt, acct: Account): string {
  checkFormatKey(fmt, k);
  return wrapPinErrors(() => {
    const out = fmt === '48' ? c.encryptPinBlock4(k.key, pin, acct.pan ?? '') : c.tdesEcbEncrypt(k.key, c.encodePinBlock(c.FORMAT_CODES[fmt] as 0 | 1 | 3, pin, acct.acct12));
    return c.toHex(out);
  });
}
function wrapPinErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof c.PinBlockError) throw new HsmFail(e.code, e.message);
    throw e;
  }
}
function translated(pin: string, block: string, fmt: Fmt): string {
  return String(pin.length).padStart(2, '0') + block + fmt;
}

function translate(src: ClearKey, dst: ClearKey, f: Fields): string {
  const maxLen = Number(f.digits(2, 'maximum PIN length'));
  const block = pinBlockField(f, src);
  const sf = f.oneOf(2, FORMATS, 'source format', '23');
  const df = f.oneOf(2, FORMATS, 'destination format', '23');
  const acct = accountField(f, [sf, df]);
  f.end();
  checkFormatKey(sf, src);
  checkFormatKey(df, dst);
  const pin = openPin(src, block, sf, acct);
  if (pin.length > maxLen) throw new HsmFail('24', 'PIN longer than the maximum PIN length');
  return translated(pin, closePin(dst, pin, df, acct), df);
}

// ---- DUKPT ----
/** The KSN descriptor and KSN fields, and the terminal's current PIN key derived from the BDK (one-use key). */
function dukptPinKey(f: Fields, ctx: Ctx, bdkField: string, bdk: ClearKey): ClearKey {
  const desc = f.oneOf(3, ['020', '024'] as const, 'KSN descriptor');
  const ksn = Buffer.from(f.hex(Number(desc), 'KSN'), 'hex');
  if ((desc === '024') !== bdk.aes) throw new HsmFail('27', 'KSN descriptor does not fit the BDK (020 TDES, 024 AES)');
  if (bdk.aes) {
    if (ksn.readUInt32BE(8) === 0) throw new HsmFail('15', 'KSN counter 0');
    return { key: ctx.keys.dukpt.aesPinKey(bdkField, bdk.key, ksn), aes: true, once: true };
  }
  return { key: ctx.keys.dukpt.tdesPinKey(bdkField, bdk.key, ksn), aes: false, once: true };
}

function dukptTranslate(f: Fields, ctx: Ctx, withSourceFormat: boolean): string {
  const bdkField = f.key('BDK', '10');
  const bdk = ctx.keys.decrypt('009', bdkField, '10');
  const zpk = ctx.keys.decrypt('001', f.key('ZPK', '11'), '11');
  const pinKey = dukptPinKey(f, ctx, bdkField, bdk);
  const block = pinBlockField(f, pinKey);
  const sf: Fmt = withSourceFormat ? f.oneOf(2, FORMATS, 'source format', '23') : '01';
  const df = f.oneOf(2, FORMATS, 'destination format', '23');
  const acct = accountField(f, [sf, df]);
  f.end();
  checkFormatKey(sf, pinKey);
  checkFormatKey(df, zpk);
  const pin = openPin(pinKey, block, sf, acct);
  return translated(pin, closePin(zpk, pin, df, acct), df);
}

// ---- PIN verification ----
function ibmVerify(f: Fields, ctx: Ctx, srcType: string): string {
  const src = ctx.keys.decrypt(srcType, f.key(srcType === '002' ? 'TPK' : 'ZPK', '10'), '10');
  const pvk = pvkField(f, ctx);
  const maxLen = Number(f.digits(2, 'maximum PIN length'));
  return offsetCheck(f, src, pvk, maxLen);
}
/** The fields after the keys of an IBM 3624 offset verification (DA/EA/GO): PIN block … offset. */
function offsetCheck(f: Fields, src: ClearKey, pvk: ClearKey, maxLen: number): string {
  const block = pinBlockField(f, src);
  const fmt = f.oneOf(2, FORMATS, 'PIN block format', '23');
  const checkLen = Number(f.digits(2, 'check length'));
  const acct = accountField(f, [fmt]);
  const table = f.digits(16, 'decimalisation table', '25');
  const vdata = Buffer.from(f.hex(16, 'PIN validation data'), 'hex');
  const offset = f.take(12, 'offset').toUpperCase();
  f.end();
  if (!/^[0-9]{4,12}F*$/.test(offset)) throw new HsmFail('15', 'offset must be 4..12 digits, F-padded');
  if (checkLen < 4 || checkLen > 12) throw new HsmFail('15', 'check length must be 04..12');
  const pin = openPin(src, block, fmt, acct);
  if (pin.length > maxLen) throw new HsmFail('24', 'PIN longer than the maximum PIN length');
  if (!c.ibmVerify(pvk.key, vdata, table, pin, offset.replace(/F+$/, ''), checkLen)) throw new HsmFail('01', 'PIN verification failed');
  return '';
}
function visaVerify(f: Fields, ctx: Ctx, srcType: string): string {
  const src = ctx.keys.decrypt(srcType, f.key(srcType === '002' ? 'TPK' : 'ZPK', '10'), '10');
  return pvvCheck(f, src, pvkField(f, ctx));
}
function pvkField(f: Fields, ctx: Ctx): ClearKey {
  const pvk = ctx.keys.decrypt('002', f.key('PVK', '11'), '11');
  if (pvk.aes) throw new HsmFail('27', 'PVK must be a DES key');
  return pvk;
}
/** The fields after the keys of a Visa PVV verification (DC/EC/GQ): PIN block, format, account, PVKI, PVV. */
function pvvCheck(f: Fields, src: ClearKey, pvk: ClearKey): string {
  const block = pinBlockField(f, src);
  const fmt = f.oneOf(2, FORMATS, 'PIN block format', '23');
  const acct = accountField(f, [fmt]);
  const pvki = f.digits(1, 'PVKI');
  const pvv = f.digits(4, 'PVV');
  f.end();
  const pin = openPin(src, block, fmt, acct);
  if (c.visaPvv(pvk.key, acct.acct12 + '0', pvki, pin) !== pvv) throw new HsmFail('01', 'PIN verification failed');
  return '';
}

/**
 * GQ: verify a PIN from a DUKPT terminal against its Visa PVV in one command — what G0 (translate to a ZPK) then EC
 * (verify under the ZPK) do in two. Mode 0 (PIN only); mode 1 (PIN and a DUKPT MAC) is not simulated. A BDK with
 * KSN descriptor 024 (AES DUKPT, PIN block format 48) is this simulator's extension of the TDES-only command.
 */
function dukptVisaVerify(f: Fields, ctx: Ctx): string {
  f.oneOf(1, ['0'] as const, 'mode (1, PIN and MAC verify, is not simulated)');
  const bdkField = f.key('BDK', '10');
  const bdk = ctx.keys.decrypt('009', bdkField, '10');
  const pvk = pvkField(f, ctx);
  return pvvCheck(f, dukptPinKey(f, ctx, bdkField, bdk), pvk);
}

/** GO: the same for a card verified by IBM 3624 offset (G0 then EA in one); fields after the KSN as EA's after its maximum PIN length. */
function dukptIbmVerify(f: Fields, ctx: Ctx): string {
  f.oneOf(1, ['0'] as const, 'mode (1, PIN and MAC verify, is not simulated)');
  const bdkField = f.key('BDK', '10');
  const bdk = ctx.keys.decrypt('009', bdkField, '10');
  const pvk = pvkField(f, ctx);
  return offsetCheck(f, dukptPinKey(f, ctx, bdkField, bdk), pvk, 12);
}

// ---- PIN under LMK (simulator format: ISO format 0 block for the account, 3DES under LMK pair 02-03) ----
function pinLmkKey(ctx: Ctx): Buffer {
  return ctx.keys.lmk.pairs[1];
}
function pinUnderLmk(f: Fields, ctx: Ctx, acct12: string): string {
  const enc = Buffer.from(f.hex(16, 'PIN under LMK', '14'), 'hex');
  try {
    return c.decodePinBlock(0, c.tdesEcbDecrypt(pinLmkKey(ctx), enc), acct12);
  } catch {
    throw new HsmFail('14', 'PIN under LMK does not decrypt for this account');
  }
}

// ---- Card verification values ----
function cvvFields(f: Fields, ctx: Ctx, withCvv: boolean): { cvk: ClearKey; cvv: string; pan: string; expiry: string; sc: string } {
  const cvk = ctx.keys.decrypt('402', f.key('CVK', '10'), '10');
  if (cvk.aes) throw new HsmFail('27', 'CVK must be a DES key pair');
  const cvv = withCvv ? f.digits(3, 'CVV') : '';
  const pan = f.until(';', 19, 'PAN');
  if (!/^[0-9]{12,19}$/.test(pan)) throw new HsmFail('15', 'PAN must be 12..19 digits');
  const expiry = f.digits(4, 'expiry');
  const sc = f.digits(3, 'service code');
  f.end();
  return { cvk, cvv, pan, expiry, sc };
}

// ---- MAC ----
function macCommand(f: Fields, ctx: Ctx, verify: boolean): string {
  f.oneOf(1, ['0'] as const, 'mode');
  const inputFormat = f.oneOf(1, ['0', '1'] as const, 'input format');
  const alg = f.oneOf(2, ['01', '03', '05'] as const, 'MAC algorithm');
  const padding = Number(f.oneOf(1, ['0', '1', '2'] as const, 'padding method')) as 0 | 1 | 2;
  const type = f.oneOf(3, ['003', '008'] as const, 'key type', '04');
  const k = ctx.keys.decrypt(type, f.key('MAC key', '10'), '10');
  if ((alg === '05') !== k.aes) throw new HsmFail('27', alg === '05' ? 'AES-CMAC needs an AES key' : 'ISO 9797-1 needs a DES key');
  const len = parseInt(f.hex(4, 'message length'), 16);
  if (len > MAX_MAC_DATA * (inputFormat === '1' ? 2 : 1)) throw new HsmFail('80', 'message too long');
  const raw = f.take(len, 'message');
  let data: Buffer;
  if (inputFormat === '1') {
    if (len % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(raw)) throw new HsmFail('15', 'message is not hex');
    data = Buffer.from(raw, 'hex');
  } else data = Buffer.from(raw, 'latin1');
  let mac: Buffer;
  try {
    mac = alg === '05' ? c.aesCmac(k.key, data) : alg === '01' ? c.macIso9797Alg1(k.key, data, padding) : c.macIso9797Alg3(k.key, data, padding);
  } catch (e) {
    throw new HsmFail('80', (e as Error).message);
  }
  const macHex = c.toHex(mac);
  if (!verify) {
    f.end();
    return macHex;
  }
  // A MAC may arrive truncated (ISO 8583 fields carry 4 or 8 bytes): compare the leftmost bytes given.
  const n = f.remaining;
  if (n < 8 || n > macHex.length || n % 2 !== 0) throw new HsmFail('15', 'MAC must be 8..' + macHex.length + ' hex characters');
  const given = f.hex(n, 'MAC');
  if (given !== macHex.slice(0, n)) throw new HsmFail('01', 'MAC verification failed');
  return '';
}

// ---- Keys under a ZMK (X9.17 style: each 8-byte part ECB under the ZMK; 'X' double, 'Y' triple) ----
function zmkKeyField(f: Fields): Buffer {
  const s = f.peek();
  let n = 32;
  if (s === 'X' || s === 'U') f.take(1, 'key scheme');
  else if (s === 'Y' || s === 'T') {
    f.take(1, 'key scheme');
    n = 48;
  }
  return Buffer.from(f.hex(n, 'key under ZMK'), 'hex');
}
function exportUnderZmk(zmk: ClearKey, clear: Buffer): string {
  if (zmk.aes) throw new HsmFail('26', 'AES ZMK export not supported');
  return (clear.length === 24 ? 'Y' : 'X') + c.toHex(c.tdesEcbEncrypt(zmk.key, clear));
}

function generateClear(scheme: 'U' | 'T' | 'S'): { key: Buffer; aes: boolean } {
  if (scheme === 'S') return { key: randomBytes(16), aes: true };
  return { key: c.fixParity(randomBytes(scheme === 'U' ? 16 : 24)), aes: false };
}
// ---- Host data keys (XA/XC/XE/XG, this simulator's extension): the switch's own AES-256 (D0) and HMAC-SHA-256 (M7)
// keys, at rest as key blocks under the LMK, delivered to the host under X25519 → HKDF-SHA-256 → AES-256-GCM. ----
function hostUsage(f: Fields): c.HostKeyUsage {
  return f.oneOf(2, c.HOST_KEY_USAGES, 'host key usage (D0, M7)', '04');
}
function x25519PublicField(f: Fields, what: string): Buffer {
  return Buffer.from(f.hex(64, what, '15'), 'hex');
}
/** X25519 with a peer key from a request: a key node rejects, or an all-zero shared secret, is error 15. */
function x25519Shared(priv: KeyObject, peer: Buffer): Buffer {
  try {
    return c.x25519(priv, peer);
  } catch (e) {
    throw new HsmFail('15', `X25519 public key rejected: ${(e as Error).message}`);
  }
}
function hostKeyWithKcv(ctx: Ctx, usage: c.HostKeyUsage, clear: Buffer): string {
  return ctx.keys.encryptHostKey(usage, clear) + c.hostKeyKcv(clear);
}

const AES_TYPES = new Set([KEY_TYPE_CODES.ZPK, KEY_TYPE_CODES.TPK, KEY_TYPE_CODES.TAK, KEY_TYPE_CODES.ZAK, KEY_TYPE_CODES.BDK]);

export const COMMANDS: Record<string, Handler> = {
  NC: (f, ctx) => {
    f.end();
    return c.lmkCheckValue(ctx.keys.lmk) + ctx.firmware;
  },

  A0: (f, ctx) => {
    const mode = f.oneOf(1, ['0', '1'] as const, 'mode');
    const type = keyTypeCode(f);
    const scheme = f.oneOf(1, ['U', 'T', 'S'] as const, 'key scheme (LMK)', '26');
    if (scheme === 'S' && !AES_TYPES.has(type)) throw new HsmFail('26', `scheme S (AES) not offered for key type ${type}`);
    let zmk: ClearKey | undefined;
    if (mode === '1') {
      zmk = ctx.keys.decrypt('000', f.key('ZMK', '10'), '10');
      f.oneOf(1, ['X', 'U', 'Y', 'T'] as const, 'key scheme (ZMK)', '26');
      if (scheme === 'S') throw new HsmFail('26', 'AES keys are not exported under a ZMK by this simulator');
    }
    f.end();
    const clear = generateClear(scheme);
    const underLmk = ctx.keys.encrypt(type, clear.key, scheme, clear.aes);
    return underLmk + (zmk ? exportUnderZmk(zmk, clear.key) : '') + kcvOf(clear);
  },

  BU: (f, ctx) => {
    const code2 = f.take(2, 'key type code').toUpperCase();
    const flag = f.oneOf(1, ['0', '1', '2'] as const, 'key length flag', '05');
    const field = f.key('key', '10');
    let type = SINGLE_PAIR_CODES[code2];
    if (f.optionalDelimiter()) type = keyTypeCode(f);
    else if (code2 === 'FF') throw new HsmFail('04', "key type code FF needs ';' and a 3-character key type");
    if (!type) throw new HsmFail('04', `invalid key type code ${code2}`);
    f.end();
    const k = ctx.keys.decrypt(type, field, '10');
    const wantFlag = k.key.length === 24 ? '2' : '1';
    if (flag !== wantFlag) throw new HsmFail('05', 'key length flag does not match the key');
    return kcvOf(k, 8);
  },

  A6: (f, ctx) => {
    const type = keyTypeCode(f);
    const zmk = ctx.keys.decrypt('000', f.key('ZMK', '10'), '10');
    if (zmk.aes) throw new HsmFail('26', 'AES ZMK import not supported');
    const enc = zmkKeyField(f);
    const scheme = f.oneOf(1, ['U', 'T'] as const, 'key scheme (LMK)', '26');
    f.end();
    const clear = c.tdesEcbDecrypt(zmk.key, enc);
    if (!c.hasOddParity(clear)) throw new HsmFail('11', 'imported key parity error');
    if ((scheme === 'U') !== (clear.length === 16)) throw new HsmFail('27', 'key scheme does not fit the key length');
    return ctx.keys.encrypt(type, clear, scheme) + kcvOf({ key: clear, aes: false });
  },

  A8: (f, ctx) => {
    const type = keyTypeCode(f);
    const zmk = ctx.keys.decrypt('000', f.key('ZMK', '10'), '10');
    const k = ctx.keys.decrypt(type, f.key('key', '11'), '11');
    f.oneOf(1, ['X', 'U', 'Y', 'T'] as const, 'key scheme (ZMK)', '26');
    f.end();
    if (k.aes) throw new HsmFail('26', 'AES keys are not exported under a ZMK by this simulator');
    return exportUnderZmk(zmk, k.key) + kcvOf(k);
  },

  CA: (f, ctx) => {
    const tpk = ctx.keys.decrypt('002', f.key('TPK', '10'), '10');
    const zpk = ctx.keys.decrypt('001', f.key('ZPK', '11'), '11');
    return translate(tpk, zpk, f);
  },
  CC: (f, ctx) => {
    const src = ctx.keys.decrypt('001', f.key('source ZPK', '10'), '10');
    const dst = ctx.keys.decrypt('001', f.key('destination ZPK', '11'), '11');
    return translate(src, dst, f);
  },
  CI: (f, ctx) => dukptTranslate(f, ctx, false),
  G0: (f, ctx) => dukptTranslate(f, ctx, true),

  DA: (f, ctx) => ibmVerify(f, ctx, '002'),
  EA: (f, ctx) => ibmVerify(f, ctx, '001'),
  DC: (f, ctx) => visaVerify(f, ctx, '002'),
  GQ: (f, ctx) => dukptVisaVerify(f, ctx),
  GO: (f, ctx) => dukptIbmVerify(f, ctx),
  EC: (f, ctx) => visaVerify(f, ctx, '001'),

  BA: (f, ctx) => {
    if (!ctx.dev) throw new HsmFail('17', 'BA (clear PIN) needs the test LMK or --dev');
    const n = Number(f.digits(2, 'PIN length'));
    const pin = f.digits(n, 'PIN', '24');
    const acct12 = f.digits(12, 'account number');
    f.end();
    const block = wrapPinErrors(() => c.encodePinBlock(0, pin, acct12));
    return c.toHex(c.tdesEcbEncrypt(pinLmkKey(ctx), block));
  },
  DE: (f, ctx) => {
    const pvk = ctx.keys.decrypt('002', f.key('PVK', '10'), '10');
    const enc = f.take(16, 'PIN under LMK');
    const checkLen = Number(f.digits(2, 'check length'));
    const acct12 = f.digits(12, 'account number');
    const table = f.digits(16, 'decimalisation table', '25');
    const vdata = Buffer.from(f.hex(16, 'PIN validation data'), 'hex');
    f.end();
    const pin = pinUnderLmk(new Fields(enc), ctx, acct12);
    if (checkLen < 4 || checkLen > pin.length) throw new HsmFail('15', 'check length must be 04..PIN length');
    return c.ibmOffset(pvk.key, vdata, table, pin).slice(0, checkLen).padEnd(12, 'F');
  },
  DG: (f, ctx) => {
    const pvk = ctx.keys.decrypt('002', f.key('PVK', '10'), '10');
    const enc = f.take(16, 'PIN under LMK');
    const acct12 = f.digits(12, 'account number');
    const pvki = f.digits(1, 'PVKI');
    f.end();
    const pin = pinUnderLmk(new Fields(enc), ctx, acct12);
    return c.visaPvv(pvk.key, acct12 + '0', pvki, pin);
  },

  CW: (f, ctx) => {
    const v = cvvFields(f, ctx, false);
    return c.visaCvv(v.cvk.key, v.pan, v.expiry, v.sc);
  },
  CY: (f, ctx) => {
    const v = cvvFields(f, ctx, true);
    if (c.visaCvv(v.cvk.key, v.pan, v.expiry, v.sc) !== v.cvv) throw new HsmFail('01', 'CVV verification failed');
    return '';
  },

  KQ: (f, ctx) => {
    const mode = f.oneOf(1, ['0', '1', '2'] as const, 'mode');
    const scheme = f.oneOf(1, ['0', '1'] as const, 'scheme ID');
    const imk = ctx.keys.decrypt('109', f.key('MK-AC', '10'), '10');
    if (imk.aes) throw new HsmFail('27', 'MK-AC must be a DES key');
    const y = f.bytes(8, 'PAN/PSN');
    const atc = f.bytes(2, 'ATC');
    const un = f.bytes(4, 'unpredictable number');
    const len = parseInt(f.hex(2, 'transaction data length'), 16);
    const data = f.bytes(len, 'transaction data');
    f.literal(';', 'delimiter');
    const arqc = f.bytes(8, 'ARQC');
    let method: '1' | '2' | undefined;
    let arc: Buffer = Buffer.alloc(0);
    let csu: Buffer = Buffer.alloc(0);
    let prop: Buffer = Buffer.alloc(0);
    if (mode !== '0') {
      method = f.oneOf(1, ['1', '2'] as const, 'ARPC method');
      if (method === '1') arc = f.bytes(2, 'ARC');
      else {
        csu = f.bytes(4, 'CSU');
        prop = f.bytes(Number(f.oneOf(1, ['0', '1', '2', '3', '4', '5', '6', '7', '8'] as const, 'proprietary data length')), 'proprietary data');
      }
    }
    f.end();
    const mk = c.iccMasterKeyFromBlock(imk.key, y);
    const acKey = scheme === '1' ? c.commonSessionKey(mk, c.acDiversification(atc, un)) : mk;
    if (mode !== '2' && !c.generateArqc(acKey, data).equals(arqc)) throw new HsmFail('01', 'ARQC verification failed');
    if (!method) return '';
    const arpc = method === '1' ? c.arpcMethod1(acKey, arqc, arc) : c.arpcMethod2(acKey, arqc, csu, prop);
    return arpc.toString('latin1');
  },

  M6: (f, ctx) => macCommand(f, ctx, false),
  M8: (f, ctx) => macCommand(f, ctx, true),

  XA: (f, ctx) => {
    const usage = hostUsage(f);
    f.end();
    const clear = randomBytes(32);
    try {
      return hostKeyWithKcv(ctx, usage, clear);
    } finally {
      clear.fill(0);
    }
  },
  XC: (f, ctx) => {
    const usage = hostUsage(f);
    const field = f.key('host data key', 'A1');
    const hostPub = x25519PublicField(f, 'host X25519 public key');
    f.end();
    const clear = ctx.keys.decryptHostKey(usage, field);
    let shared: Buffer | undefined;
    let k: Buffer | undefined;
    try {
      const eph = c.x25519Generate();
      shared = x25519Shared(eph.privateKey, hostPub);
      k = c.hostKeyTransportKey('export', usage, shared, hostPub, eph.publicKey);
      const iv = randomBytes(12);
      const box = c.gcmSeal(k, iv, Buffer.from('XC' + usage, 'latin1'), clear);
      return c.toHex(eph.publicKey) + c.toHex(iv) + c.toHex(box.ciphertext) + c.toHex(box.tag) + c.hostKeyKcv(clear);
    } finally {
      clear.fill(0);
      shared?.fill(0);
      k?.fill(0);
    }
  },
  XE: (f, ctx) => {
    f.end();
    return c.toHex(ctx.transport.publicKey);
  },
  XG: (f, ctx) => {
    const usage = hostUsage(f);
    const hostEph = x25519PublicField(f, 'host ephemeral X25519 public key');
    const iv = Buffer.from(f.hex(24, 'IV'), 'hex');
    const ct = Buffer.from(f.hex(64, 'ciphertext'), 'hex');
    const tag = Buffer.from(f.hex(32, 'GCM tag'), 'hex');
    f.end();
    const shared = x25519Shared(ctx.transport.privateKey, hostEph);
    const k = c.hostKeyTransportKey('import', usage, shared, hostEph, ctx.transport.publicKey);
    shared.fill(0);
    let clear: Buffer;
    try {
      clear = c.gcmOpen(k, iv, Buffer.from('XG' + usage, 'latin1'), ct, tag);
    } catch {
      throw new HsmFail('A1', 'imported host key does not authenticate');
    } finally {
      k.fill(0);
    }
    try {
      if (clear.length !== 32) throw new HsmFail('15', 'imported host key must be 32 bytes');
      return hostKeyWithKcv(ctx, usage, clear);
    } finally {
      clear.fill(0);
    }
  },
};

/** A command context for an LMK: what the server builds once per process (a fresh X25519 transport key pair). */
export function createCtx(keys: LmkKeys, dev: boolean, firmware = '1.0.0-SIM'): Ctx {
  return { keys, dev, firmware, transport: c.x25519Generate() };
}

/** payShield response code: the command's second character advanced by one (A0→A1, CA→CB, NC→ND). */
export function responseCode(cmd: string): string {
  if (cmd.length !== 2) return 'ZZ';
  const ch = cmd.charCodeAt(1);
  const next = ch === 0x39 ? 'A' : ch === 0x5a ? 'Z' : String.fromCharCode(ch + 1);
  return cmd[0] + next;
}

export interface Outcome {
  response: string;
  code: string;
  message?: string;
}

/** Runs one command (the message after the header). Never throws: every failure becomes an error code. */
export function execute(msg: string, ctx: Ctx): Outcome {
  const cmd = msg.slice(0, 2);
  const rc = responseCode(cmd);
  const handler = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!handler) return { response: rc + '68', code: '68', message: `unknown or disabled command '${cmd.replace(/[^\x20-\x7e]/g, '?')}'` };
  try {
    return { response: rc + '00' + handler(new Fields(msg.slice(2)), ctx), code: '00' };
  } catch (e) {
    if (e instanceof HsmFail) return { response: rc + e.code, code: e.code, message: e.message };
    // A bug or an assertion in the crypto layer: answer 15 rather than crash the server, and say so in the log.
    return { response: rc + '15', code: '15', message: `internal: ${(e as Error).message}` };
  }
}
