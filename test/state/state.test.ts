// Hot-state building blocks: PAN protection at rest, provisioning input, the demo portfolio's published vectors.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex, visaCvv } from '../../hsm-sim/crypto/index.js';
import { demoCard, demoKeys, demoPan, demoPortfolio, DEMO_KEYS_CLEAR } from '../../src/demo/portfolio.js';
import { closeState, openState } from '../../src/state/env.js';
import { unlockForTest } from '../hsm-keys.js';
import { decryptPan, encryptPan, luhnValid, maskPan, panHash } from '../../src/state/pan.js';
import { parseImport, provision } from '../../src/state/provision.js';
import { tempDir } from '../authorize/helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('PAN at rest', () => {
  it('Luhn: known valid and invalid numbers', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(false); // too short for a PAN (12–19)
    expect(luhnValid('4761739001010119')).toBe(true); // the ISO 8583 examples' on-us PAN
    expect(luhnValid('4761739001010118')).toBe(false);
  });

  it('masks 6+4', () => {
    expect(maskPan('4761739001010119')).toBe('476173******0119');
    expect(maskPan('5204730000000000003')).toBe('520473*********0003');
  });

  it('HMAC-SHA-256 lookup hash matches RFC 4231 test case 2 construction (key "Jefe")', () => {
    // RFC 4231 §4.3: HMAC-SHA-256(key "Jefe", "what do ya want for nothing?")
    expect(panHash(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('AES-256-GCM seal round-trips, is randomised, and is bound to the PAN hash', () => {
    const key = Buffer.alloc(32, 7);
    fc.assert(
      fc.property(fc.stringMatching(/^\d{13,19}$/), (pan) => {
        const a = encryptPan(key, pan, 'h1');
        expect(decryptPan(key, a, 'h1')).toBe(pan);
        expect(encryptPan(key, pan, 'h1')).not.toBe(a);
        expect(() => decryptPan(key, a, 'h2')).toThrow();
      }),
      { numRuns: 50 },
    );
  });
});

describe('provisioning', () => {
  it('imports CSV cards with accounts; rejects bad rows with the line number', async () => {
    const pan = demoPan(5);
    const csv = `pan,expiry,accountId,currency,balance,status\n${pan},3012,ACC1,360,150000,active\n`;
    const input = parseImport(csv, 'csv');
    expect(input.cards).toHaveLength(1);
    expect(input.accounts).toEqual([{ id: 'ACC1', currency: '360', balance: 150000, creditLimit: 0 }]);
    expect(() => parseImport(`pan,expiry,accountId,currency,balance\n${pan},3012,A,360,1.5\n`, 'csv')).toThrow(/line 2/);
    expect(() => parseImport('pan,accountId\n1,2\n', 'csv')).toThrow(/expiry/);

    const dir = tempDir('gerbang-state-');
    dirs.push(dir);
    await unlockForTest(dir);
    const s = openState(dir);
    const seen: number[] = [];
    await provision(s, input, (d) => seen.push(d));
    expect(seen.at(-1)).toBe(2);
    const card = s.cards.get(panHash(s.dataKeys.hashKey, pan))!;
    expect(card.panMasked).toBe(maskPan(pan));
    expect(decryptPan(s.dataKeys.panKey, card.panSealed, card.panHash)).toBe(pan);
    await expect(provision(s, { cards: [{ pan: '4111111111111112', expiry: '3012', accountId: 'X' }] })).rejects.toThrow(/Luhn/);
    await closeState(s);
  });
});

describe('gerbang cards (CLI, compiled)', () => {
  it('generate writes the demo portfolio with progress; import reads a CSV; bad input exits non-zero', () => {
    const dir = tempDir('gerbang-cli-');
    dirs.push(dir);
    const run = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/gerbang.js'), 'cards', ...args], { encoding: 'utf8' });
    const g = run('generate', '--count', '30', '--data', dir);
    expect(g.status).toBe(0);
    expect(g.stdout).toMatch(/generated 30 demo cards/);
    expect(g.stderr).toMatch(/30\/30/);
    const csv = join(dir, 'cards.csv');
    writeFileSync(csv, `pan,expiry,accountId,currency,balance\n${demoPan(5000)},3012,CSV1,360,100\n`);
    const i = run('import', csv, '--data', dir);
    expect(i.status).toBe(0);
    expect(i.stdout).toMatch(/imported 1 cards, 1 accounts/);
    expect(run('generate', '--count', 'x', '--data', dir).status).toBe(2);
    writeFileSync(csv, 'pan,expiry,accountId\n4111111111111112,3012,Z\n');
    const bad = run('import', csv, '--data', dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/Luhn/);
    expect(bad.stderr).not.toContain('4111111111111112');
  });
});

describe('demo portfolio', () => {
  it('is deterministic, Luhn-valid, unique, in the on-us BINs', () => {
    const p = demoPortfolio(1, 2000);
    expect(demoPortfolio(1, 5)).toEqual(p.slice(0, 5));
    expect(new Set(p.map((c) => c.pan)).size).toBe(2000);
    for (const c of p) {
      expect(luhnValid(c.pan)).toBe(true);
      expect(['476173', '520473']).toContain(c.pan.slice(0, 6));
    }
    expect(demoCard(1).status).toBe('blocked');
    expect(demoCard(2).status).toBe('lost');
    expect(demoCard(3).status).toBe('stolen');
    expect(demoCard(4).status).toBe('expired');
    expect(demoPan(0, 2)).not.toBe(demoPan(0, 1));
  });

  it('the demo CVK computes the published Visa CVV vector (PAN 4123456789012345, 8701, 101 → 561)', () => {
    expect(visaCvv(hex(DEMO_KEYS_CLEAR['cvk.demo'].clear), '4123456789012345', '8701', '101')).toBe('561');
  });

  it('demo keys are under the test LMK: the CVK encrypts to the documented U9B4934… value; KCV 08D7B4', () => {
    const cvk = demoKeys().find((k) => k.name === 'cvk.demo')!;
    expect(cvk.key.startsWith('U9B4934')).toBe(true);
    expect(cvk.kcv).toBe('08D7B4');
  });
});
