// Card tokenization vault: PAN → `tok_…` token, the PAN sealed with AES-256-GCM under the vault data key.
// Tokens are scoped to the merchant that made them: another merchant's token is "not found", never detokenized.
// The same merchant tokenizing the same card gets the same token (keyed fingerprint), so retries do not grow it.
import { randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import { luhnValid, maskPan } from '../state/pan.js';
import type { VaultEntry } from '../http/store.js';
import { fingerprint, seal, unseal, type VaultKeys } from './keys.js';

export interface CardData {
  pan: string;
  expMonth: number;
  expYear: number;
}

export interface TokenInfo {
  token: string;
  masked: string;
  last4: string;
  expMonth: number;
  expYear: number;
  created: number;
}

export interface DetokenizedCard extends TokenInfo {
  pan: string;
  /** YYMM as DE 14 carries it. */
  expiry: string;
}

export class VaultError extends Error {
  constructor(
    readonly code: 'invalid_number' | 'token_not_found' | 'vault_corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export const TOKEN_PATTERN = /^tok_[A-Za-z0-9_-]{22}$/;

export function expiryYymm(expMonth: number, expYear: number): string {
  return String(expYear % 100).padStart(2, '0') + String(expMonth).padStart(2, '0');
}

export class Vault {
  constructor(
    private readonly tokens: Database<VaultEntry, string>,
    private readonly fingerprints: Database<string, string>,
    private readonly keys: VaultKeys,
  ) {}

  private aad(token: string, merchantId: string): string {
    return `${token}|${merchantId}`;
  }

  /** Stores the card (durably) and returns its token. Throws VaultError('invalid_number') on a bad PAN. */
  async tokenize(merchantId: string, card: CardData, now = Date.now()): Promise<TokenInfo> {
    if (!luhnValid(card.pan)) throw new VaultError('invalid_number', 'The card number is not valid');
    const fp = fingerprint(this.keys.fingerprintKey, `${merchantId}|${card.pan}`);
    const existing = this.fingerprints.get(fp);
    if (existing) {
      const e = this.tokens.get(existing);
      if (e && e.merchantId === merchantId) {
        if (e.expMonth !== card.expMonth || e.expYear !== card.expYear) {
          // A reissued card keeps its token; the expiry on file follows the latest one seen.
          const updated = { ...e, expMonth: card.expMonth, expYear: card.expYear };
          await this.tokens.put(existing, updated);
          return info(existing, updated);
        }
        return info(existing, e);
      }
    }
    const token = 'tok_' + randomBytes(16).toString('base64url');
    const entry: VaultEntry = {
      merchantId,
      panSealed: seal(this.keys.dataKey, card.pan, this.aad(token, merchantId)),
      masked: maskPan(card.pan),
      last4: card.pan.slice(-4),
      expMonth: card.expMonth,
      expYear: card.expYear,
      created: now,
    };
    await this.tokens.transaction(() => {
      this.tokens.put(token, entry);
      this.fingerprints.put(fp, token);
    });
    return info(token, entry);
  }

  /** The card behind a token, for the engine call only (the PAN lives in memory for the request). */
  detokenize(merchantId: string, token: string): DetokenizedCard {
    const e = TOKEN_PATTERN.test(token) ? this.tokens.get(token) : undefined;
    if (!e || e.merchantId !== merchantId) throw new VaultError('token_not_found', 'No such token');
    let pan: string;
    try {
      pan = unseal(this.keys.dataKey, e.panSealed, this.aad(token, merchantId)).toString('ascii');
    } catch {
      throw new VaultError('vault_corrupt', 'The vault entry could not be opened');
    }
    return { ...info(token, e), pan, expiry: expiryYymm(e.expMonth, e.expYear) };
  }

  /** Metadata only (no PAN). */
  lookup(merchantId: string, token: string): TokenInfo | undefined {
    const e = TOKEN_PATTERN.test(token) ? this.tokens.get(token) : undefined;
    return e && e.merchantId === merchantId ? info(token, e) : undefined;
  }
}

function info(token: string, e: VaultEntry): TokenInfo {
  return { token, masked: e.masked, last4: e.last4, expMonth: e.expMonth, expYear: e.expYear, created: e.created };
}
