// The LMDB-backed pieces on their own: the SAF queue (FIFO per issuer, bounded, durable across reopen, no clear
// PAN in the file) and the duplicate detector (one run per key inside the window, joins in-flight, expires).
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SafFullError, SafQueue, safMti } from '../../src/issuer/saf.js';
import { openSwitchStore, type SwitchStore } from '../../src/runtime/store.js';
import { DuplicateDetector, baseMti, dupKey } from '../../src/switch/duplicates.js';
import { tempDir } from '../switch/helpers.js';

const stores: SwitchStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
// The store's keys as the HSM would hand them over (key custody itself: test/state/host-keys.test.ts).
const KEYS = { encKey: randomBytes(32), macKey: randomBytes(32) };
const open = (dir: string) => {
  const s = openSwitchStore(dir, { keys: KEYS });
  stores.push(s);
  return s;
};
const PAN = '4999111111111116';

describe('SAF queue', () => {
  it('keeps FIFO order per issuer, counts attempts for repeats, survives reopening, and never stores the PAN in clear', async () => {
    const dir = tempDir('safq');
    let store = open(dir);
    let q = new SafQueue(store, 3);
    await q.enqueue('bank-b', 'reversal', { mti: '0420', fields: { 2: PAN, 4: '000000000100', 11: '000001' } });
    await q.enqueue('bank-c', 'advice', { mti: '0120', fields: { 2: PAN, 4: '000000000200' } });
    await q.enqueue('bank-b', 'advice', { mti: '0120', fields: { 2: PAN, 4: '000000000300' } });
    expect(q.depth('bank-b')).toBe(2);
    const [first] = q.peek('bank-b', 1);
    expect(first).toMatchObject({ kind: 'reversal', mti: '0420', attempts: 0, fields: { 2: PAN } });
    expect(safMti(first)).toBe('0420');
    await q.attempted('bank-b', first.seq);
    await store.close();
    stores.length = 0;
    const raw = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.includes(PAN)).toBe(false);
    expect(raw.includes('499911')).toBe(false);

    store = open(dir);
    q = new SafQueue(store, 3);
    expect(q.depth('bank-b')).toBe(2);
    const again = q.peek('bank-b', 10);
    expect(again.map((e) => e.fields[4])).toEqual(['000000000100', '000000000300']);
    expect(safMti(again[0])).toBe('0421');
    expect(safMti(again[1])).toBe('0120');
    await q.ack('bank-b', again[0].seq);
    expect(q.peek('bank-b', 10).map((e) => e.fields[4])).toEqual(['000000000300']);
    // New entries continue after the highest stored sequence.
    const seq = await q.enqueue('bank-b', 'advice', { mti: '0120', fields: {} });
    expect(seq).toBeGreaterThan(again[1].seq);
    await q.enqueue('bank-b', 'advice', { mti: '0120', fields: {} });
    await expect(q.enqueue('bank-b', 'advice', { mti: '0120', fields: {} })).rejects.toBeInstanceOf(SafFullError);
  });
});

describe('duplicate detector', () => {
  it('runs the work once per key within the window, joins a repeat in flight, forgets after the window', async () => {
    const store = open(tempDir('dup'));
    let t = 1_000_000;
    const d = new DuplicateDetector<string>(store, 1000, () => t);
    let runs = 0;
    const work = () => new Promise<string>((r) => setTimeout(() => r(`answer-${++runs}`), 30));
    const key = dupKey({ listenerId: 'iso', mti: '0200', acquirerId: '1', transmittedAt: '1125120000', stan: '000001', terminalId: 'T1' });
    expect(key).toBe(dupKey({ listenerId: 'iso', mti: '0201', acquirerId: '1', transmittedAt: '1125120000', stan: '000001', terminalId: 'T1' }));
    expect(key).not.toBe(dupKey({ listenerId: 'iso', mti: '0200', acquirerId: '1', transmittedAt: '1125120000', stan: '000001', terminalId: 'T2' }));
    const [a, b] = await Promise.all([d.once(key, work), d.once(key, work)]);
    expect(a).toEqual({ value: 'answer-1', duplicate: false });
    expect(b).toEqual({ value: 'answer-1', duplicate: true });
    await d.flush();
    expect([...store.dup.getKeys({})]).toEqual([key]);
    t += 999;
    expect(await d.once(key, work)).toEqual({ value: 'answer-1', duplicate: true });
    t += 2;
    expect(await d.once(key, work)).toEqual({ value: 'answer-2', duplicate: false });
    await d.flush();
    // A new detector over the same store (a restart) still knows the answer.
    expect(await new DuplicateDetector<string>(store, 1000, () => t).once(key, work)).toEqual({ value: 'answer-2', duplicate: true });
    t += 5000;
    expect(await d.sweep()).toBeGreaterThanOrEqual(1);
    expect([...store.dup.getKeys({})]).toEqual([]);
    expect(runs).toBe(2);
    expect(baseMti('0421')).toBe('0420');
  });
});

describe('duplicate detector expiry index', () => {
  it('sweeps a whole write batch with one index entry, keeps a newer answer under the same key, and still sweeps old per-key entries', async () => {
    const store = open(tempDir('dup-batch'));
    let t = 5_000_000;
    const d = new DuplicateDetector<string>(store, 1000, () => t);
    const keys = ['a', 'b', 'c'].map((s) => dupKey({ listenerId: 'iso', mti: '0200', acquirerId: '1', transmittedAt: '1125120000', stan: s, terminalId: 'T1' }));
    await Promise.all(keys.map((k) => d.once(k, async () => `first-${k}`)));
    await d.flush();
    // One index entry for the three records written in the same turn.
    expect([...store.dupExpiry.getKeys({})]).toHaveLength(1);
    // An entry in the older per-key form ([at, key] → 1) written by an earlier version.
    const legacy = dupKey({ listenerId: 'iso', mti: '0200', acquirerId: '1', transmittedAt: '1125120000', stan: 'legacy', terminalId: 'T1' });
    await store.root.transaction(() => {
      store.dup.put(legacy, { at: t, value: 'old' });
      store.dupExpiry.put([t, legacy], 1);
    });
    // After the window, key a is answered afresh (a newer record under the same key).
    t += 1500;
    expect(await d.once(keys[0], async () => 'second')).toEqual({ value: 'second', duplicate: false });
    await d.flush();
    expect(await d.sweep()).toBe(3); // b, c and the legacy record; a's newer record stays
    expect([...store.dup.getKeys({})]).toEqual([keys[0]]);
    expect(await new DuplicateDetector<string>(store, 1000, () => t).once(keys[0], async () => 'third')).toEqual({ value: 'second', duplicate: true });
    t += 5000;
    expect(await d.sweep()).toBe(1);
    expect([...store.dup.getKeys({})]).toEqual([]);
    expect([...store.dupExpiry.getKeys({})]).toEqual([]);
  });
});
