// The matcher: a plain, streaming-friendly stage. Switch items are indexed by reference (a Map) up front; bank
// items are consumed as they arrive (`offer`), so a statement never has to be held. Passes, in order:
//   exact      a bank reference names the switch item and amount, currency and direction agree;
//   tolerant   the reference agrees and the amount is within the fee tolerance — or, for bank items without a
//              known reference, amount within tolerance, same currency and direction, date within the window;
//   oneToMany  one bank item carries a group key (batch, payout) and nets the group's open items;
//   manyToOne  several bank items name one switch item and together make its amount.
// What is left is *expected* while its window is open at `asOf`, else a break with a category.
import { createHash } from 'node:crypto';
import type { BankEntry, BankItem, Break, BreakCategory, Cdi, Expected, Match, MatchResult, MatchRules, SwitchItem } from './types.js';
import { DEFAULT_RULES } from './types.js';

const OPEN = 0;
const MATCHED = 1;
const BROKEN = 2;

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

const signed = (amount: number, cdi: Cdi) => (cdi === 'CRDT' ? amount : -amount);
const flip = (c: Cdi): Cdi => (c === 'CRDT' ? 'DBIT' : 'CRDT');

/** Statement entry → bank items: one per detail of a batch-booked entry whose details carry amounts, else one. */
export function bankItems(e: BankEntry): BankItem[] {
  const entryCdi = e.reversal ? flip(e.cdi) : e.cdi;
  const date = e.bookingDate ?? e.valueDate ?? '';
  const d = e.details;
  if (d.length > 1) {
    let sum = 0;
    let complete = true;
    for (const x of d) {
      if (x.amount === undefined || (x.currency && x.currency !== e.currency) || !(x.endToEndId || x.txId || x.servicerRef || x.instrId)) {
        complete = false;
        break;
      }
      const c = x.cdi ? (e.reversal ? flip(x.cdi) : x.cdi) : entryCdi;
      sum += signed(x.amount, c);
    }
    if (complete && sum === signed(e.amount, entryCdi)) {
      return d.map((x, i) => {
        const refs: string[] = [];
        for (const r of [x.endToEndId, x.txId, x.instrId, x.servicerRef]) if (r && !refs.includes(r)) refs.push(r);
        const c = x.cdi ? (e.reversal ? flip(x.cdi) : x.cdi) : entryCdi;
        return { key: `${e.source}#${e.index}.${i}`, refs, amount: x.amount!, currency: e.currency, cdi: c, date, source: e.source, label: `entry ${e.index} detail ${i}` };
      });
    }
  }
  const refs: string[] = [];
  for (const x of d) for (const r of [x.endToEndId, x.txId, x.instrId, x.servicerRef, x.pmtInfId]) if (r && !refs.includes(r)) refs.push(r);
  if (e.entryRef && !refs.includes(e.entryRef)) refs.push(e.entryRef);
  if (e.servicerRef && !refs.includes(e.servicerRef)) refs.push(e.servicerRef);
  return [{ key: `${e.source}#${e.index}`, refs, amount: e.amount, currency: e.currency, cdi: entryCdi, date, source: e.source, label: `entry ${e.index}${e.info ? ` (${e.info.slice(0, 60)})` : ''}` }];
}

export function breakId(category: BreakCategory, ref: string, bankKey: string | undefined): string {
  return 'brk_' + createHash('sha256').update(`${category}|${ref}|${bankKey ?? ''}`).digest('hex').slice(0, 20);
}

export class Matcher {
  readonly rules: MatchRules;
  private readonly items: SwitchItem[] = [];
  private readonly byRef = new Map<string, number>();
  private state = new Uint8Array(1024);
  private readonly partial = new Map<number, BankItem[]>();
  private readonly leftovers: BankItem[] = [];
  private readonly matches: Match[] = [];
  private readonly breaks: Break[] = [];
  private readonly asOfDay: number;
  private bankCount = 0;
  private skipped = 0;
  private matchedBank = 0;
  private readonly byRule: Partial<Record<Match['rule'], number>> = {};

  private record(m: Match): void {
    this.byRule[m.rule] = (this.byRule[m.rule] ?? 0) + 1;
    if (this.matches.length < this.rules.keepMatches) this.matches.push(m);
  }

  constructor(switchItems: Iterable<SwitchItem>, rules: Partial<MatchRules> = {}, readonly asOf: string, readonly name = 'statement') {
    this.rules = { ...DEFAULT_RULES, ...rules };
    this.asOfDay = dayNumber(asOf);
    for (const s of switchItems) this.addSwitchItem(s);
  }

  /** Adds an expected item (switch records may keep arriving while bank entries stream in). */
  addSwitchItem(s: SwitchItem): void {
    if (!Number.isSafeInteger(s.amount) || s.amount < 0) throw new Error(`switch item ${s.ref}: amount must be a non-negative integer`);
    const i = this.items.length;
    this.items.push(s);
    if (i >= this.state.length) {
      const next = new Uint8Array(this.state.length * 2);
      next.set(this.state);
      this.state = next;
    }
    // A reference seen twice on the switch side is indexed once; the later item is left to the amount passes.
    if (!this.byRef.has(s.ref)) this.byRef.set(s.ref, i);
  }

  private tolerance(s: SwitchItem): number {
    return Math.max(this.rules.amountTolerance, Math.floor((s.amount * this.rules.amountToleranceBps) / 10_000));
  }

  private age(date: string): number {
    return date ? Math.max(0, this.asOfDay - dayNumber(date)) : 0;
  }

  private addBreak(category: BreakCategory, s: SwitchItem | undefined, b: BankItem | undefined, amount: number, detail: string, currency?: string): void {
    const ref = s?.ref ?? b?.refs[0] ?? b?.key ?? '?';
    const br: Break = {
      id: breakId(category, `${this.name}:${ref}`, b?.key),
      category,
      ref,
      amount,
      currency: currency ?? s?.currency ?? b!.currency,
      source: b?.source ?? s?.kind ?? 'switch',
      recon: this.name,
      ageDays: this.age(s?.date || b?.date || this.asOf),
      detail,
    };
    if (s) {
      br.switchAmount = signed(s.amount, s.cdi);
      br.switchDate = s.date;
      if (s.account) br.account = s.account;
    }
    if (b) {
      br.bankAmount = signed(b.amount, b.cdi);
      br.bankCurrency = b.currency;
      br.bankDate = b.date;
      br.bankKey = b.key;
    }
    this.breaks.push(br);
  }

  private isLate(s: SwitchItem, b: BankItem): boolean {
    return !!b.date && !!s.date && dayNumber(b.date) > dayNumber(s.date) + this.rules.windowDays;
  }

  private settle(i: number, bs: BankItem[], rule: Match['rule']): void {
    const s = this.items[i];
    let sum = 0;
    for (const b of bs) sum += signed(b.amount, b.cdi);
    const diff = sum - signed(s.amount, s.cdi);
    const late = bs.find((b) => this.isLate(s, b));
    this.matchedBank += bs.length;
    if (late) {
      this.state[i] = BROKEN;
      this.addBreak('late', s, late, diff, `booked ${late.date}, ${dayNumber(late.date) - dayNumber(s.date)} days after ${s.date} (window ${this.rules.windowDays})`);
      return;
    }
    this.state[i] = MATCHED;
    this.byRule[rule] = (this.byRule[rule] ?? 0) + 1;
    if (this.matches.length < this.rules.keepMatches) this.matches.push({ rule, switchRefs: [s.ref], bankKeys: bs.map((b) => b.key), difference: diff, currency: s.currency });
  }

  /** Consumes one bank item as it arrives. */
  offer(b: BankItem): void {
    this.bankCount++;
    for (const ref of b.refs) {
      const i = this.byRef.get(ref);
      if (i !== undefined) return this.hit(i, b);
    }
    if (this.leftovers.length >= this.rules.maxLeftovers) throw new Error(`more than ${this.rules.maxLeftovers} bank items without a known reference; raise maxLeftovers or check the switch items`);
    this.leftovers.push(b);
  }

  /** Consumes a statement entry (skips entries not booked: PDNG, INFO). */
  offerEntry(e: BankEntry): void {
    if (e.status !== 'BOOK') {
      this.skipped++;
      return;
    }
    if (e.details.length <= 1 && this.fastExact(e)) return;
    for (const b of bankItems(e)) this.offer(b);
  }

  /**
   * The common case of a big statement without allocating a bank item: a one-detail entry whose first known
   * reference (in bankItems' order) is an exact, timely match, once the match list is full (then a match is only
   * counted). Anything else returns false and takes the general path, which finds the same reference.
   */
  private fastExact(e: BankEntry): boolean {
    if (this.matches.length < this.rules.keepMatches || !this.rules.passes.includes('exact')) return false;
    const d = e.details[0];
    let i: number | undefined;
    if (d) i = this.lookup(d.endToEndId) ?? this.lookup(d.txId) ?? this.lookup(d.instrId) ?? this.lookup(d.servicerRef) ?? this.lookup(d.pmtInfId);
    i ??= this.lookup(e.entryRef) ?? this.lookup(e.servicerRef);
    if (i === undefined || this.state[i] !== OPEN) return false;
    const s = this.items[i];
    const cdi = e.reversal ? flip(e.cdi) : e.cdi;
    const date = e.bookingDate ?? e.valueDate ?? '';
    if (s.currency !== e.currency || signed(e.amount, cdi) !== signed(s.amount, s.cdi)) return false;
    if (date && s.date && dayNumber(date) > dayNumber(s.date) + this.rules.windowDays) return false;
    this.bankCount++;
    this.matchedBank++;
    this.state[i] = MATCHED;
    this.byRule.exact = (this.byRule.exact ?? 0) + 1;
    return true;
  }

  private lookup(ref: string | undefined): number | undefined {
    return ref === undefined ? undefined : this.byRef.get(ref);
  }

  private hit(i: number, b: BankItem): void {
    const s = this.items[i];
    const st = this.state[i];
    if (st !== OPEN) {
      this.addBreak('duplicate', s, b, signed(b.amount, b.cdi), `${s.ref} already ${st === MATCHED ? 'matched' : 'reported'}; the bank booked it again`);
      return;
    }
    if (b.currency !== s.currency) {
      this.state[i] = BROKEN;
      this.addBreak('currencyMismatch', s, b, -signed(s.amount, s.cdi), `switch ${s.amount} ${s.currency}, bank ${b.amount} ${b.currency}`);
      return;
    }
    const diff = signed(b.amount, b.cdi) - signed(s.amount, s.cdi);
    if (diff === 0 && this.rules.passes.includes('exact')) return this.settle(i, [b], 'exact');
    if (Math.abs(diff) <= this.tolerance(s) && this.rules.passes.includes('tolerant')) return this.settle(i, [b], 'tolerant');
    // Maybe a part: decided in finish() when every part has arrived.
    const list = this.partial.get(i);
    if (list) list.push(b);
    else this.partial.set(i, [b]);
  }

  /** Runs the leftover passes and classifies what is left; the matcher is spent afterwards. */
  finish(): MatchResult {
    const { rules } = this;
    // manyToOne: parts that together make the item; otherwise the first part is a mismatch, the rest duplicates.
    for (const [i, parts] of this.partial) {
      const s = this.items[i];
      if (this.state[i] !== OPEN) {
        for (const b of parts) this.addBreak('duplicate', s, b, signed(b.amount, b.cdi), `${s.ref} already matched; extra booking`);
        continue;
      }
      const sum = parts.reduce((x, b) => x + signed(b.amount, b.cdi), 0);
      if (parts.length > 1 && Math.abs(sum - signed(s.amount, s.cdi)) <= this.tolerance(s) && rules.passes.includes('manyToOne')) {
        this.settle(i, parts, 'manyToOne');
        continue;
      }
      this.state[i] = BROKEN;
      const first = parts[0];
      this.matchedBank++;
      this.addBreak('amountMismatch', s, first, signed(first.amount, first.cdi) - signed(s.amount, s.cdi), `switch ${signed(s.amount, s.cdi)}, bank ${signed(first.amount, first.cdi)} ${s.currency}`);
      for (const b of parts.slice(1)) this.addBreak('duplicate', s, b, signed(b.amount, b.cdi), `${s.ref} booked again`);
    }

    // A bank item that names a group (a PmtInfId, a batch id) is a reference to the group: one-to-many first,
    // so the amount-only tolerant pass cannot hand it to an unrelated item of the same amount.
    let rest = this.leftovers;
    if (rules.passes.includes('oneToMany')) rest = this.oneToManyPass(rest);
    if (rules.passes.includes('tolerant')) rest = this.tolerantPass(rest);

    const expected: Expected[] = [];
    let matchedSwitch = 0;
    for (let i = 0; i < this.items.length; i++) {
      const st = this.state[i];
      if (st === MATCHED) matchedSwitch++;
      if (st !== OPEN) continue;
      const s = this.items[i];
      const ends = dayNumber(s.date) + rules.windowDays;
      if (this.asOfDay <= ends) expected.push({ side: 'switch', ref: s.ref, amount: s.amount, currency: s.currency, cdi: s.cdi, date: s.date, windowEnds: dayString(ends) });
      else this.addBreak('missingAtBank', s, undefined, -signed(s.amount, s.cdi), `no bank booking of ${s.label ?? s.ref} by ${dayString(ends)}`);
    }
    for (const b of rest) {
      const ends = (b.date ? dayNumber(b.date) : this.asOfDay) + rules.windowDays;
      if (this.asOfDay <= ends) expected.push({ side: 'bank', ref: b.refs[0] ?? b.key, amount: b.amount, currency: b.currency, cdi: b.cdi, date: b.date, windowEnds: dayString(ends) });
      else this.addBreak('missingInSwitch', undefined, b, signed(b.amount, b.cdi), `bank ${b.label} (${b.refs.join(', ') || 'no reference'}) has no switch record`);
    }
    return {
      matches: this.matches,
      expected,
      breaks: this.breaks,
      stats: { switchItems: this.items.length, bankItems: this.bankCount, matchedSwitch, matchedBank: this.matchedBank, skippedBank: this.skipped, byRule: { ...this.byRule } },
    };
  }

  private tolerantPass(bank: BankItem[]): BankItem[] {
    if (bank.length === 0) return bank;
    const buckets = new Map<string, number[]>();
    for (let i = 0; i < this.items.length; i++) {
      if (this.state[i] !== OPEN) continue;
      const s = this.items[i];
      const k = `${s.currency}|${s.cdi}`;
      const arr = buckets.get(k);
      if (arr) arr.push(i);
      else buckets.set(k, [i]);
    }
    for (const arr of buckets.values()) arr.sort((a, b) => this.items[a].amount - this.items[b].amount);
    const left: BankItem[] = [];
    for (const b of bank) {
      const arr = buckets.get(`${b.currency}|${b.cdi}`);
      const found = arr ? this.nearest(arr, b) : -1;
      if (found < 0) left.push(b);
      else this.settle(found, [b], 'tolerant');
    }
    return left;
  }

  /** Closest open item within tolerance and date window (binary search on amount, bounded scan). */
  private nearest(arr: number[], b: BankItem): number {
    const maxTol = Math.max(this.rules.amountTolerance, Math.ceil((b.amount * this.rules.amountToleranceBps) / 9_000) + 1);
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[arr[mid]].amount < b.amount - maxTol) lo = mid + 1;
      else hi = mid;
    }
    const bd = b.date ? dayNumber(b.date) : this.asOfDay;
    let best = -1;
    let bestDiff = Infinity;
    for (let j = lo, scanned = 0; j < arr.length && scanned < 10_000; j++, scanned++) {
      const i = arr[j];
      const s = this.items[i];
      if (s.amount > b.amount + maxTol) break;
      if (this.state[i] !== OPEN) continue;
      const diff = Math.abs(b.amount - s.amount);
      if (diff > this.tolerance(s)) continue;
      const sd = dayNumber(s.date);
      if (bd < sd - this.rules.earlyDays || bd > sd + this.rules.windowDays) continue;
      if (diff < bestDiff) {
        best = i;
        bestDiff = diff;
      }
    }
    return best;
  }

  private oneToManyPass(bank: BankItem[]): BankItem[] {
    if (bank.length === 0) return bank;
    const groups = new Map<string, number[]>();
    for (let i = 0; i < this.items.length; i++) {
      const g = this.items[i].group;
      if (!g || this.state[i] !== OPEN) continue;
      const arr = groups.get(g);
      if (arr) arr.push(i);
      else groups.set(g, [i]);
    }
    if (groups.size === 0) return bank;
    const left: BankItem[] = [];
    for (const b of bank) {
      let done = false;
      for (const ref of b.refs) {
        const members = groups.get(ref);
        if (!members) continue;
        const open = members.filter((i) => this.state[i] === OPEN && this.items[i].currency === b.currency);
        const sum = open.reduce((x, i) => x + signed(this.items[i].amount, this.items[i].cdi), 0);
        const tol = Math.max(this.rules.amountTolerance, Math.floor((Math.abs(sum) * this.rules.amountToleranceBps) / 10_000));
        if (open.length > 0 && Math.abs(signed(b.amount, b.cdi) - sum) <= tol) {
          const late = open.some((i) => this.isLate(this.items[i], b));
          for (const i of open) this.state[i] = late ? BROKEN : MATCHED;
          this.matchedBank++;
          const diff = signed(b.amount, b.cdi) - sum;
          if (late) this.addBreak('late', this.items[open[0]], b, diff, `group ${ref} booked ${b.date}, after its window`);
          else this.record({ rule: 'oneToMany', switchRefs: open.map((i) => this.items[i].ref), bankKeys: [b.key], difference: diff, currency: b.currency });
          done = true;
          break;
        }
      }
      if (!done) left.push(b);
    }
    return left;
  }
}

/** The whole thing in one call, for bank items already in memory. */
export function match(switchItems: Iterable<SwitchItem>, bank: Iterable<BankItem>, rules: Partial<MatchRules> = {}, asOf: string, name = 'statement'): MatchResult {
  const m = new Matcher(switchItems, rules, asOf, name);
  for (const b of bank) m.offer(b);
  return m.finish();
}

/** Breaks by category with counts and amounts (|amount| summed per currency). */
export function categorise(breaks: readonly Break[]): Record<BreakCategory, { count: number; amounts: Record<string, number> }> {
  const out = {} as Record<BreakCategory, { count: number; amounts: Record<string, number> }>;
  for (const c of ['missingAtBank', 'missingInSwitch', 'amountMismatch', 'currencyMismatch', 'duplicate', 'late'] as BreakCategory[]) out[c] = { count: 0, amounts: {} };
  for (const b of breaks) {
    const x = out[b.category];
    x.count++;
    x.amounts[b.currency] = (x.amounts[b.currency] ?? 0) + Math.abs(b.amount);
  }
  return out;
}
