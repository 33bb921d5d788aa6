// Records that arrive before their original (several switch instances relaying into one stream interleave): a
// completion before its preauth, a reversal before its purchase. They wait for the original and then post as if
// they had come in order; an original that never comes lets them post as before (with their note) after ten
// minutes of stream time or when their day's batch closes. Exactly once still holds: a waiting record is written
// with the offset, a re-delivered one is a duplicate, a failed transaction leaves nothing waiting.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerPoster } from '../../src/ledger/poster.js';
import { recordToPosting } from '../../src/ledger/rules.js';
import { transferState } from '../../src/ledger/transfers.js';
import { waitingCount } from '../../src/ledger/waiting.js';
import type { Books } from '../../src/ledger/books.js';
import { BusinessCalendar } from '../../src/settlement/calendar.js';
import { DEFAULT_PRICING } from '../../src/settlement/pricing.js';
import type { SettledRecord } from '../../src/stream/types.js';
import { allBalances, freshBooks, tempDir } from './helpers.js';

const cal = new BusinessCalendar();
const dirs: string[] = [];
const opened: Books[] = [];
afterAll(async () => {
  for (const b of opened) await b.root.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function books(): Books {
  const d = tempDir();
  dirs.push(d);
  const b = freshBooks(d);
  opened.push(b);
  return b;
}
const poster = (b: Books) => new LedgerPoster({ books: b, pricing: DEFAULT_PRICING, calendar: cal });

const T0 = Date.parse('2026-11-24T02:00:00Z'); // 09:00 in Jakarta, a Tuesday
type Kind = SettledRecord['kind'];
function rec(id: string, kind: Kind, amount: number, minutes: number, originalId?: string): Omit<SettledRecord, 'seq'> {
  return {
    id, kind, txnId: id.split(':')[0], amount, currency: '360', merchantId: 'M0001', acquirerId: 'ACQ1', issuerId: 'ISS1',
    occurredAt: new Date(T0 + minutes * 60_000).toISOString(), ...(originalId ? { originalId } : {}),
  } as Omit<SettledRecord, 'seq'>;
}
const inSeq = (rs: Omit<SettledRecord, 'seq'>[], from = 1): SettledRecord[] => rs.map((r, i) => ({ ...r, seq: from + i }) as SettledRecord);

const preauth = rec('T1:preauth', 'preauth', 500_000, 0);
const completion = rec('T1:completion', 'completion', 320_000, 1, 'T1:preauth');
const purchase = rec('T2:purchase', 'purchase', 100_000, 0);
const reversal = rec('T2:reversal', 'reversal', 100_000, 1, 'T2:purchase');

describe('records that arrive before their original', () => {
  it('a completion before its preauth and a reversal before its purchase post as if in order', async () => {
    const ordered = books();
    await poster(ordered).apply(inSeq([preauth, completion, purchase, reversal]));
    const early = books();
    const p = poster(early);
    await p.apply(inSeq([completion, reversal]));
    expect(waitingCount(early)).toBe(2);
    expect(early.postings.get('T1:completion')).toBeUndefined();
    expect(p.offset()).toBe(2);
    // The originals come in a later transaction, to a poster started afresh (a restart in between).
    await poster(early).apply(inSeq([purchase, preauth], 3));
    expect(waitingCount(early)).toBe(0);
    expect(allBalances(early)).toEqual(allBalances(ordered));
    expect(early.postings.get('T1:completion')!.note).toBeUndefined();
    expect(transferState(early, 'T1:preauth')!.status).toBe('posted');
    expect(transferState(early, 'T2:purchase')!.status).toBe('reversed');
    // No hold is left pending.
    for (const [, b] of allBalances(early)) {
      expect(b.debitsPending).toBe(0n);
      expect(b.creditsPending).toBe(0n);
    }
  });

  it('an original that never comes: the record posts as before after ten minutes of stream time', async () => {
    const b = books();
    const p = poster(b);
    await p.apply(inSeq([rec('T9:completion', 'completion', 70_000, 0, 'T9:preauth'), rec('T3:purchase', 'purchase', 1_000, 9)]));
    expect(waitingCount(b)).toBe(1);
    expect(b.postings.get('T9:completion')).toBeUndefined();
    await p.apply(inSeq([rec('T4:purchase', 'purchase', 1_000, 11)], 3));
    expect(waitingCount(b)).toBe(0);
    expect(b.postings.get('T9:completion')!.note).toMatch(/completion without an open hold \(T9:preauth: unknown\)/);
    // What it moved is what it would have moved at once, before there was a waiting room: the capture.
    const atOnce = recordToPosting(inSeq([rec('T9:completion', 'completion', 70_000, 0, 'T9:preauth')])[0], '2026-11-24', {
      pricing: DEFAULT_PRICING, state: () => undefined, posting: () => undefined,
    });
    expect(b.postings.get('T9:completion')!.entries).toEqual(atOnce.posting.entries);
  });

  it('a re-delivered waiting record is a duplicate; the original posts it once', async () => {
    const b = books();
    const p = poster(b);
    await p.apply(inSeq([completion]));
    await p.apply(inSeq([completion], 2)); // the same id again (a re-publish past the duplicate window)
    expect(waitingCount(b)).toBe(1);
    await p.apply(inSeq([preauth], 3));
    expect(waitingCount(b)).toBe(0);
    expect([...b.postings.getKeys()].sort()).toEqual(['T1:completion', 'T1:preauth']);
    await p.apply(inSeq([completion], 4));
    expect(b.postings.getKeysCount()).toBe(2);
  });

  it('a failed transaction leaves nothing waiting; the batch of its day takes a record still waiting', async () => {
    const b = books();
    const p = poster(b);
    const putSync = b.accounts.putSync.bind(b.accounts);
    b.accounts.putSync = () => {
      throw new Error('disk full');
    };
    await expect(p.apply(inSeq([completion, purchase]))).rejects.toThrow('disk full');
    b.accounts.putSync = putSync;
    expect(waitingCount(b)).toBe(0);
    expect([...b.waiting.getKeys()]).toEqual([]);
    await p.apply(inSeq([completion, purchase]));
    expect(waitingCount(b)).toBe(1);
    expect(await p.releaseWaiting('2026-11-23')).toBe(0); // not its day
    expect(await p.releaseWaiting('2026-11-24')).toBe(1);
    expect(waitingCount(b)).toBe(0);
    expect(b.postings.get('T1:completion')).toMatchObject({ businessDate: '2026-11-24', note: expect.stringMatching(/without an open hold/) });
  });
});
