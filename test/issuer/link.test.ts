// The issuer link against the real issuer simulator: sign-on, echo on idle, reconnect after the host goes down,
// request/response matching, per-request timeout, sign-off, and the backoff schedule.
import { afterEach, describe, expect, it } from 'vitest';
import { getSpec } from '../../codecs/index.js';
import { IssuerLink, LinkNoAnswerError, LinkUnavailableError, backoffDelay } from '../../src/issuer/link.js';
import { createLogger } from '../../src/runtime/log.js';
import { startIssuerSim, type IssuerSim } from '../../src/sim/index.js';
import { waitFor } from '../switch/helpers.js';

const quiet = createLogger({}, 'silent');
let sim: IssuerSim | null = null;
let link: IssuerLink | null = null;

afterEach(async () => {
  await link?.close();
  await sim?.close();
  link = sim = null;
});

function makeLink(port: number, over: Partial<ConstructorParameters<typeof IssuerLink>[0]> = {}): IssuerLink {
  return new IssuerLink({
    issuerId: 'bank-b',
    name: 'primary',
    host: '127.0.0.1',
    port,
    spec: getSpec('iso87-bcd'),
    framing: { lengthHeader: 'len2' },
    connectTimeoutMs: 1000,
    requestTimeoutMs: 300,
    echoIntervalMs: 60_000,
    signOn: true,
    reconnectInitialMs: 20,
    reconnectMaxMs: 200,
    maxInFlight: 100,
    log: quiet,
    ...over,
  });
}

const auth = (stan: string) => ({
  mti: '0100',
  fields: { 2: '4999111111111116', 3: '000000', 4: '000000001000', 7: '1125120000', 11: stan, 32: '100001', 37: 'RRN000000001', 41: 'TERM0001', 49: '360' },
});

describe('issuer link', () => {
  it('signs on, matches answers by STAN, echoes when idle and signs off on close', async () => {
    sim = await startIssuerSim({ latencyMs: 1, jitterMs: 0, approveRate: 1 });
    link = makeLink(sim.port, { echoIntervalMs: 100 });
    link.start();
    await waitFor(() => link!.isUp, 3000, 'link up');
    expect(sim.stats().signOns).toBe(1);
    const stans = [link.nextStan(), link.nextStan(), link.nextStan()];
    expect(new Set(stans).size).toBe(3);
    const answers = await Promise.all(stans.map((s) => link!.request(auth(s))));
    expect(answers.map((a) => a.fields[11])).toEqual(stans);
    expect(answers.every((a) => a.mti === '0110' && a.fields[39] === '00')).toBe(true);
    await waitFor(() => sim!.stats().echoes >= 1, 3000, 'echo test');
    await link.close();
    expect(sim.stats().signOffs).toBe(1);
    expect(link.state).toBe('closed');
  });

  it('times out a request the host never answers, as "no answer" (the caller reverses it)', async () => {
    sim = await startIssuerSim({ fail: 'slow', slowMs: 2000 });
    link = makeLink(sim.port);
    link.start();
    await waitFor(() => link!.isUp, 3000, 'link up');
    const t0 = Date.now();
    await expect(link.request(auth(link.nextStan()))).rejects.toBeInstanceOf(LinkNoAnswerError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(link.stats.timeouts).toBe(1);
  });

  it('reconnects and signs on again after the host goes down and comes back; refuses while down', async () => {
    sim = await startIssuerSim({ latencyMs: 1 });
    link = makeLink(sim.port);
    link.start();
    await waitFor(() => link!.isUp, 3000, 'link up');
    await sim.setMode('down');
    await waitFor(() => !link!.isUp, 3000, 'link down');
    await expect(link.request(auth('000001'))).rejects.toBeInstanceOf(LinkUnavailableError);
    await sim.setMode('none');
    await waitFor(() => link!.isUp, 5000, 'link up again');
    expect(sim.stats().signOns).toBe(2);
    expect(link.stats.connects).toBe(2);
  });

  it('backoff grows exponentially to the cap with 50–100 % jitter', () => {
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(800);
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(400);
    expect(backoffDelay(20, 100, 5000, () => 1)).toBe(5000);
  });
});
