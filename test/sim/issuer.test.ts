import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { decode, encode, frame } from '../../codecs/index.js';
import { startIssuerSim, type IssuerSim } from '../../src/sim/index.js';
import { connectClient, financial, network, type TestClient } from './client.js';

let sim: IssuerSim | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim?.close();
  sim = undefined;
});

async function client(port: number): Promise<TestClient> {
  const c = await connectClient(port);
  clients.push(c);
  return c;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      // Accepted at the TCP level: refused only if the server closes it at once.
      s.once('close', () => resolve(true));
      setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 300);
    });
    s.once('error', () => resolve(true));
  });
}

describe('issuer simulator (iso87-bcd, len2 over a real socket)', () => {
  it('answers sign-on, echo and sign-off with 0810 / 00 and counts them', async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0 });
    const c = await client(sim.port);
    for (const [code, stan] of [['001', '000001'], ['301', '000002'], ['002', '000003']]) {
      c.send(network(code, stan));
      const r = await c.next();
      expect(r.mti).toBe('0810');
      expect(r.fields[39]).toBe('00');
      expect(r.fields[11]).toBe(stan);
      expect(r.fields[70]).toBe(code);
    }
    const st = sim.stats();
    expect([st.signOns, st.echoes, st.signOffs]).toEqual([1, 1, 1]);
    expect(st.received['0800']).toBe(3);
  });

  it('approves with an auth code, declines with 51, by the configured rate', async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, approveRate: 1 });
    let c = await client(sim.port);
    c.send(financial('0200', '000010'));
    let r = await c.next();
    expect(r.mti).toBe('0210');
    expect(r.fields[39]).toBe('00');
    expect(r.fields[38]).toMatch(/^\d{6}$/);
    expect(r.fields[11]).toBe('000010');
    expect(r.fields[41]).toBe('TERM0001');
    expect(r.fields[4]).toBe('000000012500');
    c.send(financial('0100', '000011', { 3: '310000', 4: '000000000000' }));
    r = await c.next();
    expect(r.mti).toBe('0110');
    expect(r.fields[54]).toMatch(/^0002360C\d{12}$/);
    await sim.close();

    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, approveRate: 0 });
    c = await client(sim.port);
    c.send(financial('0100', '000012'));
    r = await c.next();
    expect(r.mti).toBe('0110');
    expect(r.fields[39]).toBe('51');
    expect(r.fields[38]).toBeUndefined();
    expect(sim.stats().declined).toBe(1);
  });

  it('approve rate is seeded: same seed, same decisions; about the rate asked for', async () => {
    const run = async (seed: number) => {
      sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, approveRate: 0.5, seed });
      const c = await client(sim.port);
      const codes: string[] = [];
      for (let i = 1; i <= 200; i++) c.send(financial('0200', String(i).padStart(6, '0')));
      for (let i = 1; i <= 200; i++) codes.push((await c.next()).fields[39] as string);
      await sim.close();
      c.close();
      return codes.join(',');
    };
    const a = await run(42);
    const b = await run(42);
    const other = await run(43);
    expect(a).toBe(b);
    expect(a).not.toBe(other);
    const approved = a.split(',').filter((x) => x === '00').length;
    expect(approved).toBeGreaterThan(70);
    expect(approved).toBeLessThan(130);
  });

  it('acknowledges reversals and advices and records them for assertions', async () => {
    sim = await startIssuerSim({ latencyMs: 1, jitterMs: 0 });
    const c = await client(sim.port);
    const de90 = { 1: '0200', 2: '000020', 3: '1125120000', 4: '00000123456', 5: '00000000000' };
    c.send(financial('0400', '000021', { 90: de90 }));
    expect((await c.next()).mti).toBe('0410');
    c.send(financial('0420', '000022', { 90: de90, 39: '68' }));
    const r = await c.next();
    expect(r.mti).toBe('0430');
    expect(r.fields[39]).toBe('00');
    c.send(financial('0120', '000023'));
    expect((await c.next()).mti).toBe('0130');
    const st = sim.stats();
    expect(st.reversals).toBe(2);
    expect(st.advices).toBe(1);
    const rev = sim.recent().find((x) => x.mti === '0420');
    expect(rev?.stan).toBe('000022');
    expect(rev?.original).toMatchObject({ 2: '000020' });
    expect(rev?.responseCode).toBe('68');
    expect(rev?.pan).toBe('476173******0119');
  });

  it('survives garbage: an undecodable frame is counted and skipped, an oversized frame closes only that connection', async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0 });
    const c = await client(sim.port);
    c.sendRaw(frame(Buffer.from('not an iso message at all'), { lengthHeader: 'len2' }));
    c.send(network('301', '000030'));
    expect((await c.next()).fields[11]).toBe('000030');
    expect(sim.stats().decodeErrors).toBe(1);

    const bad = await client(sim.port);
    bad.sendRaw(Buffer.from([0xff, 0xff, 1, 2, 3])); // declares 65535 bytes > maxFrame 8192
    await bad.closed;
    expect(sim.stats().badFrames).toBe(1);
    c.send(network('301', '000031'));
    expect((await c.next()).fields[11]).toBe('000031');
  });

  it("fail 'down' refuses connections until set back", async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, fail: 'down' });
    expect(await refused(sim.port)).toBe(true);
    await sim.setMode('none');
    const c = await client(sim.port);
    c.send(network('001', '000040'));
    expect((await c.next()).mti).toBe('0810');
    await sim.setMode('down');
    await c.closed; // open connections are closed too
    expect(await refused(sim.port)).toBe(true);
  });

  it("fail 'slow' answers financial requests after slowMs; echoes stay prompt", async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, fail: 'slow', slowMs: 400 });
    const c = await client(sim.port);
    const t0 = performance.now();
    c.send(financial('0200', '000050'));
    c.send(network('301', '000051'));
    const first = await c.next();
    expect(first.mti).toBe('0810');
    expect(performance.now() - t0).toBeLessThan(300);
    const second = await c.next(2000);
    expect(second.mti).toBe('0210');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    expect(sim.stats().slowed).toBe(1);
  });

  it("fail 'drop' never answers the dropped share", async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, fail: 'drop', dropRate: 1 });
    const c = await client(sim.port);
    for (let i = 0; i < 5; i++) c.send(financial('0200', String(60 + i).padStart(6, '0')));
    c.send(network('301', '000070'));
    const r = await c.next();
    expect(r.mti).toBe('0810');
    await expect(c.next(300)).rejects.toThrow(/no answer/);
    expect(sim.stats().dropped).toBe(5);
    expect(sim.stats().received['0200']).toBe(5);
  });

  it("fail 'garble' sends well-framed answers that do not decode", async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, fail: 'garble', garbleRate: 1 });
    const c = await client(sim.port);
    for (let i = 0; i < 3; i++) c.send(financial('0200', String(80 + i).padStart(6, '0')));
    for (let i = 0; i < 3; i++) {
      const raw = await c.nextRaw();
      expect(() => decode('iso87-bcd', raw)).toThrow();
    }
    c.send(network('301', '000090'));
    expect((await c.next()).mti).toBe('0810'); // the stream is still in step
    expect(sim.stats().garbled).toBe(3);
  });

  it('speaks another dialect when asked (iso87-ascii, ascii4)', async () => {
    sim = await startIssuerSim({ latencyMs: 0, jitterMs: 0, spec: 'iso87-ascii', framing: 'ascii4', approveRate: 1 });
    const c = await connectClient(sim.port, 'iso87-ascii', { lengthHeader: 'ascii4' });
    clients.push(c);
    c.send(financial('0200', '000100'));
    const r = await c.next();
    expect(r.fields[39]).toBe('00');
    // sanity: the bytes really are ASCII framing
    expect(encode('iso87-ascii', r).subarray(0, 4).toString('latin1')).toBe('0210');
  });
});
