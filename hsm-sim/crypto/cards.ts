// Card-issuer algorithms: IBM 3624 PIN offset, Visa PVV, Visa CVV/CVV2/iCVV. Pure functions over clear keys.
import { tdesEcbEncrypt, xor } from './des.js';

/** Decimalisation as Visa uses it for CVV and PVV: all decimal nibbles left to right, then A–F minus 10. */
export function visaDecimalise(hexStr: string, n: number): string {
  const h = hexStr.toUpperCase();
  let out = '';
  for (const c of h) if (c <= '9') out += c;
  for (const c of h) if (c > '9') out += String(parseInt(c, 16) - 10);
  return out.slice(0, n);
}

// ---- IBM 3624 ----

export const DEFAULT_DECIMALISATION_TABLE = '0123456789012345';

/** The natural PIN: E(PVK, validation data) decimalised through the table, leftmost `length` digits. */
export function ibmNaturalPin(pvk: Buffer, validationData: Buffer, decTable: string, length: number): string {
  if (!/^[0-9]{16}$/.test(decTable)) throw new Error('decimalisation table must be 16 decimal digits');
  if (validationData.length !== 8) throw new Error('PIN validation data must be 8 bytes');
  const h = tdesEcbEncrypt(pvk, validationData).toString('hex').toUpperCase();
  let out = '';
  for (let i = 0; i < length; i++) out += decTable[parseInt(h[i], 16)];
  return out;
}

/** Offset = (PIN − natural PIN) digit by digit mod 10, as many digits as the PIN. */
export function ibmOffset(pvk: Buffer, validationData: Buffer, decTable: string, pin: string): string {
  const natural = ibmNaturalPin(pvk, validationData, decTable, pin.length);
  let out = '';
  for (let i = 0; i < pin.length; i++) out += String((Number(pin[i]) - Number(natural[i]) + 10) % 10);
  return out;
}

/** Checks the leftmost `checkLength` digits of the PIN's offset against the stored offset. */
export function ibmVerify(pvk: Buffer, validationData: Buffer, decTable: string, pin: string, offset: string, checkLength: number): boolean {
  if (checkLength < 4 || checkLength > pin.length) return false;
  const o = ibmOffset(pvk, validationData, decTable, pin);
  return o.slice(0, checkLength) === offset.slice(0, checkLength);
}

// ---- Visa PVV ----

/** Visa PVV: TSP = 11 rightmost PAN digits excluding check digit ‖ PVKI ‖ 4 leftmost PIN digits, 3DES under the
 *  PVK pair, decimalised Visa-style, 4 digits. */
export function visaPvv(pvk: Buffer, pan: string, pvki: string, pin: string): string {
  if (!/^[0-9]{12,19}$/.test(pan) || !/^[0-9]$/.test(pvki) || !/^[0-9]{4,12}$/.test(pin)) throw new Error('bad PVV input');
  const tsp = pan.slice(-12, -1) + pvki + pin.slice(0, 4);
  return visaDecimalise(tdesEcbEncrypt(pvk, Buffer.from(tsp, 'hex')).toString('hex'), 4);
}

// ---- Visa CVV ----

/** Visa CVV / CVV2 (service code 000) / iCVV (999) with the CVK pair A‖B (16 bytes). */
export function visaCvv(cvk: Buffer, pan: string, expiry: string, serviceCode: string): string {
  if (cvk.length !== 16) throw new Error('CVK pair must be 16 bytes');
  if (!/^[0-9]{12,19}$/.test(pan) || !/^[0-9]{4}$/.test(expiry) || !/^[0-9]{3}$/.test(serviceCode)) throw new Error('bad CVV input');
  const data = Buffer.from((pan + expiry + serviceCode).padEnd(32, '0'), 'hex');
  const a = cvk.subarray(0, 8);
  const step1 = tdesEcbEncrypt(a, data.subarray(0, 8));
  const step2 = tdesEcbEncrypt(cvk, xor(step1, data.subarray(8, 16)));
  return visaDecimalise(step2.toString('hex'), 3);
}
