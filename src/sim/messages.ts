// ISO 8583 requests a terminal network sends, in the codec's canonical form. Plain functions over plain data:
// the acquirer simulator calls them per message with a prepared transaction (pool.ts) or an earlier approval.
// Field choices: DE 22 051 = chip read, PIN capable; DE 25 00; DE 35 track 2 equivalent (PAN=YYMM SVC 0s);
// the DUKPT KSN (20 hex; 24 for AES DUKPT) in DE 62, where the switch reads it (DE 53 is only 16 digits in ISO
// 8583:1987); an AES PIN block (16 bytes) in the field the listener names for it, as DE 52 holds only 8 bytes.
import type { IsoMessage, FieldValue } from '../../codecs/index.js';
import type { FreshTxn, SimCard, SimTerminal, TxnPool } from './pool.js';

export type SimKind = 'purchase' | 'preauth' | 'refund' | 'reversal' | 'balance' | 'completion';
export const SIM_KINDS: readonly SimKind[] = ['purchase', 'preauth', 'refund', 'reversal', 'balance', 'completion'];

/** DE 7 / 12 / 13 for the current second (UTC throughout: simulated terminals keep switch time). */
export interface Clock {
  de7: string;
  de12: string;
  de13: string;
}

export function clockAt(ms: number): Clock {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const mmdd = p(d.getUTCMonth() + 1) + p(d.getUTCDate());
  const hhmmss = p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds());
  return { de7: mmdd + hhmmss, de12: hhmmss, de13: mmdd };
}

/** What the simulator keeps of an approved transaction so later messages can refer to it. */
export interface Approval {
  kind: 'purchase' | 'preauth';
  mti: string;
  card: number;
  terminal: number;
  amount: number;
  stan: string;
  de7: string;
  rrn: string;
  authCode: string;
}

export interface Envelope {
  acquirerId: string;
  stan: string;
  rrn: string;
  clock: Clock;
}

function base(card: SimCard, term: SimTerminal, e: Envelope, pc: string, amount: number): Record<string, FieldValue> {
  return {
    2: card.pan,
    3: pc,
    4: String(amount).padStart(12, '0'),
    7: e.clock.de7,
    11: e.stan,
    12: e.clock.de12,
    13: e.clock.de13,
    14: card.expiry,
    18: term.mcc,
    22: '051',
    25: '00',
    32: e.acquirerId,
    37: e.rrn,
    41: term.tid,
    42: term.mid,
    43: { 1: term.name.padEnd(25).slice(0, 25), 2: term.city.padEnd(13).slice(0, 13), 3: 'ID' },
    49: '360',
  };
}

/** Purchase (0200/00), pre-authorization (0100/00) or balance inquiry (0200/31) with PIN and chip data. */
export function freshRequest(kind: 'purchase' | 'preauth' | 'balance', t: FreshTxn, pool: TxnPool, e: Envelope): IsoMessage {
  const card = pool.cards[t.card];
  const f = base(card, pool.terminals[t.terminal], e, kind === 'balance' ? '310000' : '000000', t.amount);
  f[35] = `${card.pan}=${card.expiry}${card.serviceCode}00000000`;
  f[t.ksn.length === 24 ? pool.aesPinBlockField : 52] = t.pinBlock;
  f[55] = t.emv;
  f[62] = t.ksn;
  return { mti: kind === 'preauth' ? '0100' : '0200', fields: f };
}

/** Refund (0200/20) of an approved purchase: same card and amount, card present, no PIN. */
export function refundRequest(a: Approval, pool: TxnPool, e: Envelope): IsoMessage {
  return { mti: '0200', fields: base(pool.cards[a.card], pool.terminals[a.terminal], e, '200000', a.amount) };
}

function original(a: Approval, acquirerId: string): Record<string, string> {
  return { 1: a.mti, 2: a.stan, 3: a.de7, 4: acquirerId.padStart(11, '0'), 5: '00000000000' };
}

/** Reversal (0400) of an approved purchase or pre-authorization, DE 90 naming the original. */
export function reversalRequest(a: Approval, pool: TxnPool, e: Envelope): IsoMessage {
  const f = base(pool.cards[a.card], pool.terminals[a.terminal], e, '000000', a.amount);
  f[37] = a.rrn;
  f[38] = a.authCode;
  f[90] = original(a, e.acquirerId);
  return { mti: '0400', fields: f };
}

/** Completion (0220) of an approved pre-authorization for its full amount. */
export function completionRequest(a: Approval, pool: TxnPool, e: Envelope): IsoMessage {
  const f = base(pool.cards[a.card], pool.terminals[a.terminal], e, '000000', a.amount);
  f[37] = a.rrn;
  f[38] = a.authCode;
  f[90] = original(a, e.acquirerId);
  return { mti: '0220', fields: f };
}

/** Sign-on (001) or echo (301) from a terminal concentrator. */
export function networkRequest(code: '001' | '301', e: Envelope): IsoMessage {
  return { mti: '0800', fields: { 7: e.clock.de7, 11: e.stan, 70: code } };
}
