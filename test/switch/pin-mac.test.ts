// PIN translation and MAC through the real HSM simulator, checked on real bytes with the clear test keys:
// the translated block must decrypt under the issuer ZPK to the same ISO 9564-1 format 0 block of PIN 1234, and
// the MAC must equal ISO/IEC 9797-1 MAC algorithm 3 (padding method 1) computed over exactly the message bytes
// before DE 64 — both directly with node:crypto-based reference code from hsm-sim/crypto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, getSpec } from '../../codecs/index.js';
import { startHsmServer, type HsmServer } from '../../hsm-sim/index.js';
import { decodePinBlock, encryptPinBlock, encryptPinBlock4, encryptUnderLmkVariant, macIso9797Alg3, tdesEcbDecrypt, testLmk, account12 } from '../../hsm-sim/crypto/index.js';
import { formKey } from '../hsm/helpers.js';
import { createHsmClient, type HsmClient } from '../../src/hsm/client.js';
import { DEMO_KEYS_CLEAR, demoKeys } from '../../src/demo/portfolio.js';
import { DukptTerminal, makeKsn } from '../../src/sim/dukpt.js';
import type { KeyRing, NamedKey } from '../../src/switch/keys.js';
import { createMacer, macInput } from '../../src/switch/mac.js';
import { pinTranslator } from '../../src/switch/pin.js';
import type { Txn } from '../../src/model/txn.js';

let hsm: HsmServer;
let client: HsmClient;
const TAK_CLEAR = '0123456789ABCDEFFEDCBA9876543210';
const keys = new Map<string, NamedKey>();

beforeAll(async () => {
  hsm = await startHsmServer({ port: 0, log: () => {} });
  client = createHsmClient({ host: '127.0.0.1', port: hsm.port });
  for (const k of demoKeys()) keys.set(k.name, { name: k.name, type: k.type as NamedKey['type'], value: k.key });
  keys.set('tak.test', { name: 'tak.test', type: 'TAK', value: 'U' + encryptUnderLmkVariant(testLmk(), '003', Buffer.from(TAK_CLEAR, 'hex')).toString('hex').toUpperCase() });
});
afterAll(async () => {
  await client?.close();
  await hsm?.close();
});

const PAN = '4999111111111116';
const clear = (name: string) => Buffer.from(DEMO_KEYS_CLEAR[name].clear, 'hex');
const txn = (pin: Txn['pin']): Txn => ({ id: 't', kind: 'purchase', mti: '0200', processingCode: '000000', pan: PAN, amount: 100, currency: '360', stan: '000001', acquirerId: '1', channel: 'iso:x', pin });

describe('PIN translation to the issuer ZPK', () => {
  const translate = () => pinTranslator(keys as KeyRing, async () => client, 'zpk.issuer', '01');

  it('TPK → ZPK: the new block opens under the issuer ZPK to the same PIN, and differs from the input', async () => {
    const block = encryptPinBlock(clear('tpk.demo'), 0, '1234', PAN).toString('hex').toUpperCase();
    const out = await translate()(txn({ block, format: '01', keyRef: 'tpk.demo' }));
    expect(out).toMatch(/^[0-9A-F]{16}$/);
    expect(out).not.toBe(block);
    const opened = tdesEcbDecrypt(clear('zpk.issuer'), Buffer.from(out, 'hex'));
    expect(decodePinBlock(0, opened, account12(PAN))).toBe('1234');
  });

  it('DUKPT (BDK + KSN from the terminal) → ZPK', async () => {
    const term = new DukptTerminal(clear('bdk.demo'), makeKsn('FFFF987654', 42));
    const { ksn, pinBlock } = term.nextPinBlock('4321', PAN);
    const out = await translate()(txn({ block: pinBlock, format: '01', keyRef: 'bdk.demo', ksn }));
    const opened = tdesEcbDecrypt(clear('zpk.issuer'), Buffer.from(out, 'hex'));
    expect(decodePinBlock(0, opened, account12(PAN))).toBe('4321');
  });

  it('AES DUKPT (X9.24-3 vector; the 24-digit KSN selects the AES derivation): ISO 4 block → ISO 0 under the ZPK', async () => {
    keys.set('bdk.aes', { name: 'bdk.aes', type: 'BDK', value: formKey('BDK', 'FEDCBA9876543210F1F1F1F1F1F1F1F1', 'S') });
    const block = encryptPinBlock4(Buffer.from('AF8CB133A78F8DC2D1359F18527593FB', 'hex'), '5678', PAN).toString('hex').toUpperCase();
    const out = await translate()(txn({ block, format: '48', keyRef: 'bdk.aes', ksn: '123456789012345600000001' }));
    const opened = tdesEcbDecrypt(clear('zpk.issuer'), Buffer.from(out, 'hex'));
    expect(decodePinBlock(0, opened, account12(PAN))).toBe('5678');
  });

  it('fails clearly on an unknown acquirer key or a DUKPT block without KSN', async () => {
    await expect(translate()(txn({ block: '0123456789ABCDEF', format: '01', keyRef: 'nope' }))).rejects.toThrow(/not known/);
    await expect(translate()(txn({ block: '0123456789ABCDEF', format: '01', keyRef: 'bdk.demo' }))).rejects.toThrow(/KSN/);
    expect(() => pinTranslator(keys as KeyRing, async () => client, 'tpk.demo', '01')).toThrow(/not a known ZPK/);
  });
});

describe('MAC (DE 64 / DE 128)', () => {
  const msg = { mti: '0200', fields: { 2: PAN, 3: '000000', 4: '000000001000', 7: '1125120000', 11: '000123', 41: 'TERM0001', 49: '360' } };

  for (const specName of ['iso87-ascii', 'iso87-bcd']) {
    it(`${specName}: signs over the bytes before the MAC, verifies, and rejects a changed byte`, async () => {
      const spec = getSpec(specName);
      const macer = createMacer(spec, { keyRef: 'tak.test', algorithm: 'iso9797-1-alg3' }, keys as KeyRing, async () => client);
      const bytes = await macer.encodeSigned(msg);
      const signed = decode(spec, bytes);
      const { data } = macInput(spec, msg);
      const expected = macIso9797Alg3(Buffer.from(TAK_CLEAR, 'hex'), data, 1).toString('hex').toUpperCase();
      expect(String(signed.fields[64]).toUpperCase()).toBe(expected);
      expect(bytes.subarray(0, data.length).equals(data)).toBe(true);
      expect(await macer.verify(signed, bytes)).toBe(true);
      const tampered = Buffer.from(bytes);
      tampered[bytes.length - 20] ^= 0x01; // inside DE 41/49, before the MAC
      let ok = false;
      try {
        ok = await macer.verify(decode(spec, tampered), tampered);
      } catch {
        ok = false; // the flip made the field undecodable: also a rejection
      }
      expect(ok).toBe(false);
    });
  }

  it('uses DE 128 when the message has secondary-bitmap fields', async () => {
    const spec = getSpec('iso87-ascii');
    const macer = createMacer(spec, { keyRef: 'tak.test', algorithm: 'iso9797-1-alg3' }, keys as KeyRing, async () => client);
    const withSecondary = { mti: '0200', fields: { ...msg.fields, 100: '200002' } };
    const signed = decode(spec, await macer.encodeSigned(withSecondary));
    expect(signed.fields[128]).toMatch(/^[0-9A-F]{16}$/);
    expect(signed.fields[64]).toBeUndefined();
    expect(await macer.verify(signed, encode(spec, signed))).toBe(true);
  });
});
