import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

// Runs the built CLI the way a user does (npm test builds dist/ first).
function gerbang(...args: string[]) {
  return spawnSync(process.execPath, ['bin/gerbang.js', ...args], { encoding: 'utf8' });
}

describe('gerbang CLI', () => {
  it('lists its commands with --help and exits 0', () => {
    const r = gerbang('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: gerbang <command>/);
    expect(r.stdout).toMatch(/\bstart\b/);
  });

  it('rejects an unknown command with exit 2 and the command list', () => {
    const r = gerbang('no-such-command');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'no-such-command'/);
  });

  it('prints help for every sub-command', async () => {
    const list = gerbang('--help').stdout.split('\n').filter((l) => /^  \S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(list.length).toBeGreaterThan(0);
    for (const name of list) {
      const r = gerbang(name, '--help');
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toMatch(/Usage: gerbang/);
    }
  });
});
