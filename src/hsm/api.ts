// The switch's view of the HSM: a typed API over the payShield-style host command protocol.
// The client in ./client.ts implements it over TCP to hsm-sim (or a real payShield); worker threads call it.
// Keys are always strings as the HSM returns them: encrypted under its LMK ('U' + 32 hex, 'T' + 48 hex, 'S…' key block).
// Nothing here ever carries a clear PIN or a clear key.

export type KeyTypeName = 'ZMK' | 'ZPK' | 'TPK' | 'PVK' | 'CVK' | 'TAK' | 'ZAK' | 'BDK' | 'MK-AC';

/** The switch's own data keys (this simulator's XA/XC/XG): D0 AES-256 data encryption (PANs, secrets), M7
 *  HMAC-SHA-256 (PAN hashes). At rest they are key blocks under the HSM's LMK. */
export type HostKeyUsage = 'D0' | 'M7';

/** payShield PIN block format codes: 01 ISO 0, 05 ISO 1, 47 ISO 3, 48 ISO 4 (AES). */
export type PinBlockFormat = '01' | '05' | '47' | '48';

export interface PinTranslation {
  /** PIN block under the destination key, hex. */
  pinBlock: string;
  format: PinBlockFormat;
  pinLength: number;
}

/** The PIN block to verify, its format, the card and the PVK. */
export interface PinToVerify {
  pvk: string;
  pinBlock: string;
  format: PinBlockFormat;
  pan: string;
}
/** A block under a TPK or ZPK. */
export interface PinUnderKey {
  keyType: 'TPK' | 'ZPK';
  key: string;
}
/** A block from a DUKPT terminal: its BDK and KSN. */
export interface PinFromDukpt {
  bdk: string;
  ksn: string;
  /** AES DUKPT (KSN descriptor 024, this simulator's extension); default TDES (020). */
  aes?: boolean;
}
/** IBM 3624 verification data. */
export interface IbmOffset {
  offset: string;
  checkLength?: number;
  decimalisationTable?: string;
  pinValidationData?: string;
}
/** Visa PVV verification data. */
export interface VisaPvv {
  pvki: string;
  pvv: string;
}

export interface HsmApi {
  diagnostics(): Promise<{ lmkCheckValue: string; firmware: string }>;
  generateKey(type: KeyTypeName, opts?: { zmk?: string; scheme?: 'U' | 'T' | 'S' }): Promise<{ key: string; kcv: string; keyUnderZmk?: string }>;
  keyCheckValue(type: KeyTypeName, key: string): Promise<string>;
  importKey(type: KeyTypeName, zmk: string, keyUnderZmk: string, scheme?: 'U' | 'T' | 'S'): Promise<{ key: string; kcv: string }>;
  exportKey(type: KeyTypeName, zmk: string, key: string): Promise<{ keyUnderZmk: string; kcv: string }>;

  /** CA (source TPK) or CC (source ZPK): re-encrypt a PIN block under a destination ZPK. */
  translatePin(p: {
    sourceKeyType: 'TPK' | 'ZPK';
    sourceKey: string;
    destZpk: string;
    pinBlock: string;
    sourceFormat: PinBlockFormat;
    destFormat: PinBlockFormat;
    pan: string;
  }): Promise<PinTranslation>;
  /** G0 (TDES DUKPT, X9.24-1) / AES DUKPT (X9.24-3): PIN block from a terminal's DUKPT key to a ZPK. */
  translatePinFromDukpt(p: {
    bdk: string;
    ksn: string;
    destZpk: string;
    pinBlock: string;
    sourceFormat: PinBlockFormat;
    destFormat: PinBlockFormat;
    pan: string;
    aes?: boolean;
  }): Promise<PinTranslation>;

  /** DA (TPK) / EA (ZPK): IBM 3624 offset verification. false = the PIN is wrong (error 01); other errors throw. */
  verifyPinIbm(p: PinUnderKey & PinToVerify & IbmOffset): Promise<boolean>;
  /** DC (TPK) / EC (ZPK): Visa PVV verification. */
  verifyPinVisa(p: PinUnderKey & PinToVerify & VisaPvv): Promise<boolean>;
  /** GO: a DUKPT terminal's PIN block verified by IBM 3624 offset in one command (G0 then EA in one). */
  verifyPinIbmDukpt(p: PinFromDukpt & PinToVerify & IbmOffset): Promise<boolean>;
  /** GQ: a DUKPT terminal's PIN block verified against the Visa PVV in one command (G0 then EC in one). */
  verifyPinVisaDukpt(p: PinFromDukpt & PinToVerify & VisaPvv): Promise<boolean>;

  /** CW: CVV (service code as on the card), CVV2 (service code 000) or iCVV (999). */
  generateCvv(p: { cvk: string; pan: string; expiry: string; serviceCode: string }): Promise<string>;
  /** CY: verify a CVV / CVV2 / iCVV. */
  verifyCvv(p: { cvk: string; cvv: string; pan: string; expiry: string; serviceCode: string }): Promise<boolean>;

  /** KQ: verify an ARQC (EMV common session key derivation) and, when asked, generate the ARPC. */
  verifyArqc(p: {
    mkac: string;
    pan: string;
    panSequence: string;
    atc: string;
    unpredictableNumber: string;
    /** Transaction data the card MACed (hex, before padding). */
    data: string;
    arqc: string;
    /** ARPC method 1 needs the ARC (2 bytes hex); method 2 the CSU (4 bytes hex) and optional proprietary data. */
    arpc?: { method: 1; arc: string } | { method: 2; csu: string; proprietaryData?: string };
  }): Promise<{ ok: boolean; arpc?: string }>;

  /** M6 / M8: ISO 9797-1 algorithm 1 or 3 (3DES) or AES-CMAC (RFC 4493) over binary data. */
  generateMac(p: { keyType: 'TAK' | 'ZAK'; key: string; algorithm: 'iso9797-1-alg1' | 'iso9797-1-alg3' | 'aes-cmac'; data: Uint8Array }): Promise<string>;
  verifyMac(p: { keyType: 'TAK' | 'ZAK'; key: string; algorithm: 'iso9797-1-alg1' | 'iso9797-1-alg3' | 'aes-cmac'; data: Uint8Array; mac: string }): Promise<boolean>;

  /** XA: a new host data key, as a key block under the LMK, and its KCV (AES-256-ECB of zeros, 6H). */
  generateDataKey(usage: HostKeyUsage): Promise<{ key: string; kcv: string }>;
  /**
   * XC: the clear 32-byte host data key, for this process's memory only. Travels under an ephemeral X25519 key
   * agreement (HKDF-SHA-256, AES-256-GCM); throws when its KCV differs from the HSM's.
   */
  exportDataKey(usage: HostKeyUsage, key: string): Promise<Buffer>;
  /** XE then XG: a 32-byte key made outside the HSM, wrapped under the LMK (migration); its KCV is checked. */
  importDataKey(usage: HostKeyUsage, clear: Buffer): Promise<{ key: string; kcv: string }>;

  close(): Promise<void>;
}

/** The HSM answered with an error code other than 00 (or 01 where 01 means "not verified"). */
export class HsmError extends Error {
  constructor(
    readonly command: string,
    readonly errorCode: string,
    message?: string,
  ) {
    super(message ?? `HSM ${command} failed with error code ${errorCode}`);
    this.name = 'HsmError';
  }
}

/** The HSM could not be reached or did not answer in time; the switch answers 91/96, never hangs. */
export class HsmUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HsmUnavailableError';
  }
}
