// `gerbang start` as a real process (compiled JS in dist/: run `npx tsc -p tsconfig.json` first): a config file,
// one JSON ready line on stdout, a transaction through the ISO port, graceful stop on SIGTERM with exit code 0;
// and a bad config refused with exit 2 and the bad key named.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { defaultConfigSource } from '../../src/config/defaults.js';
import { demoCard } from '../../src/demo/portfolio.js';
import { childPids } from '../../bench/lib/proc.js';
import { IsoClient, purchase, tempDir } from './helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gerbang.js');

function run(args: string[], logLevel = 'warn') {
  const child = spawn(process.execPath, [BIN, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GERBANG_LOG: logLevel } });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  const firstLine = new Promise<string>((r) => createInterface({ input: child.stdout }).once('line', r));
  return { child, exited, firstLine, stderr: () => stderr };
}

/** The built-in configuration on free ports, one engine worker and `cards` demo cards, written to a fresh dir. */
function smallConfig(prefix: string, cards: number): string {
  const dir = tempDir(prefix);
  const src = defaultConfigSource({ dataDir: join(dir, 'data'), isoPort: 0, jsonPort: 0, httpPort: 0 });
  (src.engine as Record<string, unknown>).demoCards = cards;
  (src.engine as Record<string, unknown>).workers = 1;
  const file = join(dir, 'switch.json');
  writeFileSync(file, JSON.stringify(src));
  return file;
}

describe('gerbang start', () => {
  it('starts on a config file, prints the ready line, answers, and stops cleanly on SIGTERM', async () => {
    const p = run(['--config', smallConfig('cli', 30)], 'info');
    try {
      const ready = JSON.parse(await p.firstLine);
      expect(ready).toMatchObject({ ready: true, acquirerPorts: { iso: expect.any(Number), json: expect.any(Number) }, hsmPort: expect.any(Number), issuerSimPort: expect.any(Number) });
      // It warmed its hot paths before the ready line: codecs, and the engine's commit path in aborted transactions.
      // (stderr is a separate pipe: give the line, written before the ready line, a moment to arrive)
      for (let i = 0; i < 40 && !p.stderr().includes('"warmed up"'); i++) await new Promise((r) => setTimeout(r, 50));
      const warm = p.stderr().split('\n').filter((l) => l.includes('"warmed up"')).map((l) => JSON.parse(l));
      expect(warm).toHaveLength(1);
      expect(warm[0]).toMatchObject({ workers: 1, hsm: true, switchHsm: true });
      expect(warm[0].codecMessages).toBeGreaterThan(0);
      expect(warm[0].dryCommits).toBeGreaterThan(0);
      expect(warm[0].keysChecked).toBeGreaterThan(0);
      expect(p.stderr()).not.toMatch(/check value differs/);
      const c = await IsoClient.connect(ready.acquirerPorts.iso);
      const r = await c.request(purchase(demoCard(20).pan, 1500, { 32: '123456' }));
      expect(r.fields[39]).toBe('00');
      c.close();
      // The merchant HTTP front, the dashboard and /metrics run in the same process, over the same pipeline.
      expect(ready.httpPort).toEqual(expect.any(Number));
      const openapi = await fetch(`http://127.0.0.1:${ready.httpPort}/v1/openapi.json`);
      expect(openapi.status).toBe(200);
      const doc = await openapi.json();
      expect(doc.openapi).toBe('3.1.0');
      // The dispute module answers merchants on the same API: the routes are documented and guarded by the API key.
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/disputes', '/v1/disputes/{id}']));
      expect((await fetch(`http://127.0.0.1:${ready.httpPort}/v1/disputes`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${ready.httpPort}/v1/no-such-thing`)).status).toBe(404);
      const prom = await (await fetch(`http://127.0.0.1:${ready.httpPort}/metrics`)).text();
      expect(prom).toMatch(/gerbang_switch_decisions_total\{[^}]*code="00"[^}]*\} [1-9]/);
      // The warm-up's synthetic traffic is nowhere in the switch's figures: one request, one decision.
      expect(prom.match(/^gerbang_switch_decisions_total\{.*$/gm)).toEqual([expect.stringMatching(/code="00".* 1$/)]);
      expect((await fetch(`http://127.0.0.1:${ready.httpPort}/dashboard`)).status).toBe(200);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stderr()).toMatch(/stopped/);
      // At rest after traffic: no file under the data dir holds the card's PAN, and no key file exists (the data
      // keys are blocks under the HSM's LMK); the log names the keys by check value only and never the PAN.
      const pan = demoCard(20).pan;
      const files = (readdirSync(ready.dataDir, { recursive: true }) as string[]).map((f) => join(ready.dataDir, f)).filter((f) => statSync(f).isFile());
      expect(files.length).toBeGreaterThan(3);
      for (const f of files) expect(readFileSync(f).includes(Buffer.from(pan)), f).toBe(false);
      expect(files.filter((f) => /\.key$/.test(f))).toEqual([]);
      expect(p.stderr()).not.toContain(pan);
      expect(p.stderr()).toMatch(/"msg":"data keys unlocked from the HSM","kcv":\{"panKey":"[0-9A-F]{6}","hashKey":"[0-9A-F]{6}"/);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 60_000);

  it('a SIGKILLed switch leaves no simulator children behind (they stop when their stdin closes)', async () => {
    const p = run(['--config', smallConfig('cli-kill', 20)]);
    try {
      JSON.parse(await p.firstLine);
      const kids = childPids(p.child.pid!);
      expect(kids.length).toBe(2); // the HSM simulator and the issuer simulator
      p.child.kill('SIGKILL');
      await p.exited;
      const alive = () => kids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      for (let i = 0; i < 100 && alive().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive()).toEqual([]);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses a bad config with exit code 2, naming the key', async () => {
    const dir = tempDir('cli-bad');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listeners:\n  - id: iso\n    kind: iso\n    acquirerId: "1"\n    spec: iso87-klingon\n    framing: ascii4\n    prot: 1\n');
    const p = run(['--config', file]);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/listeners\[0\]\.prot: unknown key/);
  });

  it('--check prints the built-in configuration with defaults filled in', async () => {
    const p = run(['--check']);
    const out: string[] = [];
    p.child.stdout.on('data', (b) => out.push(String(b)));
    expect(await p.exited).toBe(0);
    const cfg = JSON.parse(out.join(''));
    expect(cfg.listeners.map((l: { port: number }) => l.port)).toEqual([8583, 8584]);
    expect(cfg.issuers[0].standIn.enabled).toBe(true);
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 8080, dashboard: true });
    expect(cfg.settlement).toEqual({ intervalMs: 60_000, reconPollMs: 2_000 });
  });
});
