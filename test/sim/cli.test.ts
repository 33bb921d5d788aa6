import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { startApproveServer, connectClient, network, type ApproveServer } from './client.js';

// Runs the built CLI (npm test builds dist/ first) without blocking this process, which hosts the test server.
function gerbang(args: string[], onStdoutLine?: (line: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/gerbang.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      const before = stdout.length;
      stdout += d;
      if (onStdoutLine) for (const line of stdout.slice(before).split('\n').filter(Boolean)) onStdoutLine(line);
    });
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: ApproveServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('gerbang sim (built CLI)', () => {
  it('sim acquirer --json ends with the headline line', async () => {
    server = await startApproveServer();
    const r = await gerbang(['sim', 'acquirer', '--target', `127.0.0.1:${server.port}`, '--tps', '300', '--duration', '1', '--cards', '10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    expect(Object.keys(last)).toEqual(['sent', 'answered', 'tps', 'p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs', 'errors', 'timeouts', 'byCode']);
    expect(last.sent).toBe(300);
    expect(last.answered).toBe(300);
    expect(last.byCode).toEqual({ '00': 300 });
    expect(r.stdout).toMatch(/latency from intended send time: p50/);
    expect(server.requests.length).toBe(300);
  });

  it('sim acquirer rejects bad input with exit 2 and a clear message', async () => {
    const r = await gerbang(['sim', 'acquirer', '--target', '127.0.0.1:1', '--tps', '10', '--duration', '1', '--mix', 'purchase:1,teleport:2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad mix entry 'teleport:2'/);
  });

  it('sim issuer --json prints a ready line, answers, and ends with its counters', async () => {
    let port = 0;
    let signedOn: Promise<void> | undefined;
    const run = gerbang(['sim', 'issuer', '--json', '--duration', '2', '--latency-ms', '0'], (line) => {
      const j = JSON.parse(line);
      if (j.ready) {
        port = j.port;
        signedOn = (async () => {
          const c = await connectClient(port);
          c.send(network('001', '000001'));
          const a = await c.next();
          expect(a.mti).toBe('0810');
          c.close();
        })();
      }
    });
    const r = await run;
    await signedOn;
    expect(r.code, r.stderr).toBe(0);
    expect(port).toBeGreaterThan(0);
    const last = JSON.parse(r.stdout.trimEnd().split('\n').pop()!);
    expect(last.signOns).toBe(1);
    expect(last.received).toEqual({ '0800': 1 });
  });
});
