// The plain-data stages: isoToTxn / txnToIso (dialect translation through the codec), decisionToIso,
// isoToDecision, reversal and advice building, salvaging a malformed request into a 30 answer.
import { describe, expect, it } from 'vitest';
import { CodecError, decode, encode, getSpec, type IsoMessage } from '../../codecs/index.js';
import { adviceFor, decisionToIso, isFormatError, isoToDecision, isoToTxn, responseMtiOf, reversalFor, txnToIso, type EdgeContext } from '../../src/switch/iso-txn.js';
import { salvage } from '../../src/switch/salvage.js';
import type { Txn } from '../../src/model/txn.js';

const ctx: EdgeContext = { listenerId: 'iso', kind: 'iso', acquirerId: '100001', pin: { keyRef: 'tpk.demo', bdkRef: 'bdk.demo', format: '01' } };
const now = new Date('2026-11-25T12:00:00Z');
const req = (): IsoMessage => ({
  mti: '0200',
  fields: {
    2: '4999111111111116',
    3: '000000',
    4: '000000012345',
    7: '1125115959',
    11: '000042',
    12: '185959',
    13: '1125',
    14: '3012',
    18: '5411',
    22: '051',
    32: '100001',
    37: '123456789012',
    41: 'TERM0001',
    42: 'MERCHANT0000001',
    43: { 1: 'WARUNG SEDERHANA'.padEnd(25), 2: 'JAKARTA'.padEnd(13), 3: 'ID' },
    49: '360',
    52: '0123456789ABCDEF',
    55: { '9F26': '0102030405060708', '9F36': '0001' },
  },
});

describe('isoToTxn', () => {
  it('maps a 0200 with PIN and chip data', () => {
    const t = isoToTxn(req(), ctx, 'x-1', now) as Txn;
    expect(isFormatError(t)).toBe(false);
    expect(t).toMatchObject({ kind: 'purchase', amount: 12345, currency: '360', stan: '000042', acquirerId: '100001', terminalId: 'TERM0001', merchantName: 'WARUNG SEDERHANA', merchantCountry: 'ID', channel: 'iso:iso', transmittedAt: '1125115959', localTime: '2026-11-25T18:59:59' });
    expect(t.pin).toEqual({ block: '0123456789ABCDEF', format: '01', keyRef: 'tpk.demo' });
    expect(t.emv).toEqual({ '9F26': '0102030405060708', '9F36': '0001' });
  });

  it('uses the BDK and the KSN of DE 62 for a DUKPT block', () => {
    const m = req();
    m.fields[62] = 'FFFF9876543210E00001';
    expect((isoToTxn(m, ctx, 'x', now) as Txn).pin).toEqual({ block: '0123456789ABCDEF', format: '01', keyRef: 'bdk.demo', ksn: 'FFFF9876543210E00001' });
  });

  it('AES DUKPT: a 24-digit KSN takes the ISO 4 block from the configured field and the AES BDK', () => {
    const aesCtx: EdgeContext = { ...ctx, pin: { ...ctx.pin!, aesBdkRef: 'bdk.aes', aesPinBlockField: 110, ksnField: 62 } };
    const block = '00112233445566778899aabbccddeeff';
    const m = req();
    delete m.fields[52];
    m.fields[62] = '123456789012345600000001';
    m.fields[110] = block;
    expect((isoToTxn(m, aesCtx, 'x', now) as Txn).pin).toEqual({ block: block.toUpperCase(), format: '48', keyRef: 'bdk.aes', ksn: '123456789012345600000001' });
    // The KSN in another configured field (here DE 63) works the same way.
    const m63 = req();
    delete m63.fields[52];
    m63.fields[63] = '123456789012345600000001';
    m63.fields[110] = block;
    expect((isoToTxn(m63, { ...aesCtx, pin: { ...aesCtx.pin!, ksnField: 63 } }, 'x', now) as Txn).pin?.ksn).toBe('123456789012345600000001');
    const err = (msg: IsoMessage, c: EdgeContext = aesCtx) => isoToTxn(msg, c, 'x', now) as { formatError?: true; code?: string; field?: number | null };
    // An AES block (here in DE 52, the default field) at an acquirer with no AES BDK: a format error, not a PIN-less
    // transaction.
    const in52 = req();
    in52.fields[52] = block;
    in52.fields[62] = '123456789012345600000001';
    expect(err(in52, ctx)).toMatchObject({ formatError: true, code: '30', field: 52 });
    // An 8-byte block where a 16-byte one belongs.
    const short = { ...m, fields: { ...m.fields, 110: '0123456789ABCDEF' } };
    expect(err(short)).toMatchObject({ formatError: true, code: '30', field: 110 });
    // An AES block whose KSN is missing or is a TDES one: refused.
    const noKsn = { ...m, fields: { ...m.fields } };
    delete noKsn.fields[62];
    expect(err(noKsn)).toMatchObject({ formatError: true, code: '30', field: 62 });
    // A block in DE 52 beside an AES KSN, where this acquirer's AES blocks travel in DE 110: refused.
    const misplaced = req();
    misplaced.fields[62] = '123456789012345600000001';
    expect(err(misplaced)).toMatchObject({ formatError: true, code: '30', field: 52 });
    // A TDES DUKPT block stays in DE 52 with its 20-digit KSN beside an AES-capable configuration.
    const tdes = req();
    tdes.fields[62] = 'FFFF9876543210E00001';
    expect((isoToTxn(tdes, aesCtx, 'x', now) as Txn).pin).toEqual({ block: '0123456789ABCDEF', format: '01', keyRef: 'bdk.demo', ksn: 'FFFF9876543210E00001' });
    // A DE 52 that is not 16 hex digits (the JSON listener has no codec to refuse it): format error.
    const bad = req();
    bad.fields[52] = 'not a pin block!';
    expect(err(bad, ctx)).toMatchObject({ formatError: true, code: '30', field: 52 });
  });

  it('takes PAN, expiry and service code from track 2', () => {
    const m = req();
    delete m.fields[2];
    delete m.fields[14];
    m.fields[35] = '4999111111111116=30122010000000000';
    expect(isoToTxn(m, ctx, 'x', now)).toMatchObject({ pan: '4999111111111116', expiry: '3012', serviceCode: '201' });
  });

  it('kinds by MTI and processing code; reversals need their original', () => {
    const kind = (mti: string, pc: string, extra: Record<string, unknown> = {}) => {
      const m = req();
      m.mti = mti;
      m.fields[3] = pc;
      Object.assign(m.fields, extra);
      const t = isoToTxn(m, ctx, 'x', now);
      return isFormatError(t) ? `${t.code}:${t.field}` : t.kind;
    };
    expect(kind('0100', '000000')).toBe('preauth');
    expect(kind('0200', '010000')).toBe('cash');
    expect(kind('0200', '200000')).toBe('refund');
    expect(kind('0200', '310000')).toBe('balance');
    expect(kind('0220', '000000', { 90: { 1: '0100', 2: '000041', 3: '1125110000', 4: '00000100001', 5: '00000000000' } })).toBe('completion');
    expect(kind('0420', '000000', { 90: { 1: '0200', 2: '000041', 3: '1125110000', 4: '00000100001', 5: '00000000000' } })).toBe('reversal');
    expect(kind('0200', '500000')).toBe('12:3');
    expect(kind('0300', '000000')).toBe('12:0');
  });

  it('format errors name the field', () => {
    const missing = (n: number) => {
      const m = req();
      delete m.fields[n];
      const t = isoToTxn(m, ctx, 'x', now);
      return isFormatError(t) ? t.field : null;
    };
    expect(missing(11)).toBe(11);
    expect(missing(49)).toBe(49);
    expect(missing(3)).toBe(3);
    const m = req();
    m.fields[32] = '999';
    expect(isoToTxn(m, ctx, 'x', now)).toMatchObject({ formatError: true, field: 32 });
  });
});

describe('txnToIso: the same transaction in another dialect', () => {
  it('encodes for iso87-bcd, decodes back to the same fields, with the link STAN and the switch as forwarder', () => {
    const t = isoToTxn(req(), ctx, 'x', now) as Txn;
    const out = txnToIso(t, { stan: '700001', now, forwarderId: '999999', receiverId: '200002', pinBlock: 'FEDCBA9876543210' });
    const bcd = encode(getSpec('iso87-bcd'), out);
    const ascii = encode(getSpec('iso87-ascii'), out);
    expect(bcd.length).toBeLessThan(ascii.length); // really another wire form
    const back = decode(getSpec('iso87-bcd'), bcd);
    expect(back.mti).toBe('0200');
    expect(back.fields).toMatchObject({ 2: '4999111111111116', 3: '000000', 4: '000000012345', 11: '700001', 12: '185959', 13: '1125', 32: '100001', 33: '999999', 41: 'TERM0001', 49: '360', 52: 'FEDCBA9876543210', 100: '200002' });
    expect(back.fields[7]).toBe('1125120000');
    expect(back.fields[55]).toEqual({ '9F26': '0102030405060708', '9F36': '0001' });
    // Round trip to a Txn again: the same business content.
    const t2 = isoToTxn({ ...back, fields: { ...back.fields, 52: undefined as never } }, { ...ctx, pin: null }, 'x', now) as Txn;
    expect(t2).toMatchObject({ pan: t.pan, amount: t.amount, currency: t.currency, kind: t.kind, terminalId: t.terminalId, merchantName: t.merchantName });
  });
});

describe('answers', () => {
  it('decisionToIso echoes the request, never the PIN or chip request data, and adds 38/39/54', () => {
    const r = decisionToIso(req(), { responseCode: '00', approvedAmount: 12345, authCode: '123456', availableBalance: 5000, ledgerBalance: -20 });
    expect(r.mti).toBe('0210');
    expect(r.fields).toMatchObject({ 2: '4999111111111116', 11: '000042', 38: '123456', 39: '00', 41: 'TERM0001' });
    expect(r.fields[52]).toBeUndefined();
    expect(r.fields[54]).toBe('0001360D000000000020' + '0002360C000000005000');
    const partial = decisionToIso(req(), { responseCode: '10', approvedAmount: 100 });
    expect(partial.fields[4]).toBe('000000000100');
    expect(responseMtiOf('0421')).toBe('0430');
    expect(responseMtiOf('0201')).toBe('0210');
  });

  it('isoToDecision reads the issuer answer', () => {
    const t = isoToTxn(req(), ctx, 'x', now) as Txn;
    const d = isoToDecision({ mti: '0210', fields: { 11: '700001', 38: 'A1B2C3', 39: '00', 54: '0002360C000000500000' } }, t, 'bank-b');
    expect(d).toMatchObject({ responseCode: '00', approved: true, approvedAmount: 12345, authCode: 'A1B2C3', availableBalance: 500000 });
    expect(isoToDecision({ mti: '0210', fields: { 39: '51' } }, t, 'bank-b')).toMatchObject({ approved: false, approvedAmount: 0 });
    expect(isoToDecision({ mti: '0210', fields: {} }, t, 'bank-b').responseCode).toBe('96');
  });

  it('reversal and advice carry what the issuer needs to match them', () => {
    const t = isoToTxn(req(), ctx, 'x', now) as Txn;
    const sent = txnToIso(t, { stan: '700001', now, forwarderId: '999999' });
    const rev = reversalFor(sent, { stan: '700002', now });
    expect(rev.mti).toBe('0420');
    expect(rev.fields).toMatchObject({ 2: t.pan, 4: '000000012345', 11: '700002', 39: '68', 90: { 1: '0200', 2: '700001', 3: '1125120000', 4: '00000100001', 5: '00000999999' } });
    expect(rev.fields[52]).toBeUndefined();
    expect(encode(getSpec('iso87-bcd'), rev).length).toBeGreaterThan(0);
    const adv = adviceFor(sent, { txnId: 'x', responseCode: '00', approved: true, approvedAmount: 12345, authCode: 'S00001', reasons: [], standIn: true }, { stan: '700003', now });
    expect(adv.mti).toBe('0120');
    expect(adv.fields).toMatchObject({ 11: '700003', 38: 'S00001', 39: '00', 60: 'STIP' });
    expect(adv.fields[52]).toBeUndefined();
  });
});

describe('salvage: answering a malformed request with 30', () => {
  const spec = getSpec('iso87-ascii');
  const bytesOf = (m: IsoMessage) => encode(spec, m);
  const fail = (b: Buffer): CodecError => {
    try {
      decode(spec, b);
    } catch (e) {
      return e as CodecError;
    }
    throw new Error('expected a decode error');
  };

  it('a bad character in DE 49 still yields a 0210 / 30 with the STAN', () => {
    const b = Buffer.from(bytesOf(req()));
    const at = b.lastIndexOf(Buffer.from('360'));
    b.write('3\x01', at, 'latin1');
    const r = salvage(spec, b, fail(b));
    expect(r).not.toBeNull();
    expect(r!.mti).toBe('0210');
    expect(r!.fields[39]).toBe('30');
    expect(r!.fields[11]).toBe('000042');
  });

  it('a truncated message is answered 30 when DE 11 survived, dropped when the MTI is garbage', () => {
    const full = bytesOf(req());
    const cut = full.subarray(0, full.length - 40);
    expect(salvage(spec, cut, fail(cut))!.fields[39]).toBe('30');
    const garbage = Buffer.from('ZZZZ' + full.subarray(4).toString('latin1'), 'latin1');
    expect(salvage(spec, garbage, fail(garbage))).toBeNull();
    const early = full.subarray(0, 30); // stops before DE 11
    expect(salvage(spec, early, fail(early))).toBeNull();
  });
});
