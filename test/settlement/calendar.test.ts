import { describe, expect, it } from 'vitest';
import { assertDate, BusinessCalendar } from '../../src/settlement/calendar.js';

describe('business calendar and cut-off', () => {
  const cal = new BusinessCalendar({ holidays: ['2026-11-26'], cutoffs: { '840': '15:00' } });
  const bd = (iso: string, cur = '360') => cal.businessDateOf(Date.parse(iso), cur);

  it('puts an event at or after the cut-off (Jakarta time) into the next business day', () => {
    expect(bd('2026-11-27T08:59:59Z')).toBe('2026-11-27'); // Fri 15:59:59 WIB
    expect(bd('2026-11-27T09:00:00Z')).toBe('2026-11-30'); // Fri 16:00 WIB → Monday
    expect(bd('2026-11-28T03:00:00Z')).toBe('2026-11-30'); // Saturday
    expect(bd('2026-11-22T23:00:00Z')).toBe('2026-11-23'); // Sun 23:00Z is Mon 06:00 WIB
    expect(bd('2026-11-25T10:00:00Z')).toBe('2026-11-27'); // Wed after cut-off, Thu is a holiday
    expect(bd('2026-11-24T08:30:00Z', '840')).toBe('2026-11-25'); // 15:30 WIB is after the USD cut-off
    expect(bd('2026-11-24T08:30:00Z', '360')).toBe('2026-11-24');
  });

  it('gives the cut-off instant in UTC, also across a daylight-saving change', () => {
    expect(new Date(cal.cutoffInstant('2026-11-23', '360')).toISOString()).toBe('2026-11-23T09:00:00.000Z');
    expect(new Date(cal.cutoffInstant('2026-11-23', '840')).toISOString()).toBe('2026-11-23T08:00:00.000Z');
    const ams = new BusinessCalendar({ timeZone: 'Europe/Amsterdam' });
    expect(new Date(ams.cutoffInstant('2026-03-27', '978')).toISOString()).toBe('2026-03-27T15:00:00.000Z'); // CET
    expect(new Date(ams.cutoffInstant('2026-03-30', '978')).toISOString()).toBe('2026-03-30T14:00:00.000Z'); // CEST
    expect(ams.businessDateOf(Date.parse('2026-03-30T14:30:00Z'), '978')).toBe('2026-03-31');
  });

  it('knows business days and refuses bad configuration', () => {
    expect(cal.isBusinessDay('2026-11-26')).toBe(false);
    expect(cal.nextBusinessDay('2026-11-25')).toBe('2026-11-27');
    expect(cal.nextBusinessDay('2026-11-27')).toBe('2026-11-30');
    expect(() => assertDate('2026-02-30')).toThrow(/not a date/);
    expect(() => new BusinessCalendar({ defaultCutoff: '25:00' })).toThrow(/HH:MM/);
    expect(() => new BusinessCalendar({ holidays: ['26-11-2026'] })).toThrow(/not a date/);
  });
});
