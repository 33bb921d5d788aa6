import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCamt053 } from '../../src/recon/camtWriter.js';
import { watchInbox, type InboxResult } from '../../src/recon/inbox.js';
import type { SwitchItem } from '../../src/recon/types.js';
import { tempDir } from './helpers.js';

const payout = (ref: string, amount: number): SwitchItem => ({ ref, amount, currency: 'IDR', cdi: 'DBIT', date: '2026-11-23', kind: 'payout' });
const HEADER = { msgId: 'M1', statementId: 'S1', account: 'ID12GERB00000000001', currency: 'IDR', createdAt: '2026-11-25T01:00:00Z', opening: { amount: 0, cdi: 'CRDT' as const, date: '2026-11-24' } };

async function waitFor(results: InboxResult[], n: number): Promise<void> {
  for (let t = 0; results.length < n; t += 20) {
    if (t > 20_000) throw new Error(`only ${results.length} of ${n} files handled`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Drops a file the way writers should: written under a dot-name, then renamed into the inbox. */
function drop(dir: string, name: string, from: string): void {
  renameSync(from, join(dir, name));
}

describe('statement inbox', () => {
  it('reconciles each dropped file once, records it, and moves it to done/ or failed/', async () => {
    const dir = tempDir('gerbang-inbox-');
    const work = tempDir('gerbang-inbox-src-');
    const bankSide = [payout('PO1', 10_000), payout('PO2', 20_000), payout('PO3', 30_000)];
    const clearingSide: SwitchItem[] = [{ ref: 'T1:purchase', amount: 5_000, currency: 'IDR', cdi: 'CRDT', date: '2026-11-23', kind: 'purchase' }];
    const results: InboxResult[] = [];
    const logged: string[] = [];
    const opts = { bankSide: () => bankSide, clearingSide: () => clearingSide, asOf: () => '2026-12-01', pollMs: 20, onResult: (r: InboxResult) => void results.push(r), log: (l: string) => void logged.push(l) };
    const inbox = watchInbox(dir, opts);
    try {
      const stmt = join(work, 'stmt.xml');
      await writeCamt053(stmt, HEADER, [
        { amount: 10_000, currency: 'IDR', cdi: 'DBIT', bookingDate: '2026-11-24', servicerRef: 'B1', details: [{ endToEndId: 'PO1', amount: 10_000 }] },
        { amount: 20_000, currency: 'IDR', cdi: 'DBIT', bookingDate: '2026-11-24', servicerRef: 'B2', details: [{ endToEndId: 'PO2', amount: 20_000 }] },
      ]);
      const copy = join(work, 'copy.xml');
      writeFileSync(copy, readFileSync(stmt));
      writeFileSync(join(work, 'c.csv'), 'record_id,amount,currency,cleared_date\nT1:purchase,5000,360,2026-11-23\n');
      writeFileSync(join(work, 'junk.xml'), '<Document><Nothing/></Document>');
      drop(dir, 'a-stmt.xml', stmt);
      drop(dir, 'b-clearing.csv', join(work, 'c.csv'));
      drop(dir, 'c-junk.xml', join(work, 'junk.xml'));
      drop(dir, 'd-same-stmt-again.xml', copy);
      await waitFor(results, 4);

      expect(results.map((r) => [r.name, r.kind, r.status])).toEqual([
        ['a-stmt.xml', 'statement', 'done'],
        ['b-clearing.csv', 'clearing', 'done'],
        ['c-junk.xml', undefined, 'failed'],
        ['d-same-stmt-again.xml', undefined, 'duplicate'],
      ]);
      // The statement: PO1 and PO2 matched, PO3 never booked (its window closed on 11-25).
      const s = results[0].output!;
      expect(s.report.summary.matched).toBe(2);
      expect(s.report.breaks.map((b) => [b.category, b.ref])).toEqual([['missingAtBank', 'PO3']]);
      expect(results[1].output!.report.summary.matched).toBe(1);
      expect(results[2].error).toMatch(/not a camt\.052\/053\/054, pain\.002 or clearing CSV/);

      expect(readdirSync(dir).sort()).toEqual(['done', 'failed', 'processed.jsonl']);
      expect(readdirSync(join(dir, 'done')).sort()).toEqual(['a-stmt.xml', 'b-clearing.csv', 'd-same-stmt-again.xml']);
      expect(readdirSync(join(dir, 'failed')).sort()).toEqual(['c-junk.xml', 'c-junk.xml.error.txt']);
      const ledger = readFileSync(join(dir, 'processed.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(ledger.map((r) => [r.name, r.status])).toEqual(results.map((r) => [r.name, r.status]));
      expect(ledger[0].sha256).toBe(ledger[3].sha256);
      expect(logged).toHaveLength(4); // one line per file
    } finally {
      await inbox.close();
    }

    // A restarted inbox knows what it has reconciled: the same statement again is only moved.
    const again: InboxResult[] = [];
    const inbox2 = watchInbox(dir, { ...opts, onResult: (r) => void again.push(r) });
    try {
      writeFileSync(join(work, 'e.xml'), readFileSync(join(dir, 'done', 'a-stmt.xml')));
      drop(dir, 'e-resent.xml', join(work, 'e.xml'));
      await waitFor(again, 1);
      expect(again.map((r) => [r.name, r.status])).toEqual([['e-resent.xml', 'duplicate']]);
      expect(existsSync(join(dir, 'done', 'e-resent.xml'))).toBe(true);
    } finally {
      await inbox2.close();
    }
  }, 30_000);
});
