// `gerbang iso` as a user runs it (needs dist/: `npx tsc -p tsconfig.json` or `npm test`, which builds first).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encode } from '../../codecs/index.js';
import { msg0200 } from './fixtures.js';

const iso = (...args: string[]) => spawnSync(process.execPath, ['bin/gerbang.js', 'iso', ...args], { encoding: 'utf8' });
const hex0200 = encode('iso87-ascii', msg0200()).toString('hex').toUpperCase();

describe('gerbang iso', () => {
  it('help for the command and each sub-command', () => {
    for (const args of [['--help'], ['decode', '--help'], ['dump', '--help']]) {
      const r = iso(...args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: gerbang iso/);
    }
  });
  it('specs lists the five built-ins', () => {
    const r = iso('specs');
    expect(r.status).toBe(0);
    for (const n of ['iso87-ascii', 'iso87-ascii-binbitmap', 'iso87-bcd', 'iso93-ascii', 'iso87-ebcdic']) expect(r.stdout).toContain(n);
  });
  it('decode prints canonical JSON; encode gives the same hex back', () => {
    const d = iso('decode', '--spec', 'iso87-ascii', hex0200);
    expect(d.status).toBe(0);
    const json = JSON.parse(d.stdout);
    expect(json.fields['2']).toBe('4761739001010119');
    expect(json.fields['55']['9F26']).toBe('1122334455667788');
    const e = iso('encode', '--spec', 'iso87-ascii', d.stdout.trim());
    expect(e.status).toBe(0);
    // Through JSON text DE 55 tag order follows JS key order (integer-like tags first), so compare decoded values.
    expect(JSON.parse(iso('decode', '--spec', 'iso87-ascii', e.stdout.trim()).stdout)).toEqual(json);
  });
  it('framing len2 and ascii4 round trip', () => {
    for (const f of ['len2', 'ascii4']) {
      const e = iso('encode', '--spec', 'iso87-bcd', '--framing', f, '{"mti":"0800","fields":{"7":"1125103000","11":"000001","70":"301"}}');
      expect(e.status, e.stderr).toBe(0);
      // 2 MTI + 16 bitmap + 5 (DE 7) + 3 (DE 11) + 2 (DE 70, n3 padded) = 28 bytes
      expect(e.stdout.trim()).toMatch(f === 'len2' ? /^001C0800/ : /^303032380800/);
      const d = iso('decode', '--spec', 'iso87-bcd', '--framing', f, e.stdout.trim());
      expect(d.status, d.stderr).toBe(0);
      expect(JSON.parse(d.stdout).fields['70']).toBe('301');
    }
  });
  it('bad input: JSON error with field and offset on stderr, exit 2', () => {
    const r = iso('decode', '--spec', 'iso87-ascii', hex0200.slice(0, 60));
    expect(r.status).toBe(2);
    const err = JSON.parse(r.stderr);
    expect(err).toMatchObject({ reason: 'truncated', field: 2 });
    expect(typeof err.offset).toBe('number');
    expect(iso('encode', '--spec', 'iso87-ascii', '{bad').status).toBe(2);
  });
  it('dump masks the PAN and hides PIN block and cryptogram', () => {
    const r = iso('dump', '--spec', 'iso87-ascii', hex0200);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('476173******0119');
    expect(r.stdout).not.toContain('4761739001010119');
    expect(r.stdout).not.toContain('7434F67813BAE545');
    expect(r.stdout).not.toContain('1122334455667788');
  });
});
