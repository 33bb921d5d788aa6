// BIN / card-range routing: the longest matching prefix wins. On-us ranges go to the authorization engine,
// the rest to an issuer link. At equal length an exact prefix beats a range (a carve-out of the range). Compiled once into a map per prefix length, so a lookup is at most 11 map probes.
import type { RouteConfig } from '../config/types.js';

export type Route = { kind: 'onus' } | { kind: 'issuer'; issuerId: string };

interface RangeEntry {
  lo: string;
  hi: string;
  route: Route;
}

export interface RoutingTable {
  /** Prefix lengths present, longest first. */
  readonly lengths: readonly number[];
  readonly exact: ReadonlyMap<number, ReadonlyMap<string, Route>>;
  /** Ranges per length, sorted by `lo`, non-overlapping. */
  readonly ranges: ReadonlyMap<number, readonly RangeEntry[]>;
}

const ONUS: Route = Object.freeze({ kind: 'onus' });

export class RoutingError extends Error {
  override readonly name = 'RoutingError';
}

export function compileRoutes(entries: readonly RouteConfig[]): RoutingTable {
  const exact = new Map<number, Map<string, Route>>();
  const ranges = new Map<number, RangeEntry[]>();
  const toRoute = (to: string): Route => (to === 'onus' ? ONUS : { kind: 'issuer', issuerId: to });
  entries.forEach((e, i) => {
    if (e.prefix !== undefined) {
      if (!/^\d{1,11}$/.test(e.prefix)) throw new RoutingError(`routing[${i}].prefix: must be 1–11 digits`);
      const m = exact.get(e.prefix.length) ?? new Map<string, Route>();
      if (m.has(e.prefix)) throw new RoutingError(`routing[${i}]: prefix ${e.prefix} appears twice`);
      m.set(e.prefix, toRoute(e.to));
      exact.set(e.prefix.length, m);
    } else if (e.range) {
      const [lo, hi] = e.range;
      if (!/^\d{1,11}$/.test(lo) || lo.length !== hi.length || !/^\d+$/.test(hi) || lo > hi) throw new RoutingError(`routing[${i}].range: bad range ${lo}–${hi}`);
      const list = ranges.get(lo.length) ?? [];
      list.push({ lo, hi, route: toRoute(e.to) });
      ranges.set(lo.length, list);
    } else throw new RoutingError(`routing[${i}]: needs prefix or range`);
  });
  for (const [len, list] of ranges) {
    list.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    for (let i = 1; i < list.length; i++) {
      if (list[i].lo <= list[i - 1].hi) throw new RoutingError(`routing: ranges ${list[i - 1].lo}–${list[i - 1].hi} and ${list[i].lo}–${list[i].hi} overlap`);
    }
  }
  const lengths = [...new Set([...exact.keys(), ...ranges.keys()])].sort((a, b) => b - a);
  return { lengths, exact, ranges };
}

function findRange(list: readonly RangeEntry[], p: string): RangeEntry | null {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = list[mid];
    if (p < r.lo) hi = mid - 1;
    else if (p > r.hi) lo = mid + 1;
    else return r;
  }
  return null;
}

/** Where a card goes; null when no entry matches (the switch answers 15 "no such issuer"). */
export function route(pan: string, table: RoutingTable): Route | null {
  for (const len of table.lengths) {
    if (pan.length < len) continue;
    const p = pan.slice(0, len);
    const hit = table.exact.get(len)?.get(p);
    if (hit) return hit;
    const list = table.ranges.get(len);
    if (list) {
      const r = findRange(list, p);
      if (r) return r.route;
    }
  }
  return null;
}
