import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { BOOKS_FILE, closeBooks, openBooks } from '../../src/ledger/books.js';
import type { Field, Posting } from '../../src/ledger/posting.js';
import { decodePosting, decodePostingHead, encodePosting, fitsLayout, POSTING_TAG } from '../../src/ledger/postingCodec.js';
import { openedState } from '../../src/ledger/rules.js';
import { transferState } from '../../src/ledger/transfers.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { tempDir } from './helpers.js';

const capture: Posting = {
  id: 'T7-00001ab:purchase',
  seq: 12345,
  kind: 'purchase',
  currency: '360',
  businessDate: '2026-11-23',
  entries: [
    ['issuer:ISS1:360', 'D', 150_000],
    ['interchange:ISS1:360', 'C', 1_500],
    ['merchant:M0012:360', 'C', 148_500],
  ],
  transfer: { amount: 150_000, merchantId: 'M0012', issuerId: 'ISS1', acquirerId: 'ACQ1', split: { platformFee: 10, sellers: [{ sellerId: 'S0001', amount: 149_990 }] } },
};

const str = fc.string({ unit: 'binary', maxLength: 200 });
const amount = fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, -1, 999_999_999_999));
const posting: fc.Arbitrary<Posting> = fc.record(
  {
    id: str,
    seq: fc.nat(),
    kind: str,
    currency: str,
    businessDate: str,
    entries: fc.array(fc.tuple(str, fc.constantFrom<Field>('D', 'C', 'PD', 'PC'), amount), { maxLength: 70 }),
    reverses: str,
    note: str,
    transfer: fc.record(
      {
        amount,
        merchantId: str,
        issuerId: str,
        acquirerId: str,
        originalId: str,
        split: fc.record({ platformFee: amount, sellers: fc.array(fc.record({ sellerId: str, amount }, { noNullPrototype: true }), { maxLength: 64 }) }, { noNullPrototype: true }),
      },
      { requiredKeys: ['amount', 'merchantId', 'issuerId', 'acquirerId'], noNullPrototype: true },
    ),
  },
  { requiredKeys: ['id', 'seq', 'kind', 'currency', 'businessDate', 'entries'], noNullPrototype: true },
);

describe('posting layout', () => {
  it('round-trips any posting exactly (ASCII, UTF-8, long strings, negative and large amounts, every option)', () => {
    fc.assert(
      fc.property(posting, (p) => {
        expect(fitsLayout(p)).toBe(true);
        const bytes = encodePosting(p, true);
        expect(bytes[0]).toBe(POSTING_TAG);
        expect(decodePosting(bytes)).toStrictEqual(p);
        const { entries: _, ...head } = p;
        expect(decodePostingHead(bytes)).toStrictEqual(head);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips postings whose strings repeat and collide (decoded-string cache), and a head read by its id', () => {
    // A small alphabet makes strings repeat across postings (cache hits) and share slots (overwrites).
    const few = fc.string({ unit: fc.constantFrom('a', 'M', '0', ':', '\u00e9', '\u0080'), maxLength: 34 });
    const repeating = fc.record(
      {
        id: few,
        seq: fc.nat(),
        kind: few,
        currency: few,
        businessDate: few,
        entries: fc.array(fc.tuple(few, fc.constantFrom<Field>('D', 'C', 'PD', 'PC'), amount), { maxLength: 8 }),
        transfer: fc.record({ amount, merchantId: few, issuerId: few, acquirerId: few }, { noNullPrototype: true }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(fc.array(repeating, { minLength: 1, maxLength: 20 }), few, (ps, other) => {
        for (const p of ps) {
          const bytes = encodePosting(p, true);
          expect(decodePosting(bytes)).toStrictEqual(p);
          const { entries: _, ...head } = p;
          expect(decodePostingHead(bytes, 0, bytes.length, p.id)).toStrictEqual(head);
          expect(decodePostingHead(bytes, 0, bytes.length, other)).toStrictEqual(head);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a value in the middle of a larger buffer and refuses truncated or trailing bytes', () => {
    const bytes = encodePosting(capture, true);
    const framed = Buffer.concat([Buffer.from([9, 9]), bytes, Buffer.from([7])]);
    expect(decodePosting(framed, 2, 2 + bytes.length)).toStrictEqual(capture);
    expect(() => decodePosting(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodePosting(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/left over/);
  });

  it('leaves shapes it does not know to msgpack (extra keys, bad fields, too many entries)', () => {
    expect(fitsLayout({ ...capture, extra: 1 } as Posting)).toBe(false);
    expect(fitsLayout({ ...capture, transfer: { ...capture.transfer!, more: 'x' } } as Posting)).toBe(false);
    expect(fitsLayout({ ...capture, entries: [['a:b:360', 'X' as Field, 1]] })).toBe(false);
    expect(fitsLayout({ ...capture, entries: Array.from({ length: 256 }, () => ['a:b:360', 'D', 1] as [string, Field, number]) })).toBe(false);
    expect(fitsLayout({ ...capture, note: undefined })).toBe(true);
  });

  it('the books store postings in the layout, other shapes in msgpack, and read both', async () => {
    const dir = tempDir();
    try {
      const books = openBooks(dir);
      const odd = { ...capture, id: 'odd', extra: { why: 'unknown field' } } as Posting;
      books.root.transactionSync(() => {
        const w = new LedgerWriter(books);
        w.post(capture);
        w.post(odd);
        expect(w.tryPost(capture)).toBe(false); // idempotent per id, whatever the layout
      });
      expect(books.postings.getBinary(capture.id)![0]).toBe(POSTING_TAG);
      expect(books.postings.getBinary('odd')![0]).not.toBe(POSTING_TAG);
      expect(books.postings.get(capture.id)).toStrictEqual(capture);
      expect(books.postings.get('odd')).toStrictEqual(odd);
      // A put outside a transaction keeps its own copy of the bytes (lmdb writes it later).
      const later = books.postings.put('later', { ...capture, id: 'later' });
      books.postings.put('later2', { ...capture, id: 'later2', seq: 1 });
      await later;
      await books.root.flushed;
      expect(books.postings.get('later')).toStrictEqual({ ...capture, id: 'later' });
      expect(books.postings.get('later2')).toStrictEqual({ ...capture, id: 'later2', seq: 1 });
      expect([...books.postings.getRange()].map((e) => e.value.id)).toEqual(['T7-00001ab:purchase', 'later', 'later2', 'odd']);
      await closeBooks(books);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads postings that books written before the layout stored in msgpack', async () => {
    const dir = tempDir();
    try {
      // The books' postings database exactly as openBooks opened it before the layout.
      const root = open({ path: join(dir, BOOKS_FILE), maxDbs: 24, encoding: 'msgpack' });
      const old = root.openDB<Posting, string>({ name: 'postings', encoding: 'msgpack', sharedStructuresKey: Symbol.for('structures') });
      old.putSync(capture.id, capture);
      expect(old.getBinary(capture.id)![0]).not.toBe(POSTING_TAG);
      await root.close();
      const books = openBooks(dir);
      expect(books.postings.get(capture.id)).toStrictEqual(capture);
      books.root.transactionSync(() => new LedgerWriter(books).post({ ...capture, id: 'new' }));
      expect(books.postings.get('new')).toStrictEqual({ ...capture, id: 'new' });
      expect(books.postings.get(capture.id)).toStrictEqual(capture);
      // A transfer's state reads the head of either layout alike.
      expect(books.postings.getBinary('new')![0]).toBe(POSTING_TAG);
      expect(transferState(books, capture.id)).toStrictEqual(openedState(capture));
      expect(transferState(books, 'new')).toStrictEqual(openedState(capture));
      expect(transferState(books, 'missing')).toBeUndefined();
      await closeBooks(books);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
