import { describe, expect, it } from 'vitest';
import { recordToPosting, type RuleContext } from '../../src/ledger/rules.js';
import { DEFAULT_PRICING } from '../../src/settlement/pricing.js';
import type { SettledRecord } from '../../src/stream/types.js';

const ctx: RuleContext = { pricing: DEFAULT_PRICING, state: () => undefined, posting: () => undefined };

describe('interned account ids', () => {
  it('stay right past the intern bound (200,000 ids), when every table is dropped mid-record', () => {
    // Each capture has a new issuer and merchant: 3 new ids (issuer, interchange, merchant), so ~67,000 records
    // pass the bound; the clear lands between two accounts of one record at some point.
    for (let i = 0; i < 70_000; i++) {
      const r: SettledRecord = {
        id: `T${i}:purchase`,
        seq: i + 1,
        kind: 'purchase',
        txnId: `T${i}`,
        amount: 100_000 + i,
        currency: i % 2 ? '360' : '840',
        merchantId: `M${i}`,
        acquirerId: 'ACQ1',
        issuerId: `I${i}`,
        occurredAt: '2026-11-23T01:00:00Z',
      };
      const { posting } = recordToPosting(r, '2026-11-23', ctx);
      const accounts = posting.entries.map((e) => e[0]);
      expect(accounts).toEqual([
        `issuer:I${i}:${r.currency}`,
        `interchange:I${i}:${r.currency}`,
        `scheme:SCHEME:${r.currency}`,
        `fees:switch:${r.currency}`,
        `acquirer:ACQ1:${r.currency}`,
        `merchant:M${i}:${r.currency}`,
      ]);
      // A repeated owner reuses its interned id (the same string object is fine; equality is what matters).
      if (i % 1000 === 0) expect(recordToPosting({ ...r, id: 'again' }, '2026-11-23', ctx).posting.entries.map((e) => e[0])).toEqual(accounts);
    }
  });
});
