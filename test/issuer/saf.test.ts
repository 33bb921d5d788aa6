// Timeout → 91 + 0420 reversal kept in the LMDB store-and-forward queue, repeated as 0421 until a 0430 arrives —
// across a switch restart. Real switch, real issuer simulator process-local, real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { startIssuerSim, type IssuerSim } from '../../src/sim/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { IsoClient, panFor, purchase, tempDir, testConfig, waitFor } from '../switch/helpers.js';

const quiet = createLogger({}, 'error');
let sims: IssuerSim[] = [];
let switches: RunningSwitch[] = [];

afterEach(async () => {
  for (const s of switches) await s.close();
  for (const s of sims) await s.close();
  sims = [];
  switches = [];
});

function config(dataDir: string, simPort: number) {
  return testConfig(dataDir, {
    onus: false,
    raw: { issuerSimulator: null, engine: { provisionDemo: false } },
    issuer: { links: [{ name: 'primary', port: simPort }], requestTimeoutMs: 300, safRetryMs: 150, timeoutsBeforeStandIn: 100, zpkRef: null },
  });
}

describe('timeout reversal through SAF', () => {
  it('answers 91, queues a 0420, repeats it as 0421 until acknowledged, surviving a restart', async () => {
    const sim = await startIssuerSim({ fail: 'slow', slowMs: 60_000, latencyMs: 1, jitterMs: 0 });
    sims.push(sim);
    const dataDir = tempDir('saf');
    let sw = await startSwitch(config(dataDir, sim.port), { hsmMode: 'in-process', onus: null, log: quiet });
    switches.push(sw);
    await waitFor(() => sw.issuers.get('bank-b')!.links[0].isUp, 3000, 'link up');
    const client = await IsoClient.connect(sw.acquirerPorts.iso);
    const req = purchase(panFor('4999'), 77_700);
    const t0 = Date.now();
    const r = await client.request(req);
    client.close();
    expect(r.fields[39]).toBe('91');
    expect(Date.now() - t0).toBeLessThan(2000);
    // The original 0200 and a 0420 naming it reached the issuer; repeats follow as 0421 (the issuer is still slow).
    await waitFor(() => sim.recent().some((x) => x.mti === '0421'), 5000, 'a 0421 repeat');
    const sent0200 = sim.recent().find((x) => x.mti === '0200' && x.amount === '000000077700')!;
    const rev = sim.recent().find((x) => x.mti === '0420')!;
    expect(rev).toBeDefined();
    expect(rev.responseCode).toBe('68');
    expect(rev.amount).toBe('000000077700');
    expect((rev.original as Record<string, string>)['2']).toBe(sent0200.stan);
    expect(sw.issuers.get('bank-b')!.status().safDepth).toBe(1);

    // Restart: the reversal is still queued and goes out again as a repeat.
    await sw.close();
    switches = [];
    const repeatsBefore = sim.recent().filter((x) => x.mti === '0421').length;
    sw = await startSwitch(config(dataDir, sim.port), { hsmMode: 'in-process', onus: null, log: quiet });
    switches.push(sw);
    expect(sw.issuers.get('bank-b')!.status().safDepth).toBe(1);
    await waitFor(() => sim.recent().filter((x) => x.mti === '0421').length > repeatsBefore, 5000, '0421 after restart');
    expect(sim.recent().filter((x) => x.mti === '0420').length).toBe(1);

    // The issuer recovers: the next repeat is acknowledged with 0430 and the queue empties.
    await sim.setMode('none');
    await waitFor(() => sw.issuers.get('bank-b')!.status().safDepth === 0, 5000, 'SAF drained');
    const acks = sim.stats().answered;
    expect((acks['0430'] ?? 0) + (acks['0431'] ?? 0)).toBeGreaterThanOrEqual(1);
    const sentAfter = sim.recent().length;
    await new Promise((r) => setTimeout(r, 400));
    expect(sim.recent().slice(sentAfter).filter((x) => x.mti.startsWith('042'))).toEqual([]);
  }, 30_000);
});
