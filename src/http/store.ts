// The HTTP side's own LMDB environment (<dataDir>/http.mdb): merchants and API keys, payments and their
// indexes, idempotency records, the card vault, webhook endpoints and the delivery log. It is separate from
// the engine's gerbang.mdb because the engine's State does not expose a way to open extra named databases;
// both live in the same data dir and share its key-encryption key file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { PaymentRecord } from '../payments/model.js';

export interface HttpMerchant {
  id: string;
  name: string;
  mcc: string;
  country: string;
  acquirerId: string;
  created: number;
  /** SHA-256 (hex) of each live API key; the key itself is shown once and never stored. */
  keyHashes: string[];
  /** Request-signing secret, sealed under the vault data key (it must be readable to verify HMACs). */
  signingSecretSealed: string;
  /** When true every request must carry a valid Gerbang-Signature. */
  requireSignature: boolean;
  webhook?: { url: string; events: string[]; secretSealed: string };
}

export interface IdemEntry {
  /** SHA-256 of method, path and body. */
  hash: string;
  status: number;
  body: string;
  created: number;
  expiresAt: number;
}

export interface VaultEntry {
  merchantId: string;
  /** AES-256-GCM sealed PAN; AAD binds it to the token and merchant. */
  panSealed: string;
  masked: string;
  last4: string;
  expMonth: number;
  expYear: number;
  created: number;
}

export interface DeliveryRecord {
  id: string;
  merchantId: string;
  eventId: string;
  eventType: string;
  url: string;
  /** The exact JSON body delivered (and signed) on every attempt. */
  payload: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  created: number;
}

export interface HttpStore {
  root: RootDatabase;
  merchants: Database<HttpMerchant, string>;
  /** API key hash (hex) → merchant id. */
  apiKeys: Database<string, string>;
  payments: Database<PaymentRecord, string>;
  /** [merchantId, created, paymentId] → 1 (list by time). */
  byCreated: Database<number, (string | number)[]>;
  /** [merchantId, status, created, paymentId] → 1 (list by status). */
  byStatus: Database<number, (string | number)[]>;
  /** 'merchantId|key' → stored response. */
  idem: Database<IdemEntry, string>;
  tokens: Database<VaultEntry, string>;
  /** HMAC fingerprint of merchant+PAN → token (the same card tokenizes to the same token). */
  fingerprints: Database<string, string>;
  deliveries: Database<DeliveryRecord, string>;
  /** [merchantId, created, deliveryId] → 1. */
  deliveriesByMerchant: Database<number, (string | number)[]>;
  meta: Database<unknown, string>;
}

export const HTTP_STATE_FILE = 'http.mdb';

export function openHttpStore(dataDir: string): HttpStore {
  mkdirSync(dataDir, { recursive: true });
  const root = open({ path: join(dataDir, HTTP_STATE_FILE), maxDbs: 16, mapSize: 4 * 1024 ** 3, encoding: 'msgpack' });
  const db = <V, K extends string | (string | number)[] = string>(name: string) => root.openDB<V, K>({ name, encoding: 'msgpack' });
  return {
    root,
    merchants: db<HttpMerchant>('merchants'),
    apiKeys: db<string>('apiKeys'),
    payments: db<PaymentRecord>('payments'),
    byCreated: db<number, (string | number)[]>('paymentsByCreated'),
    byStatus: db<number, (string | number)[]>('paymentsByStatus'),
    idem: db<IdemEntry>('idempotency'),
    tokens: db<VaultEntry>('vault'),
    fingerprints: db<string>('vaultFingerprints'),
    deliveries: db<DeliveryRecord>('webhookDeliveries'),
    deliveriesByMerchant: db<number, (string | number)[]>('webhookDeliveriesByMerchant'),
    meta: db<unknown>('meta'),
  };
}

/** Resolves once `write` is committed AND on disk. lmdb-js resolves a put at its commit, before the fsync (its
 * default `overlappingSync` on Linux syncs after the commit, overlapped with the next one), so an answer that must
 * be durable also waits for `flushed`. `flushed` is bound to the write batch current when its `then` runs: call
 * this in the same synchronous run as the writes (then it waits for their batch's fsync, not a later batch's). */
export function durable(db: Pick<Database, 'flushed'>, write: Promise<unknown>): Promise<void> {
  const flushed = new Promise<void>((resolve, reject) => {
    db.flushed.then(() => resolve(), reject);
  });
  return Promise.all([write, flushed]).then(() => undefined);
}

export async function closeHttpStore(s: HttpStore): Promise<void> {
  await s.root.flushed;
  await s.root.close();
}
