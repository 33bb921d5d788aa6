// PIN translation on the way to an issuer: the acquirer's block (under its TPK/ZPK, or a DUKPT key derived from its
// BDK and the KSN) re-encrypted under the issuer's ZPK inside the HSM. The clear PIN never exists here.
import type { HsmApi, PinBlockFormat } from '../hsm/api.js';
import type { Txn } from '../model/txn.js';
import type { KeyRing } from './keys.js';

export class PinTranslationError extends Error {
  override readonly name = 'PinTranslationError';
}

/** Returns a function translating txn.pin to `destZpkRef` in `destFormat`, for IssuerService. */
export function pinTranslator(keys: KeyRing, hsm: () => Promise<HsmApi>, destZpkRef: string, destFormat: PinBlockFormat): (txn: Txn) => Promise<string> {
  const dest = keys.get(destZpkRef);
  if (!dest || dest.type !== 'ZPK') throw new PinTranslationError(`issuer ZPK '${destZpkRef}' is not a known ZPK`);
  return async (txn) => {
    const pin = txn.pin;
    if (!pin || !txn.pan) throw new PinTranslationError('no PIN block or PAN');
    const src = keys.get(pin.keyRef);
    if (!src) throw new PinTranslationError(`acquirer PIN key '${pin.keyRef}' is not known`);
    const h = await hsm();
    const sourceFormat = pin.format as PinBlockFormat;
    if (src.type === 'BDK') {
      if (!pin.ksn) throw new PinTranslationError('DUKPT PIN block without a KSN');
      // A 24-hex-digit KSN is X9.24-3 AES DUKPT (20: TDES).
      const r = await h.translatePinFromDukpt({ bdk: src.value, ksn: pin.ksn, destZpk: dest.value, pinBlock: pin.block, sourceFormat, destFormat, pan: txn.pan, aes: pin.ksn.length === 24 });
      return r.pinBlock;
    }
    if (src.type !== 'TPK' && src.type !== 'ZPK') throw new PinTranslationError(`key '${pin.keyRef}' is a ${src.type}, not a PIN key`);
    const r = await h.translatePin({ sourceKeyType: src.type, sourceKey: src.value, destZpk: dest.value, pinBlock: pin.block, sourceFormat, destFormat, pan: txn.pan });
    return r.pinBlock;
  };
}
