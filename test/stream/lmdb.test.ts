import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { appendSettled, LmdbSettledStream, openSettledStore, readSettled, trimSettled } from '../../src/stream/lmdb.js';
import { generateRecords } from '../../src/stream/generate.js';
import { streamContract } from './contract.js';

streamContract('lmdb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gerbang-lmdb-stream-'));
  const root = open({ path: join(dir, 'state.mdb'), maxDbs: 4 });
  return {
    stream: new LmdbSettledStream(openSettledStore(root)),
    async cleanup() {
      await root.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('appendSettled inside the journal transaction', () => {
  it('commits with the journal record or not at all, and numbers records gap-free', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gerbang-lmdb-stream-'));
    const root = open({ path: join(dir, 'state.mdb'), maxDbs: 4 });
    const journal = root.openDB<{ txnId: string }, number>({ name: 'journal' });
    const store = openSettledStore(root);
    const recs = [...generateRecords(10, { seed: 21 })];
    // A commit that fails after the append (e.g. the balance update throws) leaves neither behind.
    expect(() =>
      root.transactionSync(() => {
        journal.putSync(1, { txnId: recs[0].txnId });
        appendSettled(store, recs[0]);
        throw new Error('balance update failed');
      }),
    ).toThrow('balance update failed');
    expect(journal.get(1)).toBeUndefined();
    expect(readSettled(store, 1, 10)).toEqual([]);
    // Successful commits: journal and stream together, sequence 1, 2, 3…
    recs.forEach((r, i) =>
      root.transactionSync(() => {
        journal.putSync(i + 1, { txnId: r.txnId });
        expect(appendSettled(store, r)).toBe(i + 1);
      }),
    );
    await root.flushed;
    const got = readSettled(store, 1, 100);
    expect(got.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(got.map((r) => r.txnId)).toEqual(recs.map((r) => journal.get(recs.indexOf(r) + 1)!.txnId));
    // Retention: trimming up to a consumer's offset removes only what it has read.
    expect(trimSettled(store, 4)).toBe(4);
    expect(readSettled(store, 1, 100).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    // The next append continues the sequence.
    const [extra] = [...generateRecords(1, { seed: 22 })];
    expect(root.transactionSync(() => appendSettled(store, extra))).toBe(11);
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
