// The terminal side of TDES DUKPT (ANSI X9.24-1:2009) as a PIN pad runs it: one counter going up, each
// transaction key derived from the key of its parent counter (the counter with its lowest set bit cleared).
// Keeping the keys along the current counter's path (at most 21) makes the next key cost about two
// non-reversible key generation steps instead of up to 21 from the IPEK — what lets the acquirer simulator
// prepare tens of thousands of PIN blocks in seconds. The result is cross-checked against the host-side
// derivation (hsm-sim/crypto tdesDukptKey) and the X9.24 sample vector in test/sim/dukpt.test.ts.
import { encryptPinBlock, tdesEcbEncrypt, tdesIpek, xor } from '../../hsm-sim/crypto/index.js';

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

export class DukptTerminal {
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
