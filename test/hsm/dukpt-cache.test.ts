// The host's DUKPT path cache must give exactly the keys of the from-the-BDK derivation (itself pinned to the
// published ANSI X9.24-1:2009 A.4 and X9.24-3:2017 vectors in crypto.test.ts), whatever order KSNs arrive in:
// advancing counters, repeats, counters going back, many devices, and after evictions.
import { describe, expect, it } from 'vitest';
import * as c from '../../hsm-sim/crypto/index.js';
import { DukptKeyCache } from '../../hsm-sim/dukpt-cache.js';

const h = (s: string) => Buffer.from(s, 'hex');
const H = (b: Buffer) => b.toString('hex').toUpperCase();
const tdesBdk = h('0123456789ABCDEFFEDCBA9876543210');
const aesBdk = h('FEDCBA9876543210F1F1F1F1F1F1F1F1');

function tdesKsn(device: number, counter: number): Buffer {
  const k = h('FFFF9876543210E00000');
  k.writeUIntBE((0x987654 + device) & 0xffffff, 2, 3);
  k.writeUIntBE(((k.readUIntBE(7, 3) & 0xe00000) | counter) >>> 0, 7, 3);
  return k;
}
function aesKsn(device: number, counter: number): Buffer {
  const k = h('123456789012345600000000');
  k.writeUInt32BE((0x90123456 + device) >>> 0, 4);
  k.writeUInt32BE(counter >>> 0, 8);
  return k;
}

describe('DUKPT path cache', () => {
  it('X9.24-1 A.4: KSN FFFF9876543210E00001 → PIN key 042666B49184CF5C68DE9628D0397B36, also on a repeat', () => {
    const cache = new DukptKeyCache();
    expect(H(cache.tdesPinKey('bdk', tdesBdk, h('FFFF9876543210E00001')))).toBe('042666B49184CF5C68DE9628D0397B36');
    expect(H(cache.tdesPinKey('bdk', tdesBdk, h('FFFF9876543210E00001')))).toBe('042666B49184CF5C68DE9628D0397B36');
  });
  it('X9.24-3: ID 1234567890123456 counter 1 → PIN key AF8CB133A78F8DC2D1359F18527593FB', () => {
    const cache = new DukptKeyCache();
    expect(H(cache.aesPinKey('bdk', aesBdk, h('123456789012345600000001')))).toBe('AF8CB133A78F8DC2D1359F18527593FB');
  });
  it('TDES: advancing, repeated, backward and random counters on interleaved devices match dukptPinKey; evictions too', () => {
    const cache = new DukptKeyCache(3); // fewer devices than in play: evictions happen all the time
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const counters = [0, 1, 2, 3, 4, 5, 8, 9, 16, 15, 15, 1023, 1024, 1025, 0x1fffff, 0x100000, 7, 6];
    for (let i = 0; i < 200; i++) counters.push(rnd(0x200000));
    for (let i = 0; i < counters.length; i++) {
      const ksn = tdesKsn(i % 5, counters[i]);
      expect(H(cache.tdesPinKey('bdk', tdesBdk, ksn))).toBe(H(c.dukptPinKey(tdesBdk, ksn)));
    }
    const s = cache.stats();
    expect(s.devices).toBe(3);
    expect(s.misses).toBeGreaterThan(0);
  });
  it('TDES: a run of advancing counters costs about two steps each once the device is known', () => {
    const cache = new DukptKeyCache();
    cache.tdesPinKey('bdk', tdesBdk, tdesKsn(1, 300_000));
    const before = cache.stats().steps;
    for (let n = 300_001; n <= 301_000; n++) expect(cache.tdesPinKey('bdk', tdesBdk, tdesKsn(1, n))).toHaveLength(16);
    const perTxn = (cache.stats().steps - before) / 1000;
    expect(perTxn).toBeLessThan(2.1); // amortised: 1 + 1/2 + 1/4 + … steps per increment
    expect(H(cache.tdesPinKey('bdk', tdesBdk, tdesKsn(1, 301_000)))).toBe(H(c.dukptPinKey(tdesBdk, tdesKsn(1, 301_000))));
  });
  it('a different BDK (another field under the LMK) never shares a device entry', () => {
    const cache = new DukptKeyCache();
    const other = h('FEDCBA98765432100123456789ABCDEF');
    const ksn = tdesKsn(0, 5);
    expect(H(cache.tdesPinKey('bdk-a', tdesBdk, ksn))).toBe(H(c.dukptPinKey(tdesBdk, ksn)));
    expect(H(cache.tdesPinKey('bdk-b', other, ksn))).toBe(H(c.dukptPinKey(other, ksn)));
  });
  it('AES: advancing, backward and random 32-bit counters (including the top bit) match aesDukptKey', () => {
    const cache = new DukptKeyCache(2);
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) || 1);
    const counters = [1, 2, 3, 4, 0x80000000, 0x80000001, 0xffffffff, 0xfffffffe, 5, 1];
    for (let i = 0; i < 60; i++) counters.push(rnd());
    for (let i = 0; i < counters.length; i++) {
      const ksn = aesKsn(i % 3, counters[i]);
      expect(H(cache.aesPinKey('bdk', aesBdk, ksn))).toBe(H(c.aesDukptKey(aesBdk, ksn, 'pin')));
    }
  });
});
