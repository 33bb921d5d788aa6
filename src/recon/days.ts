// Calendar days as integers (days since the epoch): windows and ages are integer arithmetic.

const dayCache = new Map<string, number>();
/** Days since the epoch of a YYYY-MM-DD date (cached: a statement has few distinct dates). */
export function dayNumber(date: string): number {
  let n = dayCache.get(date);
  if (n === undefined) {
    const t = Date.parse(date.slice(0, 10) + 'T00:00:00Z');
    if (Number.isNaN(t)) throw new Error(`bad date "${date}"`);
    n = Math.round(t / 86_400_000);
    if (dayCache.size < 100_000) dayCache.set(date, n);
  }
  return n;
}

export function dayString(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}
