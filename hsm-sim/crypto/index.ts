// The payment-crypto library: pure functions over Buffers. The HSM simulator uses all of it; card and terminal
// simulators use the card/terminal-side pieces (DUKPT PIN keys, PIN blocks, ARQC) with keys they hold themselves.
export * from './des.js';
export * from './mac.js';
export * from './pinblock.js';
export * from './dukpt.js';
export * from './cards.js';
export * from './emv.js';
export * from './lmk.js';
export * from './x25519.js';
import { tdesEcbEncrypt, aesEcbEncrypt } from './des.js';
import { encodePinBlock, account12, encryptPinBlock4 } from './pinblock.js';

/** Terminal side: a clear ISO 0/1/3 PIN block for `pin`/`pan`, encrypted under a DES PIN key (e.g. dukptPinKey). */
export function encryptPinBlock(pinKey: Buffer, format: 0 | 1 | 3 | 4, pin: string, pan: string): Buffer {
  if (format === 4) return encryptPinBlock4(pinKey, pin, pan);
  return tdesEcbEncrypt(pinKey, encodePinBlock(format, pin, format === 1 ? undefined : account12(pan)));
}

export { aesEcbEncrypt as aesEncryptBlock };
