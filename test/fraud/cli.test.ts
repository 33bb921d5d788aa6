// `gerbang fraud` as a user runs it (built CLI from dist/; npm test builds first): train writes a model file that
// eval can load, --json ends with one headline object, bad input exits 2 with a clear message.
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'gerbang-fraud-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gerbang(...args: string[]) {
  return spawnSync(process.execPath, ['bin/gerbang.js', 'fraud', ...args], { encoding: 'utf8', timeout: 60_000 });
}
const lastJson = (out: string) => JSON.parse(out.trimEnd().split('\n').at(-1) ?? '');

describe('gerbang fraud', () => {
  it('trains a model file that eval loads, both ending --json output with the headline', () => {
    const model = join(dir, 'model.json');
    const t = gerbang('train', '--seed', '3', '--cards', '200', '--days', '60', '--iterations', '100', '--out', model, '--json');
    expect(t.status, t.stderr).toBe(0);
    const h = lastJson(t.stdout);
    for (const k of ['auc', 'precisionAtDecline', 'recallAtDecline', 'precisionAtReview', 'recallAtReview']) expect(typeof h[k], k).toBe('number');
    expect(h.auc).toBeGreaterThan(0.85);
    const file = JSON.parse(readFileSync(model, 'utf8'));
    expect(file.heldOut.auc).toBe(h.auc);
    expect(file.declineThreshold).toBe(h.declineThreshold);

    const e = gerbang('eval', '--model', model, '--seed', '77', '--cards', '150', '--days', '60', '--json');
    expect(e.status, e.stderr).toBe(0);
    expect(lastJson(e.stdout).auc).toBeGreaterThan(0.85);
  });

  it('writes labelled synthetic events as JSON lines', () => {
    const out = join(dir, 'events.jsonl');
    const r = gerbang('synth', '--seed', '2', '--cards', '30', '--days', '10', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(50);
    expect(lines[0]).toMatchObject({ fraud: expect.any(Boolean), pattern: expect.any(String), txn: { token: expect.any(String) } });
    expect(r.stderr).toMatch(/synth: \d+ events for 30 cards/);
  });

  it('rejects bad input with exit 2 and says why', () => {
    const a = gerbang('train', '--cards', 'many');
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--cards must be an integer/);
    expect(gerbang('frobnicate').status).toBe(2);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ features: ['x'], weights: [1], mean: [0], std: [1], bias: 0, declineThreshold: 5, reviewThreshold: 1 }));
    const e = gerbang('eval', '--model', bad, '--cards', '50', '--days', '10');
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/expected \d+ features/);
  });
});
