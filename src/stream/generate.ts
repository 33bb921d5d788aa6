// A realistic, seeded generator of settled records for tests and benches until the authorization engine feeds
// the stream: purchases (some marketplace splits), pre-authorizations with full or partial completions,
// stand-in advices, partial refunds, reversals, chargebacks and representments, each referring to a real
// earlier record, amounts never exceeding what the original captured.
import type { NewSettledRecord, SettledKind, Split } from './types.js';
import { settledRecordId } from './types.js';

/** Mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratorOptions {
  seed?: number;
  merchants?: number;
  sellers?: number;
  issuers?: number;
  currencies?: string[];
  /** Epoch ms of the first event (default 2026-11-23T01:00:00Z) and mean gap between events. */
  startMs?: number;
  gapMs?: number;
  /** Share of purchases that carry a marketplace split (default 0.2). */
  splitShare?: number;
}

interface Captured {
  id: string;
  txnId: string;
  amount: number;
  refunded: number;
  charged: number;
  reversed: boolean;
  base: Omit<NewSettledRecord, 'id' | 'kind' | 'txnId' | 'amount' | 'occurredAt' | 'split' | 'originalId'>;
}

/** Yields `count` records in commit order (occurredAt non-decreasing). */
export function* generateRecords(count: number, opts: GeneratorOptions = {}): Generator<NewSettledRecord> {
  const r = rng(opts.seed ?? 1);
  const merchants = opts.merchants ?? 50;
  const sellers = opts.sellers ?? 20;
  const issuers = opts.issuers ?? 4;
  const currencies = opts.currencies ?? ['360'];
  const splitShare = opts.splitShare ?? 0.2;
  let t = opts.startMs ?? Date.parse('2026-11-23T01:00:00Z');
  const gap = opts.gapMs ?? 50;
  const pick = (n: number) => Math.floor(r() * n);
  // Bounded working sets: only recent transactions get follow-ups, like real traffic.
  const captured: Captured[] = [];
  const holds: { id: string; txnId: string; amount: number; base: Captured['base'] }[] = [];
  const disputed: { cb: string; orig: Captured; amount: number }[] = [];
  const MAX_OPEN = 2_000;
  let n = 0;
  let txn = 0;
  const nextTxn = () => `T${(opts.seed ?? 1).toString(36)}-${(++txn).toString(36).padStart(7, '0')}`;
  const base = (): Captured['base'] => {
    const m = pick(merchants);
    const iss = pick(issuers);
    const pan = `4${String(iss).padStart(5, '0')}`;
    return {
      currency: currencies[m % currencies.length],
      merchantId: `M${String(m).padStart(4, '0')}`,
      acquirerId: 'ACQ1',
      issuerId: `ISS${iss}`,
      panMasked: `${pan}******${String(pick(10000)).padStart(4, '0')}`,
    };
  };
  const amount = () => 1_000 * (1 + pick(500)) + pick(100) * 100; // 1,000 .. ~510,000 minor units
  const emit = (kind: SettledKind, txnId: string, amt: number, b: Captured['base'], extra: Partial<NewSettledRecord> = {}): NewSettledRecord => {
    t += Math.floor(r() * gap * 2);
    n++;
    return { id: settledRecordId(txnId, kind), kind, txnId, amount: amt, occurredAt: new Date(t).toISOString(), ...b, ...extra };
  };
  // Past the bound, a new entry replaces the oldest slot (a ring): O(1), no array shifting.
  const cursors = new Map<unknown[], number>();
  const remember = <T>(arr: T[], v: T) => {
    if (arr.length < MAX_OPEN) return void arr.push(v);
    const c = cursors.get(arr) ?? 0;
    arr[c % arr.length] = v;
    cursors.set(arr, c + 1);
  };
  while (n < count) {
    const roll = r();
    if (roll < 0.45 || captured.length === 0) {
      const b = base();
      const id = nextTxn();
      const a = amount();
      let split: Split | undefined;
      if (r() < splitShare) {
        const k = 1 + pick(3);
        const fee = Math.floor(a * 0.1);
        let rest = a - fee;
        const shares: Split['sellers'] = [];
        for (let i = 0; i < k; i++) {
          const s = i === k - 1 ? rest : Math.max(1, Math.floor(rest / (k - i)));
          rest -= s;
          shares.push({ sellerId: `S${String(pick(sellers)).padStart(4, '0')}`, amount: s });
        }
        split = { platformFee: fee, sellers: shares.filter((s) => s.amount > 0) };
        split.platformFee = a - split.sellers.reduce((x, s) => x + s.amount, 0);
      }
      const kind: SettledKind = r() < 0.05 ? 'advice' : 'purchase';
      const rec = emit(kind, id, a, b, split ? { split } : {});
      remember(captured, { id: rec.id, txnId: id, amount: a, refunded: 0, charged: 0, reversed: false, base: b });
      yield rec;
    } else if (roll < 0.6) {
      const b = base();
      const id = nextTxn();
      const rec = emit('preauth', id, amount(), b);
      remember(holds, { id: rec.id, txnId: id, amount: rec.amount, base: b });
      yield rec;
    } else if (roll < 0.75 && holds.length > 0) {
      const h = holds.splice(pick(holds.length), 1)[0];
      if (r() < 0.15) {
        yield emit('reversal', h.txnId, h.amount, h.base, { originalId: h.id });
      } else {
        const part = r() < 0.3 ? Math.max(1, Math.floor(h.amount * (0.3 + r() * 0.7))) : h.amount;
        const rec = emit('completion', h.txnId, part, h.base, { originalId: h.id });
        remember(captured, { id: rec.id, txnId: h.txnId, amount: part, refunded: 0, charged: 0, reversed: false, base: h.base });
        yield rec;
      }
    } else if (roll < 0.88) {
      const c = captured[pick(captured.length)];
      const left = c.amount - c.refunded - c.charged;
      if (c.reversed || left <= 0) continue;
      const part = r() < 0.5 ? left : Math.max(1, Math.floor(left * r()));
      c.refunded += part;
      // A second refund of the same transaction is a new transaction (its own txn id).
      yield emit('refund', nextTxn(), part, c.base, { originalId: c.id });
    } else if (roll < 0.94) {
      const c = captured[pick(captured.length)];
      if (c.reversed || c.refunded > 0 || c.charged > 0) continue;
      c.reversed = true;
      yield emit('reversal', c.txnId + 'R', c.amount, c.base, { originalId: c.id });
    } else if (roll < 0.98) {
      const c = captured[pick(captured.length)];
      const left = c.amount - c.refunded - c.charged;
      if (c.reversed || left <= 0 || c.charged > 0) continue;
      c.charged = left;
      const cbTxn = nextTxn();
      const rec = emit('chargeback', cbTxn, left, c.base, { originalId: c.id });
      remember(disputed, { cb: rec.id, orig: c, amount: left });
      yield rec;
    } else if (disputed.length > 0) {
      const d = disputed.splice(pick(disputed.length), 1)[0];
      d.orig.charged = 0;
      yield emit('representment', nextTxn(), d.amount, d.orig.base, { originalId: d.cb });
    }
  }
}
