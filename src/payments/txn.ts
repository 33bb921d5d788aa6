// An HTTP payment step becomes the same internal Txn an ISO 8583 message becomes: the engine and the journal
// cannot tell them apart except by `channel` ('http:<merchantId>'). Plain functions; the ids come in.
import type { Txn, TxnKind } from '../model/txn.js';
import type { TxnRef } from './model.js';

export interface MerchantTxnContext {
  merchantId: string;
  merchantName: string;
  mcc: string;
  country: string;
  /** DE 32 of the HTTP acquiring channel (digits). */
  acquirerId: string;
}

export interface CardForTxn {
  pan: string;
  /** YYMM */
  expiry: string;
  cvv2?: string;
  token: string;
}

/** MTI and processing code per step, as the ISO side would send them. */
const SHAPE: Record<'preauth' | 'purchase' | 'completion' | 'reversal' | 'refund', { mti: string; pc: string }> = {
  preauth: { mti: '0100', pc: '000000' },
  purchase: { mti: '0200', pc: '000000' },
  completion: { mti: '0220', pc: '000000' },
  reversal: { mti: '0400', pc: '000000' },
  refund: { mti: '0200', pc: '200000' },
};

/** DE 7: MMDDhhmmss, GMT. The last second's text is kept: every payment step formats it, most in the same second. */
let dE7Second = -1;
let dE7Text = '';
export function transmissionTime(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  if (second === dE7Second) return dE7Text;
  const p = (n: number) => String(n).padStart(2, '0');
  dE7Text = p(now.getUTCMonth() + 1) + p(now.getUTCDate()) + p(now.getUTCHours()) + p(now.getUTCMinutes()) + p(now.getUTCSeconds());
  dE7Second = second;
  return dE7Text;
}

/** Issues STAN (DE 11) and RRN (DE 37) for the HTTP channel: 6-digit wrap-around counter; RRN = YDDDhh + STAN. */
export class TraceNumbers {
  private stan: number;
  constructor(seed = Math.floor(Math.random() * 999_999)) {
    this.stan = seed % 999_999;
  }
  /** RRN prefix (YDDDhh) of the current UTC hour, recomputed when the hour changes. */
  private hour = -1;
  private rrnPrefix = '';
  next(now: Date): { stan: string; rrn: string } {
    this.stan = (this.stan % 999_999) + 1; // 000001..999999
    const stan = String(this.stan).padStart(6, '0');
    const hour = Math.floor(now.getTime() / 3_600_000);
    if (hour !== this.hour) {
      const start = Date.UTC(now.getUTCFullYear(), 0, 0);
      const doy = Math.floor((now.getTime() - start) / 86_400_000);
      this.rrnPrefix = String(now.getUTCFullYear() % 10) + String(doy).padStart(3, '0') + String(now.getUTCHours()).padStart(2, '0');
      this.hour = hour;
    }
    return { stan, rrn: this.rrnPrefix + stan };
  }
}

export interface TxnStep {
  kind: 'preauth' | 'purchase' | 'completion' | 'reversal' | 'refund';
  txnId: string;
  stan: string;
  rrn: string;
  amount: number;
  currencyNumeric: string;
  now: Date;
  /** The authorization a completion/reversal/refund refers to. */
  original?: TxnRef;
}

export function paymentToTxn(m: MerchantTxnContext, card: CardForTxn, step: TxnStep): Txn {
  const shape = SHAPE[step.kind];
  const kind: TxnKind = step.kind;
  const txn: Txn = {
    id: step.txnId,
    kind,
    mti: shape.mti,
    processingCode: shape.pc,
    pan: card.pan,
    token: card.token,
    expiry: card.expiry,
    amount: step.amount,
    currency: step.currencyNumeric,
    partialAllowed: false,
    localTime: step.now.toISOString(),
    transmittedAt: transmissionTime(step.now),
    stan: step.stan,
    rrn: step.rrn,
    acquirerId: m.acquirerId,
    terminalId: 'HTTPAPI1',
    merchantId: m.merchantId.slice(0, 15),
    merchantName: m.merchantName.slice(0, 22),
    merchantCountry: m.country,
    mcc: m.mcc,
    posEntryMode: '812', // e-commerce, credential on file / keyed
    cardPresent: false,
    channel: `http:${m.merchantId}`,
  };
  if (card.cvv2 !== undefined && (step.kind === 'preauth' || step.kind === 'purchase')) txn.cvv2 = card.cvv2;
  if (step.original) {
    txn.original = {
      txnId: step.original.txnId,
      stan: step.original.stan,
      rrn: step.original.rrn,
      transmittedAt: step.original.transmittedAt,
      acquirerId: m.acquirerId,
      ...(step.original.authCode ? { authCode: step.original.authCode } : {}),
    };
  }
  return txn;
}
