// Connects a worker to the HSM through the typed client (src/hsm/client.ts). Loaded lazily: a worker that never
// verifies a PIN/CVV/ARQC never opens a connection.
import { HsmUnavailableError, type HsmApi } from '../hsm/api.js';

export async function connectHsm(addr: { host: string; port: number }): Promise<HsmApi> {
  const path = '../hsm/client.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(path)) as Record<string, unknown>;
  } catch (e) {
    throw new HsmUnavailableError(`HSM client module not available: ${(e as Error).message}`);
  }
  const create = (mod.createHsmClient ?? mod.connectHsm ?? mod.connect) as ((o: { host: string; port: number }) => HsmApi | Promise<HsmApi>) | undefined;
  if (create) return create({ host: addr.host, port: addr.port });
  const Ctor = mod.HsmClient as (new (o: { host: string; port: number }) => HsmApi) | undefined;
  if (Ctor) return new Ctor({ host: addr.host, port: addr.port });
  throw new HsmUnavailableError('src/hsm/client.js exports no known constructor');
}
