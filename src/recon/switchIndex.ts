// The switch side of a reconciliation, held compactly: a million expected items are a few typed arrays and one
// character arena (~60 MB) instead of a million objects plus a Map (~300 MB of GC-scanned heap, which also
// made every young-generation collection of the streaming reader slower). References are found through an
// open-addressing hash table over the arena; items are materialised as objects only for the report.
import type { Cdi, SwitchItem } from './types.js';
import { dayNumber, dayString } from './days.js';

/** Longest reference kept (EndToEndId is ≤ 35, record ids are short): bounds the arena per item. */
export const MAX_REF_LENGTH = 1024;
/** Items one index holds: bounds the arrays (and the hash table at 2× this slots, two int32s each). */
export const MAX_SWITCH_ITEMS = 50_000_000;
/** Distinct currencies / kinds / groups / accounts: they are interned to small integers. */
const MAX_CODES = 255;
const MAX_GROUPS = 10_000_000;
const NONE = -1;

/** Strings interned to dense integers (currencies, kinds, groups): few distinct values, many items. */
class Interner {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();
  constructor(private readonly max: number, private readonly what: string) {}
  id(v: string): number {
    let i = this.ids.get(v);
    if (i === undefined) {
      if (this.values.length >= this.max) throw new Error(`more than ${this.max} distinct switch-item ${this.what}s`);
      i = this.values.length;
      this.values.push(v);
      this.ids.set(v, i);
    }
    return i;
  }
  find(v: string): number {
    return this.ids.get(v) ?? NONE;
  }
}

/** FNV-1a over UTF-16 code units (kept in the table beside each item). */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class SwitchIndex {
  private n = 0;
  amount = new Float64Array(1024);
  day = new Int32Array(1024);
  cdiDebit = new Uint8Array(1024);
  currency = new Uint8Array(1024);
  kind = new Uint8Array(1024);
  group = new Int32Array(1024);
  private refStart = new Uint32Array(1025);
  private arena = new Uint16Array(16 * 1024);
  private arenaUsed = 0;
  /**
   * Slots of [item, hash] pairs: a probe compares the stored hash before it looks at the arena, so a lookup
   * reads the arena once (the item it finds), not once per probed item, and a rehash needs no hashing.
   */
  private table = new Int32Array(2 * 2048).fill(NONE);
  private mask = 2047;
  /** Free text and accounts are rare in bulk and free-form: kept sparse, by item number. */
  private readonly labels = new Map<number, string>();
  private readonly accounts = new Map<number, string>();
  readonly currencies = new Interner(MAX_CODES, 'currency');
  private readonly kinds = new Interner(MAX_CODES, 'kind');
  readonly groups = new Interner(MAX_GROUPS, 'group');

  get size(): number {
    return this.n;
  }

  /** Adds an item; returns its number. A reference already indexed is not indexed again (first one wins). */
  add(s: SwitchItem): number {
    if (!Number.isSafeInteger(s.amount) || s.amount < 0) throw new Error(`switch item ${s.ref}: amount must be a non-negative integer`);
    if (typeof s.ref !== 'string' || s.ref.length === 0 || s.ref.length > MAX_REF_LENGTH) throw new Error(`switch item reference must be 1..${MAX_REF_LENGTH} characters`);
    if (s.cdi !== 'CRDT' && s.cdi !== 'DBIT') throw new Error(`switch item ${s.ref}: cdi must be CRDT or DBIT`);
    if (this.n >= MAX_SWITCH_ITEMS) throw new Error(`more than ${MAX_SWITCH_ITEMS} switch items in one reconciliation`);
    let day: number;
    try {
      day = dayNumber(s.date);
    } catch {
      throw new Error(`switch item ${s.ref}: date "${s.date}" is not YYYY-MM-DD`);
    }
    const i = this.n;
    if (i === this.amount.length) this.grow();
    this.amount[i] = s.amount;
    this.day[i] = day;
    this.cdiDebit[i] = s.cdi === 'DBIT' ? 1 : 0;
    this.currency[i] = this.currencies.id(s.currency);
    this.kind[i] = this.kinds.id(s.kind);
    this.group[i] = s.group ? this.groups.id(s.group) : NONE;
    if (s.label !== undefined) this.labels.set(i, s.label);
    if (s.account !== undefined) this.accounts.set(i, s.account);
    this.putRef(i, s.ref);
    this.n = i + 1;
    const h = hashOf(s.ref);
    if (this.findHashed(s.ref, h) === NONE) this.insert(i, h);
    return i;
  }

  /** The item whose reference is `ref`, or −1. */
  find(ref: string): number {
    const len = ref.length;
    if (len === 0 || len > MAX_REF_LENGTH) return NONE;
    return this.findHashed(ref, hashOf(ref));
  }

  private findHashed(ref: string, h: number): number {
    const len = ref.length;
    const hash = h | 0;
    const { table, mask, arena, refStart } = this;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const i = table[2 * slot];
      if (i === NONE) return NONE;
      if (table[2 * slot + 1] !== hash) continue;
      const start = refStart[i];
      if (refStart[i + 1] - start !== len) continue;
      let k = 0;
      while (k < len && arena[start + k] === ref.charCodeAt(k)) k++;
      if (k === len) return i;
    }
  }

  ref(i: number): string {
    return String.fromCharCode.apply(null, this.arena.subarray(this.refStart[i], this.refStart[i + 1]) as unknown as number[]);
  }
  cdi(i: number): Cdi {
    return this.cdiDebit[i] ? 'DBIT' : 'CRDT';
  }
  /** Credits positive, debits negative. */
  signed(i: number): number {
    return this.cdiDebit[i] ? -this.amount[i] : this.amount[i];
  }
  currencyOf(i: number): string {
    return this.currencies.values[this.currency[i]];
  }
  date(i: number): string {
    return dayString(this.day[i]);
  }
  groupOf(i: number): string | undefined {
    const g = this.group[i];
    return g === NONE ? undefined : this.groups.values[g];
  }
  /** The item as an object again: for breaks, matches and the report only (rare). */
  item(i: number): SwitchItem {
    const s: SwitchItem = { ref: this.ref(i), amount: this.amount[i], currency: this.currencyOf(i), cdi: this.cdi(i), date: this.date(i), kind: this.kinds.values[this.kind[i]] };
    const g = this.groupOf(i);
    if (g !== undefined) s.group = g;
    const a = this.accounts.get(i);
    if (a !== undefined) s.account = a;
    const l = this.labels.get(i);
    if (l !== undefined) s.label = l;
    return s;
  }

  private putRef(i: number, ref: string): void {
    const start = this.arenaUsed;
    if (start + ref.length > this.arena.length) {
      const next = new Uint16Array(Math.max(this.arena.length * 2, start + ref.length));
      next.set(this.arena);
      this.arena = next;
    }
    for (let k = 0; k < ref.length; k++) this.arena[start + k] = ref.charCodeAt(k);
    this.arenaUsed = start + ref.length;
    this.refStart[i] = start;
    this.refStart[i + 1] = this.arenaUsed;
  }

  private insert(i: number, h: number): void {
    // Load factor ≤ 1/2 keeps probes short; the table is rebuilt at twice the size.
    if (this.n * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    const { table, mask } = this;
    let slot = h & mask;
    while (table[2 * slot] !== NONE) slot = (slot + 1) & mask;
    table[2 * slot] = i;
    table[2 * slot + 1] = h;
  }

  private rehash(size: number): void {
    const old = this.table;
    const table = new Int32Array(2 * size).fill(NONE);
    const mask = size - 1;
    for (let o = 0; o < old.length; o += 2) {
      const i = old[o];
      if (i === NONE) continue;
      const h = old[o + 1];
      let slot = h & mask;
      while (table[2 * slot] !== NONE) slot = (slot + 1) & mask;
      table[2 * slot] = i;
      table[2 * slot + 1] = h;
    }
    this.table = table;
    this.mask = mask;
  }

  private grow(): void {
    const cap = this.amount.length * 2;
    const g = <T extends Float64Array | Int32Array | Uint8Array | Uint32Array>(a: T, len: number): T => {
      const next = new (a.constructor as new (n: number) => T)(len);
      next.set(a);
      return next;
    };
    this.amount = g(this.amount, cap);
    this.day = g(this.day, cap);
    this.cdiDebit = g(this.cdiDebit, cap);
    this.currency = g(this.currency, cap);
    this.kind = g(this.kind, cap);
    this.group = g(this.group, cap);
    this.refStart = g(this.refStart, cap + 1);
  }
}
