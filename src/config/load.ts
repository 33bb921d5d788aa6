// Loads the configuration file (JSON or YAML), validates it against ./schema.ts, fills defaults, then checks what a
// schema cannot say (references between sections, unique ids). Every problem names its key: `issuers[0].links[1].port`.
import { readFileSync } from 'node:fs';
import AjvModule, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { getSpec } from '../../codecs/index.js';
import { configSchema } from './schema.js';
import type { IssuerConfig, ListenerConfig, SwitchConfig } from './types.js';

export interface ConfigIssue {
  /** Dotted path of the offending key, e.g. `listeners[0].port` ('' = the whole file). */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: ConfigIssue[],
    readonly source = 'config',
  ) {
    super(`${source}: ${issues.length === 1 ? '' : `${issues.length} problems:\n  `}${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n  ')}`);
  }
}

/** Names the codec knows; passed in so config stays independent of the codec (checked when given). */
export interface KnownNames {
  specs?: readonly string[];
  framings?: readonly string[];
}

const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validateSchema = ajv.compile(configSchema);

function pointerToPath(p: string): string {
  if (!p) return '';
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

function issueOf(e: ErrorObject): ConfigIssue {
  const path = pointerToPath(e.instancePath);
  const join = (k: string) => (path ? `${path}.${k}` : k);
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: join(String(e.params.additionalProperty)), message: 'unknown key' };
    case 'required':
      return { path: join(String(e.params.missingProperty)), message: 'is required' };
    case 'enum':
      return { path, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'propertyNames':
      return { path: join(String(e.params.propertyName)), message: 'is not a valid name (letters, digits, . _ -)' };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** Parses file text: YAML (a superset of JSON) unless the name ends in .json. */
export function parseConfigText(text: string, fileName = 'config'): unknown {
  try {
    return fileName.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError([{ path: '', message: `cannot parse: ${(e as Error).message.split('\n')[0]}` }], fileName);
  }
}

/** Validates and defaults a parsed configuration object. Throws ConfigError listing every problem. */
export function resolveConfig(raw: unknown, known: KnownNames = {}, source = 'config'): SwitchConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError([{ path: '', message: 'must be a mapping (object) at the top level' }], source);
  const cfg = structuredClone(raw) as Record<string, unknown>;
  if (!validateSchema(cfg)) {
    const seen = new Set<string>();
    const issues: ConfigIssue[] = [];
    for (const e of validateSchema.errors ?? []) {
      if (e.keyword === 'if' || e.keyword === 'oneOf') continue;
      if (e.keyword === 'required' && e.schemaPath.includes('/anyOf/')) continue; // said once by the anyOf message
      if (e.keyword === 'anyOf') {
        const path = pointerToPath(e.instancePath);
        issues.push({ path, message: NEEDS_PIN_KEY });
        continue;
      }
      const i = issueOf(e);
      const k = `${i.path}|${i.message}`;
      if (!seen.has(k)) (seen.add(k), issues.push(i));
    }
    throw new ConfigError(issues, source);
  }
  const c = cfg as unknown as SwitchConfig;
  const issues = crossCheck(c, known);
  if (issues.length) throw new ConfigError(issues, source);
  return c;
}

/** Reads, parses, validates. */
export function loadConfig(file: string, known: KnownNames = {}): SwitchConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([{ path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], file);
  }
  return resolveConfig(parseConfigText(text, file), known, file);
}

const NEEDS_PIN_KEY = 'needs keyRef (TPK/ZPK), bdkRef (TDES DUKPT BDK) or aesBdkRef (AES DUKPT BDK)';

/** Why `field` of spec `specName` cannot carry `n` hex characters (binary: n/2 bytes), or undefined when it can. */
function fieldCannotCarryHex(specName: string, field: number, n: number): string | undefined {
  let f;
  try {
    f = getSpec(specName).source.fields[String(field)];
  } catch {
    return undefined; // an unknown spec is reported by its own check
  }
  if (!f) return 'is not defined';
  const units = f.type === 'b' ? n / 2 : n;
  if (f.type !== 'b' && f.type !== 'an' && f.type !== 'ans') return `is of type ${f.type}`;
  const fixed = (f.prefix ?? 'fixed') === 'fixed';
  if (fixed ? f.length !== units : f.length < units) return `holds ${fixed ? 'exactly' : 'at most'} ${f.length} ${f.type === 'b' ? 'bytes' : 'characters'}`;
  if (f.subfields) return 'has sub-fields';
  return undefined;
}

function crossCheck(c: SwitchConfig, known: KnownNames): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const add = (path: string, message: string) => out.push({ path, message });
  const keyOfType = (path: string, ref: string | null | undefined, types: string[]) => {
    if (ref == null) return;
    const k = c.keys[ref];
    if (!k) add(path, `names key '${ref}', which is not under keys`);
    else if (!types.includes(k.type)) add(path, `key '${ref}' is a ${k.type}; expected ${types.join(' or ')}`);
  };
  const checkName = (path: string, v: string | undefined, list: readonly string[] | undefined, what: string) => {
    if (v !== undefined && list && !list.includes(v)) add(path, `unknown ${what} '${v}' (known: ${list.join(', ')})`);
  };

  const ids = new Set<string>();
  const ports = new Map<number, string>();
  c.listeners.forEach((l: ListenerConfig, i) => {
    const p = `listeners[${i}]`;
    if (ids.has(l.id)) add(`${p}.id`, `duplicate listener id '${l.id}'`);
    ids.add(l.id);
    if (l.port !== 0) {
      if (ports.has(l.port)) add(`${p}.port`, `port ${l.port} is also used by ${ports.get(l.port)}`);
      ports.set(l.port, p);
    }
    const raw = l as unknown as Record<string, unknown>;
    if (l.kind === 'iso') {
      if (!l.spec) add(`${p}.spec`, 'is required for an iso listener');
      if (!l.framing) add(`${p}.framing`, 'is required for an iso listener');
      checkName(`${p}.spec`, l.spec, known.specs, 'spec');
      checkName(`${p}.framing`, l.framing, known.framings, 'framing');
      keyOfType(`${p}.mac.keyRef`, l.mac?.keyRef, ['TAK', 'ZAK']);
    } else {
      for (const k of ['spec', 'framing', 'mac']) if (raw[k] != null) add(`${p}.${k}`, 'does not apply to a json listener');
      if (raw.tpdu) add(`${p}.tpdu`, 'does not apply to a json listener');
      delete raw.spec, delete raw.framing, delete raw.mac, delete raw.tpdu;
    }
    if (l.pin && !l.pin.keyRef && !l.pin.bdkRef && !l.pin.aesBdkRef) add(`${p}.pin`, NEEDS_PIN_KEY);
    keyOfType(`${p}.pin.keyRef`, l.pin?.keyRef, ['TPK', 'ZPK']);
    keyOfType(`${p}.pin.bdkRef`, l.pin?.bdkRef, ['BDK']);
    keyOfType(`${p}.pin.aesBdkRef`, l.pin?.aesBdkRef, ['BDK']);
    if (l.kind === 'iso' && l.spec && l.pin && (!known.specs || known.specs.includes(l.spec))) {
      // The DUKPT fields must hold what they carry in this listener's spec (JSON listeners carry any string).
      const hold = (what: string, field: number, hexChars: number) => {
        const why = fieldCannotCarryHex(l.spec, field, hexChars);
        if (why) add(`${p}.pin.${what}`, `field ${field} of spec '${l.spec}' ${why}: it cannot carry ${hexChars} hex characters`);
      };
      if (l.pin.bdkRef) hold('ksnField', l.pin.ksnField, 20);
      if (l.pin.aesBdkRef) hold('ksnField', l.pin.ksnField, 24);
      if (l.pin.aesBdkRef) hold('aesPinBlockField', l.pin.aesPinBlockField, 32);
    }
  });

  const issuerIds = new Set<string>();
  c.issuers.forEach((s: IssuerConfig, i) => {
    const p = `issuers[${i}]`;
    if (s.id === 'onus') add(`${p}.id`, "'onus' is reserved for the authorization engine");
    if (issuerIds.has(s.id)) add(`${p}.id`, `duplicate issuer id '${s.id}'`);
    issuerIds.add(s.id);
    checkName(`${p}.spec`, s.spec, known.specs, 'spec');
    checkName(`${p}.framing`, s.framing, known.framings, 'framing');
    if (s.reconnectInitialMs > s.reconnectMaxMs) add(`${p}.reconnectInitialMs`, `must not exceed reconnectMaxMs (${s.reconnectMaxMs})`);
    const names = new Set<string>();
    s.links.forEach((l, j) => {
      if (names.has(l.name)) add(`${p}.links[${j}].name`, `duplicate link name '${l.name}'`);
      names.add(l.name);
      if (l.simulator && !c.issuerSimulator) add(`${p}.links[${j}].simulator`, 'needs issuerSimulator to be configured');
      if (!l.simulator && l.port === 0) add(`${p}.links[${j}].port`, 'is required (1–65535) unless simulator: true');
    });
    keyOfType(`${p}.zpkRef`, s.zpkRef, ['ZPK']);
    keyOfType(`${p}.mac.keyRef`, s.mac?.keyRef, ['TAK', 'ZAK']);
  });
  if (c.issuerSimulator && !issuerIds.has(c.issuerSimulator.issuerId)) add('issuerSimulator.issuerId', `names issuer '${c.issuerSimulator.issuerId}', which is not under issuers`);

  const seen = new Map<string, number>();
  c.routing.forEach((r, i) => {
    const p = `routing[${i}]`;
    if ((r.prefix === undefined) === (r.range === undefined)) add(p, 'needs exactly one of prefix or range');
    if (r.range) {
      const [lo, hi] = r.range;
      if (lo.length !== hi.length) add(`${p}.range`, 'low and high must have the same number of digits');
      else if (lo > hi) add(`${p}.range`, 'low must not be above high');
    }
    if (r.to !== 'onus' && !issuerIds.has(r.to)) add(`${p}.to`, `names '${r.to}', which is neither 'onus' nor an issuer id`);
    const key = r.prefix ?? (r.range ? r.range.join('-') : '');
    if (seen.has(key)) add(p, `same ${r.prefix ? 'prefix' : 'range'} as routing[${seen.get(key)}]`);
    seen.set(key, i);
  });
  return out;
}
