// Benches that open a data dir directly unlock its keys as the switch does, with an HSM simulator run in this
// process for the unlock only (the measured paths do not call the HSM).
import { startHsmServer } from '../../hsm-sim/index.js';
import { createHsmClient } from '../../src/hsm/client.js';
import { unlockDataDir } from '../../src/runtime/unlock.js';

export async function unlockWithLocalHsm(dataDir: string): Promise<void> {
  const server = await startHsmServer({ host: '127.0.0.1', port: 0, log: () => {} });
  const hsm = createHsmClient({ host: '127.0.0.1', port: server.port, connections: 1 });
  try {
    await unlockDataDir(dataDir, hsm);
  } finally {
    await hsm.close();
    await server.close();
  }
}
