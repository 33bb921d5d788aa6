// Stand-in: the rules as a plain function, and the whole path — issuer down → failover to the backup link → both
// down → stand-in decisions → 0120 advices delivered once the issuer is back.
import { afterEach, describe, expect, it } from 'vitest';
import type { StandInRules } from '../../src/config/types.js';
import type { Txn } from '../../src/model/txn.js';
import { standIn } from '../../src/issuer/standin.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { startIssuerSim, type IssuerSim } from '../../src/sim/index.js';
import { IsoClient, panFor, purchase, tempDir, testConfig, waitFor } from '../switch/helpers.js';

const rules: StandInRules = {
  enabled: true,
  floorLimit: 10_000,
  maxCountPerDay: 2,
  maxAmountPerDay: 15_000,
  allowedKinds: ['purchase'],
  blockedMcc: ['7995'],
  checkExpiry: true,
  declinePin: true,
  declineCode: '05',
  onTimeout: false,
};
const now = new Date('2026-11-25T12:00:00Z');
const txn = (over: Partial<Txn> = {}): Txn => ({ id: 't1', kind: 'purchase', mti: '0200', processingCode: '000000', pan: '4999111111111116', expiry: '3012', amount: 5_000, currency: '360', stan: '000001', acquirerId: '100001', channel: 'iso:iso', ...over });

describe('stand-in rules', () => {
  it('approves within the floor limit and velocity, marking the decision as stood-in', () => {
    const r = standIn(txn(), rules, undefined, now, 1);
    expect(r.decision).toMatchObject({ responseCode: '00', approved: true, approvedAmount: 5_000, standIn: true });
    expect(r.decision.authCode).toMatch(/^S\d{5}$/);
    expect(r.velocity).toEqual({ day: '20261125', count: 1, amount: 5_000 });
  });

  it('declines above the floor, past velocity, expired, blocked MCC, PIN, other kinds', () => {
    expect(standIn(txn({ amount: 10_001 }), rules, undefined, now, 1).decision.responseCode).toBe('61');
    expect(standIn(txn(), rules, { day: '20261125', count: 2, amount: 0 }, now, 1).decision.responseCode).toBe('65');
    expect(standIn(txn({ amount: 6_000 }), rules, { day: '20261125', count: 1, amount: 10_000 }, now, 1).decision.responseCode).toBe('61');
    expect(standIn(txn(), rules, { day: '20261124', count: 2, amount: 15_000 }, now, 1).decision.responseCode).toBe('00'); // yesterday's counters
    expect(standIn(txn({ expiry: '2610' }), rules, undefined, now, 1).decision.responseCode).toBe('54');
    expect(standIn(txn({ mcc: '7995' }), rules, undefined, now, 1).decision.responseCode).toBe('57');
    expect(standIn(txn({ pin: { block: '0123456789ABCDEF', format: '01', keyRef: 'tpk.demo' } }), rules, undefined, now, 1).decision.responseCode).toBe('55');
    expect(standIn(txn({ kind: 'cash', processingCode: '010000' }), rules, undefined, now, 1).decision.responseCode).toBe('05');
    expect(standIn(txn(), { ...rules, enabled: false }, undefined, now, 1).decision.responseCode).toBe('91');
  });
});

let sims: IssuerSim[] = [];
let sw: RunningSwitch | null = null;
afterEach(async () => {
  await sw?.close();
  for (const s of sims) await s.close();
  sims = [];
  sw = null;
});

describe('failover and stand-in end to end', () => {
  it('fails over to the backup link, stands in when both are down, and delivers 0120 advices after recovery', async () => {
    const primary = await startIssuerSim({ latencyMs: 1, jitterMs: 0, approveRate: 1 });
    const backup = await startIssuerSim({ latencyMs: 1, jitterMs: 0, approveRate: 1 });
    sims.push(primary, backup);
    const cfg = testConfig(tempDir('stip'), {
      onus: false,
      raw: { issuerSimulator: null, engine: { provisionDemo: false } },
      issuer: {
        links: [
          { name: 'primary', port: primary.port },
          { name: 'backup', port: backup.port },
        ],
        zpkRef: null,
        reconnectInitialMs: 50,
        reconnectMaxMs: 100,
        safRetryMs: 100,
        standIn: { floorLimit: 50_000, maxCountPerDay: 5, maxAmountPerDay: 100_000 },
      },
    });
    sw = await startSwitch(cfg, { hsmMode: 'in-process', onus: null, log: createLogger({}, 'error') });
    const bank = sw.issuers.get('bank-b')!;
    await waitFor(() => bank.links.every((l) => l.isUp), 3000, 'both links up');
    const client = await IsoClient.connect(sw.acquirerPorts.iso);
    const pan = panFor('5999');

    // 1. Normal: the primary answers.
    let r = await client.request(purchase(pan, 1_000));
    expect(r.fields[39]).toBe('00');
    expect(primary.stats().received['0200']).toBe(1);

    // 2. Primary down → the backup link answers.
    await primary.setMode('down');
    await waitFor(() => !bank.links[0].isUp, 3000, 'primary down');
    r = await client.request(purchase(pan, 2_000));
    expect(r.fields[39]).toBe('00');
    expect(backup.stats().received['0200']).toBe(1);

    // 3. Both down → stand-in: within the floor approved (auth code S…), above it declined; nothing reaches a host.
    await backup.setMode('down');
    await waitFor(() => bank.unavailable, 3000, 'issuer unavailable');
    r = await client.request(purchase(pan, 3_000));
    expect(r.fields[39]).toBe('00');
    expect(r.fields[38]).toMatch(/^S\d{5}$/);
    r = await client.request(purchase(pan, 60_000));
    expect(r.fields[39]).toBe('61');
    expect(bank.status().safDepth).toBe(2);

    // 4. The primary comes back: both advices go out as 0120 and are acknowledged.
    await primary.setMode('none');
    await waitFor(() => bank.status().safDepth === 0, 5000, 'advices delivered');
    const advices = primary.recent().filter((x) => x.mti === '0120' || x.mti === '0121');
    expect(advices.map((a) => a.amount).sort()).toEqual(['000000003000', '000000060000']);
    expect(advices.map((a) => a.responseCode).sort()).toEqual(['00', '61']);
    client.close();
  }, 30_000);

  it('stands in after repeated timeouts, without waiting, until the issuer answers again (its SAF acknowledgements)', async () => {
    const sim = await startIssuerSim({ fail: 'slow', slowMs: 60_000, latencyMs: 1, jitterMs: 0, approveRate: 1 });
    sims.push(sim);
    const cfg = testConfig(tempDir('stip-to'), {
      onus: false,
      raw: { issuerSimulator: null, engine: { provisionDemo: false } },
      issuer: { links: [{ name: 'primary', port: sim.port }], zpkRef: null, requestTimeoutMs: 250, timeoutsBeforeStandIn: 2, safRetryMs: 100 },
    });
    sw = await startSwitch(cfg, { hsmMode: 'in-process', onus: null, log: createLogger({}, 'silent') });
    const bank = sw.issuers.get('bank-b')!;
    await waitFor(() => bank.links[0].isUp, 3000, 'link up');
    const client = await IsoClient.connect(sw.acquirerPorts.iso);
    const pan = panFor('4999', 16, '7');
    expect((await client.request(purchase(pan, 1_000))).fields[39]).toBe('91');
    expect((await client.request(purchase(pan, 1_100))).fields[39]).toBe('91');
    expect(bank.unavailable).toBe(true);
    const forwarded = sim.stats().received['0200'] ?? 0;
    const stood = await client.request(purchase(pan, 1_200));
    // Decided here, not after another timeout: the (slow) issuer never saw it. (Not a wall-clock bound: CI is loaded.)
    expect(sim.stats().received['0200'] ?? 0).toBe(forwarded);
    expect(stood.fields[39]).toBe('00');
    expect(stood.fields[38]).toMatch(/^S\d{5}$/);
    // The issuer recovers: its 0430s for the queued reversals clear the timeout streak; traffic goes to it again.
    await sim.setMode('none');
    await waitFor(() => !bank.unavailable && bank.status().safDepth === 0, 5000, 'issuer answering again');
    const back = await client.request(purchase(pan, 1_300));
    expect(back.fields[39]).toBe('00');
    expect(back.fields[38]).toMatch(/^\d{6}$/);
    client.close();
  }, 30_000);
});
