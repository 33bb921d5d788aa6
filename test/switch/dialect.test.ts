// 1987 ↔ 1993 remapping (src/switch/dialect.ts): the mapping on canonical messages and through the real iso93-ascii
// codec, then end to end — an acquirer speaking 1993 and a remote bank speaking 1993, with the switch between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, getSpec, type IsoMessage } from '../../codecs/index.js';
import { demoCard } from '../../src/demo/portfolio.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { actionCodeOf, dialectOf, from1993, posDataCode, posEntryMode, responseCodeOf, to1993 } from '../../src/switch/dialect.js';
import { ACQUIRER, IsoClient, nextStan, panFor, tempDir, testConfig, waitFor } from './helpers.js';

const NOW = new Date('2026-12-02T10:00:00Z');
const v93 = getSpec('iso93-ascii');

const req87: IsoMessage = {
  mti: '0200',
  fields: {
    2: '4999111111111117', 3: '000000', 4: '000000012345', 7: '1202095959', 11: '000123', 12: '165959', 13: '1202', 14: '3012',
    18: '5411', 22: '051', 32: '100001', 33: '200001', 37: 'RRN000123000', 41: 'TERM0001', 42: 'MERCHANT0000001',
    43: { '1': 'TOKO MAJU JAYA'.padEnd(25), '2': 'JAKARTA'.padEnd(13), '3': 'ID' }, 49: '360', 52: '0123456789ABCDEF',
  },
};

describe('1987 → 1993 → 1987', () => {
  it('knows a 1993 spec by its three-digit action code', () => {
    expect(dialectOf(v93).version).toBe(1993);
    expect(dialectOf(getSpec('iso87-ascii')).version).toBe(1987);
    expect(dialectOf(getSpec('iso87-bcd')).version).toBe(1987);
  });

  it('maps a purchase request: MTI, function code, local date-time, POS data code, DE 43', () => {
    const m = to1993(req87, NOW);
    expect(m.mti).toBe('1200');
    expect(m.fields[24]).toBe('200');
    expect(m.fields[12]).toBe('261202165959');
    expect(m.fields[13]).toBeUndefined();
    expect(m.fields[22]).toBe(posDataCode('051', true));
    expect(m.fields[22]).toHaveLength(12);
    expect(m.fields[43]).toBe('TOKO MAJU JAYA           JAKARTA      ID');
    // Real bytes: the 1993 message encodes under iso93-ascii, decodes, and maps back to what the switch sent.
    const back = from1993(decode(v93, encode(v93, m)));
    expect(back).toEqual(req87);
  });

  it('keeps the POS entry mode for chip, key-entered and magnetic stripe', () => {
    for (const e of ['051', '012', '901', '810']) expect(posEntryMode(posDataCode(e, false))).toBe(e);
  });

  it('maps a timeout reversal: 0420 DE 39 68 + DE 90 → 1420 DE 25 4021 + DE 56, and back', () => {
    const rev: IsoMessage = { mti: '0420', fields: { 2: '4999111111111117', 3: '000000', 4: '000000012345', 7: '1202100001', 11: '000124', 32: '100001', 39: '68', 90: { '1': '0200', '2': '000123', '3': '1202095959', '4': '00000100001', '5': '00000000000' } } };
    const m = to1993(rev, NOW);
    expect(m.mti).toBe('1420');
    expect(m.fields[24]).toBe('400');
    expect(m.fields[25]).toBe('4021');
    expect(m.fields[39]).toBeUndefined();
    expect(m.fields[90]).toBeUndefined();
    expect(m.fields[56]).toBe('1200' + '000123' + '26' + '1202095959' + '06' + '100001');
    expect(from1993(decode(v93, encode(v93, m)))).toEqual(rev);
  });

  it('maps network management through DE 24', () => {
    const m = to1993({ mti: '0800', fields: { 7: '1202100000', 11: '000001', 70: '301' } }, NOW);
    expect(m).toEqual({ mti: '1804', fields: { 7: '1202100000', 11: '000001', 24: '831' } });
    expect(from1993({ mti: '1814', fields: { 7: '1202100000', 11: '000001', 24: '831', 39: '800' } })).toEqual({ mti: '0810', fields: { 7: '1202100000', 11: '000001', 70: '301', 39: '00' } });
  });

  it('maps response codes to action codes and back', () => {
    for (const c of ['00', '05', '10', '14', '30', '51', '55', '57', '61', '62', '75', '91', '96']) expect(responseCodeOf(actionCodeOf(c, '1210'))).toBe(c);
    expect(actionCodeOf('51', '1210')).toBe('116');
    expect(actionCodeOf('00', '1430')).toBe('400');
    expect(responseCodeOf('400')).toBe('00');
    expect(responseCodeOf('183')).toBe('05'); // an unlisted decline stays a decline
    expect(responseCodeOf('999')).toBe('96');
  });
});

describe('a 1993 acquirer and a 1993 remote bank through the switch', () => {
  let sw: RunningSwitch;
  let acq: IsoClient;
  beforeAll(async () => {
    const cfg = testConfig(tempDir('v93'), {
      issuer: { spec: 'iso93-ascii', framing: 'ascii4' },
      raw: { issuerSimulator: { issuerId: 'bank-b', spec: 'iso93-ascii', framing: 'ascii4' } },
    });
    cfg.listeners.push({ ...cfg.listeners[0], id: 'iso93', spec: 'iso93-ascii', port: 0 } as (typeof cfg.listeners)[number]);
    sw = await startSwitch(cfg, { hsmMode: 'in-process', issuerSim: { latencyMs: 1, jitterMs: 0, approveRate: 1 } });
    await waitFor(() => sw.issuers.get('bank-b')!.links[0].isUp, 5000, 'issuer link up');
    acq = await IsoClient.connect(sw.acquirerPorts.iso93, 'iso93-ascii');
  }, 30_000);
  afterAll(async () => {
    acq?.close();
    await sw?.close();
  });

  function purchase93(pan: string, amount: number, extra: Record<string, string> = {}): IsoMessage {
    const stan = nextStan();
    return {
      mti: '1200',
      fields: { 2: pan, 3: '000000', 4: String(amount).padStart(12, '0'), 7: '1202100000', 11: stan, 12: '261202170000', 14: '3012', 18: '5411', 22: '000000200000', 24: '200', 32: ACQUIRER, 37: `RRN${stan}000`.slice(0, 12), 41: 'TERM0001', 42: 'MERCHANT0000001', 49: '360', ...extra },
    };
  }

  it('signs on to the bank in 1993 (1804, function code 801)', () => {
    const signOn = sw.issuerSim!.recent().find((r) => r.networkCode === '001')!;
    expect(signOn.wireMti).toBe('1804');
  });

  it('a 1200 for a remote card reaches the bank as a 1200 and the approval comes back as 1210 / 000', async () => {
    const req = purchase93(panFor('4999', 16, '2'), 42_000);
    const r = await acq.request(req);
    expect(r.mti).toBe('1210');
    expect(r.fields[39]).toBe('000');
    expect(r.fields[38]).toMatch(/^\d{6}$/);
    const seen = sw.issuerSim!.recent().find((x) => x.amount === '000000042000')!;
    expect(seen.wireMti).toBe('1200');

    // Its reversal (1420 naming it in DE 56) reaches the bank as a 1420 naming what the bank saw.
    const rev = purchase93(req.fields[2] as string, 42_000, { 24: '400', 25: '4000', 56: '1200' + (req.fields[11] as string) + '26' + '1202100000' + '06' + ACQUIRER });
    rev.mti = '1420';
    delete rev.fields[12];
    const ra = await acq.request(rev);
    expect(ra.mti).toBe('1430');
    expect(ra.fields[39]).toBe('400');
    await waitFor(() => sw.issuerSim!.recent().some((x) => x.wireMti === '1420' && x.amount === '000000042000'), 5000, '1420 at the bank');
    const got = sw.issuerSim!.recent().find((x) => x.wireMti === '1420' && x.amount === '000000042000')!;
    expect(got.original).toMatchObject({ 1: '0200', 2: seen.stan });
    expect(got.responseCode).toBe('17'); // DE 25 4000 customer cancellation, as the bank's 1987 view shows it
  });

  it('an on-us decline answers with its action code (blocked card 62 → 104)', async () => {
    const c = demoCard(1);
    const r = await acq.request(purchase93(c.pan, 1_000, { 14: c.expiry }));
    expect(r.mti).toBe('1210');
    expect(r.fields[39]).toBe('104');
  });
});
