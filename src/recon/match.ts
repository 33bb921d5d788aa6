// The matcher: a plain, streaming-friendly stage. Switch items are indexed by reference (switchIndex.ts) up front; bank
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
import { dayNumber, dayString } from './days.js';
import { SwitchIndex } from './switchIndex.js';

const OPEN = 0;
const MATCHED = 1;
const BROKEN = 2;

export { dayNumber, dayString };

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
  /** The switch side, compact (typed arrays + a reference hash table): see switchIndex.ts. */
  private readonly ix = new SwitchIndex();
  private state = new Uint8Array(1024);
  private readonly partial = new Map<number, BankItem[]>();
  private readonly leftovers: BankItem[] = [];
  private readonly matches: Match[] = [];
  private readonly breaks: Break[] = [];
  private readonly asOfDay: number;
  private readonly exactOn: boolean;
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
    this.exactOn = this.rules.passes.includes('exact');
    for (const s of switchItems) this.addSwitchItem(s);
  }

  /** Adds an expected item (switch records may keep arriving while bank entries stream in). */
  addSwitchItem(s: SwitchItem): void {
    // A reference seen twice on the switch side is indexed once; the later item is left to the amount passes.
    const i = this.ix.add(s);
    if (i >= this.state.length) {
      const next = new Uint8Array(this.state.length * 2);
      next.set(this.state);
      this.state = next;
    }
  }

  private tolerance(i: number): number {
    return Math.max(this.rules.amountTolerance, Math.floor((this.ix.amount[i] * this.rules.amountToleranceBps) / 10_000));
  }

  private age(day: number): number {
    return Math.max(0, this.asOfDay - day);
  }

  /** `i` is the switch item (−1: none). Items are materialised here only: breaks are few. */
  private addBreak(category: BreakCategory, i: number, b: BankItem | undefined, amount: number, detail: string, currency?: string): void {
    const s = i >= 0 ? this.ix.item(i) : undefined;
    const ref = s?.ref ?? b?.refs[0] ?? b?.key ?? '?';
    const day = s ? this.ix.day[i] : b?.date ? dayNumber(b.date) : this.asOfDay;
    const br: Break = {
      id: breakId(category, `${this.name}:${ref}`, b?.key),
      category,
      ref,
      amount,
      currency: currency ?? s?.currency ?? b!.currency,
      source: b?.source ?? s?.kind ?? 'switch',
      recon: this.name,
      ageDays: this.age(day),
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

  private isLate(i: number, b: BankItem): boolean {
    return !!b.date && dayNumber(b.date) > this.ix.day[i] + this.rules.windowDays;
  }

  private settle(i: number, bs: BankItem[], rule: Match['rule']): void {
    const { ix } = this;
    let sum = 0;
    for (const b of bs) sum += signed(b.amount, b.cdi);
    const diff = sum - ix.signed(i);
    const late = bs.find((b) => this.isLate(i, b));
    this.matchedBank += bs.length;
    if (late) {
      this.state[i] = BROKEN;
      this.addBreak('late', i, late, diff, `booked ${late.date}, ${dayNumber(late.date) - ix.day[i]} days after ${ix.date(i)} (window ${this.rules.windowDays})`);
      return;
    }
    this.state[i] = MATCHED;
    this.byRule[rule] = (this.byRule[rule] ?? 0) + 1;
    if (this.matches.length < this.rules.keepMatches) this.matches.push({ rule, switchRefs: [ix.ref(i)], bankKeys: bs.map((b) => b.key), difference: diff, currency: ix.currencyOf(i) });
  }

  /** Consumes one bank item as it arrives. */
  offer(b: BankItem): void {
    this.bankCount++;
    for (const ref of b.refs) {
      const i = this.ix.find(ref);
      if (i >= 0) return this.hit(i, b);
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
    if (this.matches.length < this.rules.keepMatches || !this.exactOn) return false;
    const d = e.details[0];
    let i = -1;
    if (d) i = this.lookup(d.endToEndId, this.lookup(d.txId, this.lookup(d.instrId, this.lookup(d.servicerRef, this.lookup(d.pmtInfId, -1)))));
    if (i < 0) i = this.lookup(e.entryRef, this.lookup(e.servicerRef, -1));
    if (i < 0 || this.state[i] !== OPEN) return false;
    const { ix } = this;
    const cdi = e.reversal ? flip(e.cdi) : e.cdi;
    const date = e.bookingDate ?? e.valueDate ?? '';
    if (ix.currencyOf(i) !== e.currency || signed(e.amount, cdi) !== ix.signed(i)) return false;
    if (date && dayNumber(date) > ix.day[i] + this.rules.windowDays) return false;
    this.bankCount++;
    this.matchedBank++;
    this.state[i] = MATCHED;
    this.byRule.exact = (this.byRule.exact ?? 0) + 1;
    return true;
  }

  /** The item `ref` names, else `otherwise` (chained so the first reference in bankItems' order wins). */
  private lookup(ref: string | undefined, otherwise: number): number {
    if (ref === undefined) return otherwise;
    const i = this.ix.find(ref);
    return i >= 0 ? i : otherwise;
  }

  private hit(i: number, b: BankItem): void {
    const { ix } = this;
    const st = this.state[i];
    if (st !== OPEN) {
      this.addBreak('duplicate', i, b, signed(b.amount, b.cdi), `${ix.ref(i)} already ${st === MATCHED ? 'matched' : 'reported'}; the bank booked it again`);
      return;
    }
    if (b.currency !== ix.currencyOf(i)) {
      this.state[i] = BROKEN;
      this.addBreak('currencyMismatch', i, b, -ix.signed(i), `switch ${ix.amount[i]} ${ix.currencyOf(i)}, bank ${b.amount} ${b.currency}`);
      return;
    }
    const diff = signed(b.amount, b.cdi) - ix.signed(i);
    if (diff === 0 && this.exactOn) {
      // What settle() does for one timely item once the match list is full, without its array and closure:
      // this is the path of nearly every line of a big clearing file.
      if (this.matches.length >= this.rules.keepMatches && !this.isLate(i, b)) {
        this.matchedBank++;
        this.state[i] = MATCHED;
        this.byRule.exact = (this.byRule.exact ?? 0) + 1;
        return;
      }
      return this.settle(i, [b], 'exact');
    }
    if (Math.abs(diff) <= this.tolerance(i) && this.rules.passes.includes('tolerant')) return this.settle(i, [b], 'tolerant');
    // Maybe a part: decided in finish() when every part has arrived.
    const list = this.partial.get(i);
    if (list) list.push(b);
    else this.partial.set(i, [b]);
  }

  /** Runs the leftover passes and classifies what is left; the matcher is spent afterwards. */
  finish(): MatchResult {
    const { rules, ix } = this;
    // manyToOne: parts that together make the item; otherwise the first part is a mismatch, the rest duplicates.
    for (const [i, parts] of this.partial) {
      if (this.state[i] !== OPEN) {
        for (const b of parts) this.addBreak('duplicate', i, b, signed(b.amount, b.cdi), `${ix.ref(i)} already matched; extra booking`);
        continue;
      }
      const sum = parts.reduce((x, b) => x + signed(b.amount, b.cdi), 0);
      if (parts.length > 1 && Math.abs(sum - ix.signed(i)) <= this.tolerance(i) && rules.passes.includes('manyToOne')) {
        this.settle(i, parts, 'manyToOne');
        continue;
      }
      this.state[i] = BROKEN;
      const first = parts[0];
      this.matchedBank++;
      this.addBreak('amountMismatch', i, first, signed(first.amount, first.cdi) - ix.signed(i), `switch ${ix.signed(i)}, bank ${signed(first.amount, first.cdi)} ${ix.currencyOf(i)}`);
      for (const b of parts.slice(1)) this.addBreak('duplicate', i, b, signed(b.amount, b.cdi), `${ix.ref(i)} booked again`);
    }

    // A bank item that names a group (a PmtInfId, a batch id) is a reference to the group: one-to-many first,
    // so the amount-only tolerant pass cannot hand it to an unrelated item of the same amount.
    let rest = this.leftovers;
    if (rules.passes.includes('oneToMany')) rest = this.oneToManyPass(rest);
    if (rules.passes.includes('tolerant')) rest = this.tolerantPass(rest);

    const expected: Expected[] = [];
    let matchedSwitch = 0;
    for (let i = 0; i < ix.size; i++) {
      const st = this.state[i];
      if (st === MATCHED) matchedSwitch++;
      if (st !== OPEN) continue;
      const ends = ix.day[i] + rules.windowDays;
      if (this.asOfDay <= ends) expected.push({ side: 'switch', ref: ix.ref(i), amount: ix.amount[i], currency: ix.currencyOf(i), cdi: ix.cdi(i), date: ix.date(i), windowEnds: dayString(ends) });
      else {
        const label = ix.item(i).label;
        this.addBreak('missingAtBank', i, undefined, -ix.signed(i), `no bank booking of ${label ?? ix.ref(i)} by ${dayString(ends)}`);
      }
    }
    for (const b of rest) {
      const ends = (b.date ? dayNumber(b.date) : this.asOfDay) + rules.windowDays;
      if (this.asOfDay <= ends) expected.push({ side: 'bank', ref: b.refs[0] ?? b.key, amount: b.amount, currency: b.currency, cdi: b.cdi, date: b.date, windowEnds: dayString(ends) });
      else this.addBreak('missingInSwitch', -1, b, signed(b.amount, b.cdi), `bank ${b.label} (${b.refs.join(', ') || 'no reference'}) has no switch record`);
    }
    return {
      matches: this.matches,
      expected,
      breaks: this.breaks,
      stats: { switchItems: ix.size, bankItems: this.bankCount, matchedSwitch, matchedBank: this.matchedBank, skippedBank: this.skipped, byRule: { ...this.byRule } },
    };
  }

  private tolerantPass(bank: BankItem[]): BankItem[] {
    if (bank.length === 0) return bank;
    const { ix } = this;
    // Buckets of open items by currency and direction (key: currency id × 2 + debit), sorted by amount.
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < ix.size; i++) {
      if (this.state[i] !== OPEN) continue;
      const k = ix.currency[i] * 2 + ix.cdiDebit[i];
      const arr = buckets.get(k);
      if (arr) arr.push(i);
      else buckets.set(k, [i]);
    }
    for (const arr of buckets.values()) arr.sort((a, b) => ix.amount[a] - ix.amount[b]);
    const left: BankItem[] = [];
    for (const b of bank) {
      const c = ix.currencies.find(b.currency);
      const arr = c < 0 ? undefined : buckets.get(c * 2 + (b.cdi === 'DBIT' ? 1 : 0));
      const found = arr ? this.nearest(arr, b) : -1;
      if (found < 0) left.push(b);
      else this.settle(found, [b], 'tolerant');
    }
    return left;
  }

  /** Closest open item within tolerance and date window (binary search on amount, bounded scan). */
  private nearest(arr: number[], b: BankItem): number {
    const { ix } = this;
    const maxTol = Math.max(this.rules.amountTolerance, Math.ceil((b.amount * this.rules.amountToleranceBps) / 9_000) + 1);
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ix.amount[arr[mid]] < b.amount - maxTol) lo = mid + 1;
      else hi = mid;
    }
    const bd = b.date ? dayNumber(b.date) : this.asOfDay;
    let best = -1;
    let bestDiff = Infinity;
    for (let j = lo, scanned = 0; j < arr.length && scanned < 10_000; j++, scanned++) {
      const i = arr[j];
      if (ix.amount[i] > b.amount + maxTol) break;
      if (this.state[i] !== OPEN) continue;
      const diff = Math.abs(b.amount - ix.amount[i]);
      if (diff > this.tolerance(i)) continue;
      const sd = ix.day[i];
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
    const { ix } = this;
    const groups = new Map<number, number[]>();
    for (let i = 0; i < ix.size; i++) {
      const g = ix.group[i];
      if (g < 0 || this.state[i] !== OPEN) continue;
      const arr = groups.get(g);
      if (arr) arr.push(i);
      else groups.set(g, [i]);
    }
    if (groups.size === 0) return bank;
    const left: BankItem[] = [];
    for (const b of bank) {
      let done = false;
      for (const ref of b.refs) {
        const members = groups.get(ix.groups.find(ref));
        if (!members) continue;
        const open = members.filter((i) => this.state[i] === OPEN && ix.currencyOf(i) === b.currency);
        const sum = open.reduce((x, i) => x + ix.signed(i), 0);
        const tol = Math.max(this.rules.amountTolerance, Math.floor((Math.abs(sum) * this.rules.amountToleranceBps) / 10_000));
        if (open.length > 0 && Math.abs(signed(b.amount, b.cdi) - sum) <= tol) {
          const late = open.some((i) => this.isLate(i, b));
          for (const i of open) this.state[i] = late ? BROKEN : MATCHED;
          this.matchedBank++;
          const diff = signed(b.amount, b.cdi) - sum;
          if (late) this.addBreak('late', open[0], b, diff, `group ${ref} booked ${b.date}, after its window`);
          else this.record({ rule: 'oneToMany', switchRefs: open.map((i) => ix.ref(i)), bankKeys: [b.key], difference: diff, currency: b.currency });
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
