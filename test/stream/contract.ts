// The contract every SettledStream implementation meets; run by lmdb.test.ts and nats.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { describe, expect, it } from 'vitest';
import type { SettledStream } from '../../src/stream/api.js';
import { drainConsumer, getOffset, setOffsetInTxn, startConsumer, type StreamConsumer } from '../../src/stream/consumer.js';
import { generateRecords } from '../../src/stream/generate.js';
import type { NewSettledRecord, SettledRecord } from '../../src/stream/types.js';

/** A consumer that records what it applied in its own LMDB env, offset in the same transaction. */
export class RecordingConsumer implements StreamConsumer {
  readonly root: RootDatabase;
  readonly applied: Database<number, string>;
  readonly offsets: Database<number, string>;
  calls = 0;
  failAfter = Infinity;
  delayMs = 0;
  constructor(
    dir: string,
    readonly name = 'test',
  ) {
    this.root = open({ path: join(dir, 'consumer.mdb'), maxDbs: 4 });
    this.applied = this.root.openDB({ name: 'applied' });
    this.offsets = this.root.openDB({ name: 'offsets' });
  }
  offset(): number {
    return getOffset(this.offsets, this.name);
  }
  async apply(records: SettledRecord[]): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.root.transactionSync(() => {
      let last = this.offset();
      for (const r of records) {
        if (r.seq <= last) continue;
        // Simulated crash in the middle of a batch: the whole transaction (effects + offset) rolls back.
        if (++this.calls > this.failAfter) throw new Error('crash');
        this.applied.putSync(r.id, (this.applied.get(r.id) ?? 0) + 1);
        last = r.seq;
      }
      setOffsetInTxn(this.offsets, this.name, last);
    });
    await this.root.flushed;
  }
  counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const { key, value } of this.applied.getRange()) m.set(key as string, value);
    return m;
  }
}

export interface Harness {
  stream: SettledStream;
  cleanup(): Promise<void>;
}

export function streamContract(name: string, make: () => Promise<Harness | undefined>): void {
  describe(`settled stream contract: ${name}`, () => {
    const withStream = async (fn: (s: SettledStream, dir: string) => Promise<void>, ctx: { skip: (note?: string) => void }) => {
      const h = await make();
      if (!h) return ctx.skip(`${name} unavailable`);
      const dir = mkdtempSync(join(tmpdir(), 'gerbang-stream-'));
      try {
        await fn(h.stream, dir);
      } finally {
        await h.cleanup();
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it('assigns increasing sequence numbers and reads back every field in order', async (ctx) => {
      await withStream(async (s) => {
        const recs = [...generateRecords(300, { seed: 11, splitShare: 0.5 })];
        const seqs: number[] = [];
        for (const r of recs) seqs.push(await s.append(r));
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
        expect(await s.lastSeq()).toBe(seqs[seqs.length - 1]);
        const all: SettledRecord[] = [];
        for (let from = seqs[0]; ; ) {
          const page = await s.read(from, 64);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(64);
          all.push(...page);
          from = page[page.length - 1].seq + 1;
        }
        expect(all.map((r) => r.seq)).toEqual(seqs);
        expect(all.map(({ seq: _s, ...rest }) => rest)).toEqual(recs);
        // Reading from the middle starts exactly there; past the end is empty, not a wait.
        expect((await s.read(seqs[100], 3)).map((r) => r.id)).toEqual(recs.slice(100, 103).map((r) => r.id));
        expect(await s.read(seqs[seqs.length - 1] + 1, 10)).toEqual([]);
      }, ctx);
    });

    it('is idempotent by record id: a re-append returns the first sequence and stores nothing', async (ctx) => {
      await withStream(async (s) => {
        const [a, b] = [...generateRecords(2, { seed: 12 })];
        const sa = await s.append(a);
        const sb = await s.append(b);
        expect(await s.append({ ...a })).toBe(sa);
        expect(await s.lastSeq()).toBe(sb);
        expect((await s.read(sa, 10)).map((r) => r.id)).toEqual([a.id, b.id]);
      }, ctx);
    });

    it('refuses malformed records and clear PANs with a clear error', async (ctx) => {
      await withStream(async (s) => {
        const [a] = [...generateRecords(1, { seed: 13 })];
        await expect(s.append({ ...a, amount: 1.5 })).rejects.toThrow(/amount/);
        await expect(s.append({ ...a, currency: 'IDR' })).rejects.toThrow(/currency/);
        await expect(s.append({ ...a, pan: '4111111111111111' } as NewSettledRecord)).rejects.toThrow(/clear PAN/);
        await expect(s.append({ ...a, split: { platformFee: 1, sellers: [{ sellerId: 'S1', amount: 1 }] } })).rejects.toThrow(/split sums/);
        await expect(s.append({ ...a, kind: 'reversal' })).rejects.toThrow(/originalId/);
        expect(await s.read(1, 10)).toEqual([]); // nothing was appended
      }, ctx);
    });

    it('a consumer resumes after a crash mid-batch and applies every record exactly once', async (ctx) => {
      await withStream(async (s, dir) => {
        for (const r of generateRecords(500, { seed: 14 })) await s.append(r);
        const c = new RecordingConsumer(dir);
        c.failAfter = 237;
        await expect(drainConsumer(s, c, { batchSize: 100 })).rejects.toThrow('crash');
        const mid = c.offset();
        expect(mid).toBeGreaterThan(0);
        expect(mid).toBeLessThan(await s.lastSeq());
        c.failAfter = Infinity;
        await drainConsumer(s, c, { batchSize: 100 });
        // Re-running applies nothing new.
        await drainConsumer(s, c, { batchSize: 100 });
        const counts = c.counts();
        expect(counts.size).toBe(500);
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(c.offset()).toBe(await s.lastSeq());
        await c.root.close();
      }, ctx);
    });

    it('a slow consumer never slows appends and loses nothing', async (ctx) => {
      await withStream(async (s, dir) => {
        const c = new RecordingConsumer(dir, 'slow');
        c.delayMs = 40;
        const running = startConsumer(s, c, { batchSize: 20, idleMs: 5 });
        const recs = [...generateRecords(400, { seed: 15 })];
        const t0 = performance.now();
        for (const r of recs) await s.append(r);
        const appendMs = performance.now() - t0;
        // The consumer needs ≥ 20 batches × 40 ms = 800 ms; the appends did not wait for it.
        const lagAtEnd = (await s.lastSeq()) - c.offset();
        expect(lagAtEnd).toBeGreaterThan(0);
        await running.caughtUp();
        await running.stop();
        expect(c.counts().size).toBe(400);
        expect([...c.counts().values()].every((n) => n === 1)).toBe(true);
        expect(appendMs).toBeLessThan(800 + 400 * 20); // sanity bound only; the real claim is the lag above
        await c.root.close();
      }, ctx);
    });
  });
}
