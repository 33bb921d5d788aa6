import { describe, expect, it } from 'vitest';
import { aesDukptKey, decryptPinBlock4, dukptPinKey, hex, tdesDukptKey } from '../../hsm-sim/crypto/index.js';
import { AesDukptTerminal, DukptTerminal, makeKsn } from '../../src/sim/dukpt.js';

// ANSI X9.24-1:2009 Annex A sample: BDK 0123456789ABCDEFFEDCBA9876543210, initial KSN FFFF9876543210E00000,
// PIN 1234, PAN 4012345678909, ISO format 0 PIN blocks for the first transactions.
const BDK = hex('0123456789ABCDEFFEDCBA9876543210');

describe('terminal-side DUKPT (incremental derivation)', () => {
  it('reproduces the X9.24-1 sample PIN blocks for counters 1..5', () => {
    const t = new DukptTerminal(BDK, hex('FFFF9876543210E00000'));
    const expected = ['1B9C1845EB993A7A', '10A01C8D02C69107', '18DC07B94797B466', '0BC79509D5645DF7', '5BC0AF22AD87B327'];
    expected.forEach((block, i) => {
      const r = t.nextPinBlock('1234', '4012345678909');
      expect(r.ksn).toBe(`FFFF9876543210E0000${i + 1}`);
      expect(r.pinBlock).toBe(block);
    });
  });

  it('the first transaction key is the X9.24 sample value; the PIN key is it with the PIN variant', () => {
    const t = new DukptTerminal(BDK, hex('FFFF9876543210E00000'));
    const { ksn, key } = t.nextKey();
    expect(key.toString('hex').toUpperCase()).toBe('042666B49184CFA368DE9628D0397BC9');
    expect(dukptPinKey(BDK, ksn).toString('hex').toUpperCase()).toBe('042666B49184CF5C68DE9628D0397B36');
  });

  it('agrees with the host-side derivation for 1,500 consecutive counters, skipping counters with > 10 one-bits', () => {
    const t = new DukptTerminal(BDK, makeKsn('FFFF987654', 77));
    let last = 0;
    for (let i = 0; i < 1500; i++) {
      const { ksn, key } = t.nextKey();
      const counter = ksn.readUIntBE(7, 3) & 0x1fffff;
      expect(counter).toBeGreaterThan(last);
      last = counter;
      if (i % 7 === 0 || i < 40) expect(key.equals(tdesDukptKey(BDK, ksn))).toBe(true);
    }
    // Starting mid-life (counter 0x0FFBFF has 19 one-bits): the next usable counter has at most 10.
    const mid = new DukptTerminal(BDK, makeKsn('FFFF987654', 3, 0x0ffbff));
    const { ksn, key } = mid.nextKey();
    const c = ksn.readUIntBE(7, 3) & 0x1fffff;
    expect(c.toString(2).replace(/0/g, '').length).toBeLessThanOrEqual(10);
    expect(key.equals(tdesDukptKey(BDK, ksn))).toBe(true);
  });

  it('makeKsn puts the device id above the 21-bit counter', () => {
    expect(makeKsn('FFFF987654', 0x19087, 1).toString('hex').toUpperCase()).toBe('FFFF9876543210E00001');
    expect(() => makeKsn('FFFF987654', 1 << 19)).toThrow(RangeError);
  });
});

// ANSI X9.24-3-2017 sample (AES-128 BDK FEDCBA9876543210F1F1F1F1F1F1F1F1, initial key ID 1234567890123456): the PIN
// encryption key of KSN 123456789012345600000001 is AF8CB133A78F8DC2D1359F18527593FB.
const AES_BDK = hex('FEDCBA9876543210F1F1F1F1F1F1F1F1');

describe('terminal-side AES DUKPT (X9.24-3)', () => {
  it('the first transaction: KSN …00000001 and the published PIN encryption key; its ISO 4 block decrypts to the PIN', () => {
    const t = new AesDukptTerminal(AES_BDK, hex('1234567890123456'));
    const { ksn, key } = t.nextKey();
    expect(ksn.toString('hex').toUpperCase()).toBe('123456789012345600000001');
    expect(key.toString('hex').toUpperCase()).toBe('AF8CB133A78F8DC2D1359F18527593FB');
    const r = t.nextPinBlock('4711', '4761739001010119');
    expect(r.ksn).toBe('123456789012345600000002');
    expect(r.pinBlock).toMatch(/^[0-9A-F]{32}$/);
    expect(decryptPinBlock4(aesDukptKey(AES_BDK, hex(r.ksn)), hex(r.pinBlock), '4761739001010119')).toBe('4711');
  });

  it('agrees with the host-side derivation over consecutive counters and skips counters with > 16 one-bits', () => {
    const t = new AesDukptTerminal(AES_BDK, hex('FFFF987600000005'));
    for (let i = 0; i < 60; i++) {
      const { ksn, key } = t.nextKey();
      expect(ksn.readUInt32BE(8)).toBe(i + 1);
      expect(key.equals(aesDukptKey(AES_BDK, ksn))).toBe(true);
    }
    // 0x0001FFFF has 17 one-bits and 0x0001FFFE 16: from 0x0001FFFE the next usable counter is 0x00020000.
    const mid = new AesDukptTerminal(AES_BDK, hex('FFFF987600000005'), 0x0001fffe);
    const { ksn, key } = mid.nextKey();
    expect(ksn.readUInt32BE(8)).toBe(0x00020000);
    expect(key.equals(aesDukptKey(AES_BDK, ksn))).toBe(true);
    expect(() => new AesDukptTerminal(AES_BDK, hex('FFFF9876'))).toThrow(RangeError);
  });
});
