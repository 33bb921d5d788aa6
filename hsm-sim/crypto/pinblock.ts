// ISO 9564-1 PIN blocks: format 0 (payShield 01), 1 (05), 3 (47) — 8 bytes, DES — and format 4 (48) — 16 bytes, AES.
// Clear PINs live only here and in the HSM's memory; nothing in this module logs.
import { randomBytes } from 'node:crypto';
import { aesDecryptor, aesEncryptor, xor } from './des.js';

export type IsoFormat = 0 | 1 | 3 | 4;

export class PinBlockError extends Error {
  constructor(
    readonly code: '20' | '23' | '24',
    message: string,
  ) {
    super(message);
    this.name = 'PinBlockError';
  }
}

const PIN_RE = /^[0-9]{4,12}$/;
function checkPin(pin: string): void {
  if (!PIN_RE.test(pin)) throw new PinBlockError('24', 'PIN must be 4 to 12 digits');
}

/** The 12 rightmost PAN digits excluding the check digit (ISO 9564 formats 0 and 3). */
export function account12(pan: string): string {
  if (!/^[0-9]{13,19}$/.test(pan)) throw new PinBlockError('20', 'PAN must be 13 to 19 digits');
  return pan.slice(-13, -1);
}

function panField(acct12: string): Buffer {
  if (!/^[0-9]{12}$/.test(acct12)) throw new PinBlockError('20', 'account number must be 12 digits');
  return Buffer.from('0000' + acct12, 'hex');
}

function fillNibbles(n: number, kind: 'F' | 'random' | 'AF'): string {
  if (kind === 'F') return 'F'.repeat(n);
  const r = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += (kind === 'AF' ? 10 + (r[i] % 6) : r[i] % 16).toString(16);
  return s.toUpperCase();
}

/**
 * Builds a clear 8-byte ISO format 0, 1 or 3 PIN block. `acct12` = account12(pan) for formats 0 and 3.
 * `fill` overrides the random fill digits of formats 1 and 3 (for test vectors).
 */
export function encodePinBlock(format: 0 | 1 | 3, pin: string, acct12?: string, fill?: string): Buffer {
  checkPin(pin);
  const head = `${format}${pin.length.toString(16).toUpperCase()}${pin}`;
  const n = 16 - head.length;
  const f = fill ?? fillNibbles(n, format === 0 ? 'F' : format === 3 ? 'AF' : 'random');
  if (f.length !== n) throw new Error(`fill must be ${n} nibbles`);
  const field = Buffer.from(head + f, 'hex');
  if (format === 1) return field;
  return xor(field, panField(acct12 ?? ''));
}

/** Recovers the PIN from a clear format 0/1/3 block, checking its structure (error 20 when malformed). */
export function decodePinBlock(format: 0 | 1 | 3, block: Buffer, acct12?: string): string {
  if (block.length !== 8) throw new PinBlockError('20', 'PIN block must be 8 bytes');
  const field = format === 1 ? block : xor(block, panField(acct12 ?? ''));
  const h = field.toString('hex').toUpperCase();
  if (h[0] !== String(format)) throw new PinBlockError('20', `PIN block is not ISO format ${format}`);
  const len = parseInt(h[1], 16);
  if (len < 4 || len > 12) throw new PinBlockError('24', 'PIN length outside 4..12');
  const pin = h.slice(2, 2 + len);
  if (!/^[0-9]+$/.test(pin)) throw new PinBlockError('20', 'PIN digits are not decimal');
  const fill = h.slice(2 + len);
  if (format === 0 && !/^F*$/.test(fill)) throw new PinBlockError('20', 'format 0 fill is not F');
  if (format === 3 && !/^[A-F]*$/.test(fill)) throw new PinBlockError('20', 'format 3 fill is not A-F');
  return pin;
}

// ISO 9564-1:2017 format 4: plain PIN field 4‖N‖PIN‖A-fill (to 16 nibbles)‖8 random bytes; PAN field
// M‖PAN‖0-pad where M = PAN length − 12. Encipher: E(K, E(K, PIN field) ⊕ PAN field).
function pinField4(pin: string, random?: Buffer): Buffer {
  checkPin(pin);
  const head = `4${pin.length.toString(16).toUpperCase()}${pin}`.padEnd(16, 'A');
  const r = random ?? randomBytes(8);
  if (r.length !== 8) throw new Error('format 4 random fill is 8 bytes');
  return Buffer.concat([Buffer.from(head, 'hex'), r]);
}
function panField4(pan: string): Buffer {
  if (!/^[0-9]{1,19}$/.test(pan)) throw new PinBlockError('20', 'PAN must be up to 19 digits');
  const m = pan.length < 12 ? 0 : pan.length - 12;
  const p = pan.length < 12 ? pan.padStart(12, '0') : pan;
  return Buffer.from(`${m}${p}`.padEnd(32, '0'), 'hex');
}

/** ISO format 4 encipherment under an AES key (random fill overridable for test vectors). */
export function encryptPinBlock4(aesKey: Buffer, pin: string, pan: string, random?: Buffer): Buffer {
  const enc = aesEncryptor(aesKey);
  return enc(xor(enc(pinField4(pin, random)), panField4(pan)));
}
/** `dec` overrides the (cached) decryptor, e.g. with an uncached one for a DUKPT key used once. */
export function decryptPinBlock4(aesKey: Buffer, block: Buffer, pan: string, dec = aesDecryptor(aesKey)): string {
  if (block.length !== 16) throw new PinBlockError('20', 'format 4 PIN block must be 16 bytes');
  const field = dec(xor(dec(block), panField4(pan)));
  const h = field.subarray(0, 8).toString('hex').toUpperCase();
  if (h[0] !== '4') throw new PinBlockError('20', 'PIN block is not ISO format 4');
  const len = parseInt(h[1], 16);
  if (len < 4 || len > 12) throw new PinBlockError('24', 'PIN length outside 4..12');
  const pin = h.slice(2, 2 + len);
  if (!/^[0-9]+$/.test(pin) || !/^A*$/.test(h.slice(2 + len))) throw new PinBlockError('20', 'format 4 PIN field malformed');
  return pin;
}

/** payShield format code ↔ ISO format. */
export const FORMAT_CODES: Record<string, IsoFormat> = { '01': 0, '05': 1, '47': 3, '48': 4 };
