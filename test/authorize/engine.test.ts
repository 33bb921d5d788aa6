// The engine's decisions end to end in one thread: real LMDB state, the real HSM simulator over TCP (PIN, CVV2,
// ARQC), real commits. Response codes are ISO 8583 DE 39.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acDiversification, commonSessionKey, encryptPinBlock, encryptPinBlock4, generateArqc, hex } from '../../hsm-sim/crypto/index.js';
import { formKey } from '../hsm/helpers.js';
import { authorizeMany } from '../../src/authorize/engine.js';
import { sweepExpiredHolds } from '../../src/authorize/sweep.js';
import { arqcData } from '../../src/authorize/emv.js';
import { DEMO_BALANCE, DEMO_KEYS_CLEAR, DEMO_LOW_BALANCE, demoCard, demoPan } from '../../src/demo/portfolio.js';
import { emptyCardProfile, makeFraudConfig } from '../../src/fraud/index.js';
import type { Txn } from '../../src/model/txn.js';
import { cardProfileOf, STATE_FILE } from '../../src/state/env.js';
import { panHash } from '../../src/state/pan.js';
import { DukptTerminal, makeKsn } from '../../src/sim/dukpt.js';
import { checkInvariants, fixture, ref, txn, type Fixture } from './helpers.js';

let f: Fixture;
const one = async (t: Txn) => (await authorizeMany(f.ctx, [t]))[0];
const acct = (i: number) => f.state.accounts.get(`A1-${i}`)!;
const pinBlock = (i: number, pin: string) =>
  ({ block: encryptPinBlock(hex(DEMO_KEYS_CLEAR['tpk.demo'].clear), 0, pin, demoCard(i).pan).toString('hex').toUpperCase(), format: '01', keyRef: 'tpk.demo' });

/** DE 55 of a 1,000 purchase on demo card `i`, with the ARQC the card itself would compute (its ICC master key). */
function chipData(i: number, atc: string, un: string): Record<string, string> {
  const emv: Record<string, string> = {
    '9F02': '000000001000', '9F03': '000000000000', '9F1A': '0360', '95': '0000000000', '5F2A': '0360', '9A': '261125', '9C': '00',
    '9F37': un, '82': '1800', '9F36': atc, '9F10': '06010A03A00000',
  };
  const sk = commonSessionKey(hex(demoCard(i).iccMasterKey), acDiversification(hex(atc), hex(un)));
  emv['9F26'] = generateArqc(sk, hex(arqcData(emv)!)).toString('hex').toUpperCase();
  return emv;
}

beforeAll(async () => {
  f = await fixture(40, {
    // A card with tight limits (same demo PAN scheme, index 900) to reach 61 and 65.
    cards: [
      { pan: demoPan(900), expiry: '3012', accountId: 'A1-900', limits: { perTxn: 100_000, dailyCount: 2, dailyAmount: 150_000, dailyCash: 10_000 } },
      // An IBM 3624 card: the published vector (PVK 0123…3210, table 1234567890123456, data 1122334455667788):
      // PIN 1234 ↔ offset 7710.
      { pan: demoPan(901), expiry: '3012', accountId: 'A1-901', pin: { method: 'ibm', pvkRef: 'pvk.demo', offset: '7710', checkLength: 4, decimalisationTable: '1234567890123456', pinValidationData: '1122334455667788' } },
    ],
    accounts: [
      { id: 'A1-900', currency: '360', balance: 10_000_000 },
      { id: 'A1-901', currency: '360', balance: 10_000_000 },
    ],
  });
});
afterAll(async () => f?.close());

describe('card checks', () => {
  it('approves a purchase on an active card and debits ledger and available', async () => {
    const d = await one(txn(10, 'purchase', 12_345));
    expect(d.responseCode).toBe('00');
    expect(d.approved).toBe(true);
    expect(d.authCode).toMatch(/^\d{6}$/);
    expect(acct(10)).toMatchObject({ ledger: DEMO_BALANCE - 12_345, available: DEMO_BALANCE - 12_345 });
    expect(d.reasons.map((r) => r.check)).toEqual(expect.arrayContaining(['format', 'card.status', 'card.expiry', 'limits', 'funds']));
    checkInvariants(f.state);
  });

  it.each([
    [1, '62'], [2, '41'], [3, '43'], [4, '54'], [5, '54'],
  ])('demo card %i answers %s', async (i, code) => {
    const d = await one(txn(i, 'purchase', 1_000));
    expect(d.responseCode).toBe(code);
    expect(d.approved).toBe(false);
    expect(d.reasons.some((r) => !r.ok)).toBe(true);
  });

  it('unknown card 14, bad Luhn 30, unknown currency 30, expiry mismatch 54', async () => {
    const unknown = demoPan(5_000_000);
    expect((await one(txn(unknown, 'purchase', 100))).responseCode).toBe('14');
    expect((await one(txn(11, 'purchase', 100, { pan: demoCard(11).pan.slice(0, -1) + ((Number(demoCard(11).pan.slice(-1)) + 1) % 10) }))).responseCode).toBe('30');
    expect((await one(txn(11, 'purchase', 100, { currency: '999' }))).responseCode).toBe('30');
    expect((await one(txn(11, 'purchase', 1.5))).responseCode).toBe('30');
    expect((await one(txn(11, 'purchase', 100, { expiry: '2911' }))).responseCode).toBe('54');
  });

  it('prepaid card: cash not permitted 57; purchase fine', async () => {
    expect((await one(txn(6, 'cash', 1_000))).responseCode).toBe('57');
    expect((await one(txn(6, 'purchase', 1_000))).responseCode).toBe('00');
  });

  it('insufficient funds 51; partial approval 10 with the available amount when the acquirer allows it', async () => {
    expect((await one(txn(7, 'purchase', DEMO_LOW_BALANCE + 1))).responseCode).toBe('51');
    const d = await one(txn(7, 'purchase', DEMO_LOW_BALANCE + 1_000, { partialAllowed: true }));
    expect(d).toMatchObject({ responseCode: '10', approved: true, approvedAmount: DEMO_LOW_BALANCE, availableBalance: 0 });
    expect((await one(txn(7, 'purchase', 1, { partialAllowed: true }))).responseCode).toBe('51');
    checkInvariants(f.state);
  });

  it('limits: per transaction and daily amount 61, daily count 65', async () => {
    expect((await one(txn(demoPan(900), 'purchase', 100_001))).responseCode).toBe('61');
    expect((await one(txn(demoPan(900), 'purchase', 100_000))).responseCode).toBe('00');
    expect((await one(txn(demoPan(900), 'purchase', 60_000))).responseCode).toBe('61'); // 160,000 > 150,000 daily
    expect((await one(txn(demoPan(900), 'purchase', 10_000))).responseCode).toBe('00');
    expect((await one(txn(demoPan(900), 'purchase', 1_000))).responseCode).toBe('65'); // third today, limit 2
  });
});

describe('HSM checks (PIN, CVV2, ARQC) through the HSM simulator', () => {
  it('right PIN approves; wrong PIN 55 twice then 75; tries exhausted stays 75 even with the right PIN', async () => {
    expect((await one(txn(12, 'purchase', 100, { pin: pinBlock(12, '1234') }))).responseCode).toBe('00');
    expect((await one(txn(12, 'purchase', 100, { pin: pinBlock(12, '9999') }))).responseCode).toBe('55');
    expect((await one(txn(12, 'purchase', 100, { pin: pinBlock(12, '1111') }))).responseCode).toBe('55');
    expect((await one(txn(12, 'purchase', 100, { pin: pinBlock(12, '2222') }))).responseCode).toBe('75');
    expect((await one(txn(12, 'purchase', 100, { pin: pinBlock(12, '1234') }))).responseCode).toBe('75');
    const card = f.state.cards.get(panHash(f.state.dataKeys.hashKey, demoCard(12).pan))!;
    expect(card.pinTriesLeft).toBe(0);
  });

  it('a right PIN resets the tries counter', async () => {
    expect((await one(txn(13, 'purchase', 100, { pin: pinBlock(13, '0000') }))).responseCode).toBe('55');
    expect((await one(txn(13, 'purchase', 100, { pin: pinBlock(13, '1234') }))).responseCode).toBe('00');
    expect(f.state.cards.get(panHash(f.state.dataKeys.hashKey, demoCard(13).pan))!.pinTriesLeft).toBe(3);
  });

  it('a DUKPT terminal (one GQ per PIN): right PIN approves, a wrong one is 55 and spends a try, a right one resets', async () => {
    const term = new DukptTerminal(hex(DEMO_KEYS_CLEAR['bdk.demo'].clear), makeKsn('FFFF987654', 7));
    const dukpt = (pin: string) => {
      const { ksn, pinBlock: block } = term.nextPinBlock(pin, demoCard(14).pan);
      return { block, format: '01', keyRef: 'bdk.demo', ksn };
    };
    const gqBefore = f.hsmServer.stats().byCommand.GQ ?? 0;
    expect((await one(txn(14, 'purchase', 100, { pin: dukpt('1234') }))).responseCode).toBe('00');
    expect((await one(txn(14, 'purchase', 100, { pin: dukpt('4321') }))).responseCode).toBe('55');
    const card = () => f.state.cards.get(panHash(f.state.dataKeys.hashKey, demoCard(14).pan))!;
    expect(card().pinTriesLeft).toBe(2);
    expect((await one(txn(14, 'purchase', 100, { pin: dukpt('1234') }))).responseCode).toBe('00');
    expect(card().pinTriesLeft).toBe(3);
    expect((f.hsmServer.stats().byCommand.GQ ?? 0) - gqBefore).toBe(3);
  });

  it('an IBM-offset card: the PIN under a TPK (DA) and from a DUKPT terminal (one GO) verify; a wrong one is 55', async () => {
    const pan = demoPan(901);
    const tpkBlock = (pin: string) => ({ block: encryptPinBlock(hex(DEMO_KEYS_CLEAR['tpk.demo'].clear), 0, pin, pan).toString('hex').toUpperCase(), format: '01', keyRef: 'tpk.demo' });
    const term = new DukptTerminal(hex(DEMO_KEYS_CLEAR['bdk.demo'].clear), makeKsn('FFFF987654', 8));
    const dukpt = (pin: string) => {
      const { ksn, pinBlock: block } = term.nextPinBlock(pin, pan);
      return { block, format: '01', keyRef: 'bdk.demo', ksn };
    };
    const goBefore = f.hsmServer.stats().byCommand.GO ?? 0;
    expect((await one(txn(pan, 'purchase', 100, { expiry: '3012', pin: tpkBlock('1234') }))).responseCode).toBe('00');
    expect((await one(txn(pan, 'purchase', 100, { expiry: '3012', pin: dukpt('1234') }))).responseCode).toBe('00');
    expect((await one(txn(pan, 'purchase', 100, { expiry: '3012', pin: dukpt('1243') }))).responseCode).toBe('55');
    expect((await one(txn(pan, 'purchase', 100, { expiry: '3012', pin: tpkBlock('4321') }))).responseCode).toBe('55');
    expect((f.hsmServer.stats().byCommand.GO ?? 0) - goBefore).toBe(2);
  });

  it('an AES DUKPT terminal (X9.24-3; 24-digit KSN, ISO 4 block): verified by GQ with the AES derivation', async () => {
    // The published X9.24-3 vector: BDK FEDCBA98…F1F1, KSN 123456789012345600000001 → PIN key AF8CB133….
    await f.state.keys.put('bdk.aes', { name: 'bdk.aes', type: 'BDK', key: formKey('BDK', 'FEDCBA9876543210F1F1F1F1F1F1F1F1', 'S'), kcv: '' });
    const pan = demoCard(18).pan;
    const aesPin = (pin: string) => ({
      block: encryptPinBlock4(hex('AF8CB133A78F8DC2D1359F18527593FB'), pin, pan).toString('hex').toUpperCase(),
      format: '48', keyRef: 'bdk.aes', ksn: '123456789012345600000001',
    });
    expect((await one(txn(18, 'purchase', 100, { pin: aesPin('1234') }))).responseCode).toBe('00');
    expect((await one(txn(18, 'purchase', 100, { pin: aesPin('4321') }))).responseCode).toBe('55');
  });

  it('CVV2: the demo card CVV2 approves, another value answers 05', async () => {
    const c = demoCard(14);
    expect((await one(txn(14, 'purchase', 100, { cvv2: c.cvv2, cardPresent: false, posEntryMode: '812' }))).responseCode).toBe('00');
    const wrong = String((Number(c.cvv2) + 1) % 1000).padStart(3, '0');
    expect((await one(txn(14, 'purchase', 100, { cvv2: wrong }))).responseCode).toBe('05');
  });

  it('ARQC: a chip cryptogram from the card key verifies and yields an ARPC; a tampered one answers 05', async () => {
    const emv = chipData(16, '0007', '1A2B3C4D');
    const ok = await one(txn(16, 'purchase', 1_000, { emv, posEntryMode: '051' }));
    expect(ok.responseCode).toBe('00');
    expect(ok.arpc).toMatch(/^[0-9A-F]{16}$/);
    const bad = await one(txn(16, 'purchase', 1_000, { emv: { ...emv, '9F02': '000000009999' } }));
    expect(bad.responseCode).toBe('05');
    expect(bad.reasons.find((r) => r.check === 'arqc')?.ok).toBe(false);
  });

  it('chip and PIN, both checked at once: the PIN decides first (55 whatever the ARQC), then the ARQC (05), then 00', async () => {
    const emv = chipData(17, '0011', '5A6B7C8D');
    const tampered = { ...emv, '9F02': '000000009999' };
    const codes = async (pin: string, e: Record<string, string>) => {
      const d = await one(txn(17, 'purchase', 1_000, { pin: pinBlock(17, pin), emv: e, posEntryMode: '051' }));
      return [d.responseCode, d.reasons.filter((r) => r.check === 'pin' || r.check === 'arqc').map((r) => `${r.check}:${r.ok}`).join(' ')];
    };
    expect(await codes('9999', tampered)).toEqual(['55', 'pin:false']);
    expect(await codes('1234', tampered)).toEqual(['05', 'pin:true arqc:false']);
    expect(await codes('1234', emv)).toEqual(['00', 'pin:true arqc:true']);
  });
});

describe('message kinds', () => {
  it('preauth holds, incremental raises, completion settles part and releases the rest', async () => {
    const pre = txn(20, 'preauth', 50_000);
    expect((await one(pre)).responseCode).toBe('00');
    expect(acct(20)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE - 50_000 });
    checkInvariants(f.state);
    expect((await one(txn(20, 'incremental', 20_000, { original: ref(pre) }))).responseCode).toBe('00');
    expect(acct(20).available).toBe(DEMO_BALANCE - 70_000);
    checkInvariants(f.state);
    const done = await one(txn(20, 'completion', 65_000, { original: ref(pre) }));
    expect(done.responseCode).toBe('00');
    expect(acct(20)).toMatchObject({ ledger: DEMO_BALANCE - 65_000, available: DEMO_BALANCE - 65_000 });
    checkInvariants(f.state);
    // The hold is gone: a second completion finds nothing to settle.
    expect((await one(txn(20, 'completion', 1_000, { original: ref(pre) }))).responseCode).toBe('12');
  });

  it('reversal restores a purchase once; a second reversal changes nothing', async () => {
    const p = txn(21, 'purchase', 30_000);
    expect((await one(p)).responseCode).toBe('00');
    const r1 = await one(txn(21, 'reversal', 30_000, { original: ref(p) }));
    expect(r1.responseCode).toBe('00');
    expect(acct(21)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE });
    const r2 = await one(txn(21, 'reversal', 30_000, { original: ref(p) }));
    expect(r2).toMatchObject({ responseCode: '00', approvedAmount: 0 });
    expect(acct(21)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE });
    // The same reversal retransmitted (same STAN) is answered from the idempotency key.
    const again = txn(21, 'reversal', 30_000, { original: ref(p) });
    await one(again);
    expect((await one({ ...again, id: again.id + 'b' })).reasons[0].check).toBe('duplicate');
    expect(acct(21).ledger).toBe(DEMO_BALANCE);
    expect((await one(txn(21, 'reversal', 1, { original: { stan: '999999', transmittedAt: '0101000000' } }))).responseCode).toBe('25');
  });

  it('reversal of a preauth releases its hold', async () => {
    const pre = txn(22, 'preauth', 40_000);
    await one(pre);
    expect((await one(txn(22, 'reversal', 40_000, { original: ref(pre) }))).responseCode).toBe('00');
    expect(acct(22)).toMatchObject({ ledger: DEMO_BALANCE, available: DEMO_BALANCE });
    checkInvariants(f.state);
  });

  it('refund credits, balance inquiry reports, cash debits', async () => {
    expect((await one(txn(23, 'refund', 7_000))).responseCode).toBe('00');
    expect((await one(txn(23, 'cash', 2_000))).responseCode).toBe('00');
    const b = await one(txn(23, 'balance', 0));
    expect(b).toMatchObject({ responseCode: '00', ledgerBalance: DEMO_BALANCE + 5_000, availableBalance: DEMO_BALANCE + 5_000 });
  });

  it('a retransmitted request (same acquirer, STAN, time) gets the same answer and debits once', async () => {
    const t = txn(24, 'purchase', 9_000);
    const a = await one(t);
    const b = await one({ ...t, id: t.id + '-retx' });
    expect(b.authCode).toBe(a.authCode);
    expect(acct(24).ledger).toBe(DEMO_BALANCE - 9_000);
  });

  it('the sweep releases expired holds and journals each release', async () => {
    const pre = txn(25, 'preauth', 11_000);
    await one(pre);
    expect(acct(25).available).toBe(DEMO_BALANCE - 11_000);
    expect(await sweepExpiredHolds(f.state, Date.now() - 1)).toBe(0);
    const released = await sweepExpiredHolds(f.state, Date.now() + 2 * 3600_000);
    expect(released).toBeGreaterThanOrEqual(1);
    expect(acct(25).available).toBe(DEMO_BALANCE);
    expect([...f.state.holds.getRange()].length).toBe(0);
    checkInvariants(f.state);
  });
});

describe('journal and PCI', () => {
  it('journals every decision with its reasons, masked PAN and PAN hash; the clear PAN is nowhere in the file', async () => {
    const c = demoCard(26);
    const t = txn(26, 'purchase', 1_000);
    await one(t);
    const recs = [...f.state.journal.getRange()].map((e) => e.value).filter((r) => r.txnId === t.id);
    expect(recs).toHaveLength(1);
    expect(recs[0].panMasked).toBe(c.pan.slice(0, 6) + '******' + c.pan.slice(-4));
    expect(recs[0].panHash).toMatch(/^[0-9a-f]{64}$/);
    expect(recs[0].reasons.length).toBeGreaterThan(3);
    expect(JSON.stringify(recs[0])).not.toContain(c.pan);
    const file = readFileSync(join(f.dir, STATE_FILE));
    for (const i of [0, 10, 12, 20, 26]) expect(file.includes(Buffer.from(demoCard(i).pan, 'ascii'))).toBe(false);
  });
});

describe('fraud stage', () => {
  it('a score at or above the decline threshold answers 59 with the score and its contributions in the reasons', async () => {
    const strict = { ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 0, declineThreshold: 0 }) };
    const d = (await authorizeMany(strict, [txn(27, 'purchase', 1_000)]))[0];
    expect(d.responseCode).toBe('59');
    expect(d.fraudScore).toBeGreaterThanOrEqual(0);
    expect(d.reasons.find((r) => r.check === 'fraud')?.detail).toMatch(/score=/);
    const lax = { ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 999, declineThreshold: 1000 }) };
    const ok = (await authorizeMany(lax, [txn(27, 'purchase', 1_000)]))[0];
    expect(ok.responseCode).toBe('00');
    expect(ok.fraudScore).toBeTypeOf('number');
  });

  it('is scored inside the commit: a transaction sees the profile the earlier one of the same batch left', async () => {
    const lax = { ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 999, declineThreshold: 1000 }) };
    const hash = panHash(f.state.dataKeys.hashKey, demoCard(28).pan);
    expect(cardProfileOf(f.state, hash)).toBeUndefined();
    // Same card, amount, merchant and clock: only the profile differs between the two.
    const same = { merchantId: 'M-burst', mcc: '5999' };
    const ds = await authorizeMany({ ...lax, now: () => 1_780_000_000_000 }, [txn(28, 'purchase', 77_000, same), txn(28, 'purchase', 77_000, same)]);
    expect(ds.map((d) => d.responseCode)).toEqual(['00', '00']);
    expect(ds[1].fraudScore).not.toBe(ds[0].fraudScore);
    // Both outcomes folded into the profile (nothing lost by scoring and updating in one transaction).
    expect(cardProfileOf(f.state, hash)?.n).toBe(2);
    const j = [...f.state.journal.getRange({ reverse: true, limit: 2 })].map((e) => e.value.fraudScore).reverse();
    expect(j).toEqual(ds.map((d) => d.fraudScore));
  });

  it('reads a card profile stored the old way (fraud.cards) and moves it into the velocity record', async () => {
    const lax = { ...f.ctx, fraud: makeFraudConfig({ reviewThreshold: 999, declineThreshold: 1000 }) };
    const hash = panHash(f.state.dataKeys.hashKey, demoCard(29).pan);
    const old = { ...emptyCardProfile(), n: 41, lastSeen: 1_700_000_000 };
    await f.state.cardProfiles.put(hash, old);
    expect(f.state.velocity.get(hash)).toBeUndefined();
    const d = (await authorizeMany({ ...lax, now: () => 1_780_000_000_000 }, [txn(29, 'purchase', 5_000)]))[0];
    expect(d.responseCode).toBe('00');
    expect(cardProfileOf(f.state, hash)?.n).toBe(42);
    expect(f.state.velocity.get(hash)).toMatchObject({ count: 1, amount: 5_000, cash: 0 });
    expect(f.state.cardProfiles.get(hash)).toBeUndefined();
    expect(cardProfileOf(f.state, hash)?.lastSeen).toBe(1_780_000_000);
  });
});
