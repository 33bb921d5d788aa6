// Shared set-up for engine tests: a provisioned temp data dir, a real HSM simulator on a free port, txn builders
// and the money invariants every test checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startHsmServer, type HsmServer } from '../../hsm-sim/index.js';
import { createHsmClient } from '../../src/hsm/client.js';
import type { HsmApi } from '../../src/hsm/api.js';
import type { Txn, TxnKind } from '../../src/model/txn.js';
import { closeState, openState, unlockState, type State } from '../../src/state/env.js';
import { provision, type ProvisionInput } from '../../src/state/provision.js';
import { demoCard, demoProvisionInput } from '../../src/demo/portfolio.js';
import type { EngineContext } from '../../src/authorize/engine.js';

export function tempDir(prefix = 'gerbang-auth-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Fixture {
  dir: string;
  state: State;
  hsmServer: HsmServer;
  hsm: HsmApi;
  ctx: EngineContext;
  close(): Promise<void>;
}

export async function fixture(cards = 20, extra?: ProvisionInput): Promise<Fixture> {
  const dir = tempDir();
  const hsmServer = await startHsmServer({ host: '127.0.0.1', port: 0, log: () => {} });
  const hsm = createHsmClient({ host: '127.0.0.1', port: hsmServer.port });
  await unlockState(dir, hsm, { create: true });
  const state = openState(dir);
  await provision(state, demoProvisionInput(1, cards));
  if (extra) await provision(state, extra);
  const ctx: EngineContext = { state, hsm: async () => hsm, holdTtlMs: 3600_000, cryptoFailCode: '05' };
  return {
    dir, state, hsmServer, hsm, ctx,
    async close() {
      await hsm.close();
      await hsmServer.close();
      await closeState(state);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let n = 0;
const PC: Record<TxnKind, string> = {
  purchase: '000000', preauth: '000000', incremental: '000000', completion: '000000', cash: '010000', refund: '200000', balance: '310000', reversal: '000000',
};
const MTI: Record<TxnKind, string> = {
  purchase: '0200', preauth: '0100', incremental: '0100', completion: '0220', cash: '0200', refund: '0200', balance: '0100', reversal: '0400',
};

/** A transaction on demo card `i` (or an explicit PAN). Each call gets a fresh STAN and id. */
export function txn(i: number | string, kind: TxnKind, amount: number, extra: Partial<Txn> = {}): Txn {
  n++;
  const c = typeof i === 'number' ? demoCard(i) : undefined;
  return {
    id: `T${process.pid}-${n}`, kind, mti: MTI[kind], processingCode: PC[kind],
    pan: c ? c.pan : (i as string), expiry: c?.expiry ?? '3012', amount, currency: '360',
    stan: String(n % 1_000_000).padStart(6, '0'), transmittedAt: '1125120000', rrn: `R${String(n).padStart(11, '0')}`,
    acquirerId: '400001', terminalId: 'TERM0001', merchantId: 'MERCHANT000001', mcc: '5411', channel: 'test', ...extra,
  };
}

/** The original-reference block of an earlier transaction. */
export function ref(t: Txn): Txn['original'] {
  return { stan: t.stan, transmittedAt: t.transmittedAt, acquirerId: t.acquirerId };
}

/** ledger − available = open holds for every account; spendable never negative. Returns the number of accounts. */
export function checkInvariants(s: State): number {
  const holds = new Map<string, number>();
  for (const { value } of s.holds.getRange()) holds.set(value.accountId, (holds.get(value.accountId) ?? 0) + value.amount);
  let n = 0;
  for (const { value: a } of s.accounts.getRange()) {
    expect(a.ledger - a.available, `account ${a.id}`).toBe(holds.get(a.id) ?? 0);
    expect(a.available + a.creditLimit, `account ${a.id} spendable`).toBeGreaterThanOrEqual(0);
    expect(Number.isSafeInteger(a.ledger) && Number.isSafeInteger(a.available)).toBe(true);
    n++;
  }
  return n;
}
