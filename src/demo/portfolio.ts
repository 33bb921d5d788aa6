// The deterministic demo portfolio: what `gerbang cards generate`, `npm start`, the simulators and the benchmarks
// use. Pure functions of (seed, index). Keys are formed from published test components under the published test
// LMK — TEST ONLY, they protect nothing.
import {
  encryptUnderLmkVariant,
  hex,
  iccMasterKey,
  kcv,
  testLmk,
  visaCvv,
  visaPvv,
} from '../../hsm-sim/crypto/index.js';
import { luhnCheckDigit } from '../state/pan.js';
import type { AccountInput, CardInput, ProvisionInput } from '../state/provision.js';
import type { CardStatus, KeyRecord } from '../state/records.js';

export const DEMO_BINS = ['476173', '520473'] as const;
export const DEMO_PIN = '1234';
export const DEMO_EXPIRY = '3012';
export const DEMO_CURRENCY = '360';
/** Opening balance of every demo account: IDR 1,000,000.00 in minor units. */
export const DEMO_BALANCE = 100_000_000;
/** Balance of the low-funds demo account (index LOW_FUNDS): IDR 50.00. */
export const DEMO_LOW_BALANCE = 5_000;

/** Cards at these indexes (mod 1000) are special, so tests and simulators can aim at each decline. */
export const DEMO_SPECIAL = {
  blocked: 1, // 62
  lost: 2, // 41
  stolen: 3, // 43
  expiredStatus: 4, // 54 (status)
  expiredDate: 5, // 54 (expiry 2401)
  prepaidNoCash: 6, // 57 on cash
  lowFunds: 7, // 51 above DEMO_LOW_BALANCE, partial approvals
} as const;

/** Clear demo key components (published test values) by key reference name, with their payShield key type code. */
export const DEMO_KEYS_CLEAR: Record<string, { type: KeyRecord['type']; typeCode: string; clear: string; block?: string }> = {
  'cvk.demo': { type: 'CVK', typeCode: '402', clear: '0123456789ABCDEFFEDCBA9876543210' },
  'pvk.demo': { type: 'PVK', typeCode: '002', clear: '0123456789ABCDEFFEDCBA9876543210' },
  'mkac.demo': { type: 'MK-AC', typeCode: '109', clear: '0123456789ABCDEFFEDCBA9876543210' },
  'bdk.demo': { type: 'BDK', typeCode: '009', clear: '0123456789ABCDEFFEDCBA9876543210' },
  // AES-128 BDK of the X9.24-3-2017 sample (AES DUKPT terminals: 24-digit KSN, ISO format 4 PIN blocks).
  // Kept as one fixed key block under the test LMK (a wrap takes random padding; the config's keys stay the same).
  'bdk.aes.demo': {
    type: 'BDK',
    typeCode: '009',
    clear: 'FEDCBA9876543210F1F1F1F1F1F1F1F1',
    block: 'SD0112B0AN00E00007883A56ABB5F9F128D9804496C3A3081620E5C5C204E5BD269446471F4FEEAC4380A724B6EF1720105D60B0676C12364',
  },
  'tpk.demo': { type: 'TPK', typeCode: '002', clear: 'FEDCBA98765432100123456789ABCDEF' },
  'zpk.demo': { type: 'ZPK', typeCode: '001', clear: '89ABCDEF0123456776543210FEDCBA98' },
  // The issuer-side ZPK the engine translates DUKPT PIN blocks to before verifying.
  'zpk.issuer': { type: 'ZPK', typeCode: '001', clear: '89ABCDEF0123456776543210FEDCBA98' },
};

/** Demo keys as the key store holds them: under the test LMK (TDES keys: variant, scheme U; AES keys: an S key block). */
export function demoKeys(): KeyRecord[] {
  const lmk = testLmk();
  return Object.entries(DEMO_KEYS_CLEAR).map(([name, k]) => ({
    name,
    type: k.type,
    key: k.block ?? 'U' + encryptUnderLmkVariant(lmk, k.typeCode, hex(k.clear)).toString('hex').toUpperCase(),
    kcv: kcv(hex(k.clear), { aes: k.block !== undefined }),
  }));
}

/** What a cardholder / terminal knows about demo card `i`: enough for simulators to build real transactions. */
export interface DemoCard {
  index: number;
  pan: string;
  pin: string;
  cvv2: string;
  expiry: string;
  serviceCode: string;
  panSequence: string;
  status: CardStatus;
  accountId: string;
  currency: string;
  balance: number;
  product: string;
  /** ICC master key for ARQC (derived from the demo IMK, EMV option A), hex: what the chip holds. */
  iccMasterKey: string;
}

/** Nine account digits, a bijection of i for a given seed (7919 is coprime with 10^9). */
function accountDigits(seed: number, i: number): string {
  const n = (BigInt(i) * 7919n + BigInt(seed) * 104_729n) % 1_000_000_000n;
  return n.toString().padStart(9, '0');
}

export function demoPan(i: number, seed = 1): string {
  if (!Number.isSafeInteger(i) || i < 0 || i >= 1_000_000_000) throw new Error('demo card index must be 0 ≤ i < 10^9');
  const partial = DEMO_BINS[i % 2] + accountDigits(seed, i);
  return partial + luhnCheckDigit(partial);
}

function statusOf(i: number): CardStatus {
  const k = i % 1000;
  if (k === DEMO_SPECIAL.blocked) return 'blocked';
  if (k === DEMO_SPECIAL.lost) return 'lost';
  if (k === DEMO_SPECIAL.stolen) return 'stolen';
  if (k === DEMO_SPECIAL.expiredStatus) return 'expired';
  return 'active';
}

export function demoCard(i: number, seed = 1): DemoCard {
  const pan = demoPan(i, seed);
  const expiry = i % 1000 === DEMO_SPECIAL.expiredDate ? '2401' : DEMO_EXPIRY;
  const cvk = hex(DEMO_KEYS_CLEAR['cvk.demo'].clear);
  const panSequence = '00';
  return {
    index: i,
    pan,
    pin: DEMO_PIN,
    cvv2: visaCvv(cvk, pan, expiry, '000'),
    expiry,
    serviceCode: i % 2 === 0 ? '201' : '101',
    panSequence,
    status: statusOf(i),
    accountId: `A${seed}-${i}`,
    currency: DEMO_CURRENCY,
    balance: i % 1000 === DEMO_SPECIAL.lowFunds ? DEMO_LOW_BALANCE : DEMO_BALANCE,
    product: i % 1000 === DEMO_SPECIAL.prepaidNoCash ? 'prepaid' : 'debit',
    iccMasterKey: iccMasterKey(hex(DEMO_KEYS_CLEAR['mkac.demo'].clear), pan, panSequence).toString('hex').toUpperCase(),
  };
}

export function demoPortfolio(seed: number, count: number): DemoCard[] {
  const out: DemoCard[] = [];
  for (let i = 0; i < count; i++) out.push(demoCard(i, seed));
  return out;
}

/** The issuer-side records for demo cards [from, from+count): cards (PVV, key refs), accounts, and the keys. */
export function demoProvisionInput(seed: number, count: number, from = 0): ProvisionInput {
  const pvk = hex(DEMO_KEYS_CLEAR['pvk.demo'].clear);
  const cards: CardInput[] = [];
  const accounts: AccountInput[] = [];
  for (let i = from; i < from + count; i++) {
    const pan = demoPan(i, seed);
    const k = i % 1000;
    cards.push({
      pan,
      expiry: k === DEMO_SPECIAL.expiredDate ? '2401' : DEMO_EXPIRY,
      serviceCode: i % 2 === 0 ? '201' : '101',
      panSequence: '00',
      status: statusOf(i),
      pin: { method: 'visa', pvkRef: 'pvk.demo', pvki: '1', pvv: visaPvv(pvk, pan, '1', DEMO_PIN) },
      pinTries: 3,
      cvkRef: 'cvk.demo',
      mkacRef: 'mkac.demo',
      accountId: `A${seed}-${i}`,
      product: k === DEMO_SPECIAL.prepaidNoCash ? 'prepaid' : 'debit',
      country: '360',
      ...(k === DEMO_SPECIAL.prepaidNoCash ? { notPermitted: ['cash' as const] } : {}),
    });
    accounts.push({ id: `A${seed}-${i}`, currency: DEMO_CURRENCY, balance: k === DEMO_SPECIAL.lowFunds ? DEMO_LOW_BALANCE : DEMO_BALANCE });
  }
  return { cards, accounts, keys: demoKeys() };
}
