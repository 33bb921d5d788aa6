// Card tokenization vault: PAN → `tok_…` token, the PAN sealed with AES-256-GCM under the vault data key.
// Tokens are scoped to the merchant that made them: another merchant's token is "not found", never detokenized.
// The same merchant tokenizing the same card gets the same token (keyed fingerprint), so retries do not grow it.
import { randomId } from '../http/ids.js';
import type { Database } from 'lmdb';
import { luhnValid, maskPan } from '../state/pan.js';
import { durable, type VaultEntry } from '../http/store.js';
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

const DONE: Promise<void> = Promise.resolve();

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

  /** Cards whose write is queued but not yet committed, by fingerprint: a second request for the same card
   * in that window gets the same token (LMDB reads only see committed data). Bounded by the writes in flight. */
  private readonly pending = new Map<string, { token: string; entry: VaultEntry; written: Promise<void> }>();

  /** Stores the card (durably) and returns its token. Throws VaultError('invalid_number') on a bad PAN. */
  async tokenize(merchantId: string, card: CardData, now = Date.now()): Promise<TokenInfo> {
    const t = this.tokenizeQueued(merchantId, card, now);
    await t.written;
    return t.info;
  }

  /** Like tokenize, but returns as soon as the write is queued. LMDB commits writes in the order they are
   * queued, so any write queued after this one (the payment record that names the token) is durable only
   * once the token is: the payment path awaits its own record and saves a commit wait per request. */
  tokenizeQueued(merchantId: string, card: CardData, now = Date.now()): { info: TokenInfo; written: Promise<void> } {
    if (!luhnValid(card.pan)) throw new VaultError('invalid_number', 'The card number is not valid');
    const fp = fingerprint(this.keys.fingerprintKey, `${merchantId}|${card.pan}`);
    const queued = this.pending.get(fp);
    let token = queued?.token ?? this.fingerprints.get(fp);
    const e = queued?.entry ?? (token ? this.tokens.get(token) : undefined);
    if (token && e && e.merchantId === merchantId) {
      if (e.expMonth === card.expMonth && e.expYear === card.expYear) return { info: info(token, e), written: queued?.written ?? DONE };
      // A reissued card keeps its token; the expiry on file follows the latest one seen.
      return { info: info(token, e), written: this.queue(fp, token, { ...e, expMonth: card.expMonth, expYear: card.expYear }, false) };
    }
    token = randomId('tok_', 16); // pooled CSPRNG bytes, as the other resource ids
    const entry: VaultEntry = {
      merchantId,
      panSealed: seal(this.keys.dataKey, card.pan, this.aad(token, merchantId)),
      masked: maskPan(card.pan),
      last4: card.pan.slice(-4),
      expMonth: card.expMonth,
      expYear: card.expYear,
      created: now,
    };
    return { info: info(token, entry), written: this.queue(fp, token, entry, true) };
  }

  private queue(fp: string, token: string, entry: VaultEntry, fresh: boolean): Promise<void> {
    const w = { token, entry, written: DONE };
    const done = (ok: boolean) => {
      if (this.pending.get(fp) === w) this.pending.delete(fp);
      return ok;
    };
    // Both puts are queued in this event turn, so they land in the same LMDB transaction.
    const p = durable(this.tokens, Promise.all([this.tokens.put(token, entry), fresh ? this.fingerprints.put(fp, token) : true])).then(
      () => void done(true),
      (e: unknown) => {
        done(false);
        throw e;
      },
    );
    w.written = p;
    this.pending.set(fp, w);
    return p;
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
    return Object.assign(info(token, e), { pan, expiry: expiryYymm(e.expMonth, e.expYear) }); // no spread: V8's slow path
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
