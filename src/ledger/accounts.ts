// Ledger accounts: one per participant, purpose and currency, named `<type>:<owner>:<currency>`.
// Balances are BigInt (a total of many 12-digit amounts passes 2^53 − 1); stored as decimal strings.
export type AccountType =
  | 'merchant' // payable to a merchant (credit-normal)
  | 'seller' // payable to a marketplace seller (credit-normal)
  | 'issuer' // settlement with an issuer: what it owes us (debit-normal)
  | 'interchange' // interchange owed to an issuer, netted at settlement (credit-normal)
  | 'acquirer' // the acquirer's share of the MDR (credit-normal)
  | 'scheme' // scheme fees payable (credit-normal)
  | 'fees' // the switch's fee income (credit-normal)
  | 'custodian' // cash at the custodian bank (debit-normal)
  | 'suspense' // reconciliation breaks parked for investigation
  | 'disputes' // money frozen by a chargeback until it is settled with the issuer
  | 'payouts'; // payouts sent to the bank and not yet confirmed (credit-normal)

export const DEBIT_NORMAL: ReadonlySet<AccountType> = new Set(['issuer', 'custodian', 'suspense']);

export function accountId(type: AccountType, owner: string, currency: string): string {
  return `${type}:${owner}:${currency}`;
}

export function parseAccountId(id: string): { type: AccountType; owner: string; currency: string } {
  const i = id.indexOf(':');
  const j = id.lastIndexOf(':');
  if (i < 0 || j <= i) throw new Error(`bad account id ${id}`);
  return { type: id.slice(0, i) as AccountType, owner: id.slice(i + 1, j), currency: id.slice(j + 1) };
}

/** TigerBeetle's four balances. */
export interface Balance {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

export interface StoredBalance {
  dp: string;
  cp: string;
  dpe: string;
  cpe: string;
}

export const zeroBalance = (): Balance => ({ debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n });

export function toStored(b: Balance): StoredBalance {
  return { dp: b.debitsPosted.toString(), cp: b.creditsPosted.toString(), dpe: b.debitsPending.toString(), cpe: b.creditsPending.toString() };
}

export function fromStored(s: StoredBalance | undefined): Balance {
  if (!s) return zeroBalance();
  return { debitsPosted: BigInt(s.dp), creditsPosted: BigInt(s.cp), debitsPending: BigInt(s.dpe), creditsPending: BigInt(s.cpe) };
}

/** Posted balance on the account's normal side (credit-normal: credits − debits). */
export function netPosted(id: string, b: Balance): bigint {
  return DEBIT_NORMAL.has(parseAccountId(id).type) ? b.debitsPosted - b.creditsPosted : b.creditsPosted - b.debitsPosted;
}
