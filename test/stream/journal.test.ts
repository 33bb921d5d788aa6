import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { metrics } from '../../src/metrics/registry.js';
import { settledFromJournal, settledJournalHook } from '../../src/stream/journal.js';
import { openSettledStore, readSettled } from '../../src/stream/lmdb.js';

const j = (over: Partial<JournalRecord>): JournalRecord => ({
  seq: 1, at: Date.parse('2026-11-24T03:00:00Z'), txnId: 'T1', kind: 'purchase', mti: '0200', processingCode: '000000', channel: 'iso:acq1',
  acquirerId: '423935', stan: '000001', merchantId: 'MERCHANT0000001', panMasked: '476173******0119', panHash: 'ab'.repeat(32), amount: 50_000,
  currency: '360', responseCode: '00', approved: true, approvedAmount: 50_000, ledgerDelta: -50_000, availableDelta: -50_000, reasons: [], ...over,
});

describe('journal → settled stream', () => {
  it('maps approved money-moving journal records and nothing else', () => {
    expect(settledFromJournal(j({}), undefined)).toEqual({
      id: 'T1:purchase', kind: 'purchase', txnId: 'T1', amount: 50_000, currency: '360', merchantId: 'MERCHANT0000001', acquirerId: '423935',
      issuerId: 'ONUS', occurredAt: '2026-11-24T03:00:00.000Z', panMasked: '476173******0119', panHash: 'ab'.repeat(32),
    });
    expect(settledFromJournal(j({ mti: '0220' }), undefined)?.kind).toBe('advice');
    expect(settledFromJournal(j({ approved: false, responseCode: '51', approvedAmount: 0 }), undefined)).toBeUndefined();
    expect(settledFromJournal(j({ kind: 'balance' }), undefined)).toBeUndefined();
    expect(settledFromJournal(j({ kind: 'cash' }), undefined)).toBeUndefined();
    const pre = j({ txnId: 'P1', kind: 'preauth', mti: '0100', approvedAmount: 80_000 });
    expect(settledFromJournal(pre, undefined)).toMatchObject({ id: 'P1:preauth', kind: 'preauth', amount: 80_000 });
    const comp = settledFromJournal(j({ seq: 2, txnId: 'C1', kind: 'completion', mti: '0220', approvedAmount: 60_000, originalSeq: 1 }), pre);
    expect(comp).toMatchObject({ id: 'C1:completion', kind: 'completion', amount: 60_000, originalId: 'P1:preauth' });
    // A reversal carries what it undid (the engine journals that as its approved amount); a repeated reversal
    // (approved, amount 0: the original was already reversed) and a reversal of a decline settle nothing.
    const rev = settledFromJournal(j({ seq: 3, txnId: 'R1', kind: 'reversal', mti: '0400', approvedAmount: 80_000, originalSeq: 1 }), pre);
    expect(rev).toMatchObject({ id: 'R1:reversal', kind: 'reversal', amount: 80_000, originalId: 'P1:preauth' });
    expect(settledFromJournal(j({ seq: 4, txnId: 'R2', kind: 'reversal', mti: '0400', approvedAmount: 0, originalSeq: 1 }), pre)).toBeUndefined();
    expect(settledFromJournal(j({ kind: 'reversal', mti: '0400', originalSeq: 1 }), j({ approved: false, approvedAmount: 0 }))).toBeUndefined();
    // Marketplace split on captures.
    const split = { platformFee: 5_000, sellers: [{ sellerId: 'S1', amount: 45_000 }] };
    expect(settledFromJournal(j({}), undefined, { issuerId: 'BANK1' }, split)).toMatchObject({ split, issuerId: 'BANK1' });
  });

  it('appends inside the journal’s write transaction, or not at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gerbang-journal-'));
    const root = open({ path: join(dir, 'gerbang.mdb'), maxDbs: 8 });
    const journal = root.openDB<JournalRecord, number>({ name: 'journal', keyEncoding: 'uint32' });
    const s = { root, journal };
    const hook = settledJournalHook();
    root.transactionSync(() => {
      const rec = j({ seq: 1, kind: 'preauth', mti: '0100', txnId: 'P9' });
      journal.putSync(1, rec);
      hook(s, rec);
    });
    expect(() =>
      root.transactionSync(() => {
        const rec = j({ seq: 2, txnId: 'X2' });
        journal.putSync(2, rec);
        hook(s, rec);
        throw new Error('commit failed');
      }),
    ).toThrow('commit failed');
    root.transactionSync(() => {
      const rec = j({ seq: 2, txnId: 'C9', kind: 'completion', mti: '0220', originalSeq: 1, approvedAmount: 30_000 });
      journal.putSync(2, rec);
      hook(s, rec);
    });
    // The engine's group commit: several async transactions queued in one turn, each numbering after the last.
    await Promise.all(
      ['G1', 'G2', 'G3'].map((t, i) =>
        root.transaction(() => {
          const rec = j({ seq: 3 + i, txnId: t });
          void journal.put(3 + i, rec);
          hook(s, rec);
        }),
      ),
    );
    // A record settlement refuses is logged and counted; the authorization's transaction is not failed.
    const refusedBefore = metrics.counter('gerbang_stream_refused_total', '').get();
    root.transactionSync(() => hook(s, j({ seq: 6, txnId: 'BAD', currency: 'IDR' })));
    expect(metrics.counter('gerbang_stream_refused_total', '').get()).toBe(refusedBefore + 1);
    await root.flushed;
    const got = readSettled(openSettledStore(root), 1, 10);
    expect(got.map((r) => [r.seq, r.id, r.originalId])).toEqual([
      [1, 'P9:preauth', undefined],
      [2, 'C9:completion', 'P9:preauth'],
      [3, 'G1:purchase', undefined],
      [4, 'G2:purchase', undefined],
      [5, 'G3:purchase', undefined],
    ]);
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
