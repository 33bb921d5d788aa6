// Remote-issuer money is journaled before the acquirer hears it (src/switch/remote-journal.ts): the mapping as a
// plain function, the records a running switch commits for remote approvals, stand-in and reversals, and two
// SIGKILLs of a real `gerbang start` process — between the issuer's approval and its journal record (recovery must
// reverse it at the issuer) and between the journal record and the answer (recovery must not).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { open, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHsmServer } from '../../hsm-sim/index.js';
import type { Txn } from '../../src/model/txn.js';
import { startSwitch, type RunningSwitch } from '../../src/runtime/index.js';
import { startIssuerSim, type IssuerSim, type ReceivedRequest } from '../../src/sim/index.js';
import { STATE_FILE } from '../../src/state/env.js';
import { openSettledStore, readSettled } from '../../src/stream/lmdb.js';
import type { SettledRecord } from '../../src/stream/types.js';
import { remoteSettledRecord } from '../../src/switch/remote-journal.js';
import { IsoClient, panFor, purchase, tempDir, testConfig, waitFor } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gerbang.js');

function txn(over: Partial<Txn> = {}): Txn {
  return { id: 't1', kind: 'purchase', mti: '0200', processingCode: '000000', pan: '4999111111111117', amount: 5000, currency: '360', stan: '000001', acquirerId: '100001', terminalId: 'TERM0001', merchantId: 'M1', channel: 'iso:iso', ...over };
}
const approved = (amount: number, standIn = false) => ({ txnId: 't1', responseCode: '00', approved: true, approvedAmount: amount, reasons: [], ...(standIn ? { standIn } : {}) });
const NOW = new Date('2026-12-02T10:00:00Z');

describe('remoteSettledRecord', () => {
  it('maps an approved purchase to a purchase record with the masked PAN only', () => {
    const r = remoteSettledRecord(txn(), approved(5000), 'bank-b', NOW)!;
    expect(r).toEqual({ id: 't1:purchase', kind: 'purchase', txnId: 't1', amount: 5000, currency: '360', merchantId: 'M1', acquirerId: '100001', issuerId: 'bank-b', occurredAt: '2026-12-02T10:00:00.000Z', panMasked: '499911******1117' });
    expect(JSON.stringify(r)).not.toContain('4999111111111117');
  });
  it('settles a partial approval at the approved amount, a stand-in approval as an advice', () => {
    expect(remoteSettledRecord(txn(), approved(1200), 'b', NOW)!.amount).toBe(1200);
    expect(remoteSettledRecord(txn(), approved(5000, true), 'b', NOW)!.kind).toBe('advice');
  });
  it('moves nothing for declines, cash and balance inquiries, or a reversal of something never settled', () => {
    expect(remoteSettledRecord(txn(), { ...approved(0), approved: false, responseCode: '51' }, 'b', NOW)).toBeUndefined();
    expect(remoteSettledRecord(txn({ kind: 'cash' }), approved(5000), 'b', NOW)).toBeUndefined();
    expect(remoteSettledRecord(txn({ kind: 'balance' }), approved(5000), 'b', NOW)).toBeUndefined();
    expect(remoteSettledRecord(txn({ kind: 'reversal' }), approved(5000), 'b', NOW)).toBeUndefined();
  });
  it('names the original for reversals and completions; a completion without one settles as a purchase', () => {
    const o = { txnId: 'p1', kind: 'preauth' as const };
    expect(remoteSettledRecord(txn({ kind: 'reversal' }), approved(5000), 'b', NOW, { txnId: 'p0', kind: 'purchase' })).toMatchObject({ kind: 'reversal', originalId: 'p0:purchase' });
    expect(remoteSettledRecord(txn({ kind: 'completion' }), approved(4000), 'b', NOW, o)).toMatchObject({ kind: 'completion', originalId: 'p1:preauth', amount: 4000 });
    const lone = remoteSettledRecord(txn({ kind: 'completion' }), approved(4000), 'b', NOW)!;
    expect(lone.kind).toBe('purchase');
    expect(lone.originalId).toBeUndefined();
  });
  it('carries a marketplace split on captures', () => {
    const split = { platformFee: 500, sellers: [{ sellerId: 's1', amount: 4500 }] };
    expect(remoteSettledRecord(txn({ split }), approved(5000), 'b', NOW)!.split).toEqual(split);
  });
});

function streamOf(dataDir: string): { root: RootDatabase; all: () => SettledRecord[] } {
  const root = open({ path: join(dataDir, STATE_FILE), maxDbs: 24, mapSize: 8 * 1024 ** 3, encoding: 'msgpack' });
  const store = openSettledStore(root);
  return { root, all: () => readSettled(store, 1, 10_000) };
}

describe('remote approvals on the settled stream (running switch)', () => {
  let sw: RunningSwitch;
  let iso: IsoClient;
  let stream: ReturnType<typeof streamOf>;
  beforeAll(async () => {
    sw = await startSwitch(testConfig(tempDir('rjournal'), { onus: false, issuer: { timeoutsBeforeStandIn: 1 } }), { hsmMode: 'in-process', issuerSim: { latencyMs: 1, jitterMs: 0, approveRate: 1 } });
    await waitFor(() => sw.issuers.get('bank-b')!.links[0].isUp, 5000, 'issuer link up');
    iso = await IsoClient.connect(sw.acquirerPorts.iso);
    stream = streamOf(sw.config.dataDir);
  }, 30_000);
  afterAll(async () => {
    iso?.close();
    await sw?.close();
    await stream?.root.close();
  });

  it('an approved remote purchase is on the stream (committed before the answer), and its reversal undoes it', async () => {
    const req = purchase(panFor('4999', 16, '7'), 7_700);
    const a = await iso.request(req);
    expect(a.fields[39]).toBe('00');
    // Read right after the answer, no waiting: the record was durable before the acquirer heard "00".
    const rec = stream.all().find((r) => r.amount === 7_700 && r.issuerId === 'bank-b')!;
    expect(rec).toMatchObject({ kind: 'purchase', currency: '360', merchantId: 'MERCHANT0000001', acquirerId: '100001', panMasked: '499977******' + (req.fields[2] as string).slice(-4) });
    const rev = purchase(req.fields[2] as string, 7_700, { 90: { 1: '0200', 2: req.fields[11] as string, 3: req.fields[7] as string, 4: '00000100001', 5: '00000000000' } });
    rev.mti = '0400';
    expect((await iso.request(rev)).fields[39]).toBe('00');
    const reversal = stream.all().find((r) => r.kind === 'reversal' && r.originalId === rec.id)!;
    expect(reversal).toMatchObject({ amount: 7_700, issuerId: 'bank-b' });
  });

  it('a balance inquiry moves nothing and leaves nothing on the stream', async () => {
    const before = stream.all().length;
    const r = await iso.request(purchase(panFor('5999', 16, '4'), 0, { 3: '310000' }));
    expect(r.fields[39]).toBe('00');
    expect(stream.all().length).toBe(before);
  });

  it('a stand-in approval while the issuer is away settles as an advice', async () => {
    await sw.issuerSim!.setMode('down');
    await waitFor(() => !sw.issuers.get('bank-b')!.links[0].isUp, 5000, 'issuer link down');
    const stood = purchase(panFor('4999', 16, '5'), 3_300);
    const r = await iso.request(stood);
    expect(r.fields[39]).toBe('00');
    expect(String(r.fields[38])).toMatch(/^S/);
    expect(stream.all().filter((x) => x.amount === 3_300).map((x) => x.kind)).toEqual(['advice']);
    // The acquirer reverses it: settlement must undo the advice it settled.
    const advice = stream.all().find((x) => x.amount === 3_300)!;
    const rev = purchase(r.fields[2] as string, 3_300, { 90: { 1: '0200', 2: stood.fields[11] as string, 3: stood.fields[7] as string, 4: '00000100001', 5: '00000000000' } });
    rev.mti = '0400';
    expect((await iso.request(rev)).fields[39]).toBe('00');
    expect(stream.all().find((x) => x.kind === 'reversal' && x.originalId === advice.id)).toMatchObject({ amount: 3_300 });
    await sw.issuerSim!.setMode('none');
    await waitFor(() => sw.issuers.get('bank-b')!.links[0].isUp, 10_000, 'issuer link back up');
  });
});

/** `gerbang start` as a real process against an HSM and an issuer simulator that live in this test process. */
function startProcess(configFile: string, pauseAt?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, GERBANG_LOG: 'warn' };
  if (pauseAt) env.GERBANG_PAUSE_AT = pauseAt;
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  const ready = new Promise<{ acquirerPorts: { iso: number } }>((res, rej) => {
    createInterface({ input: child.stdout! }).once('line', (l) => res(JSON.parse(l)));
    child.once('exit', (c) => rej(new Error(`switch exited ${c}: ${stderr.slice(-400)}`)));
  });
  return { child, ready, stderr: () => stderr };
}

/** A 0420/0421 at the issuer naming (DE 90.2) the request it saw with STAN `stan`. */
function reverses(r: ReceivedRequest, stan: string): boolean {
  return r.mti.startsWith('042') && typeof r.original === 'object' && r.original['2'] === stan;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

describe('crash between the issuer approval and the answer (SIGKILL, restart)', () => {
  let hsm: Awaited<ReturnType<typeof startHsmServer>>;
  let sim: IssuerSim;
  beforeAll(async () => {
    hsm = await startHsmServer({ host: '127.0.0.1', port: 0 });
    sim = await startIssuerSim({ spec: 'iso87-bcd', framing: 'len2', latencyMs: 1, jitterMs: 0, approveRate: 1 });
  });
  afterAll(async () => {
    await sim?.close();
    await hsm?.close();
  });

  function writeConfig(tag: string): { file: string; dataDir: string } {
    const dir = tempDir(tag);
    const cfg = testConfig(join(dir, 'data'), { onus: false, issuer: { links: [{ name: 'primary', host: '127.0.0.1', port: sim.port }], requestTimeoutMs: 2000 } }) as unknown as Record<string, unknown>;
    cfg.hsm = { simulator: false, host: '127.0.0.1', port: hsm.port };
    delete cfg.issuerSimulator;
    delete cfg.http;
    delete cfg.settlement;
    const file = join(dir, 'switch.json');
    writeFileSync(file, JSON.stringify(cfg));
    return { file, dataDir: join(dir, 'data') };
  }

  async function crashAt(point: string, amount: number): Promise<{ dataDir: string; file: string; seenStan: string }> {
    const { file, dataDir } = writeConfig(`rj-${point}`);
    const signOns = () => sim.recent().filter((r) => r.mti === '0800' && r.networkCode === '001').length;
    const before = signOns();
    const p = startProcess(file, point);
    try {
      const ready = await p.ready;
      // Only once the link has signed on does a purchase go to the issuer (before that it would be stood in).
      await waitFor(() => signOns() > before, 10_000, 'sign-on at the issuer');
      const iso = await IsoClient.connect(ready.acquirerPorts.iso);
      void iso.request(purchase(panFor('4999', 16, '8'), amount), 30_000).catch(() => {});
      await waitFor(() => p.stderr().includes(`PAUSED ${point}`), 15_000, `pause at ${point}`);
      await killed(p.child);
      iso.close();
    } finally {
      await killed(p.child);
    }
    const seen = sim.recent().find((r) => r.mti === '0200' && Number(r.amount) === amount)!;
    expect(seen).toBeDefined();
    return { dataDir, file, seenStan: seen.stan! };
  }

  it('killed after the approval and before its journal record: the restart reverses it at the issuer', async () => {
    const { dataDir, file, seenStan } = await crashAt('remote.answered', 81_000);
    const again = startProcess(file);
    try {
      await again.ready;
      await waitFor(() => sim.recent().some((r) => reverses(r, seenStan)), 10_000, 'the owed 0420 at the issuer');
      const rev = sim.recent().find((r) => reverses(r, seenStan))!;
      expect(rev.amount).toBe('000000081000');
      expect(rev.responseCode).toBe('68');
      const s = streamOf(dataDir);
      expect(s.all().some((r) => r.amount === 81_000)).toBe(false); // nobody was told "approved": nothing settles
      await s.root.close();
    } finally {
      await killed(again.child);
    }
  }, 60_000);

  it('killed after the journal record and before the answer: the restart keeps it and reverses nothing', async () => {
    const { dataDir, file, seenStan } = await crashAt('remote.journaled', 82_000);
    const s = streamOf(dataDir);
    expect(s.all().filter((r) => r.amount === 82_000).map((r) => r.kind)).toEqual(['purchase']);
    const again = startProcess(file);
    try {
      await again.ready;
      // SAF retries every 200 ms here: a reversal owed would have reached the issuer well within 1.5 s.
      await new Promise((r) => setTimeout(r, 1500));
      expect(sim.recent().some((r) => reverses(r, seenStan))).toBe(false);
    } finally {
      await killed(again.child);
      await s.root.close();
    }
  }, 60_000);
});
