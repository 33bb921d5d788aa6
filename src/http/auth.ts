// Merchants and their API keys. A key is `gk_live_` + 32 random bytes (base64url), shown once at creation and
// stored only as its SHA-256. Lookup is by hash; the stored hash is then compared in constant time anyway, so
// the check does not depend on how the database found the row.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HttpMerchant, HttpStore } from './store.js';
import { seal, unseal } from '../vault/keys.js';

export const API_KEY_PREFIX = 'gk_live_';
const API_KEY_PATTERN = /^gk_live_[A-Za-z0-9_-]{43}$/;
/** Bound on the in-memory key → merchant cache (hot path: one Map lookup instead of two LMDB reads). */
const MAX_CACHED_KEYS = 10_000;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): Buffer {
  return hash('sha256', key, 'buffer'); // one-shot: no Hash object per request (~1 µs less)
}

export interface CreateMerchantInput {
  name: string;
  mcc?: string;
  country?: string;
  acquirerId?: string;
  requireSignature?: boolean;
  /** Fixed id (tests, demo); default `mer_` + 10 random hex. */
  id?: string;
}

export interface CreatedMerchant {
  merchant: HttpMerchant;
  /** Shown once. */
  apiKey: string;
  /** Shown once; HMAC key for the optional Gerbang-Signature request header. */
  signingSecret: string;
}

function signingAad(merchantId: string): string {
  return `signing|${merchantId}`;
}

export async function createMerchant(store: HttpStore, dataKey: Buffer, input: CreateMerchantInput, now = Date.now()): Promise<CreatedMerchant> {
  const id = input.id ?? 'mer_' + randomBytes(5).toString('hex');
  if (!/^[A-Za-z0-9_]{1,15}$/.test(id)) throw new Error('merchant id: 1–15 letters, digits or _ (it is DE 42)');
  const name = input.name.trim();
  if (name.length === 0 || name.length > 64) throw new Error('merchant name: 1–64 characters');
  const mcc = input.mcc ?? '5999';
  if (!/^\d{4}$/.test(mcc)) throw new Error('mcc: 4 digits');
  const acquirerId = input.acquirerId ?? '990001';
  if (!/^\d{1,11}$/.test(acquirerId)) throw new Error('acquirer id: 1–11 digits');
  const apiKey = generateApiKey();
  const signingSecret = 'gss_' + randomBytes(32).toString('base64url');
  const keyHash = hashApiKey(apiKey).toString('hex');
  const merchant: HttpMerchant = {
    id,
    name,
    mcc,
    country: input.country ?? '360',
    acquirerId,
    created: now,
    keyHashes: [keyHash],
    signingSecretSealed: seal(dataKey, signingSecret, signingAad(id)),
    requireSignature: input.requireSignature ?? false,
  };
  const ok = await store.merchants.transaction(() => {
    if (store.merchants.get(id)) return false;
    store.merchants.put(id, merchant);
    store.apiKeys.put(keyHash, id);
    return true;
  });
  if (!ok) throw new Error(`merchant ${id} already exists`);
  return { merchant, apiKey, signingSecret };
}

/** Adds a key to an existing merchant (rotation); the old ones stay valid until revoked. */
export async function addApiKey(store: HttpStore, merchantId: string): Promise<string> {
  const apiKey = generateApiKey();
  const keyHash = hashApiKey(apiKey).toString('hex');
  const ok = await store.merchants.transaction(() => {
    const m = store.merchants.get(merchantId);
    if (!m) return false;
    store.merchants.put(merchantId, { ...m, keyHashes: [...m.keyHashes, keyHash] });
    store.apiKeys.put(keyHash, merchantId);
    return true;
  });
  if (!ok) throw new Error(`no merchant ${merchantId}`);
  return apiKey;
}

export interface AuthedMerchant {
  merchant: HttpMerchant;
  /** Hex SHA-256 of the key used: the rate-limit bucket key. */
  keyHash: string;
  signingSecret: Buffer;
}

/** Resolves `Authorization: Bearer gk_live_…` to its merchant, or undefined. Never throws on bad input. */
export class KeyAuthenticator {
  private readonly cache = new Map<string, AuthedMerchant>();
  constructor(
    private readonly store: HttpStore,
    private readonly dataKey: Buffer,
  ) {}

  authenticate(authorization: string): AuthedMerchant | undefined {
    if (!authorization.startsWith('Bearer ')) return undefined;
    const key = authorization.slice(7).trim();
    if (!API_KEY_PATTERN.test(key)) return undefined;
    const hash = hashApiKey(key);
    const hex = hash.toString('hex');
    const cached = this.cache.get(hex);
    if (cached) return cached;
    const merchantId = this.store.apiKeys.get(hex);
    if (!merchantId) return undefined;
    const merchant = this.store.merchants.get(merchantId);
    if (!merchant) return undefined;
    const stored = merchant.keyHashes.find((h) => h.length === hex.length && timingSafeEqual(Buffer.from(h, 'hex'), hash));
    if (!stored) return undefined; // revoked: the index row outlived the merchant's list
    const authed: AuthedMerchant = {
      merchant,
      keyHash: hex,
      signingSecret: unseal(this.dataKey, merchant.signingSecretSealed, signingAad(merchant.id)),
    };
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(hex, authed);
    return authed;
  }

  /** Drops a merchant's cached entries (after its record changed, e.g. a webhook endpoint was set). */
  invalidate(merchantId: string): void {
    for (const [k, v] of this.cache) if (v.merchant.id === merchantId) this.cache.delete(k);
  }
}
