// JSON Schema of the configuration file (draft-07, checked by ajv with defaults filled in).
// Every object forbids unknown keys so a typo ("prot: 8583") is an error naming the key, not a silent default.

const port = { type: 'integer', minimum: 0, maximum: 65535 };
const ms = (def: number, min = 1, max = 3_600_000) => ({ type: 'integer', minimum: min, maximum: max, default: def });
const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' };
const institution = { type: 'string', pattern: '^[0-9]{1,11}$' };
const pinFormat = { type: 'string', enum: ['01', '05', '47', '48'] };

const mac = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['keyRef'],
  properties: {
    keyRef: id,
    algorithm: { type: 'string', enum: ['iso9797-1-alg1', 'iso9797-1-alg3', 'aes-cmac'], default: 'iso9797-1-alg3' },
  },
  default: null,
};

const acquirerPin = {
  type: ['object', 'null'],
  additionalProperties: false,
  anyOf: [{ required: ['keyRef'] }, { required: ['bdkRef'] }, { required: ['aesBdkRef'] }],
  properties: {
    keyRef: id,
    bdkRef: id,
    aesBdkRef: id,
    format: { ...pinFormat, default: '01' },
    ksnField: { type: 'integer', minimum: 2, maximum: 192, default: 62 },
    aesPinBlockField: { type: 'integer', minimum: 2, maximum: 192, default: 52 },
  },
  default: null,
};

const listener = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'acquirerId'],
  properties: {
    id,
    kind: { type: 'string', enum: ['iso', 'json'] },
    host: { type: 'string', default: '127.0.0.1' },
    port: { ...port, default: 0 },
    acquirerId: institution,
    spec: { type: 'string', minLength: 1 },
    framing: { type: 'string', minLength: 1 },
    tpdu: { type: 'boolean', default: false },
    maxConnections: { type: 'integer', minimum: 1, maximum: 100_000, default: 1024 },
    maxInFlight: { type: 'integer', minimum: 1, maximum: 65_536, default: 512 },
    idleTimeoutMs: ms(300_000),
    maxFrameBytes: { type: 'integer', minimum: 64, maximum: 65_535, default: 8192 },
    mac,
    pin: acquirerPin,
  },
};

const link = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: id,
    host: { type: 'string', default: '127.0.0.1' },
    port: { ...port, default: 0 },
    simulator: { type: 'boolean', default: false },
  },
};

const standIn = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    floorLimit: { type: 'integer', minimum: 0, default: 1_000_000 },
    maxCountPerDay: { type: 'integer', minimum: 0, default: 5 },
    maxAmountPerDay: { type: 'integer', minimum: 0, default: 2_000_000 },
    allowedKinds: { type: 'array', items: { type: 'string', enum: ['purchase', 'preauth', 'cash', 'balance', 'refund'] }, default: ['purchase', 'preauth'] },
    blockedMcc: { type: 'array', items: { type: 'string', pattern: '^[0-9]{4}$' }, default: ['6011', '7995'] },
    checkExpiry: { type: 'boolean', default: true },
    declinePin: { type: 'boolean', default: true },
    declineCode: { type: 'string', pattern: '^[0-9A-Z]{2}$', default: '05' },
    onTimeout: { type: 'boolean', default: false },
  },
};

const issuer = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'institutionId', 'links'],
  properties: {
    id,
    institutionId: institution,
    spec: { type: 'string', minLength: 1, default: 'iso87-ascii' },
    framing: { type: 'string', minLength: 1, default: 'ascii4' },
    tpdu: { type: 'boolean', default: false },
    links: { type: 'array', minItems: 1, maxItems: 8, items: link },
    connectTimeoutMs: ms(3000),
    requestTimeoutMs: ms(5000),
    echoIntervalMs: ms(30_000),
    signOn: { type: 'boolean', default: true },
    reconnectInitialMs: ms(200),
    reconnectMaxMs: ms(30_000),
    maxInFlight: { type: 'integer', minimum: 1, maximum: 65_536, default: 4096 },
    timeoutsBeforeStandIn: { type: 'integer', minimum: 1, maximum: 1000, default: 3 },
    safRetryMs: ms(5000),
    safMaxEntries: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 1_000_000 },
    zpkRef: { ...id, type: ['string', 'null'], default: null },
    pinFormat: { ...pinFormat, default: '01' },
    mac,
    standIn,
  },
};

const route = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: {
    prefix: { type: 'string', pattern: '^[0-9]{1,11}$' },
    range: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', pattern: '^[0-9]{1,11}$' } },
    to: id,
  },
};

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    dataDir: { type: 'string', minLength: 1, default: './data' },
    institutionId: { ...institution, default: '999999' },
    hsm: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { ...port, default: 0 },
        simulator: { type: 'boolean', default: true },
      },
    },
    engine: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        workers: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
        maxQueue: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 4096 },
        batchSize: { type: 'integer', minimum: 1, maximum: 1024, default: 32 },
        provisionDemo: { type: 'boolean', default: true },
        demoCards: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 10_000 },
        demoSeed: { type: 'integer', minimum: 0, default: 1 },
      },
    },
    issuerSimulator: {
      type: ['object', 'null'],
      additionalProperties: false,
      default: null,
      required: ['issuerId'],
      properties: {
        issuerId: id,
        spec: { type: 'string', default: 'iso87-ascii' },
        framing: { type: 'string', default: 'ascii4' },
      },
    },
    keys: {
      type: 'object',
      default: {},
      propertyNames: id,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { type: 'string', enum: ['ZPK', 'TPK', 'BDK', 'TAK', 'ZAK'] },
          value: { type: 'string', pattern: '^([UTX][0-9A-Fa-f]{32,48}|S[0-9A-Za-z]{16,}|[0-9A-Fa-f]{16,48})$' },
          aes: { type: 'boolean' },
        },
      },
    },
    listeners: { type: 'array', minItems: 1, maxItems: 32, items: listener },
    issuers: { type: 'array', maxItems: 256, items: issuer, default: [] },
    routing: { type: 'array', maxItems: 100_000, items: route, default: [] },
    duplicates: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { windowMs: ms(600_000, 1, 7 * 86_400_000) },
    },
    shutdownGraceMs: ms(10_000),
    warmup: { type: 'boolean', default: true },
    admission: {
      type: 'object',
      additionalProperties: false,
      default: {},
      // Original requests decided at once across all listeners; past it new ones are answered 91 at once. Size it
      // by Little's law: peak TPS × the time a request may take, issuer round trips included (2,000 × 0.5 s).
      properties: { maxOutstanding: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1024 } },
    },
    http: {
      type: ['object', 'null'],
      additionalProperties: false,
      default: null,
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { ...port, default: 8080 },
        dashboard: { type: 'boolean', default: true },
      },
    },
    settlement: {
      type: ['object', 'null'],
      additionalProperties: false,
      default: null,
      properties: {
        intervalMs: ms(60_000, 1_000, 86_400_000),
        outDir: { type: 'string', minLength: 1 },
        // Statement inbox: camt.05x, pain.002 and clearing CSV files dropped here are reconciled as they arrive
        // (default DATA_DIR/recon-inbox; false turns it off).
        reconInbox: { type: ['string', 'boolean'], minLength: 1 },
        reconPollMs: ms(2_000, 100, 3_600_000),
      },
    },
  },
  required: ['listeners'],
} as const;
