// The HSM end to end through the TCP protocol: published vectors through the commands (via the client and raw
// frames), key-type enforcement, and bad input (each with its documented error code; the server keeps serving).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHsmServer, type HsmServer } from '../../hsm-sim/server.js';
import * as c from '../../hsm-sim/crypto/index.js';
import { createHsmClient, type HsmClient } from '../../src/hsm/client.js';
import { HsmError } from '../../src/hsm/api.js';
import { formKey, frame, RawConn } from './helpers.js';

const h = (s: string) => Buffer.from(s, 'hex');
const H = (b: Buffer) => b.toString('hex').toUpperCase();

let server: HsmServer;
let client: HsmClient;
const logs: string[] = [];

beforeAll(async () => {
  server = await startHsmServer({ port: 0, log: (l) => logs.push(l) });
  client = createHsmClient({ host: '127.0.0.1', port: server.port, connections: 2, timeoutMs: 20_000 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const CLEAR_DOUBLE = '0123456789ABCDEFFEDCBA9876543210';
const zpkClear = c.fixParity(h('23456789ABCDEF0132547698BADCFE10'));
const zpk = formKey('ZPK', H(zpkClear));
const tpkClear = c.fixParity(h('0F1E2D3C4B5A69788796A5B4C3D2E1F0'));
const tpk = formKey('TPK', H(tpkClear));

describe('diagnostics and keys', () => {
  it('NC returns the LMK check value and firmware', async () => {
    const d = await client.diagnostics();
    expect(d.lmkCheckValue).toBe(c.lmkCheckValue(c.testLmk()));
    expect(d.firmware).toHaveLength(9);
  });
  it('BU: KCV of the CVK 0123…3210 under the test LMK is 08D7B4 (and the key starts U9B4934)', async () => {
    const cvk = formKey('CVK', CLEAR_DOUBLE);
    expect(cvk.startsWith('U9B4934')).toBe(true);
    expect(await client.keyCheckValue('CVK', cvk)).toBe('08D7B4');
  });
  it('A0 generates keys (U, T, S) whose KCVs BU confirms; A0 mode 1 + A6 import + A8 export round-trip under a ZMK', async () => {
    for (const scheme of ['U', 'T', 'S'] as const) {
      const k = await client.generateKey('ZPK', { scheme });
      expect(k.key[0]).toBe(scheme);
      expect(await client.keyCheckValue('ZPK', k.key)).toBe(k.kcv);
    }
    const zmk = await client.generateKey('ZMK');
    const made = await client.generateKey('ZPK', { zmk: zmk.key });
    expect(made.keyUnderZmk).toMatch(/^X[0-9A-F]{32}$/);
    const imported = await client.importKey('ZPK', zmk.key, made.keyUnderZmk!);
    expect(imported).toEqual({ key: made.key, kcv: made.kcv });
    const exported = await client.exportKey('ZPK', zmk.key, made.key);
    expect(exported).toEqual({ keyUnderZmk: made.keyUnderZmk, kcv: made.kcv });
  });
  it('A0 with an invalid key type code answers 04; S scheme for a CVK answers 26', async () => {
    const raw = new RawConn(server.port);
    expect(await raw.request('0001A00Z99U')).toBe('0001A104');
    expect(await raw.request('0002A00402S')).toBe('0002A126');
    raw.end();
  });
});

describe('card verification values (CW/CY)', () => {
  const cvk = formKey('CVK', CLEAR_DOUBLE);
  it('CW gives the Visa CVV example 561 through the wire (raw frame, payShield layout)', async () => {
    const raw = new RawConn(server.port);
    expect(await raw.request(`HDR1CW${cvk}4123456789012345;8701101`)).toBe('HDR1CX00561');
    // The CVK pair as two single-length halves under the LMK (32H, no scheme letter) works too.
    const halves = H(c.encryptUnderLmkVariant(c.testLmk(), '402', h('0123456789ABCDEF'))) + H(c.encryptUnderLmkVariant(c.testLmk(), '402', h('FEDCBA9876543210')));
    expect(await raw.request(`HDR2CW${halves}4123456789012345;8701101`)).toBe('HDR2CX00561');
    raw.end();
  });
  it('CY verifies 561 (CZ00) and rejects 562 (CZ01); CVV2 (000) and iCVV (999) match the library', async () => {
    expect(await client.verifyCvv({ cvk, cvv: '561', pan: '4123456789012345', expiry: '8701', serviceCode: '101' })).toBe(true);
    expect(await client.verifyCvv({ cvk, cvv: '562', pan: '4123456789012345', expiry: '8701', serviceCode: '101' })).toBe(false);
    for (const sc of ['000', '999']) {
      const v = await client.generateCvv({ cvk, pan: '4123456789012345', expiry: '8701', serviceCode: sc });
      expect(v).toBe(c.visaCvv(h(CLEAR_DOUBLE), '4123456789012345', '8701', sc));
      expect(await client.verifyCvv({ cvk, cvv: v, pan: '4123456789012345', expiry: '8701', serviceCode: sc })).toBe(true);
    }
  });
  it('a ZPK cannot be used as a CVK (10), nor a flipped-bit key (10)', async () => {
    const raw = new RawConn(server.port);
    const asZpk = formKey('ZPK', CLEAR_DOUBLE);
    expect(await raw.request(`0001CW${asZpk}4123456789012345;8701101`)).toBe('0001CX10');
    const flipped = cvk.slice(0, 5) + (cvk[5] === '0' ? '1' : '0') + cvk.slice(6);
    expect(await raw.request(`0002CW${flipped}4123456789012345;8701101`)).toBe('0002CX10');
    raw.end();
  });
});

describe('PIN translation (CA/CC/G0)', () => {
  it('CA: ISO 0 block (PIN 1234, PAN 5555555551234567 → 041261AAAAEDCBA9) TPK → ZPK, and to ISO 3', async () => {
    const clear = h('041261AAAAEDCBA9');
    const r = await client.translatePin({ sourceKeyType: 'TPK', sourceKey: tpk, destZpk: zpk, pinBlock: H(c.tdesEcbEncrypt(tpkClear, clear)), sourceFormat: '01', destFormat: '01', pan: '5555555551234567' });
    expect(r.pinLength).toBe(4);
    expect(H(c.tdesEcbDecrypt(zpkClear, h(r.pinBlock)))).toBe('041261AAAAEDCBA9');
    const r3 = await client.translatePin({ sourceKeyType: 'TPK', sourceKey: tpk, destZpk: zpk, pinBlock: H(c.tdesEcbEncrypt(tpkClear, clear)), sourceFormat: '01', destFormat: '47', pan: '5555555551234567' });
    expect(c.decodePinBlock(3, c.tdesEcbDecrypt(zpkClear, h(r3.pinBlock)), c.account12('5555555551234567'))).toBe('1234');
  });
  it('CC: ZPK → ZPK, ISO 1 source', async () => {
    const zpk2Clear = c.fixParity(h('89ABCDEF0123456776543210FEDCBA98'));
    const zpk2 = formKey('ZPK', H(zpk2Clear));
    const src = c.tdesEcbEncrypt(zpkClear, h('1512345EDCBA9876'));
    const r = await client.translatePin({ sourceKeyType: 'ZPK', sourceKey: zpk, destZpk: zpk2, pinBlock: H(src), sourceFormat: '05', destFormat: '01', pan: '5432101234567891' });
    expect(r.pinLength).toBe(5);
    expect(c.decodePinBlock(0, c.tdesEcbDecrypt(zpk2Clear, h(r.pinBlock)), c.account12('5432101234567891'))).toBe('12345');
  });
  it('a TAK cannot translate a PIN: as the source key → 10, as the destination → 11', async () => {
    const tak = formKey('TAK', H(tpkClear));
    const raw = new RawConn(server.port);
    expect(await raw.request(`0001CA${tak}${zpk}12${'0'.repeat(16)}0101555555123456`)).toBe('0001CB10');
    expect(await raw.request(`0002CA${tpk}${tak}12${'0'.repeat(16)}0101555555123456`)).toBe('0002CB11');
    raw.end();
  });
  it('G0 TDES DUKPT (X9.24-1 A.4): BDK 0123…3210, KSN FFFF9876543210E00001, block 1B9C1845EB993A7A → PIN 1234 under the ZPK', async () => {
    const bdk = formKey('BDK', CLEAR_DOUBLE);
    const r = await client.translatePinFromDukpt({ bdk, ksn: 'FFFF9876543210E00001', destZpk: zpk, pinBlock: '1B9C1845EB993A7A', sourceFormat: '01', destFormat: '01', pan: '4012345678909' });
    expect(r).toMatchObject({ pinLength: 4, format: '01' });
    expect(H(c.tdesEcbDecrypt(zpkClear, h(r.pinBlock)))).toBe('041274EDCBA9876F');
  });
  it('G0 AES DUKPT (X9.24-3): counter-1 PIN key AF8CB133…, ISO 4 block → ISO 0 under a TDES ZPK, and → ISO 4 under an AES ZPK', async () => {
    const bdk = formKey('BDK', 'FEDCBA9876543210F1F1F1F1F1F1F1F1', 'S');
    const pan = '4111111111111111';
    const block = c.encryptPinBlock4(h('AF8CB133A78F8DC2D1359F18527593FB'), '987654', pan); // X9.24-3 published PIN key
    const r = await client.translatePinFromDukpt({ bdk, ksn: '123456789012345600000001', destZpk: zpk, pinBlock: H(block), sourceFormat: '48', destFormat: '01', pan, aes: true });
    expect(r.pinLength).toBe(6);
    expect(c.decodePinBlock(0, c.tdesEcbDecrypt(zpkClear, h(r.pinBlock)), c.account12(pan))).toBe('987654');
    const aesZpkClear = h('00112233445566778899AABBCCDDEEFF');
    const aesZpk = formKey('ZPK', H(aesZpkClear), 'S');
    const r4 = await client.translatePinFromDukpt({ bdk, ksn: '123456789012345600000001', destZpk: aesZpk, pinBlock: H(block), sourceFormat: '48', destFormat: '48', pan, aes: true });
    expect(r4.pinBlock).toHaveLength(32);
    expect(c.decryptPinBlock4(aesZpkClear, h(r4.pinBlock), pan)).toBe('987654');
  });
  it('CI (TDES DUKPT, ISO 0 source) answers the X9.24-1 vector on a raw frame', async () => {
    const bdk = formKey('BDK', CLEAR_DOUBLE);
    const raw = new RawConn(server.port);
    const r = await raw.request(`0001CI${bdk}${zpk}020FFFF9876543210E000011B9C1845EB993A7A01401234567890`);
    expect(r.slice(0, 10)).toBe('0001CJ0004');
    expect(H(c.tdesEcbDecrypt(zpkClear, h(r.slice(10, 26))))).toBe('041274EDCBA9876F');
    expect(r.slice(26)).toBe('01');
    // KSN descriptor that does not fit the BDK → 27; a ZPK key block used as BDK → 28.
    expect(await raw.request(`0002CI${bdk}${zpk}024${'0'.repeat(24)}1B9C1845EB993A7A01401234567890`)).toBe('0002CJ27');
    const aesZpk = formKey('ZPK', '00112233445566778899AABBCCDDEEFF', 'S');
    expect(await raw.request(`0003CI${aesZpk}${zpk}024${'0'.repeat(23)}1${'0'.repeat(32)}48164111111111111111`)).toBe('0003CJ28');
    raw.end();
  });
  it('a PIN block format that does not fit the key answers 23; a bad format code answers 23', async () => {
    const raw = new RawConn(server.port);
    expect(await raw.request(`0001CC${zpk}${zpk}12${'0'.repeat(16)}0148191234567890123456789`)).toBe('0001CD23');
    expect(await raw.request(`0002CC${zpk}${zpk}12${'0'.repeat(16)}0299555555123456`)).toBe('0002CD23');
    raw.end();
  });
});

describe('PIN verification (DA/EA IBM 3624, DC/EC Visa PVV, DE/DG/BA generation)', () => {
  const pvk = formKey('PVK', CLEAR_DOUBLE);
  const pan = '5555555551234567';
  const blockFor = (pin: string) => H(c.tdesEcbEncrypt(zpkClear, c.encodePinBlock(0, pin, c.account12(pan))));
  const ibm = { keyType: 'ZPK' as const, key: zpk, pvk, format: '01' as const, pan, decimalisationTable: '1234567890123456', pinValidationData: '1122334455667788' };
  it('EA: IBM 3624 vector (table 1234567890123456, data 1122334455667788): offset 7710 ↔ PIN 1234, offset 0000 ↔ 4524', async () => {
    expect(await client.verifyPinIbm({ ...ibm, pinBlock: blockFor('1234'), offset: '7710' })).toBe(true);
    expect(await client.verifyPinIbm({ ...ibm, pinBlock: blockFor('4524'), offset: '0000' })).toBe(true);
    expect(await client.verifyPinIbm({ ...ibm, pinBlock: blockFor('1235'), offset: '7710' })).toBe(false);
  });
  it('DA (TPK source) verifies the same PIN', async () => {
    const b = H(c.tdesEcbEncrypt(tpkClear, c.encodePinBlock(0, '1234', c.account12(pan))));
    expect(await client.verifyPinIbm({ ...ibm, keyType: 'TPK', key: tpk, pinBlock: b, offset: '7710' })).toBe(true);
  });
  it('BA → DE gives offset 7710 for PIN 1234; BA → DG gives the PVV that EC/DC verify', async () => {
    const pinLmk = await client.encryptPinUnderLmk('1234', pan);
    expect(pinLmk).toMatch(/^[0-9A-F]{16}$/);
    expect(await client.generateIbmOffset({ pvk, pinUnderLmk: pinLmk, pan, decimalisationTable: '1234567890123456', pinValidationData: '1122334455667788' })).toBe('7710FFFFFFFF');
    const pvv = await client.generateVisaPvv({ pvk, pinUnderLmk: pinLmk, pan, pvki: '1' });
    expect(pvv).toBe(c.visaPvv(h(CLEAR_DOUBLE), pan, '1', '1234'));
    expect(await client.verifyPinVisa({ keyType: 'ZPK', key: zpk, pvk, pinBlock: blockFor('1234'), format: '01', pan, pvki: '1', pvv })).toBe(true);
    expect(await client.verifyPinVisa({ keyType: 'ZPK', key: zpk, pvk, pinBlock: blockFor('4321'), format: '01', pan, pvki: '1', pvv })).toBe(false);
    const tb = H(c.tdesEcbEncrypt(tpkClear, c.encodePinBlock(0, '1234', c.account12(pan))));
    expect(await client.verifyPinVisa({ keyType: 'TPK', key: tpk, pvk, pinBlock: tb, format: '01', pan, pvki: '1', pvv })).toBe(true);
  });
  it('GQ verifies a DUKPT PIN block against the PVV in one command (X9.24-1 A.4 block 1B9C1845EB993A7A = PIN 1234), as G0 then EC do in two', async () => {
    const bdk = formKey('BDK', CLEAR_DOUBLE);
    const dpan = '4012345678909';
    const pvv = c.visaPvv(h(CLEAR_DOUBLE), dpan, '1', '1234');
    const dukpt = { bdk, pvk, ksn: 'FFFF9876543210E00001', pinBlock: '1B9C1845EB993A7A', format: '01' as const, pan: dpan, pvki: '1' };
    expect(await client.verifyPinVisaDukpt({ ...dukpt, pvv })).toBe(true);
    const wrongPvv = pvv === '0000' ? '0001' : '0000';
    expect(await client.verifyPinVisaDukpt({ ...dukpt, pvv: wrongPvv })).toBe(false);
    // The same answers by the two-command path.
    const t = await client.translatePinFromDukpt({ bdk, ksn: dukpt.ksn, destZpk: zpk, pinBlock: dukpt.pinBlock, sourceFormat: '01', destFormat: '01', pan: dpan });
    for (const v of [pvv, wrongPvv]) expect(await client.verifyPinVisa({ keyType: 'ZPK', key: zpk, pvk, pinBlock: t.pinBlock, format: '01', pan: dpan, pvki: '1', pvv: v })).toBe(v === pvv);
    // The next counter's key does not open this block: the PIN comes out wrong (01) or not a PIN block (20).
    await expect(client.verifyPinVisaDukpt({ ...dukpt, ksn: 'FFFF9876543210E00002', pvv }).then(String, (e: { errorCode: string }) => e.errorCode)).resolves.toMatch(/^(false|20)$/);
    // On the wire: mode 1 (PIN and MAC) is not simulated → 15; a ZPK where the BDK goes → 10.
    const raw = new RawConn(server.port);
    expect(await raw.request(`0001GQ1${bdk}${pvk}020FFFF9876543210E000011B9C1845EB993A7A014012345678901${pvv}`)).toBe('0001GR15');
    expect(await raw.request(`0002GQ0${bdk}${pvk}020FFFF9876543210E000011B9C1845EB993A7A014012345678901${pvv}`)).toBe('0002GR00');
    expect(await raw.request(`0003GQ0${zpk}${pvk}020FFFF9876543210E000011B9C1845EB993A7A014012345678901${pvv}`)).toBe('0003GR10');
    raw.end();
  });
  it('GO verifies a DUKPT PIN block by IBM offset in one command (X9.24-1 A.4 block = PIN 1234; IBM vector offset 7710), as G0 then EA do', async () => {
    const bdk = formKey('BDK', CLEAR_DOUBLE);
    const dpan = '4012345678909';
    const dukpt = { bdk, pvk, ksn: 'FFFF9876543210E00001', pinBlock: '1B9C1845EB993A7A', format: '01' as const, pan: dpan, decimalisationTable: '1234567890123456', pinValidationData: '1122334455667788' };
    expect(await client.verifyPinIbmDukpt({ ...dukpt, offset: '7710' })).toBe(true);
    expect(await client.verifyPinIbmDukpt({ ...dukpt, offset: '7711' })).toBe(false);
    const t = await client.translatePinFromDukpt({ bdk, ksn: dukpt.ksn, destZpk: zpk, pinBlock: dukpt.pinBlock, sourceFormat: '01', destFormat: '01', pan: dpan });
    for (const o of ['7710', '7711']) expect(await client.verifyPinIbm({ ...ibm, pan: dpan, pinBlock: t.pinBlock, offset: o })).toBe(o === '7710');
    // On the wire: mode · BDK · PVK · KSN descriptor · KSN · block · format · check length · account · table · data · offset.
    const tail = `020FFFF9876543210E00001${'1B9C1845EB993A7A'}01${'04'}401234567890${'1234567890123456'}${'1122334455667788'}7710FFFFFFFF`;
    const raw = new RawConn(server.port);
    expect(await raw.request(`0001GO1${bdk}${pvk}${tail}`)).toBe('0001GP15');
    expect(await raw.request(`0002GO0${bdk}${pvk}${tail}`)).toBe('0002GP00');
    raw.end();
  });
  it('a bad decimalisation table answers 25; a garbage PIN block answers 20', async () => {
    await expect(client.verifyPinIbm({ ...ibm, pinBlock: blockFor('1234'), offset: '7710', decimalisationTable: '12345678901234AB' })).rejects.toMatchObject({ errorCode: '25' });
    await expect(client.verifyPinIbm({ ...ibm, pinBlock: 'FFFFFFFFFFFFFFFF', offset: '7710' })).rejects.toMatchObject({ errorCode: '20' });
  });
});

describe('EMV ARQC/ARPC (KQ)', () => {
  const mkac = formKey('MK-AC', CLEAR_DOUBLE);
  const pan = '9901234567890123';
  const mk = c.iccMasterKey(h(CLEAR_DOUBLE), pan, '45'); // EMV vector: ICC MK KCV 1DA5…
  const atc = '0001';
  const un = '12345678';
  const data = '0000000010000000000000000840000000000008402511250012345678'.slice(0, 58);
  const sk = c.commonSessionKey(mk, c.acDiversification(h(atc), h(un)));
  const arqc = H(c.generateArqc(sk, h(data)));
  it('verifies a card-generated ARQC and returns ARPC method 1 and 2 matching the library', async () => {
    expect(c.kcv(mk).startsWith('1DA5')).toBe(true);
    const r1 = await client.verifyArqc({ mkac, pan, panSequence: '45', atc, unpredictableNumber: un, data, arqc, arpc: { method: 1, arc: '3030' } });
    expect(r1).toEqual({ ok: true, arpc: H(c.arpcMethod1(sk, h(arqc), h('3030'))) });
    const r2 = await client.verifyArqc({ mkac, pan, panSequence: '45', atc, unpredictableNumber: un, data, arqc, arpc: { method: 2, csu: '00000000', proprietaryData: '1234567890ABCDEF' } });
    expect(r2).toEqual({ ok: true, arpc: H(c.arpcMethod2(sk, h(arqc), h('00000000'), h('1234567890ABCDEF'))) });
    expect(await client.verifyArqc({ mkac, pan, panSequence: '45', atc, unpredictableNumber: un, data, arqc })).toEqual({ ok: true });
  });
  it('a wrong ARQC, ATC or PSN fails (01)', async () => {
    const bad = (arqc[0] === 'A' ? 'B' : 'A') + arqc.slice(1);
    expect((await client.verifyArqc({ mkac, pan, panSequence: '45', atc, unpredictableNumber: un, data, arqc: bad })).ok).toBe(false);
    expect((await client.verifyArqc({ mkac, pan, panSequence: '45', atc: '0002', unpredictableNumber: un, data, arqc })).ok).toBe(false);
    expect((await client.verifyArqc({ mkac, pan, panSequence: '01', atc, unpredictableNumber: un, data, arqc })).ok).toBe(false);
  });
});

describe('MAC (M6/M8)', () => {
  it('ISO 9797-1 alg 3 and alg 1 vectors through M6; M8 verifies and rejects a changed message', async () => {
    const tak = formKey('TAK', '41414141414141414242424242424242');
    const data = Buffer.from('hello world');
    expect(await client.generateMac({ keyType: 'TAK', key: tak, algorithm: 'iso9797-1-alg3', data })).toBe('3DDE5C5511661CBF');
    const zak = formKey('ZAK', 'AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB');
    expect(await client.generateMac({ keyType: 'ZAK', key: zak, algorithm: 'iso9797-1-alg1', data })).toBe('68D9038F23360DF3');
    expect(await client.verifyMac({ keyType: 'TAK', key: tak, algorithm: 'iso9797-1-alg3', data, mac: '3DDE5C5511661CBF' })).toBe(true);
    expect(await client.verifyMac({ keyType: 'TAK', key: tak, algorithm: 'iso9797-1-alg3', data, mac: '3DDE5C55' })).toBe(true);
    expect(await client.verifyMac({ keyType: 'TAK', key: tak, algorithm: 'iso9797-1-alg3', data: Buffer.from('hello worle'), mac: '3DDE5C5511661CBF' })).toBe(false);
  });
  it('AES-CMAC (RFC 4493 example 4, 64 bytes) through M6 with an AES TAK', async () => {
    const tak = formKey('TAK', '2B7E151628AED2A6ABF7158809CF4F3C', 'S');
    const m = h('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
    expect(await client.generateMac({ keyType: 'TAK', key: tak, algorithm: 'aes-cmac', data: m })).toBe('51F0BEBF7E3B9D92FC49741779363CFE');
  });
  it('a ZPK as MAC key answers 10; AES-CMAC with a DES key answers 27', async () => {
    await expect(client.generateMac({ keyType: 'TAK', key: zpk, algorithm: 'iso9797-1-alg3', data: Buffer.from('x') })).rejects.toMatchObject({ errorCode: '10' });
    const tak = formKey('TAK', '41414141414141414242424242424242');
    await expect(client.generateMac({ keyType: 'TAK', key: tak, algorithm: 'aes-cmac', data: Buffer.from('x') })).rejects.toBeInstanceOf(HsmError);
  });
});

describe('framing and bad input', () => {
  it('unknown command → 68; missing or short fields → 15; non-hex key → 10; trailing junk → 15', async () => {
    const raw = new RawConn(server.port);
    expect(await raw.request('0001XY')).toBe('0001XZ68');
    expect(await raw.request('0002CW')).toBe('0002CX15');
    expect(await raw.request(`0003CW${'G'.repeat(33)}4123456789012345;8701101`)).toBe('0003CX10');
    const cvk = formKey('CVK', CLEAR_DOUBLE);
    expect(await raw.request(`0004CW${cvk}4123456789012345;8701`)).toBe('0004CX15');
    expect(await raw.request(`0005CW${cvk}4123456789012345;8701101XYZ`)).toBe('0005CX15');
    expect(await raw.request(`0006CW${cvk}41234567890123456789012;8701101`)).toBe('0006CX15');
    raw.end();
  });
  it('pipelined requests on one connection are answered in order; many connections at once', async () => {
    const cvk = formKey('CVK', CLEAR_DOUBLE);
    const raw = new RawConn(server.port);
    const n = 500;
    const frames: Buffer[] = [];
    for (let i = 0; i < n; i++) frames.push(frame(`${String(i).padStart(4, '0')}CW${cvk}4123456789012345;8701${i % 2 ? '101' : '000'}`));
    raw.write(Buffer.concat(frames));
    const got = await raw.read(n);
    got.forEach((g, i) => expect(g.slice(0, 8)).toBe(`${String(i).padStart(4, '0')}CX00`));
    raw.end();
    const conns = Array.from({ length: 20 }, () => new RawConn(server.port));
    const answers = await Promise.all(conns.map((k, i) => k.request(`C${String(i).padStart(3, '0')}CW${cvk}4123456789012345;8701101`)));
    answers.forEach((a, i) => expect(a).toBe(`C${String(i).padStart(3, '0')}CX00561`));
    conns.forEach((k) => k.end());
  });
  it('a frame cut in half waits for its rest without blocking other connections', async () => {
    const cvk = formKey('CVK', CLEAR_DOUBLE);
    const a = new RawConn(server.port);
    const f = frame(`AAAACW${cvk}4123456789012345;8701101`);
    a.write(f.subarray(0, 20));
    const b = new RawConn(server.port);
    expect(await b.request(`BBBBCW${cvk}4123456789012345;8701101`)).toBe('BBBBCX00561');
    a.write(f.subarray(20));
    expect((await a.read(1))[0]).toBe('AAAACX00561');
    a.end();
    b.end();
  });
  it('a 64 KiB garbage frame closes that connection; the server keeps serving others', async () => {
    const a = new RawConn(server.port);
    const garbage = Buffer.alloc(65535, 0x5a);
    a.write(Buffer.concat([Buffer.from([0xff, 0xff]), garbage]));
    expect(await a.waitClosed()).toBe(true);
    const tiny = new RawConn(server.port);
    tiny.write(Buffer.from([0x00, 0x01, 0x41]));
    expect(await tiny.waitClosed()).toBe(true);
    expect(await client.diagnostics()).toHaveProperty('firmware');
    expect(server.stats().brokenFrames).toBeGreaterThanOrEqual(2);
  });
  it('errors are logged once each, without key or PIN material', () => {
    expect(logs.length).toBeGreaterThan(0);
    const cvk = formKey('CVK', CLEAR_DOUBLE);
    for (const l of logs) {
      expect(l).not.toContain(cvk.slice(1, 17));
      expect(l).not.toContain('041261AAAAEDCBA9');
    }
  });
});
