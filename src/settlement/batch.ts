// Closing a business day's batch. closeBatch is ONE books transaction: gross totals and fees from the day's
// movements, net settlement positions per participant (posted against custodian cash), the payouts the day makes
// payable (each reserving its money as it is created), and the batch record. Closing a closed day returns the
// stored batch and writes nothing. writeBatchFiles then writes pacs.008 and pain.001 atomically from the stored
// batch; it is safe to repeat after any crash (same ids, same content) and marks the payouts sent at the end.
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseAccountId } from '../ledger/accounts.js';
import type { KindStat, Movement } from '../ledger/books.js';
import type { Entry } from '../ledger/posting.js';
import { LedgerWriter } from '../ledger/writer.js';
import { assertDate } from './calendar.js';
import type { SettlementContext } from './context.js';
import { crashPoint } from './crashpoints.js';
import { writePacs008 } from './iso20022/pacs008.js';
import { writePain001 } from './iso20022/pain001.js';
import { assignToFile, createPayoutInTxn, markSent, payableBalance, payoutsOfFile, queuedPayouts, unmaturedShares } from './payouts.js';
import type { BatchRecord, BatchTotals, NetPosition, ParticipantRole } from './types.js';

export function batchIdFor(date: string): string {
  return `B${date.replace(/-/g, '')}`;
}

export function getBatch(ctx: SettlementContext, date: string): BatchRecord | undefined {
  return ctx.books.batches.get(date) as BatchRecord | undefined;
}

const ROLE: Partial<Record<string, ParticipantRole>> = { issuer: 'issuer', interchange: 'issuer', scheme: 'scheme', acquirer: 'acquirer' };

/** Net positions from account movements: > 0 the participant pays the switch. Pure. */
export function netPositions(moves: Map<string, { d: bigint; c: bigint }>): NetPosition[] {
  const pos = new Map<string, NetPosition & { v: bigint }>();
  for (const [acct, m] of moves) {
    const a = parseAccountId(acct);
    const role = ROLE[a.type];
    if (!role) continue;
    const key = `${a.owner}|${a.currency}`;
    let p = pos.get(key);
    if (!p) pos.set(key, (p = { participant: a.owner, role, currency: a.currency, amount: '0', v: 0n }));
    // Issuer settlement is an asset (debits: what it owes us); interchange, scheme and acquirer shares are owed.
    p.v += m.d - m.c;
  }
  return [...pos.values()]
    .map(({ v, ...p }) => ({ ...p, amount: v.toString() }))
    .sort((x, y) => (x.currency === y.currency ? (x.participant < y.participant ? -1 : 1) : x.currency < y.currency ? -1 : 1));
}

export interface CloseOptions {
  /** Defaults to the current time; a close before every cut-off of the date is refused unless forced. */
  now?: Date;
  force?: boolean;
}

export interface CloseResult {
  batch: BatchRecord;
  /** false when the date was already closed (nothing was written). */
  created: boolean;
}

export async function closeBatch(ctx: SettlementContext, date: string, opts: CloseOptions = {}): Promise<CloseResult> {
  assertDate(date);
  const now = opts.now ?? new Date();
  const { books, calendar } = ctx;
  const result = books.root.transactionSync((): CloseResult => {
    const existing = getBatch(ctx, date);
    if (existing) return { batch: existing, created: false };
    if (!calendar.isBusinessDay(date)) throw new Error(`${date} is not a business day in ${calendar.timeZone}`);
    const lastClosed = books.meta.get('lastClosed') as string | undefined;
    if (lastClosed && date < lastClosed) throw new Error(`${date} is before the last closed batch ${lastClosed}; batches close in date order`);
    const from = lastClosed ? calendar.nextBusinessDay(lastClosed) : '';
    const batchId = batchIdFor(date);

    // Movements of every open date up to and including `date` (a skipped day is swept into this batch).
    const moves = new Map<string, { d: bigint; c: bigint }>();
    for (const { key, value } of books.movements.getRange({ start: from ? `${from}|` : '', end: `${date}|~` })) {
      const acct = (key as string).slice(11);
      const m = value as Movement;
      const x = moves.get(acct) ?? { d: 0n, c: 0n };
      x.d += BigInt(m.d);
      x.c += BigInt(m.c);
      moves.set(acct, x);
    }
    const currencies = new Set<string>();
    for (const acct of moves.keys()) currencies.add(parseAccountId(acct).currency);
    if (!opts.force) {
      for (const cur of currencies.size ? currencies : new Set([''])) {
        const cutoff = calendar.cutoffInstant(date, cur);
        if (now.getTime() < cutoff) throw new Error(`the ${cur || 'default'} cut-off of ${date} (${new Date(cutoff).toISOString()}) has not passed; use --force to close early`);
      }
    }

    // Gross totals and fees per currency.
    const totals = new Map<string, BatchTotals>();
    const tot = (cur: string) => {
      let t = totals.get(cur);
      if (!t) totals.set(cur, (t = { currency: cur, kinds: {}, fees: { mdr: '0', interchange: '0', scheme: '0', switch: '0', acquirer: '0' } }));
      return t;
    };
    for (const { key, value } of books.stats.getRange({ start: from ? `${from}|` : '', end: `${date}|~` })) {
      const [, cur, kind] = (key as string).split('|');
      const s = value as KindStat;
      const k = (tot(cur).kinds[kind] ??= { n: 0, amount: '0' });
      k.n += s.n;
      k.amount = (BigInt(k.amount) + BigInt(s.amount)).toString();
    }
    for (const [acct, m] of moves) {
      const a = parseAccountId(acct);
      const f = tot(a.currency).fees;
      const owed = m.c - m.d;
      if (a.type === 'interchange') f.interchange = (BigInt(f.interchange) + owed).toString();
      else if (a.type === 'scheme') f.scheme = (BigInt(f.scheme) + owed).toString();
      else if (a.type === 'fees') f.switch = (BigInt(f.switch) + owed).toString();
      else if (a.type === 'acquirer') f.acquirer = (BigInt(f.acquirer) + owed).toString();
    }
    for (const t of totals.values()) {
      t.fees.mdr = (BigInt(t.fees.interchange) + BigInt(t.fees.scheme) + BigInt(t.fees.switch) + BigInt(t.fees.acquirer)).toString();
    }

    const w = new LedgerWriter(books);
    // Settlement postings: each participant's net for the batch moves against custodian cash.
    const positions = netPositions(moves);
    const perCur = new Map<string, Entry[]>();
    for (const [acct, m] of moves) {
      const a = parseAccountId(acct);
      if (!ROLE[a.type]) continue;
      const net = m.d - m.c; // > 0: the account was debited on balance; clear it with a credit
      if (net === 0n) continue;
      const cash = `custodian:bank:${a.currency}`;
      const n = Number(net < 0n ? -net : net);
      if (!Number.isSafeInteger(n)) throw new Error(`position of ${acct} exceeds 2^53 − 1 minor units; split the batch`);
      const e = perCur.get(a.currency) ?? [];
      if (net > 0n) e.push([cash, 'D', n], [acct, 'C', n]);
      else e.push([acct, 'D', n], [cash, 'C', n]);
      perCur.set(a.currency, e);
    }
    for (const [cur, entries] of perCur) w.post({ id: `settle:${batchId}:${cur}`, seq: 0, kind: 'settlement', currency: cur, businessDate: date, entries });

    // Payouts: what each merchant and seller may be paid for events up to `date`.
    // What each payable earned up to `date` = its balance less what later dates moved on it. Capped at the
    // current balance, so later refunds are netted at once and nothing is ever paid twice.
    const later = new Map<string, bigint>();
    for (const { key, value } of books.movements.getRange({ start: `${date}|~` })) {
      const acct = (key as string).slice(11);
      const m = value as Movement;
      later.set(acct, (later.get(acct) ?? 0n) + BigInt(m.c) - BigInt(m.d));
    }
    let held = 0;
    const payables: { type: 'merchant' | 'seller'; id: string; cur: string }[] = [];
    for (const prefix of ['merchant:', 'seller:'] as const) {
      for (const { key } of books.accounts.getRange({ start: prefix, end: prefix + '~' })) {
        const a = parseAccountId(key as string);
        payables.push({ type: a.type as 'merchant' | 'seller', id: a.owner, cur: a.currency });
      }
    }
    for (const { type, id, cur } of payables) {
      const acct = `${type}:${id}:${cur}`;
      const balance = payableBalance(ctx, w, type, id, cur);
      const asOfDate = balance - (later.get(acct) ?? 0n);
      let eligible = asOfDate < balance ? asOfDate : balance;
      if (type === 'seller') eligible -= unmaturedShares(ctx, id, cur, date);
      if (eligible < BigInt(ctx.policy.minAmount) || eligible <= 0n || !ctx.beneficiaries[id]) continue;
      // One payout carries at most 2^53 − 1 minor units; anything above waits for the next batch.
      if (eligible > BigInt(Number.MAX_SAFE_INTEGER)) eligible = BigInt(Number.MAX_SAFE_INTEGER);
      const p = createPayoutInTxn(ctx, w, { kind: 'auto', type, beneficiaryId: id, amount: Number(eligible), currency: cur, businessDate: date, createdInBatch: batchId }, now);
      if (p.status !== 'queued') held++;
    }
    // Matured shares no longer constrain anything: drop them so the table stays small.
    for (const { key, value } of books.shares.getRange()) {
      const s = value as { date: string; released?: boolean };
      if (s.date <= date && (s.released || calendarAdd(s.date, ctx.policy.holdDays) <= date)) books.shares.removeSync(key as string);
    }
    // Every queued payout not yet in a file goes into this batch's pain.001.
    const sums = new Map<string, { count: number; amount: bigint }>();
    for (const p of queuedPayouts(ctx)) {
      assignToFile(ctx, p, batchId);
      const s = sums.get(p.currency) ?? { count: 0, amount: 0n };
      s.count++;
      s.amount += BigInt(p.amount);
      sums.set(p.currency, s);
    }
    w.flush();

    const batch: BatchRecord = {
      id: batchId,
      date,
      closedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      totals: [...totals.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1)),
      positions,
      payouts: [...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, s]) => ({ currency, count: s.count, amount: s.amount.toString() })),
      held,
      files: {
        pacs008: positions.some((p) => BigInt(p.amount) !== 0n) ? `pacs008-${batchId}.xml` : '',
        pain001: sums.size ? `pain001-${batchId}.xml` : '',
      },
      filesWritten: false,
    };
    books.batches.putSync(date, batch);
    books.meta.putSync('lastClosed', date);
    return { batch, created: true };
  });
  await books.root.flushed;
  return result;
}

function calendarAdd(date: string, days: number): string {
  return new Date(Date.parse(date + 'T00:00:00Z') + days * 86_400_000).toISOString().slice(0, 10);
}

export interface FilesResult {
  /** Paths written by this call (empty when the batch's files were already in place). */
  written: string[];
  paths: string[];
}

/** Writes (or re-writes after a crash) a closed batch's files into `outDir`, then marks its payouts sent. */
export async function writeBatchFiles(ctx: SettlementContext, batch: BatchRecord, outDir: string): Promise<FilesResult> {
  const paths = [batch.files.pacs008, batch.files.pain001].filter(Boolean).map((f) => join(outDir, f));
  if (batch.filesWritten && paths.every((p) => existsSync(p))) return { written: [], paths };
  removeStaleTemps(outDir);
  const written: string[] = [];
  crashPoint('before-files');
  if (batch.files.pacs008) {
    const path = join(outDir, batch.files.pacs008);
    await writePacs008(path, batch, { switchParty: ctx.switchParty, participants: ctx.participants }, () => crashPoint('before-rename-pacs008'));
    written.push(path);
  }
  if (batch.files.pain001) {
    const path = join(outDir, batch.files.pain001);
    const total = batch.payouts.reduce((s, p) => s + p.count, 0);
    await writePain001(path, batch, {
      switchParty: ctx.switchParty,
      payouts: (cur) => payoutsOfFile(ctx, batch.id, cur),
      afterPayout: (n) => {
        if (n === Math.ceil(total / 2)) crashPoint('mid-pain001');
      },
      beforeRename: () => crashPoint('before-rename-pain001'),
    });
    written.push(path);
  }
  crashPoint('after-files');
  ctx.books.root.transactionSync(() => {
    const b = getBatch(ctx, batch.date)!;
    if (b.filesWritten) return;
    markSent(ctx, b.id, b.payouts.map((p) => p.currency));
    ctx.books.batches.putSync(b.date, { ...b, filesWritten: true });
  });
  await ctx.books.root.flushed;
  batch.filesWritten = true;
  return { written, paths };
}

/** Temp files a crash left behind (our writer names them `.<time>-<pid>.tmp`). */
function removeStaleTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (/^\.[0-9a-z]+-\d+\.tmp$/.test(f)) unlinkSync(join(dir, f));
}

