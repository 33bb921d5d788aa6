// Tests that open a data dir unlock its keys as the switch does: with a real HSM simulator, here one per test file
// in this process (closed after the file's tests). See src/state/host-keys.ts.
import { afterAll } from 'vitest';
import { startHsmServer, type HsmServer } from '../hsm-sim/index.js';
import { createHsmClient, type HsmClient } from '../src/hsm/client.js';
import { unlockDataDir, type UnlockedDataDir } from '../src/runtime/unlock.js';

let started: Promise<{ server: HsmServer; client: HsmClient }> | undefined;

/** The test HSM's port (for a child process that unlocks the same data dir). */
export async function testHsmPort(): Promise<number> {
  await testHsm();
  return (await started!).server.port;
}

export function testHsm(): Promise<HsmClient> {
  started ??= (async () => {
    const server = await startHsmServer({ host: '127.0.0.1', port: 0, selfTest: false, log: () => {} });
    return { server, client: createHsmClient({ host: '127.0.0.1', port: server.port, connections: 1 }) };
  })();
  return started.then((s) => s.client);
}

/** Unlocks (creating on first use) `dataDir`'s state and vault keys into this process's keyring. */
export async function unlockForTest(dataDir: string): Promise<UnlockedDataDir> {
  return unlockDataDir(dataDir, await testHsm());
}

afterAll(async () => {
  if (!started) return;
  const s = await started;
  started = undefined;
  await s.client.close();
  await s.server.close();
});
