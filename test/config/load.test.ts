import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveConfig } from '../../src/config/load.js';

const minimal = () => ({
  listeners: [{ id: 'iso', kind: 'iso', acquirerId: '123456', spec: 'iso87-ascii', framing: 'ascii4', port: 8583 }],
});

function issues(raw: unknown, known = {}): string[] {
  try {
    resolveConfig(raw, known);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('config loader', () => {
  it('fills defaults on a minimal config', () => {
    const c = resolveConfig(minimal());
    expect(c.dataDir).toBe('./data');
    expect(c.listeners[0]).toMatchObject({ host: '127.0.0.1', maxInFlight: 512, idleTimeoutMs: 300_000, tpdu: false, mac: null, pin: null });
    expect(c.duplicates.windowMs).toBe(600_000);
    expect(c.hsm).toEqual({ host: '127.0.0.1', port: 0, simulator: true });
    expect(c.issuers).toEqual([]);
  });

  it('names an unknown key with its full path', () => {
    const raw = minimal() as Record<string, unknown>;
    (raw.listeners as Record<string, unknown>[])[0].prot = 1;
    expect(issues(raw)).toContain('listeners[0].prot: unknown key');
  });

  it('names a wrongly typed nested value and a missing required key', () => {
    const raw = {
      ...minimal(),
      issuers: [{ id: 'bank-b', institutionId: '654321', links: [{ name: 'p', host: 'x', port: 70000 }], standIn: { floorLimit: 'lots' } }],
      routing: [{ prefix: '5' }],
    };
    const list = issues(raw);
    expect(list).toContain('issuers[0].links[0].port: must be <= 65535');
    expect(list).toContain('issuers[0].standIn.floorLimit: must be integer');
    expect(list).toContain('routing[0].to: is required');
  });

  it('AES DUKPT: the PIN block and KSN fields must hold what they carry in the listener\'s spec', () => {
    const withPin = (pin: Record<string, unknown>) => {
      const raw = minimal() as { listeners: Record<string, unknown>[]; keys?: unknown };
      raw.keys = { 'bdk.aes': { type: 'BDK', aes: true }, 'bdk.tdes': { type: 'BDK' } };
      raw.listeners[0].pin = pin;
      return raw;
    };
    // iso87-ascii's DE 52 is 8 bytes: an AES block (16 bytes) cannot travel there.
    expect(issues(withPin({ aesBdkRef: 'bdk.aes' }))).toEqual(["listeners[0].pin.aesPinBlockField: field 52 of spec 'iso87-ascii' holds exactly 8 bytes: it cannot carry 32 hex characters"]);
    expect(issues(withPin({ aesBdkRef: 'bdk.aes', aesPinBlockField: 4 }))).toEqual(["listeners[0].pin.aesPinBlockField: field 4 of spec 'iso87-ascii' is of type n: it cannot carry 32 hex characters"]);
    expect(issues(withPin({ aesBdkRef: 'bdk.aes', aesPinBlockField: 110, ksnField: 41 }))).toEqual(["listeners[0].pin.ksnField: field 41 of spec 'iso87-ascii' holds exactly 8 characters: it cannot carry 24 hex characters"]);
    const c = resolveConfig(withPin({ aesBdkRef: 'bdk.aes', aesPinBlockField: 110 }));
    expect(c.listeners[0].pin).toEqual({ aesBdkRef: 'bdk.aes', aesPinBlockField: 110, ksnField: 62, format: '01' });
    expect(c.keys['bdk.aes']).toEqual({ type: 'BDK', aes: true });
    // A BDK-less PIN section names all three choices.
    expect(issues(withPin({ format: '01' }))).toEqual(['listeners[0].pin: needs keyRef (TPK/ZPK), bdkRef (TDES DUKPT BDK) or aesBdkRef (AES DUKPT BDK)']);
  });

  it('checks references between sections', () => {
    const raw = {
      ...minimal(),
      issuers: [{ id: 'bank-b', institutionId: '654321', links: [{ name: 'p', port: 9000 }, { name: 'p', port: 0 }], zpkRef: 'nope' }],
      routing: [{ prefix: '52', to: 'bank-c' }, { prefix: '52', to: 'onus' }, { range: ['5300', '53'], to: 'onus' }],
    };
    const list = issues(raw);
    expect(list).toContain("issuers[0].links[1].name: duplicate link name 'p'");
    expect(list).toContain('issuers[0].links[1].port: is required (1–65535) unless simulator: true');
    expect(list).toContain("issuers[0].zpkRef: names key 'nope', which is not under keys");
    expect(list).toContain("routing[0].to: names 'bank-c', which is neither 'onus' nor an issuer id");
    expect(list).toContain('routing[1]: same prefix as routing[0]');
    expect(list).toContain('routing[2].range: low and high must have the same number of digits');
  });

  it('checks spec and framing names against what the codec knows', () => {
    const list = issues(minimal(), { specs: ['iso87-bcd'], framings: ['len2'] });
    expect(list).toContain("listeners[0].spec: unknown spec 'iso87-ascii' (known: iso87-bcd)");
    expect(list).toContain("listeners[0].framing: unknown framing 'ascii4' (known: len2)");
  });

  it('reads YAML and JSON files and reports parse errors with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gerbang-config-'));
    const y = join(dir, 'a.yaml');
    writeFileSync(y, 'listeners:\n  - id: iso\n    kind: iso\n    acquirerId: "1"\n    spec: iso87-ascii\n    framing: ascii4\n');
    expect(loadConfig(y).listeners[0].id).toBe('iso');
    const j = join(dir, 'a.json');
    writeFileSync(j, JSON.stringify(minimal()));
    expect(loadConfig(j).listeners[0].port).toBe(8583);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"listeners": [');
    expect(() => loadConfig(bad)).toThrow(/bad\.json: cannot parse/);
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read: ENOENT/);
  });
});

describe('config/gerbang.example.yaml', () => {
  it('is valid and says exactly what the built-in defaults say', async () => {
    const { defaultConfig } = await import('../../src/config/defaults.js');
    const { knownNames } = await import('../../src/runtime/index.js');
    const file = join(import.meta.dirname, '..', '..', 'config', 'gerbang.example.yaml');
    expect(loadConfig(file, knownNames())).toEqual(defaultConfig());
  });
});
