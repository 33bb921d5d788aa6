// Synthetic transactions for the start-up warm-up (src/switch/warm.ts, src/authorize/warm.ts): shaped like real
// traffic (every field the edges and the engine read, chip data in DE 55) so V8 compiles the paths real requests
// take, and marked so they can never be mistaken for one: channel 'warmup', a card number on BIN 999999, which no
// route or card record uses. Plain data, no I/O.
import type { Txn, TxnKind } from './txn.js';

/** Luhn-valid, on a BIN nobody issues from: the engine declines it at the card lookup, before any HSM call. */
export const WARM_PAN = '9999990000000006';
export const WARM_CHANNEL = 'warmup';

/** The kinds that need no original transaction (a warm-up has none to refer to). */
export const WARM_KINDS: readonly TxnKind[] = ['purchase', 'preauth', 'balance', 'refund', 'cash'];

const MTI: Record<string, string> = { purchase: '0200', cash: '0200', refund: '0200', preauth: '0100', balance: '0100' };
const PC: Record<string, string> = { purchase: '000000', cash: '010000', refund: '200000', preauth: '000000', balance: '310000' };

/** EMV tags a chip purchase carries (values are well-formed, the cryptogram is not a real one). */
const EMV = {
  '9F26': '1B2E3A4F5A6B7C8D', '9F27': '80', '9F10': '06010A03A00000', '9F37': '1A2B3C4D', '9F36': '0042', '95': '0000000000',
  '9A': '261203', '9C': '00', '9F02': '000000010000', '5F2A': '0360', '82': '1980', '9F1A': '0360', '9F03': '000000000000',
  '9F33': 'E0F8C8', '9F34': '420300', '84': 'A0000000031010',
};

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** The `i`-th warm-up transaction of `kind`; `tag` keeps ids apart between callers (threads). */
export function warmTxn(i: number, kind: TxnKind, tag = 'w'): Txn {
  const n = i % 1_000_000;
  return {
    id: `warm-${tag}-${i}`,
    kind,
    mti: MTI[kind] ?? '0200',
    processingCode: PC[kind] ?? '000000',
    pan: WARM_PAN,
    expiry: '3012',
    amount: kind === 'balance' ? 0 : 10_000 + (n % 5_000),
    currency: '360',
    localTime: '2026-12-03T10:20:30',
    transmittedAt: '1203102030',
    stan: pad(n, 6),
    rrn: `WARM${pad(n, 8)}`,
    acquirerId: '999999',
    terminalId: 'WARMUP01',
    merchantId: 'WARMUP000000001',
    merchantName: 'WARM-UP',
    merchantCountry: 'ID',
    mcc: '5411',
    posEntryMode: '051',
    cardPresent: true,
    ...(kind === 'balance' ? {} : { emv: { ...EMV } }),
    channel: WARM_CHANNEL,
  };
}
