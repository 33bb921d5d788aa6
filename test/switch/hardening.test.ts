// Bad input and slow peers never stall anyone else: garbage length headers close only that connection, truncated
// and malformed frames are answered 30 or dropped, a client dripping one byte at a time is cut off while others are
// served, answers leave out of order, a connection past maxInFlight is paused not dropped, idle connections close,
// and shutdown answers in-flight requests before closing.
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../../codecs/index.js';
import type { Decision, Txn } from '../../src/model/txn.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { startIssuerSim, type IssuerSim } from '../../src/sim/index.js';
import type { Decider } from '../../src/switch/pipeline.js';
import { IsoClient, panFor, purchase, tempDir, testConfig, waitFor } from './helpers.js';

/** A stand-in for the on-us engine with a fixed answer time: these tests are about the edge, not the engine. */
class TimedApprover implements Decider {
  calls = 0;
  constructor(private readonly ms: number) {}
  async authorize(txn: Txn): Promise<Decision> {
    this.calls++;
    await new Promise((r) => setTimeout(r, this.ms));
    return { txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, authCode: String(this.calls).padStart(6, '0'), reasons: [] };
  }
}

let sw: RunningSwitch | null = null;
let sim: IssuerSim | null = null;
const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sw?.close();
  await sim?.close();
  sw = sim = null;
});

async function start(listener: Record<string, unknown> = {}, onusMs = 1) {
  sim = await startIssuerSim({ latencyMs: 300, jitterMs: 0, approveRate: 1 });
  const cfg = testConfig(tempDir('hard'), {
    raw: { issuerSimulator: null, engine: { provisionDemo: false } },
    issuer: { links: [{ name: 'primary', port: sim.port }], zpkRef: null, requestTimeoutMs: 2000 },
  });
  Object.assign(cfg.listeners[0], listener);
  const onus = new TimedApprover(onusMs);
  sw = await startSwitch(cfg, { hsmMode: 'in-process', onus, log: createLogger({}, 'silent') });
  await waitFor(() => sw!.issuers.get('bank-b')!.links[0].isUp, 3000, 'link up');
  return onus;
}
const ONUS_PAN = '4761739001010010';

async function connect(): Promise<IsoClient> {
  const c = await IsoClient.connect(sw!.acquirerPorts.iso);
  clients.push(c);
  return c;
}

describe('acquirer edge hardening', () => {
  it('a garbage length header closes that connection only', async () => {
    await start();
    const good = await connect();
    const bad = await connect();
    bad.sock.write(Buffer.from('ABCD0200garbage'));
    await waitFor(() => bad.closed, 3000, 'bad connection closed');
    const r = await good.request(purchase(ONUS_PAN, 100));
    expect(r.fields[39]).toBe('00');
    expect(sw!.listeners[0].stats.garbageClosed).toBe(1);
  });

  it('a truncated body is answered 30; pure garbage in a good frame is dropped; the connection lives on', async () => {
    await start();
    const c = await connect();
    const m = purchase(ONUS_PAN, 100);
    const body = encode('iso87-ascii', m);
    const cut = body.subarray(0, body.length - 30);
    c.sock.write(Buffer.concat([Buffer.from(String(cut.length).padStart(4, '0')), cut]));
    const junk = Buffer.from('not an iso message at all');
    c.sock.write(Buffer.concat([Buffer.from(String(junk.length).padStart(4, '0')), junk]));
    await waitFor(() => c.received.length >= 1, 3000, 'answer to the truncated frame');
    expect(c.received[0].fields[39]).toBe('30');
    expect(c.received[0].fields[11]).toBe(m.fields[11]);
    const r = await c.request(purchase(ONUS_PAN, 200));
    expect(r.fields[39]).toBe('00');
    expect(c.received.length).toBe(2); // nothing answered the junk frame
    expect(sw!.listeners[0].stats.badFrames).toBe(1);
  });

  it('a client sending one byte at a time does not stall others and is cut off when the frame takes too long', async () => {
    await start({ idleTimeoutMs: 1200 });
    const slow = createConnection({ port: sw!.acquirerPorts.iso, host: '127.0.0.1' });
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    slow.on('error', () => {});
    const frame = Buffer.concat([Buffer.from('0300'), Buffer.alloc(300, 0x30)]);
    let i = 0;
    const drip = setInterval(() => (slow.destroyed ? clearInterval(drip) : slow.write(frame.subarray(i, ++i))), 100);
    const fast = await connect();
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => fast.request(purchase(ONUS_PAN, 100))));
    expect(answers.every((a) => a.fields[39] === '00')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    await waitFor(() => slowClosed, 5000, 'slow client cut off');
    clearInterval(drip);
    expect(sw!.listeners[0].stats.slowClosed).toBe(1);
  });

  it('answers leave in completion order (pipelining), not request order', async () => {
    await start();
    const c = await connect();
    const remote = purchase(panFor('4999'), 100); // the issuer takes 300 ms
    const onus = purchase(ONUS_PAN, 100); // the engine takes 1 ms
    const pr = c.request(remote);
    const po = c.request(onus);
    await Promise.all([pr, po]);
    expect(c.received.map((m) => m.fields[11])).toEqual([onus.fields[11], remote.fields[11]]);
  });

  it('past maxInFlight the socket is paused, and every request is still answered', async () => {
    const engine = await start({ maxInFlight: 4 }, 50);
    const c = await connect();
    const reqs = Array.from({ length: 40 }, () => purchase(ONUS_PAN, 100));
    const t0 = Date.now();
    const answers = await Promise.all(reqs.map((r) => c.request(r, 15_000)));
    expect(answers.every((a) => a.fields[39] === '00')).toBe(true);
    expect(engine.calls).toBe(40);
    expect(sw!.listeners[0].stats.paused).toBeGreaterThan(0);
    // 40 requests, 4 at a time, 50 ms each: at least ~10 rounds.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });

  it('closes idle connections', async () => {
    await start({ idleTimeoutMs: 300 });
    const c = await connect();
    await waitFor(() => c.closed, 3000, 'idle close');
    expect(sw!.listeners[0].stats.idleClosed).toBe(1);
  });

  it('graceful shutdown answers in-flight requests before closing', async () => {
    await start();
    const c = await connect();
    const p = c.request(purchase(panFor('4999'), 100)); // 300 ms at the issuer
    await waitFor(() => sw!.listeners[0].stats.requests === 1, 2000, 'request in flight');
    const closing = sw!.close();
    const r = await p;
    expect(r.fields[39]).toBe('00');
    await closing;
    sw = null;
  });
});
