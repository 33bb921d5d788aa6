// The task wire format (src/pool/wire.ts): what the worker decodes is what the caller passed, field for field,
// including the values validation must still see as wrong (a BigInt amount stays a BigInt, not a number).
import { describe, expect, it } from 'vitest';
import { decodeDecisions, decodeTxns, encodeDecisions, encodeTxns, MAX_WIRE_ITEMS } from '../../src/pool/wire.js';
import type { Decision, Txn } from '../../src/model/txn.js';
import { txn } from '../authorize/helpers.js';

describe('pool wire format', () => {
  it('round-trips a batch of transactions of different shapes, nested fields and undefined included', () => {
    const txns: Txn[] = [
      txn(1, 'purchase', 12_345, { rrn: '123456789012', emv: { '9F26': 'A1B2C3D4E5F60708', '9F36': '0001' } }),
      txn(2, 'reversal', 0, { original: { txnId: 'X1', stan: '000001', transmittedAt: '0101120000' } }),
      { ...txn(3, 'preauth', 500), pin: { block: '0123456789ABCDEF', format: '01', keyRef: 'tpk.demo' }, terminalId: undefined },
    ];
    const buf = encodeTxns(txns);
    // An exact-size buffer: a view of msgpackr's reused buffer would clone all of it across threads.
    expect(buf.byteLength).toBe(buf.buffer.byteLength);
    const back = decodeTxns(buf);
    expect(back).toStrictEqual(txns);
    expect('terminalId' in back[2]).toBe(true);
  });

  it('keeps types validation relies on: BigInt stays BigInt, strings stay strings', () => {
    const weird = { ...txn(1, 'purchase', 1), amount: 5n, stan: 123 } as unknown as Txn;
    const [back] = decodeTxns(encodeTxns([weird]));
    expect(typeof back.amount).toBe('bigint');
    expect(back.stan).toBe(123);
  });

  it('round-trips decisions and refuses what is not a bounded list', () => {
    const ds: Decision[] = [
      { txnId: 'a', responseCode: '00', approved: true, approvedAmount: 10, authCode: '000001', availableBalance: 5, ledgerBalance: 15, fraudScore: 12, reasons: [{ check: 'format', ok: true }, { check: 'fraud', ok: true, detail: 'score 12' }] },
      { txnId: 'b', responseCode: '51', approved: false, approvedAmount: 0, reasons: [{ check: 'funds', ok: false, detail: '10 > 5' }] },
    ];
    expect(decodeDecisions(encodeDecisions(ds))).toStrictEqual(ds);
    expect(() => decodeTxns(encodeDecisions({ 0: 1 } as unknown as Decision[]))).toThrow(/list/);
    expect(() => encodeTxns(new Array<Txn>(MAX_WIRE_ITEMS + 1).fill(txn(1, 'purchase', 1)))).toThrow(/items/);
  });
});
