// What every pool worker is started with (piscina workerData): plain data.
import type { FraudOptions } from '../authorize/index.js';

export interface WorkerConfig {
  dataDir: string;
  /** The state's data keys, unlocked by the main thread with the HSM (memory only; src/state/keyring.ts). */
  dataKeys: { panKey: Uint8Array; hashKey: Uint8Array };
  hsm: { host: string; port: number };
  holdTtlMs: number;
  fraud?: FraudOptions;
  cryptoFailCode?: string;
  /** Shared counters the workers add to (see COUNTER in src/authorize/engine.ts); read by stats(). */
  counters?: SharedArrayBuffer;
}
