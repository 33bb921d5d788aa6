// Several switch instances publish to one JetStream stream; one settlement service posts it. The ledger it
// builds equals the ledger built from the embedded LMDB stream of the same records, and a re-publish of a record
// (a retry after a lost ack) is not posted twice.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LedgerPoster } from '../../src/ledger/poster.js';
import { BusinessCalendar } from '../../src/settlement/calendar.js';
import { DEFAULT_PRICING } from '../../src/settlement/pricing.js';
import { drainConsumer } from '../../src/stream/consumer.js';
import { generateRecords } from '../../src/stream/generate.js';
import { NatsSettledStream } from '../../src/stream/nats.js';
import { StreamRelay } from '../../src/stream/relay.js';
import { allBalances, freshBooks, openStreamAt, tempDir } from '../ledger/helpers.js';

const up = () =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: 4222 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('NATS JetStream: two publishers, one poster', () => {
  it('posts the same ledger as the LMDB stream and ignores a re-published record', async (ctx) => {
    if (!(await up())) return ctx.skip('NATS JetStream is not reachable on 127.0.0.1:4222 (nats.test.ts tries to start it)');
    const tag = randomBytes(4).toString('hex');
    const opts = { stream: `GERBANG_LEDGER_${tag}`, subject: `gerbang.ledger.${tag}` };
    const a = await NatsSettledStream.open(opts);
    const b = await NatsSettledStream.open(opts);
    const records = [...generateRecords(600, { seed: 51, splitShare: 0.3 })];
    const dir = tempDir('gerbang-nats-ledger-');
    // Instance A relays its local LMDB stream (the outbox) for the first half; instance B publishes the rest.
    const outboxDir = tempDir('gerbang-nats-outbox-');
    const local = openStreamAt(outboxDir);
    await local.stream.appendMany(records.slice(0, 300));
    const relayOffsets = local.root.openDB<number, string>({ name: 'offsets' });
    const relay = new StreamRelay(a, relayOffsets);
    await drainConsumer(local.stream, relay, { batchSize: 64 });
    expect(relay.offset()).toBe(300);
    await drainConsumer(local.stream, relay); // nothing left to relay
    for (let i = 300; i < records.length; i++) await b.append(records[i]);
    await a.append(records[200]); // a retry after a lost ack, inside the duplicate window
    const booksN = freshBooks(dir + '/n');
    const cal = new BusinessCalendar();
    const consumer = await NatsSettledStream.open(opts);
    await drainConsumer(consumer, new LedgerPoster({ books: booksN, pricing: DEFAULT_PRICING, calendar: cal, name: 'ledger-nats' }), { batchSize: 400 });

    const { root, stream } = openStreamAt(dir);
    await stream.appendMany(records);
    const booksL = freshBooks(dir + '/l');
    await drainConsumer(stream, new LedgerPoster({ books: booksL, pricing: DEFAULT_PRICING, calendar: cal }));

    expect(allBalances(booksN)).toEqual(allBalances(booksL));
    expect(booksN.postings.getKeysCount()).toBe(records.length);
    for (const s of [a, b, consumer]) {
      if (s === a) await s.destroy();
      await s.close();
    }
    await booksN.root.close();
    await booksL.root.close();
    await root.close();
    await local.root.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outboxDir, { recursive: true, force: true });
  });

  it('a completion and a reversal published before their originals (another instance relays those later) post as if in order', async (ctx) => {
    if (!(await up())) return ctx.skip('NATS JetStream is not reachable on 127.0.0.1:4222 (nats.test.ts tries to start it)');
    const tag = randomBytes(4).toString('hex');
    const opts = { stream: `GERBANG_LEDGER_${tag}`, subject: `gerbang.ledger.${tag}` };
    const base = { currency: '360', merchantId: 'M0001', acquirerId: 'ACQ1', issuerId: 'ISS1' };
    const at = (s: number) => new Date(Date.parse('2026-11-24T02:00:00Z') + s * 1000).toISOString();
    const preauth = { ...base, id: 'T1:preauth', kind: 'preauth' as const, txnId: 'T1', amount: 500_000, occurredAt: at(0) };
    const purchase = { ...base, id: 'T2:purchase', kind: 'purchase' as const, txnId: 'T2', amount: 120_000, occurredAt: at(1) };
    const other = { ...base, id: 'T3:purchase', kind: 'purchase' as const, txnId: 'T3', amount: 80_000, occurredAt: at(2) };
    const completion = { ...base, id: 'T1:completion', kind: 'completion' as const, txnId: 'T1', amount: 320_000, occurredAt: at(3), originalId: 'T1:preauth' };
    const reversal = { ...base, id: 'T2:reversal', kind: 'reversal' as const, txnId: 'T2', amount: 120_000, occurredAt: at(4), originalId: 'T2:purchase' };
    // Instance B (completion, reversal) publishes at once; instance A's relay (its originals) runs behind.
    const b = await NatsSettledStream.open(opts);
    await b.append(completion);
    await b.append(reversal);
    const outboxDir = tempDir('gerbang-nats-outbox-');
    const local = openStreamAt(outboxDir);
    await local.stream.appendMany([preauth, purchase, other]);
    const a = await NatsSettledStream.open(opts);
    await drainConsumer(local.stream, new StreamRelay(a, local.root.openDB<number, string>({ name: 'offsets' })));
    const dir = tempDir('gerbang-nats-ledger-');
    const cal = new BusinessCalendar();
    const booksN = freshBooks(dir + '/n');
    const consumer = await NatsSettledStream.open(opts);
    await drainConsumer(consumer, new LedgerPoster({ books: booksN, pricing: DEFAULT_PRICING, calendar: cal, name: 'ledger-nats' }));
    // The same records in the order they happened, on the embedded stream.
    const { root, stream } = openStreamAt(dir);
    await stream.appendMany([preauth, purchase, other, completion, reversal]);
    const booksL = freshBooks(dir + '/l');
    await drainConsumer(stream, new LedgerPoster({ books: booksL, pricing: DEFAULT_PRICING, calendar: cal }));

    expect(allBalances(booksN)).toEqual(allBalances(booksL));
    expect(booksN.postings.get('T1:completion')!.note).toBeUndefined();
    for (const [, bal] of allBalances(booksN)) expect(bal.debitsPending + bal.creditsPending).toBe(0n);
    await a.destroy();
    for (const s of [a, b, consumer]) await s.close();
    for (const x of [booksN.root, booksL.root, root, local.root]) await x.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outboxDir, { recursive: true, force: true });
  });
});
