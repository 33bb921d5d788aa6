// End to end through real sockets: acquirer client → ISO/JSON listener → on-us engine (piscina workers, LMDB, HSM
// simulator) or the issuer simulator (a remote bank speaking iso87-bcd) → answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../hsm-sim/crypto/index.js';
import { DEMO_KEYS_CLEAR, demoCard } from '../../src/demo/portfolio.js';
import { AesDukptTerminal } from '../../src/sim/dukpt.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { IsoClient, JsonClient, panFor, purchase, tempDir, testConfig, waitFor } from './helpers.js';

let sw: RunningSwitch;
let iso: IsoClient;

beforeAll(async () => {
  sw = await startSwitch(testConfig(tempDir('e2e')), { hsmMode: 'in-process', issuerSim: { latencyMs: 1, jitterMs: 0, approveRate: 1 } });
  iso = await IsoClient.connect(sw.acquirerPorts.iso);
  await waitFor(() => sw.issuers.get('bank-b')!.links[0].isUp, 5000, 'issuer link up');
}, 60_000);

afterAll(async () => {
  iso?.close();
  await sw?.close();
});

describe('switch end to end', () => {
  it('approves an on-us purchase through the engine, with an auth code and DE 39 00', async () => {
    const card = demoCard(10);
    const r = await iso.request(purchase(card.pan, 12_500));
    expect(r.mti).toBe('0210');
    expect(r.fields[39]).toBe('00');
    expect(r.fields[38]).toMatch(/^\d{6}$/);
    expect(r.fields[4]).toBe('000000012500');
  });

  it('declines an on-us blocked card with 62', async () => {
    const r = await iso.request(purchase(demoCard(1).pan, 100));
    expect(r.fields[39]).toBe('62');
  });

  it('routes a remote card to the issuer in another dialect and relays its approval', async () => {
    const pan = panFor('4999');
    const req = purchase(pan, 5000);
    const r = await iso.request(req);
    expect(r.mti).toBe('0210');
    expect(r.fields[39]).toBe('00');
    expect(r.fields[11]).toBe(req.fields[11]); // the acquirer's STAN, not the link's
    const seen = sw.issuerSim!.recent().filter((x) => x.mti === '0200' && x.amount === '000000005000');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)!.pan).toMatch(/^499911\*+\d{4}$/); // the simulator decoded it as iso87-bcd
  });

  it('AES DUKPT terminals (X9.24-3): ISO 8583 with the block in DE 110 and JSON with it in DE 52; PIN checked by the HSM', async () => {
    const term = new AesDukptTerminal(hex(DEMO_KEYS_CLEAR['bdk.aes.demo'].clear), hex('FFFF987600000099'));
    const card = demoCard(11);
    const withPin = (pan: string, pin: string, field: number) => {
      const { ksn, pinBlock } = term.nextPinBlock(pin, pan);
      return { 62: ksn, [field]: pinBlock };
    };
    expect((await iso.request(purchase(card.pan, 2_000, withPin(card.pan, card.pin, 110)))).fields[39]).toBe('00');
    const wrong = card.pin === '0000' ? '1111' : '0000';
    expect((await iso.request(purchase(card.pan, 2_000, withPin(card.pan, wrong, 110)))).fields[39]).toBe('55');
    // A remote card: the block is translated from the terminal's AES DUKPT key to the issuer's ZPK on the way.
    const pan = panFor('4999', 16, '3');
    expect((await iso.request(purchase(pan, 3_000, withPin(pan, '1234', 110)))).fields[39]).toBe('00');
    const json = await JsonClient.connect(sw.acquirerPorts.json);
    try {
      expect((await json.request(purchase(card.pan, 2_000, withPin(card.pan, card.pin, 52)))).fields[39]).toBe('00');
      expect((await json.request(purchase(card.pan, 2_000, withPin(card.pan, wrong, 52)))).fields[39]).toBe('55');
      // An AES KSN with an 8-byte block: a format error, never an authorization without its PIN.
      const { ksn } = term.nextPinBlock(card.pin, card.pan);
      expect((await json.request(purchase(card.pan, 2_000, { 62: ksn, 52: '0123456789ABCDEF' }))).fields[39]).toBe('30');
    } finally {
      json.close();
    }
  });

  it('answers 15 for a card range nobody issues', async () => {
    const r = await iso.request(purchase(panFor('6011'), 100));
    expect(r.fields[39]).toBe('15');
  });

  it('answers 30 for a request missing its currency', async () => {
    const req = purchase(demoCard(12).pan, 100);
    delete req.fields[49];
    const r = await iso.request(req);
    expect(r.fields[39]).toBe('30');
  });

  it('answers a sign-on from an acquirer', async () => {
    const r = await iso.request({ mti: '0800', fields: { 7: '1125120000', 11: '000777', 70: '001' } });
    expect(r.mti).toBe('0810');
    expect(r.fields[39]).toBe('00');
  });

  it('takes the same transaction as a JSON line', async () => {
    const json = await JsonClient.connect(sw.acquirerPorts.json);
    const r = await json.request(purchase(demoCard(14).pan, 700));
    expect(r.mti).toBe('0210');
    expect(r.fields[39]).toBe('00');
    const bad = await json.request('{"mti": 12');
    expect(bad.fields[39]).toBe('30');
    json.close();
  });

  it('a repeated transmission gets the stored answer, never a second authorization', async () => {
    const req = purchase(demoCard(16).pan, 3_000);
    const first = await iso.request(req);
    const repeat = await iso.request({ ...req, mti: '0201' });
    expect(first.fields[39]).toBe('00');
    expect(repeat.fields[39]).toBe('00');
    expect(repeat.fields[38]).toBe(first.fields[38]);
    // A fresh STAN is a new transaction with a new auth code.
    const fresh = await iso.request({ ...req, fields: { ...req.fields, 11: '999990' } });
    expect(fresh.fields[38]).not.toBe(first.fields[38]);
  });

  it("an acquirer's reversal of a remote purchase reaches the issuer naming the request as the issuer saw it", async () => {
    const req = purchase(panFor('4999', 16, '3'), 6_600);
    expect((await iso.request(req)).fields[39]).toBe('00');
    const seen = sw.issuerSim!.recent().find((x) => x.mti === '0200' && x.amount === '000000006600')!;
    const rev = purchase(req.fields[2] as string, 6_600, {
      11: '888001',
      90: { 1: '0200', 2: req.fields[11] as string, 3: req.fields[7] as string, 4: '00000100001', 5: '00000000000' },
    });
    rev.mti = '0420';
    const r = await iso.request(rev);
    expect(r.mti).toBe('0430');
    expect(r.fields[39]).toBe('00');
    await waitFor(() => sw.issuerSim!.recent().some((x) => x.mti === '0420' && x.amount === '000000006600'), 5000, 'reversal at the issuer');
    const got = sw.issuerSim!.recent().find((x) => x.mti === '0420' && x.amount === '000000006600')!;
    expect(got.original).toMatchObject({ 1: '0200', 2: seen.stan, 4: '00000100001' });
    expect(got.responseCode).toBe('17');
  });

  it('concurrent duplicates of a remote transaction reach the issuer once', async () => {
    const req = purchase(panFor('5999'), 4_321);
    const before = sw.issuerSim!.stats().received['0200'] ?? 0;
    const [a, b] = await Promise.all([iso.request(req), new Promise((r) => setTimeout(r, 0)).then(() => iso.request({ ...req, mti: '0201' }))]);
    expect(a.fields[39]).toBe('00');
    expect(b.fields[39]).toBe('00');
    expect((sw.issuerSim!.stats().received['0200'] ?? 0) - before).toBe(1);
  });
});
