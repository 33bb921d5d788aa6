// The edges of settlement: open the stream and the books under a data dir, catch the ledger up, close a batch,
// write its files; and the scheduler that does this on its own after each cut-off.
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { closeBooks, openBooks, type Books } from '../ledger/books.js';
import { drainLedger, LedgerPoster } from '../ledger/poster.js';
import type { SettledStream } from '../stream/api.js';
import { LmdbSettledStream, openSettledStore } from '../stream/lmdb.js';
import { closeBatch, getBatch, writeBatchFiles } from './batch.js';
import { settlementContext, type SettlementContext } from './context.js';
import { crashPoint } from './crashpoints.js';
import type { BatchRecord, SettlementConfig } from './types.js';
import { metrics } from '../metrics/registry.js';

/** The dashboard's settlement / reconciliation status: 1 ok, 0 failing, per stage; and when each last ran. */
export const stageStatus = metrics.gauge('gerbang_settlement_status', 'Settlement pipeline stage status: 1 ok, 0 failing (last run)');
export const stageLastRun = metrics.gauge('gerbang_settlement_status_last_run_seconds', 'Unix time of the last run of each settlement pipeline stage');

/** The switch's LMDB state file (src/state/env.ts STATE_FILE); the stream lives in it. */
const STATE_FILE = 'gerbang.mdb';

export interface SettlementHandle {
  ctx: SettlementContext;
  stream: SettledStream;
  poster: LedgerPoster;
  close(): Promise<void>;
}

/** Opens the settled stream in `dataDir`'s state environment and the books beside it. */
export function openSettlement(dataDir: string, cfg: SettlementConfig = {}, stream?: SettledStream): SettlementHandle {
  let stateRoot: RootDatabase | undefined;
  if (!stream) {
    stateRoot = open({ path: join(dataDir, STATE_FILE), maxDbs: 16, mapSize: 8 * 1024 ** 3, encoding: 'msgpack' });
    stream = new LmdbSettledStream(openSettledStore(stateRoot));
  }
  const books: Books = openBooks(dataDir);
  const ctx = settlementContext(books, cfg);
  const poster = new LedgerPoster({ books, pricing: ctx.pricing, calendar: ctx.calendar, name: stream.kind === 'lmdb' ? 'ledger' : `ledger-${stream.kind}` });
  const s = stream;
  return {
    ctx,
    stream: s,
    poster,
    async close() {
      await closeBooks(books);
      if (stateRoot) await stateRoot.close();
      else await s.close();
    },
  };
}

export interface SettleResult {
  batch: BatchRecord;
  created: boolean;
  posted: number;
  written: string[];
  paths: string[];
}

/** Posts everything in the stream, closes `date` and writes its files. Repeatable: a closed day only re-checks files. */
export async function settleDate(h: SettlementHandle, date: string, outDir: string, opts: { force?: boolean; now?: Date } = {}): Promise<SettleResult> {
  const posted = await drainLedger(h.stream, h.poster);
  // A completion or reversal still waiting for its original (src/ledger/waiting.ts) posts in its own day's batch.
  await h.poster.releaseWaiting(date);
  crashPoint('after-post');
  const { batch, created } = await closeBatch(h.ctx, date, opts);
  crashPoint('after-close');
  const files = await writeBatchFiles(h.ctx, batch, outDir);
  return { batch: getBatch(h.ctx, date) ?? batch, created, posted, ...files };
}

export interface SchedulerOptions {
  dataDir: string;
  config?: SettlementConfig;
  /** Where files go (default <dataDir>/settlement). */
  outDir?: string;
  /** How often to look for a passed cut-off (default 60 s). */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => Date;
  /** A stream other than the data dir's LMDB one (NATS). */
  stream?: SettledStream;
  log?: (msg: string) => void;
  onBatch?: (r: SettleResult) => void;
  /** An already open settlement handle to share (the caller closes it); default: open one for dataDir. */
  handle?: SettlementHandle;
}

export interface SettlementScheduler {
  /** Runs one check now (also what the timer runs); resolves to the batches it closed or re-wrote. */
  tick(): Promise<SettleResult[]>;
  close(): Promise<void>;
}

/** Dates that are due: every business day from the first open one whose cut-offs (all currencies) have passed. */
export function dueDates(ctx: SettlementContext, now: Date, currencies: string[]): string[] {
  const last = ctx.books.meta.get('lastClosed') as string | undefined;
  let first: string | undefined = last ? ctx.calendar.nextBusinessDay(last) : undefined;
  if (!first) {
    const k = ctx.books.movements.getKeys({ limit: 1 });
    for (const key of k) first = (key as string).slice(0, 10);
    if (!first) return [];
    first = ctx.calendar.rollForward(first);
  }
  const out: string[] = [];
  const today = ctx.calendar.localDate(now.getTime());
  for (let d = first; d <= today && out.length < 31; d = ctx.calendar.nextBusinessDay(d)) {
    const cutoffs = (currencies.length ? currencies : ['']).map((c) => ctx.calendar.cutoffInstant(d, c));
    if (now.getTime() >= Math.max(...cutoffs)) out.push(d);
  }
  return out;
}

export function startSettlementScheduler(o: SchedulerOptions): SettlementScheduler {
  const h = o.handle ?? openSettlement(o.dataDir, o.config ?? {}, o.stream);
  const outDir = o.outDir ?? join(o.dataDir, 'settlement');
  const now = o.now ?? (() => new Date());
  const log = o.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const currencies = Object.keys(o.config?.calendar?.cutoffs ?? {});
  let running: Promise<SettleResult[]> | undefined;
  let closed = false;
  let lastError = '';
  const tick = async (): Promise<SettleResult[]> => {
    if (closed) return [];
    running ??= (async () => {
      const results: SettleResult[] = [];
      try {
        await drainLedger(h.stream, h.poster);
        // A closed batch whose files a crash interrupted is finished first.
        const last = h.ctx.books.meta.get('lastClosed') as string | undefined;
        const lastBatch = last ? getBatch(h.ctx, last) : undefined;
        if (lastBatch && !lastBatch.filesWritten) results.push(await settleDate(h, lastBatch.date, outDir, { now: now() }));
        for (const d of dueDates(h.ctx, now(), currencies)) {
          const r = await settleDate(h, d, outDir, { now: now() });
          results.push(r);
          o.onBatch?.(r);
          if (r.created) log(`settlement: closed ${r.batch.id} (${r.batch.payouts.reduce((s, p) => s + p.count, 0)} payouts), files ${r.paths.join(', ') || 'none'}`);
        }
        lastError = '';
        stageStatus.set(1, { stage: 'settlement' });
      } catch (e) {
        stageStatus.set(0, { stage: 'settlement' });
        const msg = `settlement scheduler: ${(e as Error).message}`;
        if (msg !== lastError) log(msg);
        lastError = msg;
      } finally {
        stageLastRun.set(Math.round(Date.now() / 1000), { stage: 'settlement' });
      }
      return results;
    })().finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void tick(), o.intervalMs ?? 60_000);
  timer.unref();
  return {
    tick,
    async close() {
      closed = true;
      clearInterval(timer);
      if (running) await running;
      if (!o.handle) await h.close();
    },
  };
}
