// Durability: the engine process (dist/src/authorize/serve-stdio.js, with its worker pool) is SIGKILLed in the
// middle of a stream of authorizations; after a restart every approval a client received is in the journal and the
// money invariants hold. Needs `npx tsc -p tsconfig.json` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { DEMO_BALANCE, demoProvisionInput } from '../../src/demo/portfolio.js';
import type { Decision } from '../../src/model/txn.js';
import { closeState, openState } from '../../src/state/env.js';
import { testHsmPort, unlockForTest } from '../hsm-keys.js';
import { provision } from '../../src/state/provision.js';
import { checkInvariants, tempDir, txn } from './helpers.js';

const SERVER = join(import.meta.dirname, '../../dist/src/authorize/serve-stdio.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(dir: string, hsmPort: number): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [SERVER, dir, `127.0.0.1:${hsmPort}`], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, GERBANG_FRAUD: '0' } });
  children.push(child);
  // Writes still in flight when the test SIGKILLs the child fail with EPIPE: expected, not a test error.
  child.stdin!.on('error', () => {});
  const rl = createInterface({ input: child.stdout! });
  return { child, lines: rl[Symbol.asyncIterator]() };
}

it('SIGKILL mid-stream: every approval answered is in the journal; balances match the journal; invariants hold', async () => {
  expect(existsSync(SERVER), 'build first: npx tsc -p tsconfig.json').toBe(true);
  const dir = tempDir('gerbang-crash-');
  dirs.push(dir);
  const CARDS = 40;
  await unlockForTest(dir);
  const s0 = openState(dir);
  await provision(s0, demoProvisionInput(1, CARDS));
  await closeState(s0);

  const { child, lines } = start(dir, await testHsmPort());
  expect(JSON.parse((await lines.next()).value as string)).toEqual({ ready: true });
  // A steady stream: purchases and preauths on active demo cards (indexes 10..39), written ahead of the answers.
  const TOTAL = 4000;
  const received: Decision[] = [];
  let sent = 0;
  const pump = setInterval(() => {
    for (let k = 0; k < 100 && sent < TOTAL; k++, sent++) {
      const t = txn(10 + (sent % 30), sent % 4 === 0 ? 'preauth' : 'purchase', 1_000 + (sent % 7));
      if (!child.stdin!.write(JSON.stringify(t) + '\n')) break;
    }
  }, 2);
  for (;;) {
    const r = await lines.next();
    if (r.done) break;
    received.push(JSON.parse(r.value as string) as Decision);
    if (received.length === 600) {
      child.kill('SIGKILL');
      break;
    }
  }
  clearInterval(pump);
  await new Promise((r) => child.once('exit', r));
  expect(child.signalCode).toBe('SIGKILL');
  const approved = received.filter((d) => d.approved);
  const codes: Record<string, number> = {};
  for (const d of received) codes[d.responseCode] = (codes[d.responseCode] ?? 0) + 1;
  expect(approved.length).toBeGreaterThan(100);
  expect(Object.keys(codes).every((c) => c === '00' || c === '91')).toBe(true);

  // Restart the engine on the same data dir: it opens cleanly and keeps deciding.
  const again = start(dir, await testHsmPort());
  expect(JSON.parse((await again.lines.next()).value as string)).toEqual({ ready: true });
  again.child.stdin!.write(JSON.stringify(txn(11, 'purchase', 500)) + '\n');
  const after = JSON.parse((await again.lines.next()).value as string) as Decision;
  expect(after.responseCode).toBe('00');
  again.child.stdin!.end();
  await new Promise((r) => again.child.once('exit', r));

  const s = openState(dir);
  const journal = [...s.journal.getRange()].map((e) => e.value);
  const byTxn = new Map(journal.map((r) => [r.txnId, r]));
  for (const d of approved) {
    const rec = byTxn.get(d.txnId);
    expect(rec, `approval ${d.txnId} answered but not journaled`).toBeDefined();
    expect(rec!.approved).toBe(true);
    expect(rec!.authCode).toBe(d.authCode);
  }
  // More may be journaled than answered (committed, killed before the answer went out), never fewer.
  expect(journal.filter((r) => r.approved).length).toBeGreaterThanOrEqual(approved.length + 1);
  checkInvariants(s);
  // Each account's ledger equals its opening balance plus the journaled ledger movements.
  const moved = new Map<string, number>();
  for (const r of journal) if (r.accountId) moved.set(r.accountId, (moved.get(r.accountId) ?? 0) + r.ledgerDelta);
  for (const { value: a } of s.accounts.getRange()) {
    const open = a.id === 'A1-7' ? 5_000 : DEMO_BALANCE;
    expect(a.ledger, a.id).toBe(open + (moved.get(a.id) ?? 0));
  }
  await closeState(s);
});
