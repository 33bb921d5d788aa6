// The HSM a one-shot CLI command (cards, fraud, merchants) unlocks a data dir's keys with: `--hsm HOST:PORT` or
// env GERBANG_HSM (HOST:PORT) for a running HSM; otherwise a simulator in this process, with the LMK of
// GERBANG_HSM_LMK or the default test LMK — the same LMK `gerbang start`'s simulator uses, so both open one data dir.
import { startHsmServer } from '../../hsm-sim/index.js';
import { createHsmClient, type HsmClient } from '../hsm/client.js';

export async function withCliHsm<T>(addr: string | undefined, fn: (hsm: HsmClient) => Promise<T>): Promise<T> {
  const where = addr ?? process.env.GERBANG_HSM;
  let server: Awaited<ReturnType<typeof startHsmServer>> | undefined;
  let host = '127.0.0.1';
  let port: number;
  if (where) {
    const m = /^(.+):(\d{1,5})$/.exec(where);
    if (!m) throw new Error(`HSM address '${where}': expected HOST:PORT`);
    host = m[1];
    port = Number(m[2]);
  } else {
    const lmkFile = process.env.GERBANG_HSM_LMK;
    server = await startHsmServer({ host, port: 0, ...(lmkFile ? { lmkFile } : {}), log: () => {} });
    port = server.port;
  }
  const hsm = createHsmClient({ host, port, connections: 1 });
  try {
    return await fn(hsm);
  } finally {
    await hsm.close();
    await server?.close();
  }
}
