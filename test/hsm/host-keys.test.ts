// The switch's own data keys (D0 AES-256, M7 HMAC-SHA-256): generated in the HSM as key blocks under its LMK (XA),
// delivered to the host only under X25519 → HKDF-SHA-256 → AES-256-GCM (XC), imported the same way (XE, XG).
// End to end over TCP through the client; the building blocks against published vectors.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../hsm-sim/crypto/index.js';
import { startHsmServer, type HsmServer } from '../../hsm-sim/server.js';
import { HsmError, type HostKeyUsage } from '../../src/hsm/api.js';
import { createHsmClient, type HsmClient } from '../../src/hsm/client.js';
import { formKey } from './helpers.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const up = (b: Buffer): string => b.toString('hex').toUpperCase();

describe('building blocks (published vectors)', () => {
  it('X25519 through the helper: RFC 7748 §6.1 Alice and Bob', () => {
    const a = c.x25519PrivateFromRaw(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const b = c.x25519PrivateFromRaw(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    const alicePub = c.x25519PublicRaw(a);
    const bobPub = c.x25519PublicRaw(b);
    expect(alicePub.toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(bobPub.toString('hex')).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(c.x25519(a, bobPub).toString('hex')).toBe(k);
    expect(c.x25519(b, alicePub).toString('hex')).toBe(k);
    // The raw key round-trips through the JWK import the HSM uses for peer keys.
    expect(c.x25519PublicRaw(c.x25519PublicFromRaw(bobPub)).equals(bobPub)).toBe(true);
  });

  it('X25519 refuses a low-order peer key (all-zero shared secret) and a wrong-length key', () => {
    const p = c.x25519Generate();
    expect(() => c.x25519(p.privateKey, Buffer.alloc(32))).toThrow();
    expect(() => c.x25519(p.privateKey, Buffer.alloc(31, 9))).toThrow();
  });

  it('hkdfSync as used: RFC 5869 test cases 1 and 3 (3: empty salt and info, as the transport uses an empty salt)', () => {
    const ikm = Buffer.alloc(22, 0x0b);
    const t1 = Buffer.from(hkdfSync('sha256', ikm, hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42));
    expect(t1.toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    const t3 = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.alloc(0), 42));
    expect(t3.toString('hex')).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });
});

describe('host data keys end to end (XA, XC, XE, XG)', () => {
  let server: HsmServer;
  let client: HsmClient;
  beforeAll(async () => {
    server = await startHsmServer({ port: 0, log: () => {} });
    client = createHsmClient({ host: '127.0.0.1', port: server.port, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  /** The HsmError code a promise rejects with. */
  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(HsmError);
      return (e as HsmError).errorCode;
    }
    throw new Error('expected an HsmError');
  }

  for (const [usage, alg, mode] of [['D0', 'A', 'B'], ['M7', 'H', 'C']] as const) {
    it(`${usage}: generated as a key block (header ${usage}/${alg}/${mode}), exported in the clear to the host only, KCV matches`, async () => {
      const { key, kcv } = await client.generateDataKey(usage);
      expect(key[0]).toBe('S');
      expect(key.slice(1, 2)).toBe('D');
      expect(key.slice(6, 13)).toBe(`${usage}${alg}${mode}00E`);
      expect(kcv).toMatch(/^[0-9A-F]{6}$/);
      const clear = await client.exportDataKey(usage, key);
      expect(clear).toHaveLength(32);
      expect(c.hostKeyKcv(clear)).toBe(kcv);
      // Same block, fresh ephemeral keys: the same key.
      expect((await client.exportDataKey(usage, key)).equals(clear)).toBe(true);
      if (usage === 'M7') expect(createHmac('sha256', clear).update('4000001234567899').digest()).toHaveLength(32);
    });
  }

  it('import(clear) → export gives back the same clear key and KCV', async () => {
    for (const usage of ['D0', 'M7'] as HostKeyUsage[]) {
      const clear = randomBytes(32);
      const { key, kcv } = await client.importDataKey(usage, clear);
      expect(kcv).toBe(c.hostKeyKcv(clear));
      expect(key.slice(6, 8)).toBe(usage);
      expect((await client.exportDataKey(usage, key)).equals(clear)).toBe(true);
    }
    await expect(client.importDataKey('D0', Buffer.alloc(16))).rejects.toBeInstanceOf(HsmError);
  });

  it('the clear key never appears in a response frame (XA, XC, XG raw responses)', async () => {
    const xa = await client.command('XA', 'D0');
    expect(xa.slice(0, 4)).toBe('XB00');
    const block = xa.slice(4, -6);
    const clear = await client.exportDataKey('D0', block);
    const eph = c.x25519Generate();
    const xc = await client.command('XC', 'D0' + block + up(eph.publicKey));
    expect(xc.slice(0, 4)).toBe('XD00');
    expect(xc).toHaveLength(4 + 64 + 24 + 64 + 32 + 6);
    // An XG of the same key (built by hand, as the client does).
    const xg = await client.command('XG', xgFields('D0', clear, await transportKey()));
    expect(xg.slice(0, 4)).toBe('XH00');
    for (const r of [xa, xc, xg]) {
      expect(r.toUpperCase()).not.toContain(up(clear));
      expect(Buffer.from(r, 'latin1').includes(clear)).toBe(false);
    }
  });

  async function transportKey(): Promise<Buffer> {
    const r = await client.command('XE', '');
    expect(r.slice(0, 4)).toBe('XF00');
    expect(r.slice(4)).toMatch(/^[0-9A-F]{64}$/);
    return hex(r.slice(4));
  }
  function xgFields(usage: HostKeyUsage, clear: Buffer, hsmPub: Buffer, tamper = false): string {
    const eph = c.x25519Generate();
    const k = c.hostKeyTransportKey('import', usage, c.x25519(eph.privateKey, hsmPub), eph.publicKey, hsmPub);
    const iv = randomBytes(12);
    const box = c.gcmSeal(k, iv, Buffer.from('XG' + usage, 'latin1'), clear);
    if (tamper) box.ciphertext[5] ^= 0x01;
    return usage + up(eph.publicKey) + up(iv) + up(box.ciphertext) + up(box.tag);
  }

  it('XE: one transport key per HSM process', async () => {
    expect((await transportKey()).equals(await transportKey())).toBe(true);
    const other = await startHsmServer({ port: 0, log: () => {}, selfTest: false });
    const c2 = createHsmClient({ host: '127.0.0.1', port: other.port });
    try {
      expect(await c2.command('XE', '')).not.toBe(await client.command('XE', ''));
    } finally {
      await c2.close();
      await other.close();
    }
  });

  it('errors: bad usage 04, wrong usage 28, tampered block A1, tampered XG A1, garbage public key 15', async () => {
    const { key: d0 } = await client.generateDataKey('D0');
    expect(await client.command('XA', 'P0')).toBe('XB04');
    expect(await codeOf(client.exportDataKey('M7', d0))).toBe('28');
    // One hex digit of the encrypted body flipped: the block's MAC fails.
    const i = 30;
    const flipped = d0.slice(0, i) + (d0[i] === '0' ? '1' : '0') + d0.slice(i + 1);
    expect(await codeOf(client.exportDataKey('D0', flipped))).toBe('A1');
    // Tag flipped too.
    const j = d0.length - 1;
    expect(await codeOf(client.exportDataKey('D0', d0.slice(0, j) + (d0[j] === '0' ? '1' : '0')))).toBe('A1');
    // A GCM box with one ciphertext bit flipped does not authenticate.
    const hsmPub = await transportKey();
    expect(await client.command('XG', xgFields('D0', randomBytes(32), hsmPub, true))).toBe('XHA1');
    // …and one for the other usage (the AAD and HKDF info bind the usage) does not either.
    const forM7 = xgFields('M7', randomBytes(32), hsmPub);
    expect(await client.command('XG', 'D0' + forM7.slice(2))).toBe('XHA1');
    // Garbage public keys: not hex, and a low-order point (all-zero shared secret).
    expect(await client.command('XC', 'D0' + d0 + 'ZZ'.repeat(32))).toBe('XD15');
    expect(await client.command('XC', 'D0' + d0 + '00'.repeat(32))).toBe('XD15');
    expect(await client.command('XG', 'D0' + '00'.repeat(32) + forM7.slice(66))).toBe('XH15');
    expect(await client.command('XC', 'D0' + d0 + 'AB')).toBe('XD15');
  });

  it('usage is enforced: a D0 block used as a ZPK in CA fails with 28', async () => {
    const { key: d0 } = await client.generateDataKey('D0');
    const tpk = formKey('TPK', '0123456789ABCDEFFEDCBA9876543210');
    const err = client.translatePin({ sourceKeyType: 'TPK', sourceKey: tpk, destZpk: d0, pinBlock: '0'.repeat(16), sourceFormat: '01', destFormat: '01', pan: '4000001234567899' });
    expect(await codeOf(err)).toBe('28');
  });

  it('persistence: a restarted HSM with the same LMK exports the same key; one with another LMK refuses the block (A1)', async () => {
    const { key, kcv } = await client.generateDataKey('M7');
    const clear = await client.exportDataKey('M7', key);
    const same = await startHsmServer({ port: 0, log: () => {}, selfTest: false });
    const otherLmk: c.LmkSet = { ...c.testLmk(), keyBlock: Buffer.alloc(32, 0xab), test: false };
    const other = await startHsmServer({ port: 0, log: () => {}, selfTest: false, lmk: otherLmk });
    const cs = createHsmClient({ host: '127.0.0.1', port: same.port });
    const co = createHsmClient({ host: '127.0.0.1', port: other.port });
    try {
      const again = await cs.exportDataKey('M7', key);
      expect(again.equals(clear)).toBe(true);
      expect(c.hostKeyKcv(again)).toBe(kcv);
      expect(await codeOf(co.exportDataKey('M7', key))).toBe('A1');
    } finally {
      await cs.close();
      await co.close();
      await same.close();
      await other.close();
    }
  });
});
