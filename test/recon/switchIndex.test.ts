import { describe, expect, it } from 'vitest';
import { SwitchIndex } from '../../src/recon/switchIndex.js';
import type { SwitchItem } from '../../src/recon/types.js';

const item = (ref: string, i: number, extra: Partial<SwitchItem> = {}): SwitchItem => ({ ref, amount: 1000 + i, currency: i % 3 ? 'IDR' : 'USD', cdi: i % 2 ? 'DBIT' : 'CRDT', date: '2026-11-23', kind: 'payout', ...extra });

describe('SwitchIndex (compact switch side)', () => {
  it('finds every one of 50,000 references across growth and rehashing, and nothing else', () => {
    const ix = new SwitchIndex();
    const N = 50_000;
    const wrong: number[] = [];
    for (let i = 0; i < N; i++) if (ix.add(item(`PO${i}`, i)) !== i) wrong.push(i);
    expect(ix.size).toBe(N);
    for (let i = 0; i < N; i++) if (ix.find(`PO${i}`) !== i) wrong.push(i);
    expect(wrong).toEqual([]);
    for (const miss of ['PO', `PO${N}`, 'PO-1', 'po1', '', 'x'.repeat(2000)]) expect(ix.find(miss)).toBe(-1);
    // Amount, direction, currency and date come back as they went in.
    expect(ix.item(4)).toEqual({ ref: 'PO4', amount: 1004, currency: 'IDR', cdi: 'CRDT', date: '2026-11-23', kind: 'payout' });
    expect([ix.signed(3), ix.currencyOf(3), ix.day[3]]).toEqual([-1003, 'USD', Date.UTC(2026, 10, 23) / 86_400_000]);
  });

  it('keeps non-ASCII references, groups, labels and accounts; a repeated reference is indexed once (the first)', () => {
    const ix = new SwitchIndex();
    ix.add(item('Zahlung-Ä€-1', 1, { group: 'B1-IDR', label: 'payout to merchant M1', account: 'payable:merchant:M1' }));
    ix.add(item('dup', 2));
    ix.add(item('dup', 3));
    expect(ix.find('Zahlung-Ä€-1')).toBe(0);
    expect(ix.item(0)).toMatchObject({ ref: 'Zahlung-Ä€-1', group: 'B1-IDR', label: 'payout to merchant M1', account: 'payable:merchant:M1' });
    expect(ix.find('dup')).toBe(1);
    expect(ix.item(2).ref).toBe('dup');
  });

  it('refuses bad items with a clear error', () => {
    const ix = new SwitchIndex();
    expect(() => ix.add(item('A', 1, { amount: -1 }))).toThrow(/A: amount must be a non-negative integer/);
    expect(() => ix.add(item('A', 1, { amount: 1.5 }))).toThrow(/non-negative integer/);
    expect(() => ix.add(item('A', 1, { date: '23/11/2026' }))).toThrow(/A: date "23\/11\/2026" is not YYYY-MM-DD/);
    expect(() => ix.add(item('', 1))).toThrow(/reference must be 1\.\.1024/);
    expect(() => ix.add(item('A', 1, { cdi: 'X' as 'CRDT' }))).toThrow(/cdi must be CRDT or DBIT/);
    expect(ix.size).toBe(0);
  });
});
