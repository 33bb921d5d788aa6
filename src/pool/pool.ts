// The bounded piscina pool the engine runs on. Its worker module is compiled JS: from vitest (running src/*.ts)
// the path maps to dist/src/pool/worker.js, so tests using the pool need `npx tsc -p tsconfig.json` first.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { WorkerConfig } from './config.js';
import type { Task } from './worker.js';

export function workerFile(): string {
  let path = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (!existsSync(path)) {
    // Running from src/ (vitest, tsx): use the compiled twin under dist/.
    path = path.replace(/([\\/])src([\\/]pool[\\/]worker\.js)$/, '$1dist$1src$2');
  }
  if (!existsSync(path)) throw new Error(`pool worker not built: ${path} (run npx tsc -p tsconfig.json)`);
  return pathToFileURL(path).href;
}

export interface PoolOptions {
  workers: number;
  /** Concurrent tasks per worker: lets HSM waits overlap and commits from several tasks share a group commit. */
  tasksPerWorker: number;
  /** Tasks allowed to wait in piscina's queue. */
  maxQueuedTasks: number;
  config: WorkerConfig;
}

export type EnginePool = Piscina<Task, unknown>;

export function createPool(o: PoolOptions): EnginePool {
  if (!(o.workers >= 1 && o.workers <= 64)) throw new Error(`workers must be 1–64, got ${o.workers}`);
  return new Piscina<Task, unknown>({
    filename: workerFile(),
    minThreads: o.workers,
    maxThreads: o.workers,
    concurrentTasksPerWorker: o.tasksPerWorker,
    maxQueue: o.maxQueuedTasks,
    idleTimeout: 60_000,
    // Workers await I/O (HSM sockets, LMDB flush): they need their event loop, not Atomics.wait.
    atomics: 'disabled',
    workerData: o.config,
    // Experiment knob (GC was ~1/3 of process CPU): a larger young generation per worker. Not measured to help yet.
    ...(process.env.GERBANG_YOUNG_MB ? { resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.GERBANG_YOUNG_MB) } } : {}),
  });
}
