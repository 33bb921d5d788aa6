// The internal transaction: what every edge (ISO 8583 over TCP, JSON lines, HTTP) turns a request into,
// and what the stages (validate → route → authorize/score → respond → journal → settle) work on.
// Plain data only: it crosses worker threads and the record stream as msgpack.
// Amounts are integers in minor units of `currency` (ISO 4217 numeric, e.g. "360" IDR, "840" USD); never floats.

export type TxnKind =
  | 'preauth' // 0100: creates a hold
  | 'incremental' // 0100 with an original reference: raises an existing hold
  | 'purchase' // 0200 processing code 00: debits
  | 'cash' // 0200 processing code 01: cash withdrawal
  | 'refund' // 0200 processing code 20: credits
  | 'balance' // 0100/0200 processing code 31: balance inquiry
  | 'completion' // 0220: settles a hold fully or partly, releases the rest
  | 'reversal'; // 0400/0420: undoes an earlier transaction, idempotent

/** How the PIN arrived; the block itself stays encrypted end to end and is only ever opened inside the HSM. */
export interface PinData {
  /** Hex PIN block, encrypted under `keyRef` (TPK/ZPK) or under the DUKPT key derived from `ksn`. */
  block: string;
  /** ISO 9564 format code as payShield names it: '01' = ISO 0, '05' = ISO 1, '47' = ISO 3, '48' = ISO 4 (AES). */
  format: string;
  /** Name of the key (in the key store) the block is encrypted under: a TPK, a ZPK or a BDK. */
  keyRef: string;
  /** DUKPT key serial number when the block comes from a DUKPT terminal: 20 hex characters (TDES), 24 (AES). */
  ksn?: string;
}

/** EMV chip data as BER-TLV tags, upper-case hex values (DE 55 decoded). */
export type EmvTags = Record<string, string>;

export interface Txn {
  /** Switch-wide unique id, assigned at the edge (monotonic per instance). */
  id: string;
  kind: TxnKind;
  /** ISO 8583 MTI the request came as ("0200"), or the MTI it maps to for HTTP/JSON requests. */
  mti: string;
  /** DE 3, six digits. */
  processingCode: string;
  /** Clear PAN: lives only in memory on the way in; never logged, never stored (the vault keeps it encrypted). */
  pan?: string;
  /** A vault token instead of a PAN (HTTP merchants). */
  token?: string;
  /** YYMM (DE 14). */
  expiry?: string;
  /** Track 2 equivalent (DE 35), when the card was swiped or dipped. */
  track2?: string;
  serviceCode?: string;
  amount: number;
  currency: string;
  /** Cardholder billing / settlement amount when it differs (DE 6), minor units of `billingCurrency`. */
  billingAmount?: number;
  billingCurrency?: string;
  /** The acquirer allows a partial approval (DE 39 = 10 with the approved amount). */
  partialAllowed?: boolean;
  /** Local transaction time as ISO 8601; `transmittedAt` is DE 7 (MMDDhhmmss, GMT). */
  localTime?: string;
  transmittedAt?: string;
  stan: string; // DE 11
  rrn?: string; // DE 37
  /** DE 32 acquiring institution id, DE 33 forwarding institution id. */
  acquirerId: string;
  forwarderId?: string;
  terminalId?: string; // DE 41
  merchantId?: string; // DE 42
  merchantName?: string; // DE 43 name part
  merchantCountry?: string; // ISO 3166 numeric or alpha-2
  mcc?: string; // DE 18
  /** DE 22 POS entry mode (e.g. "051" chip with PIN, "812" e-commerce). */
  posEntryMode?: string;
  cardPresent?: boolean;
  pin?: PinData;
  /** CVV2 / CVC2 as keyed by the cardholder (card-not-present). */
  cvv2?: string;
  emv?: EmvTags;
  /** For completions, reversals, incrementals and refunds of an earlier transaction: its reference. */
  original?: { stan?: string; rrn?: string; transmittedAt?: string; acquirerId?: string; authCode?: string; txnId?: string };
  /** Marketplace split (merchant API): platform fee and seller shares in minor units; they sum to `amount`. */
  split?: { platformFee: number; sellers: { sellerId: string; amount: number }[] };
  /** Where it came from, for the journal and matching: 'iso:acq1', 'json:acq1', 'http:merchant-42'. */
  channel: string;
}

/** Why a decision came out as it did: every check that ran, in order, and the fraud score's top contributions. */
export interface DecisionReason {
  check: string; // 'card.status', 'pin', 'cvv2', 'arqc', 'funds', 'limit.daily', 'velocity', 'fraud', ...
  ok: boolean;
  detail?: string;
}

export interface Decision {
  txnId: string;
  /** ISO 8583 DE 39 response code: '00' approved, '10' partial approval, '51', '55', '91', '96' ... */
  responseCode: string;
  approved: boolean;
  /** Approved amount (differs from the request on a partial approval); 0 on a decline. */
  approvedAmount: number;
  authCode?: string; // DE 38
  /** Balances after the decision, minor units (DE 54 on a balance inquiry or a partial approval). */
  availableBalance?: number;
  ledgerBalance?: number;
  /** ARPC (and its tags) for DE 55 in the response to a chip transaction. */
  arpc?: string;
  fraudScore?: number; // 0–999
  review?: boolean; // the fraud score passed the review threshold
  /** On a decision flagged for review: the card's key in the state (the PAN's keyed hash, never the PAN), so an
   * analyst's fraud verdict can block the card. */
  cardRef?: string;
  standIn?: boolean; // decided by stand-in processing for an unreachable issuer
  reasons: DecisionReason[];
}
