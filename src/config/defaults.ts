// The built-in configuration `gerbang start` runs without --config: the on-us demo portfolio (BINs 476173 and
// 520473) through the authorization engine, every other Visa/Mastercard range to a remote bank played by the issuer
// simulator (iso87-bcd over 2-byte lengths: a different dialect than the acquirers', so the switch translates),
// the HSM simulator in a child process, an ISO listener on 8583 and a JSON-lines listener on 8584.
// Keys are the demo keys under the published test LMK — TEST ONLY.
import { demoKeys } from '../demo/portfolio.js';
import { resolveConfig } from './load.js';
import type { SwitchConfig } from './types.js';

/** The acquirer id the load generator (`gerbang sim acquirer`) sends by default. */
export const DEFAULT_ACQUIRER_ID = '123456';
export const DEFAULT_REMOTE_ISSUER = 'remote-bank';

/** The default configuration as a file would say it (before defaults are filled in). */
export function defaultConfigSource(overrides: { dataDir?: string; isoPort?: number; jsonPort?: number; httpPort?: number } = {}): Record<string, unknown> {
  const keys: Record<string, { type: string; value: string }> = {};
  for (const k of demoKeys()) if (k.name === 'tpk.demo' || k.name === 'zpk.demo' || k.name === 'bdk.demo' || k.name === 'bdk.aes.demo' || k.name === 'zpk.issuer') keys[k.name] = { type: k.type, value: k.key };
  return {
    dataDir: overrides.dataDir ?? './data',
    institutionId: '999999',
    hsm: { simulator: true },
    engine: { workers: 2, provisionDemo: true },
    issuerSimulator: { issuerId: DEFAULT_REMOTE_ISSUER, spec: 'iso87-bcd', framing: 'len2' },
    keys,
    listeners: [
      { id: 'iso', kind: 'iso', port: overrides.isoPort ?? 8583, acquirerId: DEFAULT_ACQUIRER_ID, spec: 'iso87-ascii', framing: 'ascii4', pin: { keyRef: 'tpk.demo', bdkRef: 'bdk.demo', aesBdkRef: 'bdk.aes.demo', aesPinBlockField: 110, format: '01' } },
      { id: 'json', kind: 'json', port: overrides.jsonPort ?? 8584, acquirerId: DEFAULT_ACQUIRER_ID, pin: { keyRef: 'tpk.demo', bdkRef: 'bdk.demo', aesBdkRef: 'bdk.aes.demo', format: '01' } },
    ],
    issuers: [
      {
        id: DEFAULT_REMOTE_ISSUER,
        institutionId: '200002',
        spec: 'iso87-bcd',
        framing: 'len2',
        links: [
          { name: 'primary', simulator: true },
          { name: 'backup', simulator: true },
        ],
        zpkRef: 'zpk.issuer',
        standIn: { floorLimit: 5_000_000, maxCountPerDay: 10, maxAmountPerDay: 20_000_000 },
      },
    ],
    routing: [
      { prefix: '476173', to: 'onus' },
      { prefix: '520473', to: 'onus' },
      { prefix: '4', to: DEFAULT_REMOTE_ISSUER },
      { prefix: '5', to: DEFAULT_REMOTE_ISSUER },
    ],
    http: { port: overrides.httpPort ?? 8080 },
    settlement: {},
  };
}

export function defaultConfig(overrides: Parameters<typeof defaultConfigSource>[0] = {}): SwitchConfig {
  return resolveConfig(defaultConfigSource(overrides), {}, 'built-in config');
}
