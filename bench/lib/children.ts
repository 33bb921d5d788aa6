// Child processes for benches: start one, wait for its JSON "ready" line on stdout, stop it by its own pid.
// Benches run the system under test in other processes so the load generator never shares its event loop.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  proc: ChildProcess;
  /** The first stdout line that parsed as a JSON object with ready: true. */
  ready: Record<string, unknown>;
  /** Everything the child wrote to stderr (the last 64 KiB), for error reports. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL = 64 * 1024;

export function startChild(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number; name?: string } = {}): Promise<Child> {
  const name = opts.name ?? args.slice(0, 3).join(' ');
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let settled = false;
    let exited = false;
    const exitedP = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
    const stop = async (graceMs = 5000) => {
      if (exited) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => !exited && proc.kill('SIGKILL'), graceMs);
      await exitedP;
      clearTimeout(t);
    };
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(1000);
      reject(new Error(`${name}: ${why}\n${err.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${opts.readyTimeoutMs ?? 60_000} ms`), opts.readyTimeoutMs ?? 60_000);
    proc.stderr!.on('data', (d) => {
      err += d;
      if (err.length > TAIL) err = err.slice(-TAIL);
    });
    proc.stdout!.on('data', (d) => {
      if (settled) return;
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line) as Record<string, unknown>;
          if (j && j.ready === true) {
            settled = true;
            clearTimeout(timer);
            resolve({ proc, ready: j, stderrTail: () => err, stop });
            return;
          }
        } catch {
          // not JSON: ordinary output
        }
      }
      if (out.length > TAIL) out = out.slice(-TAIL);
    });
    proc.once('error', (e) => fail(e.message));
    proc.once('exit', (code, sig) => fail(`exited (${code ?? sig}) before it was ready`));
  });
}
