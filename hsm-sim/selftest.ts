// Power-up self-test, as a FIPS 140-3 / PCI PTS HSM runs one before it serves: a known-answer test (KAT) of each
// cryptographic function the commands rely on, each against a published vector (the same ones test/hsm/crypto.test.ts
// checks; collected in the team reference shared/reference/payshield-hsm.md). Every KAT runs `rounds` times, which also lets V8
// compile the hot crypto paths before the first transaction arrives.
// Keys here are published test keys only; nothing is logged. The functions are called through the crypto library,
// exactly as commands.ts calls them.
// Not covered: Visa PVV (DC/EC/DG). The reference's PVV example (→ 8523) omits its PAN, so there is no published
// vector to check it against; its parts (3DES ECB, Visa decimalisation) are covered by des-ecb and visa-cvv.
import { performance } from 'node:perf_hooks';
import * as c from './crypto/index.js';

export const SELF_TEST_KATS = [
  'des-ecb',
  'tdes-kcv',
  'lmk-variant',
  'visa-cvv',
  'ibm-3624',
  'pin-block-0',
  'pin-block-1',
  'pin-block-3',
  'pin-block-4',
  'dukpt-tdes',
  'dukpt-aes',
  'emv-session-key',
  'emv-arqc-arpc',
  'mac-9797-1-alg1',
  'mac-9797-1-alg3',
  'aes-cmac',
  'tdes-cmac',
  'tr31-b-unwrap',
  'tr31-d-roundtrip',
] as const;
export type KatName = (typeof SELF_TEST_KATS)[number];

export interface SelfTestOptions {
  /** Times each KAT runs (default 32): more rounds, more of the crypto code compiled by V8 before traffic, but
   *  64 already takes ~100-150 ms on a loaded 2-core box, 32 about half that with most of the warm-up gain. */
  rounds?: number;
  /** TEST ONLY: flips one bit (the lowest bit of the last digit) of this KAT's first expected value, so the KAT
   *  must fail; proves the comparison is live. */
  corrupt?: KatName;
}
export interface SelfTestResult {
  ok: boolean;
  failed: string[];
  ms: number;
  kats: number;
}

const h = (s: string): Buffer => Buffer.from(s, 'hex');
const H = (b: Buffer): string => b.toString('hex').toUpperCase();

/** `want(v)` returns the expected value v (or, for a corrupted KAT, v with one bit flipped). */
type Want = (expected: string) => string;
type Kat = (want: Want) => boolean;

const K0123 = h('0123456789ABCDEFFEDCBA9876543210');
const TEST_LMK = c.testLmk();

const KATS: Record<KatName, Kat> = {
  // FIPS 81 / classic single-DES vector (key 133457799BBCDFF1), single DES as des-ede3 with the key repeated.
  'des-ecb': (want) => {
    const k = h('133457799BBCDFF1');
    const ct = c.tdesEcbEncrypt(k, h('0123456789ABCDEF'));
    return H(ct) === want('85E813540F0AB405') && H(c.tdesEcbDecrypt(k, ct)) === '0123456789ABCDEF';
  },
  // Two-key 3DES KCVs: 0123…3210 → 08D7B4 (payShield / ANSI X9.24 KCV convention); 3F41…F8B8 → 57C409
  // (the TR-31:2018 A.7.2.2 key).
  'tdes-kcv': (want) => c.kcv(K0123) === want('08D7B4') && c.kcv(h('3F419E1CB7079442AA37474C2EFBF8B8')) === want('57C409'),
  // payShield test LMK (reference check): CVK 0123…CDEF/FEDC…3210, key type 402 → U9B4934…; decrypted back, KCV 08D7B4.
  'lmk-variant': (want) => {
    const enc = c.encryptUnderLmkVariant(TEST_LMK, '402', K0123);
    const clear = c.decryptUnderLmkVariant(TEST_LMK, '402', enc);
    return H(enc).startsWith(want('9B4934')) && c.kcv(clear) === want('08D7B4') && clear.equals(K0123);
  },
  // Visa CVV example: CVK 0123456789ABCDEF/FEDCBA9876543210, PAN 4123456789012345, expiry 8701, service code 101 → 561.
  'visa-cvv': (want) => c.visaCvv(K0123, '4123456789012345', '8701', '101') === want('561'),
  // IBM 3624: PVK 0123…3210, decimalisation table 1234567890123456, validation data 1122334455667788:
  // natural PIN 4524 (offset 0000), PIN 1234 ↔ offset 7710.
  'ibm-3624': (want) => {
    const v = h('1122334455667788');
    return (
      c.ibmNaturalPin(K0123, v, '1234567890123456', 4) === want('4524') &&
      c.ibmOffset(K0123, v, '1234567890123456', '1234') === want('7710') &&
      c.ibmVerify(K0123, v, '1234567890123456', '1234', '7710', 4) &&
      !c.ibmVerify(K0123, v, '1234567890123456', '1235', '7710', 4)
    );
  },
  // ISO 9564-1 format 0: PIN 1234, PAN 5555555551234567 → 041261AAAAEDCBA9; PAN 5432101234567891 → 041215FEDCBA9876.
  'pin-block-0': (want) =>
    H(c.encodePinBlock(0, '1234', c.account12('5555555551234567'))) === want('041261AAAAEDCBA9') &&
    H(c.encodePinBlock(0, '1234', c.account12('5432101234567891'))) === want('041215FEDCBA9876') &&
    c.decodePinBlock(0, h('041261AAAAEDCBA9'), c.account12('5555555551234567')) === '1234',
  // ISO 9564-1 format 1: 1512345EDCBA9876 holds PIN 12345 (re-encoded with its own fill EDCBA9876).
  'pin-block-1': (want) =>
    c.decodePinBlock(1, h('1512345EDCBA9876')) === want('12345') && H(c.encodePinBlock(1, '12345', undefined, 'EDCBA9876')) === '1512345EDCBA9876',
  // ISO 9564-1 format 3: 341261AAAAEDCBA9 with PAN 5555555551234567 → PIN 1234 (its fill, PAN XORed out, is F×10).
  'pin-block-3': (want) =>
    c.decodePinBlock(3, h('341261AAAAEDCBA9'), c.account12('5555555551234567')) === want('1234') &&
    H(c.encodePinBlock(3, '1234', c.account12('5555555551234567'), 'FFFFFFFFFF')) === '341261AAAAEDCBA9',
  // ISO 9564-1:2017 format 4 (AES): key 00112233…EEFF, PIN 1234, PAN 1234567890123456789, fill FF×8 → 28B41FDD….
  'pin-block-4': (want) => {
    const k = h('00112233445566778899AABBCCDDEEFF');
    const b = c.encryptPinBlock4(k, '1234', '1234567890123456789', Buffer.alloc(8, 0xff));
    return H(b) === want('28B41FDDD29B743E93124BD8E32D921E') && c.decryptPinBlock4(k, b, '1234567890123456789', c.aesDecryptorOnce(k)) === '1234';
  },
  // ANSI X9.24-1:2009 A.4: BDK 0123…3210, KSN FFFF9876543210E00000 → IPEK 6AC292FA…; KSN …E00001 → PIN key
  // 042666B4…; clear PIN block 041274EDCBA9876F → 1B9C1845EB993A7A (decrypted as the HSM does, uncached).
  'dukpt-tdes': (want) => {
    const k = c.dukptPinKey(K0123, h('FFFF9876543210E00001'));
    const block = h(want('1B9C1845EB993A7A'));
    return (
      H(c.tdesIpek(K0123, h('FFFF9876543210E00000'))) === want('6AC292FAA1315B4D858AB3A3D7D5933A') &&
      H(k) === want('042666B49184CF5C68DE9628D0397B36') &&
      H(c.tdesDecryptorOnce(k)(block)) === '041274EDCBA9876F' &&
      H(c.tdesEncryptorOnce(k)(h('041274EDCBA9876F'))) === H(block)
    );
  },
  // ANSI X9.24-3:2017 test vectors: BDK FEDCBA9876543210F1F1F1F1F1F1F1F1, initial key ID 1234567890123456 →
  // initial key 1273671E…; counter 1 → PIN key AF8CB133….
  'dukpt-aes': (want) => {
    const bdk = h('FEDCBA9876543210F1F1F1F1F1F1F1F1');
    return (
      H(c.aesDukptInitialKey(bdk, h('1234567890123456'))) === want('1273671EA26AC29AFA4D1084127652A1') &&
      H(c.aesDukptKey(bdk, h('123456789012345600000001'), 'pin')) === want('AF8CB133A78F8DC2D1359F18527593FB')
    );
  },
  // EMV 4.x Book 2: IMK 0123…3210, PAN 9901234567890123, PSN 45, option A → ICC MK KCV 1DA5…; common session key
  // with R = 1234567890123456 → KCV 0995….
  'emv-session-key': (want) => {
    const mk = c.iccMasterKey(K0123, '9901234567890123', '45');
    return c.kcv(mk).startsWith(want('1DA5')) && c.kcv(c.commonSessionKey(mk, h('1234567890123456'))).startsWith(want('0995'));
  },
  // EMV 4.x Book 2 (same keys): ARQC over 0123456789ABCDEF×2 → 4B46013359B7A58B; ARPC method 1 (ICC MK, ARC 0000) →
  // F8C9CECAABD55AD1; method 2 (session key, CSU 00000000, proprietary data 1234567890ABCDEF) → 4962B76C.
  'emv-arqc-arpc': (want) => {
    const mk = c.iccMasterKey(K0123, '9901234567890123', '45');
    const sk = c.commonSessionKey(mk, h('1234567890123456'));
    const arqc = c.generateArqc(sk, h('0123456789ABCDEF0123456789ABCDEF'));
    return (
      H(arqc) === want('4B46013359B7A58B') &&
      H(c.arpcMethod1(mk, arqc, h('0000'))) === want('F8C9CECAABD55AD1') &&
      H(c.arpcMethod2(sk, arqc, h('00000000'), h('1234567890ABCDEF'))) === want('4962B76C')
    );
  },
  // ISO 9797-1 MAC algorithm 1: 2-key TDES AAAA…BBBB…, "hello world", padding 1 → 68D9038F23360DF3.
  'mac-9797-1-alg1': (want) => H(c.macIso9797Alg1(h('AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB'), Buffer.from('hello world'), 1)) === want('68D9038F23360DF3'),
  // ISO 9797-1 MAC algorithm 3 (retail MAC): K = 4141…‖4242…, "hello world", padding 1 → 3DDE5C5511661CBF.
  'mac-9797-1-alg3': (want) => H(c.macIso9797Alg3(h('41414141414141414242424242424242'), Buffer.from('hello world'), 1)) === want('3DDE5C5511661CBF'),
  // AES-CMAC, RFC 4493 §4 examples 1-4 (empty, 16, 40 and 64 bytes).
  'aes-cmac': (want) => {
    const k = h('2B7E151628AED2A6ABF7158809CF4F3C');
    const m = h('6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710');
    return (
      H(c.aesCmac(k, m.subarray(0, 0))) === want('BB1D6929E95937287FA37D129B756746') &&
      H(c.aesCmac(k, m.subarray(0, 16))) === want('070A16B46B4D4144F79BDD9DD04A287C') &&
      H(c.aesCmac(k, m.subarray(0, 40))) === want('DFA66747DE9AE63030CA32611497C827') &&
      H(c.aesCmac(k, m)) === want('51F0BEBF7E3B9D92FC49741779363CFE')
    );
  },
  // TDES-CMAC, NIST SP 800-38B D.2 example 1 (three-key TDEA, empty message) → B7A688E122FFAF95.
  'tdes-cmac': (want) => H(c.tdesCmac(h('8AA83BF8CBDA10620BC1BF19FBB6CD58BC313D4A371CA8B5'), Buffer.alloc(0))) === want('B7A688E122FFAF95'),
  // TR-31:2018 A.7.2.2 (version B): KBPK DD7515F2…, block B0080P0TE00E0000… → key 3F419E1CB7079442AA37474C2EFBF8B8.
  'tr31-b-unwrap': (want) => {
    const r = c.unwrapKeyBlock(h('DD7515F2BFC17F85CE48F3CA25CB21F6'), 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E');
    return H(r.key) === want('3F419E1CB7079442AA37474C2EFBF8B8') && r.header.usage === 'P0' && r.header.algorithm === 'T';
  },
  // TR-31 version D (no published vector in the repo): wrap under the test key-block LMK and unwrap (round trip);
  // a flipped ciphertext bit must fail the MAC.
  'tr31-d-roundtrip': (want) => {
    const key = h('00112233445566778899AABBCCDDEEFF');
    const block = c.wrapKeyBlockD(TEST_LMK.keyBlock, { usage: 'P0', algorithm: 'A', mode: 'N', version: '00', exportability: 'E' }, key);
    if (H(c.unwrapKeyBlockD(TEST_LMK.keyBlock, block).key) !== want('00112233445566778899AABBCCDDEEFF')) return false;
    if (block.slice(0, 16) !== 'D0112P0AN00E0000') return false;
    const bad = block.slice(0, 20) + (block[20] === '0' ? '1' : '0') + block.slice(21);
    try {
      c.unwrapKeyBlockD(TEST_LMK.keyBlock, bad);
      return false;
    } catch (e) {
      return e instanceof c.KeyBlockError;
    }
  },
};

/** Flips the lowest bit of the last hex/decimal digit (a decimal digit stays decimal: 1↔0, 9↔8). */
function flipLastBit(s: string): string {
  const last = s.at(-1)!;
  const v = parseInt(last, 16) ^ 1;
  const ch = v.toString(16);
  return s.slice(0, -1) + (last === last.toUpperCase() ? ch.toUpperCase() : ch);
}

/** Runs every KAT `rounds` times. A KAT fails on a wrong value or an exception in any round. */
export function runSelfTest(opts: SelfTestOptions = {}): SelfTestResult {
  const rounds = opts.rounds ?? 32;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('self-test rounds must be a positive integer');
  const t0 = performance.now();
  const failed: string[] = [];
  const exact: Want = (v) => v;
  for (const name of SELF_TEST_KATS) {
    let want = exact;
    if (opts.corrupt === name) {
      let first = true;
      want = (v) => (first ? ((first = false), flipLastBit(v)) : v);
    }
    let ok = true;
    for (let i = 0; i < rounds && ok; i++) {
      try {
        ok = KATS[name](want);
      } catch {
        ok = false;
      }
    }
    if (!ok) failed.push(name);
  }
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  return { ok: failed.length === 0, failed, ms, kats: SELF_TEST_KATS.length };
}
