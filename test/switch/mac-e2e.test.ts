// MAC on the wire, both edges, against the clear test key computed independently (ISO/IEC 9797-1 MAC algorithm 3,
// padding method 1, via hsm-sim/crypto): an acquirer listener that requires DE 64 answers 63 to a missing or wrong
// MAC and signs its answers; an issuer link signs its requests and drops answers whose MAC is wrong.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameSplitter, decode, encode, frame, getSpec, responseMti, type IsoMessage } from '../../codecs/index.js';
import { encryptUnderLmkVariant, macIso9797Alg3, testLmk } from '../../hsm-sim/crypto/index.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { startIssuerSim } from '../../src/sim/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { macField, macInput } from '../../src/switch/mac.js';
import { IsoClient, panFor, purchase, tempDir, testConfig, waitFor } from './helpers.js';

const TAK = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
const takUnderLmk = 'U' + encryptUnderLmkVariant(testLmk(), '003', TAK).toString('hex').toUpperCase();
const ascii = getSpec('iso87-ascii');
const bcd = getSpec('iso87-bcd');
const macOf = (spec: typeof ascii, m: IsoMessage) => macIso9797Alg3(TAK, macInput(spec, m).data, 1).toString('hex').toUpperCase();

let sw: RunningSwitch | null = null;
let host: Server | null = null;
afterEach(async () => {
  await sw?.close();
  await new Promise<void>((r) => (host ? host.close(() => r()) : r()));
  sw = null;
  host = null;
});

/** A bank host that checks the switch's MAC and signs its answers (or signs them wrongly when told to). */
async function macHost(opts: { wrongMac: boolean }): Promise<{ port: number; seen: { mti: string; field: number; macOk: boolean }[] }> {
  const seen: { mti: string; field: number; macOk: boolean }[] = [];
  host = createServer((sock) => {
    const sp = new FrameSplitter({ lengthHeader: 'len2' });
    sock.on('error', () => {});
    sock.on('data', (c) => {
      for (const f of sp.push(c)) {
        const m = decode(bcd, f.payload);
        const out: IsoMessage = { mti: responseMti(m.mti), fields: { 7: m.fields[7], 11: m.fields[11], 39: '00' } };
        if (!m.mti.startsWith('08')) {
          seen.push({ mti: m.mti, field: macField(m), macOk: m.fields[macField(m)] === macOf(bcd, m) });
          out.fields[38] = '777777';
          out.fields[64] = opts.wrongMac ? '0000000000000000' : macOf(bcd, out);
        }
        sock.write(frame(encode(bcd, out), { lengthHeader: 'len2' }));
      }
    });
  });
  await new Promise<void>((r) => host!.listen(0, '127.0.0.1', () => r()));
  return { port: (host!.address() as { port: number }).port, seen };
}

async function start(issuerPort: number) {
  const cfg = testConfig(tempDir('mac'), {
    raw: { issuerSimulator: null, engine: { provisionDemo: false } },
    issuer: { links: [{ name: 'primary', port: issuerPort }], zpkRef: null, requestTimeoutMs: 400, safRetryMs: 60_000 },
  });
  cfg.keys['tak.test'] = { type: 'TAK', value: takUnderLmk };
  cfg.listeners[0].kind === 'iso' && (cfg.listeners[0].mac = { keyRef: 'tak.test', algorithm: 'iso9797-1-alg3' });
  cfg.issuers[0].mac = { keyRef: 'tak.test', algorithm: 'iso9797-1-alg3' };
  sw = await startSwitch(cfg, { hsmMode: 'in-process', onus: null, log: createLogger({}, 'silent') });
  await waitFor(() => sw!.issuers.get('bank-b')!.links[0].isUp, 3000, 'link up');
  return IsoClient.connect(sw.acquirerPorts.iso);
}

describe('MAC end to end', () => {
  it('acquirer edge: 63 without or with a wrong MAC; signed request approved by a host that checks the MAC; answer signed', async () => {
    const h = await macHost({ wrongMac: false });
    const c = await start(h.port);
    const unsigned = purchase(panFor('4999'), 100);
    expect((await c.request(unsigned)).fields[39]).toBe('63');
    const wrong = purchase(panFor('4999'), 100, { 64: 'FFFFFFFFFFFFFFFF' });
    expect((await c.request(wrong)).fields[39]).toBe('63');
    const good = purchase(panFor('4999'), 100);
    good.fields[64] = macOf(ascii, good);
    const r = await c.request(good);
    expect(r.fields[39]).toBe('00');
    expect(r.fields[38]).toBe('777777');
    expect(r.fields[64]).toBe(macOf(ascii, r));
    expect(h.seen).toEqual([{ mti: '0200', field: 128, macOk: true }]); // DE 100 is present, so the MAC is DE 128
    c.close();
  });

  it('gerbang sim issuer with --mac-key: checks the switch MAC and signs its answers; a bank on another key refuses with 63', async () => {
    const sim = await startIssuerSim({ spec: 'iso87-bcd', framing: 'len2', latencyMs: 1, jitterMs: 0, approveRate: 1, macKey: TAK.toString('hex') });
    const other = await startIssuerSim({ spec: 'iso87-bcd', framing: 'len2', latencyMs: 1, jitterMs: 0, approveRate: 1, macKey: 'FEDCBA98765432100123456789ABCDEF' });
    try {
      const c = await start(sim.port);
      const good = purchase(panFor('4999'), 300);
      good.fields[64] = macOf(ascii, good);
      const r = await c.request(good);
      expect(r.fields[39]).toBe('00'); // the simulator verified the switch's MAC and the switch verified the answer's
      expect(sim.stats().badMacs).toBe(0);
      c.close();
      await sw!.close();
      sw = null;
      // The same switch configuration against a bank holding a different TAK: the bank refuses with 63 (its answer
      // is signed with its own key, so the switch drops it as wrongly signed: the acquirer sees a timeout, 91).
      const c2 = await start(other.port);
      const again = purchase(panFor('4999'), 300);
      again.fields[64] = macOf(ascii, again);
      expect((await c2.request(again)).fields[39]).toBe('91');
      expect(other.stats().badMacs).toBe(1);
      expect(other.stats().byCode['63']).toBe(1);
      c2.close();
    } finally {
      await sim.close();
      await other.close();
    }
  });

  it('issuer edge: an answer with a wrong MAC is dropped, so the request times out and is reversed', async () => {
    const h = await macHost({ wrongMac: true });
    const c = await start(h.port);
    const good = purchase(panFor('4999'), 100);
    good.fields[64] = macOf(ascii, good);
    const r = await c.request(good);
    expect(r.fields[39]).toBe('91');
    expect(sw!.issuers.get('bank-b')!.stats.reversalsQueued).toBe(1);
    c.close();
  });
});
