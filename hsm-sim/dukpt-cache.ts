// DUKPT on the host, fast: a bounded LRU of devices (BDK under the LMK ‖ KSN with the counter cleared), each holding
// its initial key (IPEK / AES initial key) and the keys along its last counter's path — what the terminal itself
// keeps. A terminal's next counter shares all but its lowest one or two set bits with the previous one, so a
// transaction costs one or two derivation steps instead of the initial key plus up to 21 (TDES) or 32 (AES) steps
// from the BDK. The clear keys live only in this process, at most DEFAULT_DEVICE_LIMIT devices, zeroed on eviction.
import { aesDukptInitialKey, aesDukptStep, aesDukptWorkingKey, tdesDukptStep, tdesIpek, tdesKsnCounter, xor } from './crypto/index.js';

/** Devices kept; each entry holds ≤ 22 TDES or ≤ 33 AES keys (≈ 1-3 KiB), so the cache stays within tens of MiB. */
export const DEFAULT_DEVICE_LIMIT = 16_384;
const PIN_VARIANT = Buffer.from('00000000000000FF00000000000000FF', 'hex');

interface DevicePath {
  /** The device's initial key: IPEK (TDES) or initial key (AES). */
  initial: Buffer;
  /** Set bits of the last counter walked, highest first, and the key after applying bits[0..i]. */
  bits: number[];
  keys: Buffer[];
}

export interface DukptCacheStats {
  devices: number;
  hits: number;
  misses: number;
  /** Derivation steps done (excluding initial keys). */
  steps: number;
}

export class DukptKeyCache {
  private readonly devices = new Map<string, DevicePath>();
  private readonly counts = { hits: 0, misses: 0, steps: 0 };

  constructor(private readonly limit = DEFAULT_DEVICE_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('DUKPT device limit must be a positive integer');
  }

  stats(): DukptCacheStats {
    return { devices: this.devices.size, ...this.counts };
  }

  /** TDES (X9.24-1) PIN key for a 10-byte KSN. `bdkId` names the BDK (its field under the LMK). */
  tdesPinKey(bdkId: string, bdk: Buffer, ksn: Buffer): Buffer {
    const base = Buffer.from(ksn.subarray(0, 8));
    base[7] &= 0xe0;
    const path = this.device('T' + bdkId + ':' + base.toString('hex'), () => tdesIpek(bdk, ksn));
    return xor(this.walk(path, tdesKsnCounter(ksn), 1 << 20, (k, acc) => tdesDukptStep(k, ksn, acc)), PIN_VARIANT);
  }

  /** AES (X9.24-3) PIN working key for a 12-byte KSN (counter ≠ 0, checked by the caller). Length = BDK length. */
  aesPinKey(bdkId: string, bdk: Buffer, ksn: Buffer): Buffer {
    const id = ksn.subarray(0, 8);
    const path = this.device('A' + bdkId + ':' + id.toString('hex'), () => aesDukptInitialKey(bdk, id));
    const key = this.walk(path, ksn.readUInt32BE(8), 0x80000000, (k, acc) => aesDukptStep(k, ksn, acc));
    return aesDukptWorkingKey(key, ksn, 'pin', bdk.length);
  }

  private device(id: string, initial: () => Buffer): DevicePath {
    let path = this.devices.get(id);
    if (path) {
      this.counts.hits++;
      this.devices.delete(id); // most recently used goes last
      this.devices.set(id, path);
      return path;
    }
    this.counts.misses++;
    if (this.devices.size >= this.limit) {
      const [oldId, old] = this.devices.entries().next().value as [string, DevicePath];
      this.devices.delete(oldId);
      old.initial.fill(0);
      for (const k of old.keys) k.fill(0);
    }
    path = { initial: initial(), bits: [], keys: [] };
    this.devices.set(id, path);
    return path;
  }

  /** The key for `counter`: reuse the longest common prefix of set bits with the last path, derive the rest. */
  private walk(path: DevicePath, counter: number, topBit: number, step: (key: Buffer, acc: number) => Buffer): Buffer {
    const want: number[] = [];
    for (let b = topBit; b > 0; b = Math.floor(b / 2)) if ((counter & b) !== 0) want.push(b);
    let j = 0;
    let acc = 0;
    while (j < want.length && j < path.bits.length && want[j] === path.bits[j]) acc = (acc | want[j++]) >>> 0;
    for (let i = j; i < path.keys.length; i++) path.keys[i].fill(0);
    path.bits.length = j;
    path.keys.length = j;
    let key = j > 0 ? path.keys[j - 1] : path.initial;
    for (let i = j; i < want.length; i++) {
      acc = (acc | want[i]) >>> 0;
      key = step(key, acc);
      this.counts.steps++;
      path.bits.push(want[i]);
      path.keys.push(key);
    }
    return key;
  }
}
