// The HSM's power-up self-test: every KAT passes against its published vector, each KAT is live (one flipped bit of
// its expected value, or a broken crypto function, makes exactly that KAT fail), and startHsmServer refuses to start
// on a failure and logs the pass otherwise.
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSelfTest, SELF_TEST_KATS } from '../../hsm-sim/selftest.js';
import { startHsmServer } from '../../hsm-sim/server.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.on('connect', () => (sock.destroy(), resolve(false)));
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('runSelfTest', () => {
  it('passes every KAT with the default rounds', () => {
    const r = runSelfTest();
    expect(r).toMatchObject({ ok: true, failed: [], kats: SELF_TEST_KATS.length });
    expect(r.kats).toBe(19);
    expect(r.ms).toBeGreaterThan(0);
  });

  it.each(SELF_TEST_KATS.map((k) => [k]))('KAT %s fails (alone) when one bit of its expected value is flipped', (name) => {
    const r = runSelfTest({ rounds: 1, corrupt: name });
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual([name]);
  });

  it('rejects a non-positive round count', () => {
    expect(() => runSelfTest({ rounds: 0 })).toThrow(/rounds/);
  });
});

// A broken crypto function, not a corrupted expectation: the module is replaced for a fresh import of the self-test.
describe('a broken crypto function fails its KATs', () => {
  afterEach(() => {
    vi.doUnmock('../../hsm-sim/crypto/cards.js');
    vi.doUnmock('../../hsm-sim/crypto/mac.js');
    vi.resetModules();
  });
  const flipLastByte = (b: Buffer): Buffer => {
    const out = Buffer.from(b);
    out[out.length - 1] ^= 0x01;
    return out;
  };

  it('a Visa CVV off by one digit fails visa-cvv only', async () => {
    vi.resetModules();
    vi.doMock('../../hsm-sim/crypto/cards.js', async (orig) => {
      const m = await orig<typeof import('../../hsm-sim/crypto/cards.js')>();
      return { ...m, visaCvv: (...a: Parameters<typeof m.visaCvv>) => String((Number(m.visaCvv(...a)) + 1) % 1000).padStart(3, '0') };
    });
    const { runSelfTest: fresh } = await import('../../hsm-sim/selftest.js');
    expect(fresh({ rounds: 1 }).failed).toEqual(['visa-cvv']);
  });

  it('a retail MAC with one flipped bit fails mac-9797-1-alg3 and the EMV cryptograms built on it', async () => {
    vi.resetModules();
    vi.doMock('../../hsm-sim/crypto/mac.js', async (orig) => {
      const m = await orig<typeof import('../../hsm-sim/crypto/mac.js')>();
      return { ...m, macIso9797Alg3: (...a: Parameters<typeof m.macIso9797Alg3>) => flipLastByte(m.macIso9797Alg3(...a)) };
    });
    const { runSelfTest: fresh } = await import('../../hsm-sim/selftest.js');
    expect(fresh({ rounds: 1 }).failed).toEqual(['emv-arqc-arpc', 'mac-9797-1-alg3']);
  });

  it('startHsmServer refuses to start (throws, does not listen) when a KAT fails', async () => {
    vi.resetModules();
    vi.doMock('../../hsm-sim/crypto/mac.js', async (orig) => {
      const m = await orig<typeof import('../../hsm-sim/crypto/mac.js')>();
      return { ...m, aesCmac: (...a: Parameters<typeof m.aesCmac>) => flipLastByte(m.aesCmac(...a)) };
    });
    const { startHsmServer: freshStart } = await import('../../hsm-sim/server.js');
    const port = await freePort();
    const logs: string[] = [];
    await expect(freshStart({ port, log: (l) => logs.push(l) })).rejects.toThrow(/self-test failed \(aes-cmac\), refusing to start/);
    expect(logs).toEqual([]);
    expect(await refused(port)).toBe(true);
  });
});

describe('startHsmServer and the self-test', () => {
  it('logs one pass line through opts.log and reports the result in stats()', async () => {
    const logs: string[] = [];
    const s = await startHsmServer({ port: 0, log: (l) => logs.push(l) });
    try {
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^hsm: self-test passed \(19 KATs, \d+(\.\d)? ms\)$/);
      const st = s.stats().selfTest;
      expect(st).not.toBeNull();
      expect(st!.kats).toBe(19);
      expect(logs[0]).toContain(`${st!.ms} ms`);
    } finally {
      await s.close();
    }
  });
  it('selfTest: false skips it: no log line, stats().selfTest is null', async () => {
    const logs: string[] = [];
    const s = await startHsmServer({ port: 0, selfTest: false, log: (l) => logs.push(l) });
    try {
      expect(logs).toEqual([]);
      expect(s.stats().selfTest).toBeNull();
    } finally {
      await s.close();
    }
  });
});
