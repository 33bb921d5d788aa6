// The client's failure behaviour: an HSM that is down, silent, or restarted gives HsmUnavailableError quickly and
// recovers; pipelining across the pool keeps answers matched to their requests.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHsmServer, type HsmServer } from '../../hsm-sim/server.js';
import { createHsmClient, type HsmClient } from '../../src/hsm/client.js';
import { HsmUnavailableError } from '../../src/hsm/api.js';
import * as c from '../../hsm-sim/crypto/index.js';
import { formKey } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
function track(client: HsmClient): HsmClient {
  cleanups.push(() => client.close());
  return client;
}

describe('HSM client', () => {
  it('HSM down: HsmUnavailableError at once, no hang', async () => {
    const client = track(createHsmClient({ host: '127.0.0.1', port: await freePort(), timeoutMs: 5000 }));
    const t0 = Date.now();
    await expect(client.diagnostics()).rejects.toBeInstanceOf(HsmUnavailableError);
    // Within the retry window it fails fast without even dialling.
    await expect(client.diagnostics()).rejects.toBeInstanceOf(HsmUnavailableError);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('HSM silent: each request fails after timeoutMs with HsmUnavailableError', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const sockets: net.Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    cleanups.push(() => new Promise<void>((r) => { sockets.forEach((s) => s.destroy()); silent.close(() => r()); }));
    const client = track(createHsmClient({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, timeoutMs: 200 }));
    const t0 = Date.now();
    const results = await Promise.allSettled([client.diagnostics(), client.diagnostics(), client.diagnostics()]);
    const took = Date.now() - t0;
    for (const r of results) expect(r.status === 'rejected' && r.reason instanceof HsmUnavailableError).toBe(true);
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(3000); // generous: the box is shared; the point is 'bounded', not 'fast'
  });

  it('reconnects after the HSM restarts on the same port', async () => {
    let server: HsmServer = await startHsmServer({ port: 0, log: () => {} });
    const port = server.port;
    const client = track(createHsmClient({ host: '127.0.0.1', port, timeoutMs: 300 }));
    expect((await client.diagnostics()).firmware).toHaveLength(9);
    await server.close();
    await expect(client.diagnostics()).rejects.toBeInstanceOf(HsmUnavailableError);
    server = await startHsmServer({ port, log: () => {} });
    cleanups.push(() => server.close());
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      ok = await client.diagnostics().then(() => true, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ok).toBe(true);
  });

  it('thousands of concurrent requests across the pool each get their own answer (sequence headers checked)', async () => {
    const server = await startHsmServer({ port: 0, log: () => {} });
    cleanups.push(() => server.close());
    const client = track(createHsmClient({ host: '127.0.0.1', port: server.port, connections: 3, timeoutMs: 30_000 })); // matching, not speed, is under test
    const cvk = formKey('CVK', '0123456789ABCDEFFEDCBA9876543210');
    const clear = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
    const pans = Array.from({ length: 3000 }, (_, i) => '4' + String(100000000000000 + i * 7919).padStart(15, '0'));
    const got = await Promise.all(pans.map((pan) => client.generateCvv({ cvk, pan, expiry: '2712', serviceCode: '201' })));
    got.forEach((v, i) => expect(v).toBe(c.visaCvv(clear, pans[i], '2712', '201')));
  });

  it('after close(), requests fail with HsmUnavailableError', async () => {
    const server = await startHsmServer({ port: 0, log: () => {} });
    cleanups.push(() => server.close());
    const client = createHsmClient({ host: '127.0.0.1', port: server.port });
    await client.diagnostics();
    await client.close();
    await expect(client.diagnostics()).rejects.toBeInstanceOf(HsmUnavailableError);
  });
});
