// utcDay formats once per day number: the memo must still follow the clock both ways across midnight.
import { describe, expect, it } from 'vitest';
import { today, utcDay } from '../../src/authorize/stages.js';

describe('utcDay', () => {
  it('changes exactly at UTC midnight, and back for an earlier time', () => {
    expect(utcDay(new Date('2026-12-01T23:59:59.999Z'))).toBe('20261201');
    expect(utcDay(new Date('2026-12-02T00:00:00.000Z'))).toBe('20261202');
    expect(utcDay(new Date('2026-12-01T12:00:00.000Z'))).toBe('20261201');
    expect(utcDay(new Date('1999-12-31T23:00:00+02:00'))).toBe('19991231');
    expect(() => utcDay(new Date(NaN))).toThrow(RangeError);
  });
  it('today() resets the velocity counters on a new day only', () => {
    const v = { day: '20261201', count: 3, amount: 900, cash: 0 };
    expect(today(v, new Date('2026-12-01T23:59:59Z'))).toBe(v);
    expect(today(v, new Date('2026-12-02T00:00:01Z'))).toEqual({ day: '20261202', count: 0, amount: 0, cash: 0 });
  });
});
