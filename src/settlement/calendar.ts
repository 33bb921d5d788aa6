// The business-day calendar: a time zone (Asia/Jakarta by default), weekend days, a holiday list and a daily
// cut-off per currency. An event at or after the cut-off of its local day, or on a non-business day, belongs to
// the next business day's batch.
export interface CalendarConfig {
  /** IANA time zone (default Asia/Jakarta). */
  timeZone?: string;
  /** Days of the week that are not business days, 0 = Sunday (default [0, 6]). */
  weekend?: number[];
  /** YYYY-MM-DD holidays. */
  holidays?: string[];
  /** Cut-off per ISO 4217 numeric currency as HH:MM local time. */
  cutoffs?: Record<string, string>;
  /** Cut-off for currencies without their own (default 16:00). */
  defaultCutoff?: string;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function assertDate(d: string): void {
  const m = DATE_RE.exec(d);
  if (!m || new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).toISOString().slice(0, 10) !== d) throw new Error(`not a date (YYYY-MM-DD): ${d}`);
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(date + 'T00:00:00Z') + n * DAY_MS).toISOString().slice(0, 10);
}

export class BusinessCalendar {
  readonly timeZone: string;
  private readonly weekend: Set<number>;
  private readonly holidays: Set<string>;
  private readonly cutoffMin = new Map<string, number>();
  private readonly defaultCutoffMin: number;
  private readonly fmt: Intl.DateTimeFormat;
  /** Hour index → UTC offset in ms; bounded so a long replay cannot grow it without limit. */
  private readonly offsets = new Map<number, number>();

  constructor(cfg: CalendarConfig = {}) {
    this.timeZone = cfg.timeZone ?? 'Asia/Jakarta';
    this.weekend = new Set(cfg.weekend ?? [0, 6]);
    for (const h of cfg.holidays ?? []) assertDate(h);
    this.holidays = new Set(cfg.holidays ?? []);
    const parse = (s: string) => {
      const m = TIME_RE.exec(s);
      if (!m) throw new Error(`cut-off must be HH:MM, got ${s}`);
      return +m[1] * 60 + +m[2];
    };
    this.defaultCutoffMin = parse(cfg.defaultCutoff ?? '16:00');
    for (const [cur, t] of Object.entries(cfg.cutoffs ?? {})) this.cutoffMin.set(cur, parse(t));
    this.fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: this.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** The zone's UTC offset at `ms` (cached per hour: zones only change offset on hour boundaries we care about). */
  private offsetAt(ms: number): number {
    const h = Math.floor(ms / HOUR_MS);
    let off = this.offsets.get(h);
    if (off === undefined) {
      const p: Record<string, string> = {};
      for (const x of this.fmt.formatToParts(h * HOUR_MS)) p[x.type] = x.value;
      off = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - h * HOUR_MS;
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(h, off);
    }
    return off;
  }

  isBusinessDay(date: string): boolean {
    const dow = new Date(date + 'T00:00:00Z').getUTCDay();
    return !this.weekend.has(dow) && !this.holidays.has(date);
  }

  /** `date` itself when it is a business day, else the next one. */
  rollForward(date: string): string {
    let d = date;
    for (let i = 0; i < 366; i++) {
      if (this.isBusinessDay(d)) return d;
      d = addDays(d, 1);
    }
    throw new Error(`calendar: no business day within a year of ${date}`);
  }

  nextBusinessDay(date: string): string {
    return this.rollForward(addDays(date, 1));
  }

  cutoffMinutes(currency: string): number {
    return this.cutoffMin.get(currency) ?? this.defaultCutoffMin;
  }

  /** Epoch ms of the cut-off of `date` for `currency` in the calendar's zone. */
  cutoffInstant(date: string, currency: string): number {
    const localMs = Date.parse(date + 'T00:00:00Z') + this.cutoffMinutes(currency) * 60_000;
    // Local wall time → UTC: subtract the offset; re-check once for zones whose offset differs across the day.
    let utc = localMs - this.offsetAt(localMs);
    utc = localMs - this.offsetAt(utc);
    return utc;
  }

  /** minute index + currency → business date: events in the same minute share it (cut-offs are whole minutes). */
  private readonly dateCache = new Map<string, string>();
  /** The last minute asked for, its currency and date (the next record is most often in the same minute). */
  private lastMinute = NaN;
  private lastCurrency = '';
  private lastDate = '';

  /** The business date an event at `ms` in `currency` settles on (before any closed-batch adjustment). */
  businessDateOf(ms: number, currency: string): string {
    // Records arrive in time order: most share the previous one's minute and currency (no key string built).
    const minute = Math.floor(ms / 60_000);
    if (minute === this.lastMinute && currency === this.lastCurrency) return this.lastDate;
    const key = `${minute}|${currency}`;
    let d = this.dateCache.get(key);
    if (d === undefined) {
      d = this.computeBusinessDate(ms, currency);
      if (this.dateCache.size > 10_000) this.dateCache.clear();
      this.dateCache.set(key, d);
    }
    this.lastMinute = minute;
    this.lastCurrency = currency;
    this.lastDate = d;
    return d;
  }

  private computeBusinessDate(ms: number, currency: string): string {
    const local = ms + this.offsetAt(ms);
    const day = Math.floor(local / DAY_MS);
    const minutes = Math.floor((local - day * DAY_MS) / 60_000);
    let date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (minutes >= this.cutoffMinutes(currency)) date = addDays(date, 1);
    return this.rollForward(date);
  }

  /** Local calendar date (YYYY-MM-DD) at `ms`. */
  localDate(ms: number): string {
    return new Date(ms + this.offsetAt(ms)).toISOString().slice(0, 10);
  }
}
