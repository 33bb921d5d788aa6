// EMV application cryptograms (EMV 4.x Book 2, Annex A1.4 / A1.3): ICC master key derivation option A,
// common session key derivation, ARQC (ISO 9797-1 algorithm 3, padding method 2), ARPC methods 1 and 2.
// A card simulator calls generateArqc with its own keys; the HSM calls the same functions with keys from the LMK.
// Card master keys and session keys are each used for one or two operations: their ciphers are built uncached
// (des.ts's cache is for the long-lived keys: an IMK, LMK parts, zone keys).
import { fixParity, tdesEncryptor, tdesEncryptorOnce, xor } from './des.js';
import { macIso9797Alg3 } from './mac.js';

/** Y for option A: rightmost 16 digits of PAN ‖ PAN sequence number (left-padded with zeros), as 8 bytes. */
export function panPsnBlock(pan: string, psn: string): Buffer {
  if (!/^[0-9]{1,19}$/.test(pan) || !/^[0-9]{0,2}$/.test(psn)) throw new Error('bad PAN or PAN sequence number');
  return Buffer.from((pan + (psn || '00').padStart(2, '0')).padStart(16, '0').slice(-16), 'hex');
}

/** ICC master key, option A: Z_L = E(IMK, Y), Z_R = E(IMK, Y ⊕ FF…FF), odd parity. */
export function iccMasterKeyFromBlock(imk: Buffer, y: Buffer): Buffer {
  return fixParity(tdesEncryptor(imk)(Buffer.concat([y, xor(y, Buffer.alloc(8, 0xff))])));
}
export function iccMasterKey(imk: Buffer, pan: string, psn: string): Buffer {
  return iccMasterKeyFromBlock(imk, panPsnBlock(pan, psn));
}

/** EMV common session key: SK_L = E(MK, R with byte 2 = F0), SK_R = E(MK, R with byte 2 = 0F). */
export function commonSessionKey(mk: Buffer, r: Buffer): Buffer {
  if (r.length !== 8) throw new Error('session key diversification value R must be 8 bytes');
  const f1 = Buffer.from(r);
  const f2 = Buffer.from(r);
  f1[2] = 0xf0;
  f2[2] = 0x0f;
  return tdesEncryptorOnce(mk)(Buffer.concat([f1, f2]));
}

/** R for application cryptograms: ATC (2) ‖ 00 00 ‖ unpredictable number (4). */
export function acDiversification(atc: Buffer, un: Buffer): Buffer {
  if (atc.length !== 2 || un.length !== 4) throw new Error('ATC is 2 bytes, UN 4 bytes');
  return Buffer.concat([atc, Buffer.alloc(2), un]);
}

/** ARQC/TC/AAC: ISO 9797-1 MAC algorithm 3 with padding method 2 over the transaction data. */
export function generateArqc(sessionKey: Buffer, data: Uint8Array): Buffer {
  return macIso9797Alg3(sessionKey, data, 2, true);
}

/** ARPC method 1: E(K, ARQC ⊕ (ARC ‖ 00…)) — K is the ICC MK or the session key, by the scheme's rules. */
export function arpcMethod1(key: Buffer, arqc: Buffer, arc: Buffer): Buffer {
  if (arqc.length !== 8 || arc.length !== 2) throw new Error('ARQC is 8 bytes, ARC 2 bytes');
  return tdesEncryptorOnce(key)(xor(arqc, Buffer.concat([arc, Buffer.alloc(6)])));
}

/** ARPC method 2: leftmost 4 bytes of MAC alg 3 (padding 2) over ARQC ‖ CSU ‖ proprietary data, under SK_AC. */
export function arpcMethod2(sessionKey: Buffer, arqc: Buffer, csu: Buffer, proprietary: Buffer = Buffer.alloc(0)): Buffer {
  if (arqc.length !== 8 || csu.length !== 4 || proprietary.length > 8) throw new Error('ARQC 8, CSU 4, proprietary ≤ 8 bytes');
  return macIso9797Alg3(sessionKey, Buffer.concat([arqc, csu, proprietary]), 2, true).subarray(0, 4);
}
