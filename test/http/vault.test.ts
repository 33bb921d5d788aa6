// The card vault: AES-256-GCM as node:crypto implements it checked against the published GCM test vector, tokens
// scoped per merchant, tampering detected, and no clear PAN in the LMDB files.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { seal, unseal, unlockVaultKeys } from '../../src/vault/keys.js';
import { testHsm } from '../hsm-keys.js';
import { Vault, VaultError } from '../../src/vault/vault.js';
import { closeHttpStore, openHttpStore } from '../../src/http/store.js';

const dir = mkdtempSync(join(tmpdir(), 'gerbang-vault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AES-256-GCM sealing', () => {
  test('opens the GCM spec test case 15 (McGrew & Viega, "The GCM Mode of Operation", AES-256, 96-bit IV, no AAD)', () => {
    const key = Buffer.from('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', 'hex');
    const iv = 'cafebabefacedbaddecaf888';
    const ct =
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
    const tag = 'b094dac5d93471bdec1a502270e3cc6c';
    const plain =
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
    const sealed = Buffer.from(iv + tag + ct, 'hex').toString('base64');
    expect(unseal(key, sealed, '').toString('hex')).toBe(plain);
    // A flipped ciphertext bit fails authentication.
    const bad = Buffer.from(iv + tag + ct, 'hex');
    bad[40] ^= 1;
    expect(() => unseal(key, bad.toString('base64'), '')).toThrow();
  });

  test('round trip binds the AAD', () => {
    const key = Buffer.alloc(32, 7);
    const s = seal(key, '4111111111111111', 'tok_a|mer_1');
    expect(unseal(key, s, 'tok_a|mer_1').toString()).toBe('4111111111111111');
    expect(() => unseal(key, s, 'tok_a|mer_2')).toThrow();
  });
});

describe('vault', () => {
  test('tokenize/detokenize per merchant; same card → same token; bad PAN refused; nothing clear on disk', async () => {
    const store = openHttpStore(dir);
    const keys = await unlockVaultKeys(dir, store.meta, await testHsm());
    const vault = new Vault(store.tokens, store.fingerprints, keys);
    const a = await vault.tokenize('mer_a', { pan: '5555555555554444', expMonth: 1, expYear: 2031 });
    expect(a.token).toMatch(/^tok_[A-Za-z0-9_-]{22}$/);
    expect(a.masked).toBe('555555******4444');
    expect((await vault.tokenize('mer_a', { pan: '5555555555554444', expMonth: 1, expYear: 2031 })).token).toBe(a.token);
    const b = await vault.tokenize('mer_b', { pan: '5555555555554444', expMonth: 1, expYear: 2031 });
    expect(b.token).not.toBe(a.token);
    expect(vault.detokenize('mer_a', a.token)).toMatchObject({ pan: '5555555555554444', expiry: '3101' });
    expect(() => vault.detokenize('mer_b', a.token)).toThrow(VaultError);
    expect(() => vault.detokenize('mer_a', 'tok_nope')).toThrow(/No such token/);
    await expect(vault.tokenize('mer_a', { pan: '5555555555554445', expMonth: 1, expYear: 2031 })).rejects.toThrow(/not valid/);
    // A reissued card keeps its token with the new expiry.
    expect((await vault.tokenize('mer_a', { pan: '5555555555554444', expMonth: 2, expYear: 2033 })).token).toBe(a.token);
    expect(vault.detokenize('mer_a', a.token).expiry).toBe('3302');
    // Reopening the data dir (its keys again from the HSM) reads the same vault.
    await closeHttpStore(store);
    const store2 = openHttpStore(dir);
    const vault2 = new Vault(store2.tokens, store2.fingerprints, await unlockVaultKeys(dir, store2.meta, await testHsm()));
    expect(vault2.detokenize('mer_a', a.token).pan).toBe('5555555555554444');
    await closeHttpStore(store2);
    for (const f of readdirSync(dir).filter((f) => f.startsWith('http.mdb'))) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(Buffer.from('5555555555554444'))).toBe(false);
      // Nor the vault's keys: at rest they are key blocks under the HSM's LMK only.
      expect(bytes.includes(keys.dataKey)).toBe(false);
      expect(bytes.includes(keys.fingerprintKey)).toBe(false);
    }
  });

  test('a queued tokenization: the same card in flight gets the same token; readable from LMDB once written', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'gerbang-vault-q-'));
    const store = openHttpStore(d2);
    try {
      const vault = new Vault(store.tokens, store.fingerprints, await unlockVaultKeys(d2, store.meta, await testHsm()));
      const card = { pan: '4111111111111111', expMonth: 12, expYear: 2030 };
      const a = vault.tokenizeQueued('mer_q', card);
      const b = vault.tokenizeQueued('mer_q', card); // before a's commit: LMDB cannot see it yet
      expect(b.info.token).toBe(a.info.token);
      expect(vault.tokenizeQueued('mer_other', card).info.token).not.toBe(a.info.token);
      await Promise.all([a.written, b.written]);
      expect(store.tokens.get(a.info.token)?.merchantId).toBe('mer_q');
      expect(vault.detokenize('mer_q', a.info.token).pan).toBe(card.pan);
      // Later writes queued after it (the payment record) commit no earlier than it: LMDB keeps the queue order.
      const c = vault.tokenizeQueued('mer_q', { ...card, pan: '5555555555554444' });
      const later = store.payments.put('pay_after', { id: 'pay_after' } as never);
      await later;
      expect(store.tokens.get(c.info.token)).toBeDefined();
      expect(() => vault.tokenizeQueued('mer_q', { ...card, pan: '4111111111111112' })).toThrow(VaultError);
    } finally {
      await closeHttpStore(store);
      rmSync(d2, { recursive: true, force: true });
    }
  });
});
