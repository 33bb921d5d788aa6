// The payment-crypto library against published test vectors (sources named per test; collected in
// /work/shared/reference/payshield-hsm.md).
import { describe, expect, it } from 'vitest';
import { createCipheriv } from 'node:crypto';
import * as c from '../../hsm-sim/crypto/index.js';

const h = (s: string) => Buffer.from(s, 'hex');
const H = (b: Buffer) => b.toString('hex').toUpperCase();

describe('DES helpers and KCV', () => {
  it('KCV of 0123456789ABCDEFFEDCBA9876543210 is 08D7B4 (payShield/ANSI X9.24 KCV convention)', () => {
    expect(c.kcv(h('0123456789ABCDEFFEDCBA9876543210'))).toBe('08D7B4');
    expect(c.kcv(h('3F419E1CB7079442AA37474C2EFBF8B8'))).toBe('57C409'); // TR-31:2018 A.7.2.2 key
  });
  it('single DES via des-ede3 equals FIPS 81 / classic vector 133457799BBCDFF1: 0123456789ABCDEF → 85E813540F0AB405', () => {
    expect(H(c.tdesEcbEncrypt(h('133457799BBCDFF1'), h('0123456789ABCDEF')))).toBe('85E813540F0AB405');
  });
  it('parity: fixParity makes every byte odd, hasOddParity detects a flipped bit', () => {
    const k = c.fixParity(h('00112233445566778899AABBCCDDEEFF'));
    expect(c.hasOddParity(k)).toBe(true);
    k[3] ^= 1;
    expect(c.hasOddParity(k)).toBe(false);
  });
});

describe('LMK variant scheme (payShield test LMK)', () => {
  const lmk = c.testLmk();
  it('CVK 0123456789ABCDEF/FEDCBA9876543210 (type 402) under the test LMK starts U9B4934 (reference check)', () => {
    const enc = c.encryptUnderLmkVariant(lmk, '402', h('0123456789ABCDEFFEDCBA9876543210'));
    expect(('U' + H(enc)).startsWith('U9B4934')).toBe(true);
    expect(H(c.decryptUnderLmkVariant(lmk, '402', enc))).toBe('0123456789ABCDEFFEDCBA9876543210');
  });
  it('the same clear key under another key type encrypts differently and decrypts to garbage under the wrong type', () => {
    const clear = h('0123456789ABCDEFFEDCBA9876543210');
    const asZpk = c.encryptUnderLmkVariant(lmk, '001', clear);
    expect(H(asZpk)).not.toBe(H(c.encryptUnderLmkVariant(lmk, '402', clear)));
    expect(c.hasOddParity(c.decryptUnderLmkVariant(lmk, '402', asZpk))).toBe(false);
  });
  it('TR-31 version B (TR-31:2018 A.7.2.2): KBPK DD7515F2…, block B0080P0TE00E0000… → key 3F419E1CB7079442AA37474C2EFBF8B8', () => {
    const kbpk = h('DD7515F2BFC17F85CE48F3CA25CB21F6');
    const block = 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E';
    const r = c.unwrapKeyBlock(kbpk, block);
    expect(H(r.key)).toBe('3F419E1CB7079442AA37474C2EFBF8B8');
    expect(r.header).toEqual({ usage: 'P0', algorithm: 'T', mode: 'E', version: '00', exportability: 'E' });
    expect(() => c.unwrapKeyBlock(kbpk, block.slice(0, 79) + (block[79] === 'E' ? 'F' : 'E'))).toThrow(/MAC/);
  });
  it('TR-31 version D key block: round trip, and a flipped ciphertext bit fails the MAC', () => {
    const kbpk = lmk.keyBlock;
    const key = h('00112233445566778899AABBCCDDEEFF');
    const block = c.wrapKeyBlockD(kbpk, { usage: 'P0', algorithm: 'A', mode: 'N', version: '00', exportability: 'E' }, key);
    expect(block.slice(0, 16)).toBe('D0112P0AN00E0000');
    expect(H(c.unwrapKeyBlockD(kbpk, block).key)).toBe(H(key));
    const bad = block.slice(0, 20) + (block[20] === '0' ? '1' : '0') + block.slice(21);
    expect(() => c.unwrapKeyBlockD(kbpk, bad)).toThrow(/MAC/);
  });
});

describe('ISO 9564-1 PIN blocks', () => {
  it('format 0: PIN 1234 with PAN 5555555551234567 → 041261AAAAEDCBA9, with 5432101234567891 → 041215FEDCBA9876', () => {
    expect(H(c.encodePinBlock(0, '1234', c.account12('5555555551234567')))).toBe('041261AAAAEDCBA9');
    expect(H(c.encodePinBlock(0, '1234', c.account12('5432101234567891')))).toBe('041215FEDCBA9876');
    expect(c.decodePinBlock(0, h('041261AAAAEDCBA9'), c.account12('5555555551234567'))).toBe('1234');
  });
  it('format 1: 1512345EDCBA9876 holds PIN 12345; encoding with the same fill reproduces it', () => {
    expect(c.decodePinBlock(1, h('1512345EDCBA9876'))).toBe('12345');
    expect(H(c.encodePinBlock(1, '12345', undefined, 'EDCBA9876'))).toBe('1512345EDCBA9876');
  });
  it('format 3: 341261AAAAEDCBA9 with PAN 5555555551234567 → PIN 1234; random fills are A–F only', () => {
    expect(c.decodePinBlock(3, h('341261AAAAEDCBA9'), c.account12('5555555551234567'))).toBe('1234');
    for (let i = 0; i < 50; i++) {
      const b = c.encodePinBlock(3, '1234', c.account12('5555555551234567'));
      expect(c.decodePinBlock(3, b, c.account12('5555555551234567'))).toBe('1234');
    }
  });
  it('format 4 (ISO 9564-1:2017, AES): key 00112233…EEFF, PIN 1234, PAN 1234567890123456789, fill FF×8 → 28B41FDDD29B743E93124BD8E32D921E', () => {
    const k = h('00112233445566778899AABBCCDDEEFF');
    const b = c.encryptPinBlock4(k, '1234', '1234567890123456789', Buffer.alloc(8, 0xff));
    expect(H(b)).toBe('28B41FDDD29B743E93124BD8E32D921E');
    expect(c.decryptPinBlock4(k, b, '1234567890123456789')).toBe('1234');
    expect(() => c.decryptPinBlock4(k, b, '1234567890123456788')).toThrow();
  });
  it('rejects malformed blocks with ISO error codes: bad fill → 20, PIN length 3 → 24', () => {
    expect(() => c.decodePinBlock(0, h('041234FFFFFFFFF0'), '000000000000')).toThrow(expect.objectContaining({ code: '20' }));
    expect(() => c.encodePinBlock(0, '123', '000000000000')).toThrow(expect.objectContaining({ code: '24' }));
  });
});

describe('DUKPT', () => {
  const bdk = h('0123456789ABCDEFFEDCBA9876543210');
  it('TDES (ANSI X9.24-1:2009 A.4): IPEK for KSN FFFF9876543210E00000 is 6AC292FAA1315B4D858AB3A3D7D5933A', () => {
    expect(H(c.tdesIpek(bdk, h('FFFF9876543210E00000')))).toBe('6AC292FAA1315B4D858AB3A3D7D5933A');
  });
  it('TDES: KSN …E00001 PIN key 042666B49184CF5C68DE9628D0397B36; PIN block 041274EDCBA9876F → 1B9C1845EB993A7A', () => {
    const k = c.dukptPinKey(bdk, h('FFFF9876543210E00001'));
    expect(H(k)).toBe('042666B49184CF5C68DE9628D0397B36');
    expect(H(c.tdesEcbEncrypt(k, h('041274EDCBA9876F')))).toBe('1B9C1845EB993A7A');
    expect(H(c.encryptPinBlock(k, 0, '1234', '4012345678909'))).toBe('1B9C1845EB993A7A');
  });
  it('TDES: successive KSNs give distinct keys, and the counter bits of the KSN do not change the IPEK', () => {
    const keys = new Set<string>();
    for (const n of ['E00001', 'E00002', 'E00003', 'E00004', 'E00010', 'FFFFFF'.slice(0, 6)]) keys.add(H(c.dukptPinKey(bdk, h('FFFF9876543210' + n))));
    expect(keys.size).toBe(6);
    expect(H(c.tdesIpek(bdk, h('FFFF9876543210E00123')))).toBe('6AC292FAA1315B4D858AB3A3D7D5933A');
  });
  it('AES (ANSI X9.24-3:2017 test vectors): BDK FEDCBA9876543210F1F1F1F1F1F1F1F1, ID 1234567890123456 → IK 1273671E…, counter 1 PIN key AF8CB133…', () => {
    const abdk = h('FEDCBA9876543210F1F1F1F1F1F1F1F1');
    expect(H(c.aesDukptInitialKey(abdk, h('1234567890123456')))).toBe('1273671EA26AC29AFA4D1084127652A1');
    expect(H(c.aesDukptKey(abdk, h('123456789012345600000001'), 'pin'))).toBe('AF8CB133A78F8DC2D1359F18527593FB');
  });
});

describe('issuer algorithms', () => {
  const pvk = h('0123456789ABCDEFFEDCBA9876543210');
  it('Visa CVV: CVK 0123456789ABCDEF/FEDCBA9876543210, PAN 4123456789012345, 8701, 101 → 561 (Visa CVV example)', () => {
    expect(c.visaCvv(pvk, '4123456789012345', '8701', '101')).toBe('561');
  });
  it('IBM 3624: dec table 1234567890123456, validation data 1122334455667788 → natural PIN 4524; offset 7710 ↔ PIN 1234', () => {
    const v = h('1122334455667788');
    expect(c.ibmNaturalPin(pvk, v, '1234567890123456', 4)).toBe('4524');
    expect(c.ibmOffset(pvk, v, '1234567890123456', '4524')).toBe('0000');
    expect(c.ibmOffset(pvk, v, '1234567890123456', '1234')).toBe('7710');
    expect(c.ibmVerify(pvk, v, '1234567890123456', '1234', '7710', 4)).toBe(true);
    expect(c.ibmVerify(pvk, v, '1234567890123456', '1235', '7710', 4)).toBe(false);
  });
  it('Visa PVV: TSP, 3DES and decimalisation per the Visa PIN Verification Value method, checked step by step', () => {
    // The reference's PVV example (→ 8523) omits its PAN, so this checks the method on an explicit TSP instead:
    // TSP = 11 PAN digits (excluding check digit) ‖ PVKI ‖ 4 PIN digits, encrypted with node:crypto directly.
    const pan = '4123456789012345';
    const tsp = '45678901234' + '1' + '4524';
    expect(pan.slice(-12, -1) + '1' + '4524').toBe(tsp);
    const cip = createCipheriv('des-ede3-ecb', Buffer.concat([pvk, pvk.subarray(0, 8)]), null).setAutoPadding(false);
    const enc = H(cip.update(h(tsp)));
    const digits = [...enc].filter((x) => x <= '9').join('') + [...enc].filter((x) => x > '9').map((x) => String(parseInt(x, 16) - 10)).join('');
    expect(c.visaPvv(pvk, pan, '1', '4524')).toBe(digits.slice(0, 4));
    expect(c.visaPvv(pvk, pan, '2', '4524')).not.toBe(c.visaPvv(pvk, pan, '1', '4524'));
  });
  it('Visa decimalisation: digits first, then A–F minus 10', () => {
    expect(c.visaDecimalise('A1B2C3', 6)).toBe('123012');
  });
});

describe('EMV (EMV 4.x Book 2, common session key)', () => {
  const imk = h('0123456789ABCDEFFEDCBA9876543210');
  const mk = c.iccMasterKey(imk, '9901234567890123', '45');
  const sk = c.commonSessionKey(mk, h('1234567890123456'));
  const arqc = c.generateArqc(sk, h('0123456789ABCDEF0123456789ABCDEF'));
  it('ICC MK option A (KCV 1DA5…), session key with R = 1234567890123456 (KCV 0995…)', () => {
    expect(c.kcv(mk).startsWith('1DA5')).toBe(true);
    expect(c.kcv(sk).startsWith('0995')).toBe(true);
  });
  it('ARQC over 0123456789ABCDEF×2 with 0x80 padding → 4B46013359B7A58B', () => {
    expect(H(arqc)).toBe('4B46013359B7A58B');
  });
  it('ARPC method 1 (ICC MK, ARC 0000) → F8C9CECAABD55AD1; method 2 (CSU 00000000, data 1234567890ABCDEF) → 4962B76C', () => {
    expect(H(c.arpcMethod1(mk, arqc, h('0000')))).toBe('F8C9CECAABD55AD1');
    expect(H(c.arpcMethod2(sk, arqc, h('00000000'), h('1234567890ABCDEF')))).toBe('4962B76C');
  });
});

describe('MACs', () => {
  it('ISO 9797-1 algorithm 3: K = 4141…‖4242…, "hello world", padding 1 → 3DDE5C5511661CBF', () => {
    expect(H(c.macIso9797Alg3(h('41414141414141414242424242424242'), Buffer.from('hello world'), 1))).toBe('3DDE5C5511661CBF');
  });
  it('ISO 9797-1 algorithm 1: 2-key TDES AAAA…BBBB…, "hello world", padding 1 → 68D9038F23360DF3', () => {
    expect(H(c.macIso9797Alg1(h('AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB'), Buffer.from('hello world'), 1))).toBe('68D9038F23360DF3');
  });
  it('TDES-CMAC: NIST SP 800-38B D.2 example 1 (three-key TDEA, empty message) → b7a688e122ffaf95', () => {
    expect(c.tdesCmac(h('8aa83bf8cbda10620bc1bf19fbb6cd58bc313d4a371ca8b5'), Buffer.alloc(0)).toString('hex')).toBe('b7a688e122ffaf95');
  });
  it('AES-CMAC: RFC 4493 §4 examples 1–4', () => {
    const k = h('2b7e151628aed2a6abf7158809cf4f3c');
    const m = h('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
    expect(c.aesCmac(k, m.subarray(0, 0)).toString('hex')).toBe('bb1d6929e95937287fa37d129b756746');
    expect(c.aesCmac(k, m.subarray(0, 16)).toString('hex')).toBe('070a16b46b4d4144f79bdd9dd04a287c');
    expect(c.aesCmac(k, m.subarray(0, 40)).toString('hex')).toBe('dfa66747de9ae63030ca32611497c827');
    expect(c.aesCmac(k, m).toString('hex')).toBe('51f0bebf7e3b9d92fc49741779363cfe');
  });
});
