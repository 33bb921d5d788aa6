// A data dir provisioned by an older version lacks demo keys added since (the AES DUKPT BDK): the next start adds
// the missing keys, and only those (cards, accounts and existing keys are left as they are).
import { afterEach, describe, expect, it } from 'vitest';
import { testLmk } from '../../hsm-sim/crypto/index.js';
import { LmkKeys } from '../../hsm-sim/keys.js';
import { DEMO_KEYS_CLEAR, demoKeys } from '../../src/demo/portfolio.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { closeState, openState } from '../../src/state/env.js';
import { tempDir, testConfig } from '../switch/helpers.js';

let sw: RunningSwitch | undefined;
afterEach(async () => {
  await sw?.close();
  sw = undefined;
});

describe('demo keys', () => {
  it('every demo key, the fixed AES key block included, opens under the test LMK to its published clear value', () => {
    const lmk = new LmkKeys(testLmk());
    for (const k of demoKeys()) {
      const c = DEMO_KEYS_CLEAR[k.name];
      const opened = lmk.decrypt(c.typeCode, k.key);
      expect(opened.key.toString('hex').toUpperCase(), k.name).toBe(c.clear);
      expect(opened.aes, k.name).toBe(c.block !== undefined);
    }
  });
});

describe('demo portfolio on an existing data dir', () => {
  it('adds the demo keys it lacks on the next start, and changes nothing else', async () => {
    const dir = tempDir('demo-keys');
    const cfg = { ...testConfig(dir), warmup: false };
    sw = await startSwitch(cfg, { hsmMode: 'in-process' });
    await sw.close();
    sw = undefined;
    // As an older version left it: no AES BDK, and a TPK whose stored value differs from today's demo value.
    let s = openState(cfg.dataDir);
    const cards = s.cards.getKeysCount();
    await s.keys.remove('bdk.aes.demo');
    const tpk = s.keys.get('tpk.demo')!;
    await s.keys.put('tpk.demo', { ...tpk, kcv: 'OLDKCV' });
    await closeState(s);

    sw = await startSwitch(cfg, { hsmMode: 'in-process' });
    await sw.close();
    sw = undefined;
    s = openState(cfg.dataDir);
    try {
      expect(s.keys.get('bdk.aes.demo')).toEqual(demoKeys().find((k) => k.name === 'bdk.aes.demo'));
      expect(s.keys.get('tpk.demo')!.kcv).toBe('OLDKCV'); // an existing key is never overwritten
      expect(s.cards.getKeysCount()).toBe(cards);
    } finally {
      await closeState(s);
    }
  }, 60_000);
});
