// What the acquirer simulator's terminals and cards know, and the transactions it prepares before a run.
//
// Cards: demo portfolio cards (on-us, src/demo; special-status indexes skipped) and "remote" cards in a BIN the
// switch routes to an issuer (default 400555), each with its ICC master key for ARQCs. Terminals: DUKPT PIN pads
// on the demo BDK, one KSN device id each.
//
// Crypto is done before the run, not during it: the pool is a list of fresh chip-and-PIN transactions, each with
// its own KSN + PIN block (ISO format 0 under the DUKPT PIN key) and its own ATC + unpredictable number + ARQC over
// the CDOL1 data the switch verifies (src/authorize/emv.ts). At send time the simulator only patches STAN, times
// and RRN. When a run needs more fresh transactions than the pool holds, entries are used again from the start
// (same KSN and ATC: a replay a strict host may reject) — size the pool to tps × duration to avoid that.
import { acDiversification, commonSessionKey, generateArqc, hex, iccMasterKey } from '../../hsm-sim/crypto/index.js';
import { arqcData } from '../authorize/emv.js';
import { DEMO_KEYS_CLEAR, DEMO_PIN, demoCard } from '../demo/portfolio.js';
import { luhnCheckDigit } from '../state/pan.js';
import { AesDukptTerminal, DukptTerminal, makeKsn, type PinPad } from './dukpt.js';
import { mulberry32 } from './prng.js';

export interface SimCard {
  pan: string;
  expiry: string;
  serviceCode: string;
  panSequence: string;
  pin: string;
  /** The chip's ICC master key for application cryptograms (what the card holds). */
  iccMk: Buffer;
  remote: boolean;
}

export interface SimTerminal {
  tid: string;
  mid: string;
  name: string;
  city: string;
  mcc: string;
  dukpt: PinPad;
}

/** One prepared chip-and-PIN transaction: everything that needed a key. */
export interface FreshTxn {
  card: number;
  terminal: number;
  /** Minor units (0 for a balance inquiry). */
  amount: number;
  ksn: string;
  pinBlock: string;
  /** DE 55 tags, upper-case hex. */
  emv: Record<string, string>;
}

export interface TxnPool {
  cards: SimCard[];
  terminals: SimTerminal[];
  /** Purchases and pre-authorizations (EMV transaction type 00). */
  debit: FreshTxn[];
  /** Balance inquiries (EMV transaction type 31, amount 0). */
  balance: FreshTxn[];
  /** Field an AES DUKPT PIN block travels in (DE 52 holds only 8 bytes in ISO 8583:1987). */
  aesPinBlockField: number;
  buildMs: number;
}

export interface PoolOptions {
  /** Fresh debit transactions to prepare (purchases + pre-authorizations). */
  debitSize: number;
  /** Fresh balance inquiries to prepare (at least 1). */
  balanceSize: number;
  /** On-us demo cards, indexes from 0 (default 500; must be provisioned in the switch). */
  onUsCards?: number;
  /** Seed of the demo portfolio (default 1, as `npm start` provisions). */
  demoSeed?: number;
  /** Remote (issuer-routed) cards and their BIN (defaults 100 and '400555'). */
  remoteCards?: number;
  remoteBin?: string;
  /** Share of fresh transactions on remote cards (default 0.3; 0 = on-us only, 1 = remote only). */
  remoteShare?: number;
  terminals?: number;
  /** AES DUKPT PIN pads (X9.24-3, on the demo AES BDK) instead of TDES DUKPT ones (default false). */
  aesDukpt?: boolean;
  /** Field that carries an AES PIN block (default 110, as the default switch's ISO listener reads it). */
  aesPinBlockField?: number;
  /** Seed for amounts, card choice and unpredictable numbers (default 1). */
  seed?: number;
  /** Transaction date for EMV tag 9A (default today). */
  date?: Date;
}

/**
 * Everyday amounts, IDR 5,000–24,000 (minor units, exponent 2): what a busy shop sees, well above the fraud model's
 * card-testing line (IDR 3,000) and small enough that a demo balance (IDR 1,000,000) lasts a long bench.
 */
const MIN_AMOUNT = 500_000;
const AMOUNT_STEPS = 20;
const AMOUNT_STEP = 100_000;
const MAX_POOL = 1_000_000;
const MAX_CARDS = 100_000;

const DEMO_SPECIAL_INDEX_MAX = 7; // demo indexes 1..7 (mod 1000) are blocked/lost/stolen/expired/prepaid/low-funds cards

export function simCards(o: { onUsCards: number; demoSeed: number; remoteCards: number; remoteBin: string }): SimCard[] {
  if (o.onUsCards + o.remoteCards < 1 || o.onUsCards + o.remoteCards > MAX_CARDS) throw new RangeError(`between 1 and ${MAX_CARDS} cards`);
  if (!/^[0-9]{6,8}$/.test(o.remoteBin)) throw new RangeError('remote BIN must be 6 to 8 digits');
  const imk = hex(DEMO_KEYS_CLEAR['mkac.demo'].clear);
  const cards: SimCard[] = [];
  for (let i = 0; cards.length < o.onUsCards; i++) {
    const k = i % 1000;
    if (k >= 1 && k <= DEMO_SPECIAL_INDEX_MAX) continue;
    const d = demoCard(i, o.demoSeed);
    cards.push({ pan: d.pan, expiry: d.expiry, serviceCode: d.serviceCode, panSequence: d.panSequence, pin: d.pin, iccMk: hex(d.iccMasterKey), remote: false });
  }
  for (let i = 0; i < o.remoteCards; i++) {
    const body = o.remoteBin + String(i * 7919 + 1).padStart(15 - o.remoteBin.length, '0');
    const pan = body + luhnCheckDigit(body);
    cards.push({ pan, expiry: '3012', serviceCode: '201', panSequence: '00', pin: DEMO_PIN, iccMk: iccMasterKey(imk, pan, '00'), remote: true });
  }
  return cards;
}

export function simTerminals(count: number, seed: number, aes = false): SimTerminal[] {
  if (!(count >= 1 && count <= 9999)) throw new RangeError('terminals must be 1..9999');
  const bdk = hex(DEMO_KEYS_CLEAR['bdk.demo'].clear);
  const aesBdk = hex(DEMO_KEYS_CLEAR['bdk.aes.demo'].clear);
  const out: SimTerminal[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i + 1).padStart(4, '0');
    out.push({
      tid: `SIM${String(seed % 10)}${n}`,
      mid: `SIMMERCHANT${n}`,
      name: `GERBANG SIM SHOP ${n}`,
      city: 'JAKARTA',
      mcc: '5411',
      // Device ids differ per seed so two runs with different seeds never share a KSN.
      dukpt: aes ? new AesDukptTerminal(aesBdk, aesInitialKeyId(seed, i)) : new DukptTerminal(bdk, makeKsn('FFFF987654', ((seed & 0x1f) << 14) | i)),
    });
  }
  return out;
}

/** AES DUKPT initial key ID: BDK ID 'FFFF9876' ‖ derivation ID from the seed and the terminal's index. */
function aesInitialKeyId(seed: number, i: number): Buffer {
  const id = Buffer.from('FFFF987600000000', 'hex');
  id.writeUInt32BE((((seed & 0x1f) << 14) | i) >>> 0, 4);
  return id;
}

function yymmdd(d: Date): string {
  return String(d.getUTCFullYear() % 100).padStart(2, '0') + String(d.getUTCMonth() + 1).padStart(2, '0') + String(d.getUTCDate()).padStart(2, '0');
}

/** Prepares one chip-and-PIN transaction: next KSN + PIN block on the terminal, next ATC + ARQC on the card. */
export function prepareTxn(card: SimCard, cardIdx: number, atc: number, term: SimTerminal, termIdx: number, amount: number, type: '00' | '31', un: string, date: string): FreshTxn {
  const { ksn, pinBlock } = term.dukpt.nextPinBlock(card.pin, card.pan);
  const atcHex = (atc & 0xffff).toString(16).toUpperCase().padStart(4, '0');
  const emv: Record<string, string> = {
    '9F02': String(amount).padStart(12, '0'),
    '9F03': '000000000000',
    '9F1A': '0360',
    '95': '0000000000',
    '5F2A': '0360',
    '9A': date,
    '9C': type,
    '9F37': un,
    '82': '1800',
    '9F36': atcHex,
    '9F10': '06010A03A00000',
  };
  const data = arqcData(emv);
  if (data === undefined) throw new Error('ARQC data incomplete'); // cannot happen: every CDOL1 tag is set above
  const sk = commonSessionKey(card.iccMk, acDiversification(hex(atcHex), hex(un)));
  emv['9F26'] = generateArqc(sk, hex(data)).toString('hex').toUpperCase();
  emv['9F27'] = '80';
  emv['5F34'] = card.panSequence.padStart(2, '0');
  return { card: cardIdx, terminal: termIdx, amount, ksn, pinBlock, emv };
}

export function buildTxnPool(o: PoolOptions): TxnPool {
  const t0 = performance.now();
  const debitSize = Math.floor(o.debitSize);
  const balanceSize = Math.max(1, Math.floor(o.balanceSize));
  if (!(debitSize >= 1 && debitSize + balanceSize <= MAX_POOL)) throw new RangeError(`pool size must be 1..${MAX_POOL}`);
  const seed = o.seed ?? 1;
  const remoteShare = o.remoteShare ?? 0.3;
  if (!(remoteShare >= 0 && remoteShare <= 1)) throw new RangeError('remoteShare must be between 0 and 1');
  const onUs = remoteShare === 1 ? 0 : (o.onUsCards ?? 500);
  const remote = remoteShare === 0 ? 0 : (o.remoteCards ?? 100);
  if (remoteShare > 0 && remote === 0) throw new RangeError('remoteShare > 0 needs remote cards');
  if (remoteShare < 1 && onUs === 0) throw new RangeError('remoteShare < 1 needs on-us cards');
  const cards = simCards({ onUsCards: onUs, demoSeed: o.demoSeed ?? 1, remoteCards: remote, remoteBin: o.remoteBin ?? '400555' });
  const terminals = simTerminals(o.terminals ?? 100, seed, o.aesDukpt === true);
  const rand = mulberry32(seed ^ 0x5eed);
  const atc = new Uint16Array(cards.length);
  const date = yymmdd(o.date ?? new Date());
  let nextOnUs = 0;
  let nextRemote = 0;
  let nextTerm = 0;
  const make = (type: '00' | '31'): FreshTxn => {
    const useRemote = rand() < remoteShare;
    const ci = useRemote ? onUs + (nextRemote++ % remote) : nextOnUs++ % onUs;
    atc[ci] = (atc[ci] + 1) & 0xffff;
    const ti = nextTerm++ % terminals.length;
    const amount = type === '31' ? 0 : MIN_AMOUNT + Math.floor(rand() * AMOUNT_STEPS) * AMOUNT_STEP;
    const un = Math.floor(rand() * 0x100000000).toString(16).toUpperCase().padStart(8, '0');
    return prepareTxn(cards[ci], ci, atc[ci], terminals[ti], ti, amount, type, un, date);
  };
  const debit: FreshTxn[] = [];
  const balance: FreshTxn[] = [];
  // Interleave so each kind's entries spread over cards and terminals the same way.
  const total = debitSize + balanceSize;
  for (let i = 0; i < total; i++) {
    if (balance.length < balanceSize && (debit.length >= debitSize || (i * balanceSize) % total < balanceSize)) balance.push(make('31'));
    else debit.push(make('00'));
  }
  return { cards, terminals, debit, balance, aesPinBlockField: o.aesPinBlockField ?? 110, buildMs: Math.round(performance.now() - t0) };
}
