// The terminal side of TDES DUKPT (ANSI X9.24-1:2009) as a PIN pad runs it: one counter going up, each
// transaction key derived from the key of its parent counter (the counter with its lowest set bit cleared).
// Keeping the keys along the current counter's path (at most 21) makes the next key cost about two
// non-reversible key generation steps instead of up to 21 from the IPEK — what lets the acquirer simulator
// prepare tens of thousands of PIN blocks in seconds. The result is cross-checked against the host-side
// derivation (hsm-sim/crypto tdesDukptKey) and the X9.24 sample vector in test/sim/dukpt.test.ts.
import { aesDukptInitialKey, aesDukptKeyFromInitial, encryptPinBlock, encryptPinBlock4, tdesEcbEncrypt, tdesIpek, xor } from '../../hsm-sim/crypto/index.js';

const C0 = Buffer.from('C0C0C0C000000000C0C0C0C000000000', 'hex');
const PIN_VARIANT = Buffer.from('00000000000000FF00000000000000FF', 'hex');
const COUNTER_BITS = 21;
const COUNTER_MAX = (1 << COUNTER_BITS) - 1;
/** X9.24-1: a terminal never uses a counter with more than 10 one-bits. */
const MAX_ONE_BITS = 10;

// Non-reversible key generation process (X9.24-1:2009 A.2): single-DES steps under each half of the key.
function nonReversible(key: Buffer, reg: Buffer): Buffer {
  const half = (k: Buffer): Buffer => {
    const kr = k.subarray(8, 16);
    return xor(tdesEcbEncrypt(k.subarray(0, 8), xor(reg, kr)), kr);
  };
  const right = half(key);
  const left = half(xor(key, C0));
  return Buffer.concat([left, right]);
}

function popcount(n: number): number {
  let c = 0;
  for (; n; n &= n - 1) c++;
  return c;
}

/** Builds a 10-byte KSN: 5-byte key set identifier, then 19-bit device id and 21-bit counter. */
export function makeKsn(keySetId: string, deviceId: number, counter = 0): Buffer {
  if (!/^[0-9A-Fa-f]{10}$/.test(keySetId)) throw new RangeError('key set identifier must be 10 hex digits');
  if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId >= 1 << 19) throw new RangeError('device id must be 0 ≤ id < 2^19');
  if (!Number.isInteger(counter) || counter < 0 || counter > COUNTER_MAX) throw new RangeError('counter out of range');
  const ksn = Buffer.alloc(10);
  Buffer.from(keySetId, 'hex').copy(ksn, 0);
  const low = BigInt(deviceId) * (1n << 21n) + BigInt(counter);
  for (let i = 9; i >= 5; i--) ksn[i] = Number((low >> BigInt((9 - i) * 8)) & 0xffn);
  return ksn;
}

export class DukptTerminal implements PinPad {
  private readonly ipek: Buffer;
  private readonly ksn: Buffer;
  private counter: number;
  /** bits[i] / keys[i]: the i-th set bit (descending) of the last counter and the key after applying bits[0..i]. */
  private bits: number[] = [];
  private keys: Buffer[] = [];

  /** `initialKsn` names the device; its counter bits give the last counter used (0 = fresh). */
  constructor(bdk: Buffer, initialKsn: Buffer) {
    if (initialKsn.length !== 10) throw new RangeError('TDES KSN must be 10 bytes');
    this.ipek = tdesIpek(bdk, initialKsn);
    this.ksn = Buffer.from(initialKsn);
    this.counter = initialKsn.readUIntBE(7, 3) & COUNTER_MAX;
  }

  /** Transactions left before the device must be re-keyed. */
  get exhausted(): boolean {
    return this.counter >= COUNTER_MAX;
  }

  /** Advances the counter and returns the new KSN and its transaction key (no usage variant applied). */
  nextKey(): { ksn: Buffer; key: Buffer } {
    let c = this.counter + 1;
    while (c <= COUNTER_MAX && popcount(c) > MAX_ONE_BITS) c++;
    if (c > COUNTER_MAX) throw new RangeError('DUKPT counter exhausted: the device needs a new initial key');
    this.counter = c;
    const bits: number[] = [];
    for (let b = 1 << (COUNTER_BITS - 1); b > 0; b >>>= 1) if (c & b) bits.push(b);
    let j = 0;
    while (j < bits.length && j < this.bits.length && bits[j] === this.bits[j]) j++;
    this.bits.length = j;
    this.keys.length = j;
    const reg = Buffer.from(this.ksn.subarray(2, 10));
    let acc = 0;
    for (let i = 0; i < j; i++) acc |= bits[i];
    let key = j > 0 ? this.keys[j - 1] : this.ipek;
    for (let i = j; i < bits.length; i++) {
      acc |= bits[i];
      reg.writeUIntBE((reg.readUIntBE(5, 3) & ~COUNTER_MAX & 0xffffff) | acc, 5, 3);
      key = nonReversible(key, reg);
      this.bits.push(bits[i]);
      this.keys.push(key);
    }
    const ksn = Buffer.from(this.ksn);
    ksn.writeUIntBE((ksn.readUIntBE(7, 3) & ~COUNTER_MAX & 0xffffff) | c, 7, 3);
    return { ksn, key };
  }

  /** Next transaction: the KSN and an ISO format 0 PIN block under its PIN key (key ⊕ PIN variant). */
  nextPinBlock(pin: string, pan: string): { ksn: string; pinBlock: string } {
    const { ksn, key } = this.nextKey();
    const block = encryptPinBlock(xor(key, PIN_VARIANT), 0, pin, pan);
    return { ksn: ksn.toString('hex').toUpperCase(), pinBlock: block.toString('hex').toUpperCase() };
  }
}

/** What a simulated PIN pad does per transaction: the KSN and the encrypted PIN block, both as upper-case hex. */
export interface PinPad {
  nextPinBlock(pin: string, pan: string): { ksn: string; pinBlock: string };
}

/** X9.24-3: a terminal never uses a counter with more than 16 one-bits. */
const AES_MAX_ONE_BITS = 16;

/**
 * The terminal side of AES DUKPT (ANSI X9.24-3-2017): a 12-byte KSN (8-byte initial key ID ‖ 32-bit counter) and an
 * ISO 9564 format 4 PIN block under the counter's PIN encryption key. The terminal holds its initial key, never the
 * BDK; each key walks down from it along the counter's one-bits (hsm-sim's aesDukptKeyFromInitial, the host's own
 * walk; cross-checked against aesDukptKey and the X9.24-3 sample in test/sim/dukpt.test.ts).
 */
export class AesDukptTerminal implements PinPad {
  private readonly initialKey: Buffer;
  private readonly keyId: Buffer;
  private counter: number;

  constructor(bdk: Buffer, initialKeyId: Buffer, counter = 0) {
    if (initialKeyId.length !== 8) throw new RangeError('AES DUKPT initial key ID must be 8 bytes');
    if (!(Number.isInteger(counter) && counter >= 0 && counter <= 0xffffffff)) throw new RangeError('AES DUKPT counter must be a 32-bit unsigned integer');
    this.initialKey = aesDukptInitialKey(bdk, initialKeyId);
    this.keyId = Buffer.from(initialKeyId);
    this.counter = counter;
  }

  /** Advances the counter (skipping values with more than 16 one-bits) and returns the KSN and its PIN key. */
  nextKey(): { ksn: Buffer; key: Buffer } {
    let c = this.counter;
    do c++;
    while (c <= 0xffffffff && popcount(c) > AES_MAX_ONE_BITS);
    if (c > 0xffffffff) throw new RangeError('AES DUKPT counter exhausted: the device needs a new initial key');
    this.counter = c;
    const ksn = Buffer.alloc(12);
    this.keyId.copy(ksn, 0);
    ksn.writeUInt32BE(c, 8);
    return { ksn, key: aesDukptKeyFromInitial(this.initialKey, ksn, 'pin') };
  }

  /** Next transaction: the 24-hex-digit KSN and an ISO format 4 PIN block (32 hex) under its PIN key. */
  nextPinBlock(pin: string, pan: string): { ksn: string; pinBlock: string } {
    const { ksn, key } = this.nextKey();
    return { ksn: ksn.toString('hex').toUpperCase(), pinBlock: encryptPinBlock4(key, pin, pan).toString('hex').toUpperCase() };
  }
}
