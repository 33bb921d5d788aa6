// Provisioning: writes cards, accounts and LMK-encrypted keys into the hot state in bounded write transactions.
// Input carries the clear PAN once; it is hashed and sealed here and never stored in clear.
import { splitCsvLine } from '../util/csv.js';
import type { State } from './env.js';
import { isKnownCurrency, isValidAmount } from './money.js';
import { encryptPan, luhnValid, maskPan, panHash } from './pan.js';
import type { AccountRecord, CardLimits, CardRecord, CardStatus, KeyRecord, MerchantRecord, PinVerification } from './records.js';

/** A card as an import file or the demo generator describes it. */
export interface CardInput {
  pan: string;
  expiry: string;
  serviceCode?: string;
  panSequence?: string;
  status?: CardStatus;
  pin?: PinVerification;
  pinTries?: number;
  cvkRef?: string;
  mkacRef?: string;
  limits?: Partial<CardLimits>;
  accountId: string;
  product?: string;
  country?: string;
  notPermitted?: CardRecord['notPermitted'];
  blockedMcc?: string[];
  blockedAcquirers?: string[];
}

export interface AccountInput {
  id: string;
  currency: string;
  /** Opening balance, minor units (ledger = available, no holds). */
  balance: number;
  creditLimit?: number;
}

export const DEFAULT_LIMITS: CardLimits = { perTxn: 50_000_000, dailyAmount: 500_000_000, dailyCount: 500, dailyCash: 100_000_000 };
/** Records written per write transaction during an import. */
export const PROVISION_BATCH = 5_000;
const STATUSES: readonly CardStatus[] = ['active', 'blocked', 'lost', 'stolen', 'expired'];

export function cardRecord(s: State, c: CardInput): CardRecord {
  if (!luhnValid(c.pan)) throw new Error(`card ${maskPan(c.pan)}: PAN fails Luhn or length`);
  if (!/^\d{2}(0[1-9]|1[0-2])$/.test(c.expiry)) throw new Error(`card ${maskPan(c.pan)}: expiry must be YYMM`);
  if (c.status && !STATUSES.includes(c.status)) throw new Error(`card ${maskPan(c.pan)}: unknown status ${c.status}`);
  if (!c.accountId) throw new Error(`card ${maskPan(c.pan)}: accountId missing`);
  const hash = panHash(s.dataKeys.hashKey, c.pan);
  const tries = c.pinTries ?? 3;
  return {
    panHash: hash,
    panSealed: encryptPan(s.dataKeys.panKey, c.pan, hash),
    panMasked: maskPan(c.pan),
    status: c.status ?? 'active',
    expiry: c.expiry,
    serviceCode: c.serviceCode ?? '201',
    panSequence: c.panSequence ?? '00',
    ...(c.pin ? { pin: c.pin } : {}),
    pinTriesLeft: tries,
    pinTriesMax: tries,
    ...(c.cvkRef ? { cvkRef: c.cvkRef } : {}),
    ...(c.mkacRef ? { mkacRef: c.mkacRef } : {}),
    limits: { ...DEFAULT_LIMITS, ...c.limits },
    accountId: c.accountId,
    product: c.product ?? 'debit',
    ...(c.country ? { country: c.country } : {}),
    ...(c.notPermitted ? { notPermitted: c.notPermitted } : {}),
    ...(c.blockedMcc ? { blockedMcc: c.blockedMcc } : {}),
    ...(c.blockedAcquirers ? { blockedAcquirers: c.blockedAcquirers } : {}),
  };
}

export function accountRecord(a: AccountInput): AccountRecord {
  if (!a.id) throw new Error('account id missing');
  if (!isKnownCurrency(a.currency)) throw new Error(`account ${a.id}: unknown currency ${a.currency}`);
  if (!isValidAmount(a.balance)) throw new Error(`account ${a.id}: balance must be a non-negative integer in minor units`);
  const credit = a.creditLimit ?? 0;
  if (!isValidAmount(credit)) throw new Error(`account ${a.id}: creditLimit must be a non-negative integer`);
  return { id: a.id, currency: a.currency, ledger: a.balance, available: a.balance, creditLimit: credit };
}

export interface ProvisionInput {
  accounts?: AccountInput[];
  cards?: CardInput[];
  keys?: KeyRecord[];
  merchants?: MerchantRecord[];
}

/**
 * Writes everything in batches of PROVISION_BATCH, each one durable before the next; `progress(done, total)` after
 * each batch. Existing records with the same key are replaced (accounts too: provisioning resets balances).
 */
export async function provision(s: State, input: ProvisionInput, progress?: (done: number, total: number) => void): Promise<{ cards: number; accounts: number; keys: number }> {
  const accounts = (input.accounts ?? []).map(accountRecord);
  const cards = (input.cards ?? []).map((c) => cardRecord(s, c));
  const keys = input.keys ?? [];
  const total = accounts.length + cards.length + keys.length + (input.merchants?.length ?? 0);
  type W = () => void;
  const writes: W[] = [
    ...keys.map((k): W => () => void s.keys.put(k.name, k)),
    ...(input.merchants ?? []).map((m): W => () => void s.merchants.put(m.id, m)),
    ...accounts.map((a): W => () => void s.accounts.put(a.id, a)),
    ...cards.map((c): W => () => void s.cards.put(c.panHash, c)),
  ];
  let done = 0;
  for (let i = 0; i < writes.length; i += PROVISION_BATCH) {
    const chunk = writes.slice(i, i + PROVISION_BATCH);
    await s.root.transaction(() => {
      for (const w of chunk) w();
    });
    await s.root.flushed;
    done += chunk.length;
    progress?.(done, total);
  }
  return { cards: cards.length, accounts: accounts.length, keys: keys.length };
}

/** Parses an import file: JSON ({accounts, cards, keys} or an array of cards) or CSV with a header row. */
export function parseImport(text: string, format: 'json' | 'csv'): ProvisionInput {
  if (format === 'json') {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v)) return { cards: v as CardInput[] };
    if (v && typeof v === 'object') return v as ProvisionInput;
    throw new Error('JSON import must be an object {accounts, cards, keys} or an array of cards');
  }
  // CSV columns: pan,expiry,serviceCode,status,accountId,currency,balance,creditLimit,pvkRef,pvki,pvv,cvkRef,mkacRef,product
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { cards: [], accounts: [] };
  const head = splitCsvLine(lines[0]).map((h) => h.trim());
  for (const need of ['pan', 'expiry', 'accountId']) if (!head.includes(need)) throw new Error(`CSV header lacks '${need}'`);
  const cards: CardInput[] = [];
  const accounts = new Map<string, AccountInput>();
  lines.slice(1).forEach((line, n) => {
    const cols = splitCsvLine(line).map((c) => c.trim());
    if (cols.length !== head.length) throw new Error(`CSV line ${n + 2}: ${cols.length} fields, header has ${head.length}`);
    const r = Object.fromEntries(head.map((h, i) => [h, cols[i]])) as Record<string, string>;
    const card: CardInput = {
      pan: r.pan, expiry: r.expiry, accountId: r.accountId,
      ...(r.serviceCode ? { serviceCode: r.serviceCode } : {}),
      ...(r.status ? { status: r.status as CardStatus } : {}),
      ...(r.cvkRef ? { cvkRef: r.cvkRef } : {}),
      ...(r.mkacRef ? { mkacRef: r.mkacRef } : {}),
      ...(r.product ? { product: r.product } : {}),
      ...(r.pvkRef && r.pvv ? { pin: { method: 'visa' as const, pvkRef: r.pvkRef, pvki: r.pvki || '1', pvv: r.pvv } } : {}),
    };
    cards.push(card);
    if (r.currency && r.balance !== undefined && r.balance !== '' && !accounts.has(r.accountId)) {
      const balance = Number(r.balance);
      const creditLimit = r.creditLimit ? Number(r.creditLimit) : 0;
      if (!Number.isSafeInteger(balance) || !Number.isSafeInteger(creditLimit)) throw new Error(`CSV line ${n + 2}: balance/creditLimit must be integers (minor units)`);
      accounts.set(r.accountId, { id: r.accountId, currency: r.currency, balance, creditLimit });
    }
  });
  return { cards, accounts: [...accounts.values()] };
}
