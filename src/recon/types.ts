// Reconciliation data: what the bank says (statement entries, their transaction details), what the switch
// expects (items built from payouts, net settlement positions and settled records), and what matching makes
// of them. Plain data only. Amounts are integers in minor units; currencies are ISO 4217 alphabetic codes here
// (bank files carry them that way; switch items are converted at the edge).

export type Cdi = 'CRDT' | 'DBIT';

/** One transaction detail inside a statement entry (a batch-booked entry has many). */
export interface TxDetail {
  endToEndId?: string;
  servicerRef?: string;
  txId?: string;
  instrId?: string;
  pmtInfId?: string;
  msgId?: string;
  /** Minor units; absent when the bank gives only the entry total. */
  amount?: number;
  currency?: string;
  cdi?: Cdi;
}

/** One camt.053/054 entry (Ntry), flattened. */
export interface BankEntry {
  /** File (or stream) it came from and its position there, for the report and stable break ids. */
  source: string;
  index: number;
  /** camt message kind: '053' statement, '054' notification, '052' intraday report. */
  message: '052' | '053' | '054';
  statementId: string;
  account: string;
  entryRef?: string;
  servicerRef?: string;
  amount: number;
  currency: string;
  cdi: Cdi;
  reversal: boolean;
  /** BOOK, PDNG, INFO (001.02–001.04 as text, 001.08 as Sts/Cd). */
  status: string;
  bookingDate?: string;
  valueDate?: string;
  /** Bank transaction code Domn/Fmly/SubFmly joined with '/', or the proprietary code. */
  bankTxCode?: string;
  /** Btch/NbOfTxs when the bank says the entry nets a batch. */
  batchCount?: number;
  details: TxDetail[];
  info?: string;
}

/** A statement balance (OPBD, CLBD, ...), reported beside the entries. */
export interface StatementBalance {
  source: string;
  statementId: string;
  account: string;
  type: string;
  amount: number;
  currency: string;
  cdi: Cdi;
  date: string;
}

/** What matching consumes on the bank side: an entry, or one detail of a batch-booked entry. */
export interface BankItem {
  /** `${source}#${entryIndex}` or `${source}#${entryIndex}.${detailIndex}`. */
  key: string;
  refs: string[];
  amount: number;
  currency: string;
  cdi: Cdi;
  /** Booking date (else value date), YYYY-MM-DD. */
  date: string;
  source: string;
  /** Human description for the report. */
  label: string;
}

/** What the switch expects to see at the bank or in a clearing file. */
export interface SwitchItem {
  /** The reference the counterpart carries (payout id = EndToEndId, pacs.008 EndToEndId, settled record id). */
  ref: string;
  amount: number;
  currency: string;
  cdi: Cdi;
  /** Date the counterpart is due, YYYY-MM-DD (execution date, settlement date, clearing date). */
  date: string;
  kind: string;
  /** Items the counterpart may net into one entry share a group (batch id, payout id). */
  group?: string;
  /** Ledger account the suspense posting of a break moves against (default: the source's cash account). */
  account?: string;
  label?: string;
}

export type BreakCategory = 'missingAtBank' | 'missingInSwitch' | 'amountMismatch' | 'currencyMismatch' | 'duplicate' | 'late';
export const BREAK_CATEGORIES: readonly BreakCategory[] = ['missingAtBank', 'missingInSwitch', 'amountMismatch', 'currencyMismatch', 'duplicate', 'late'];

export type MatchRule = 'exact' | 'tolerant' | 'oneToMany' | 'manyToOne';

export interface Match {
  rule: MatchRule;
  switchRefs: string[];
  bankKeys: string[];
  /** Σ bank − Σ switch (signed: credits positive), minor units; 0 for exact. */
  difference: number;
  currency: string;
}

export interface Expected {
  side: 'switch' | 'bank';
  ref: string;
  amount: number;
  currency: string;
  cdi: Cdi;
  date: string;
  /** Last day the counterpart may still arrive without a break. */
  windowEnds: string;
}

export interface Break {
  id: string;
  category: BreakCategory;
  /** Switch reference, or the bank's first reference when the switch has none. */
  ref: string;
  /** Money the break parks in suspense, minor units, signed (+ = bank holds more than the switch says). */
  amount: number;
  currency: string;
  switchAmount?: number;
  bankAmount?: number;
  bankCurrency?: string;
  switchDate?: string;
  bankDate?: string;
  bankKey?: string;
  source: string;
  /** Which reconciliation found it ('statement', 'clearing'): the matcher's name. */
  recon: string;
  /** Days from the item's date to `asOf`. */
  ageDays: number;
  detail: string;
  account?: string;
}

export interface MatchRules {
  /** Largest |bank − switch| (minor units) still matched by the tolerant rule: bank fees. Default 0. */
  amountTolerance: number;
  /** Also tolerated: this many basis points of the switch amount. Default 0. */
  amountToleranceBps: number;
  /** Calendar days a counterpart may lag the item's date before it is late / missing. Default 2. */
  windowDays: number;
  /** Days before the item's date a booking may carry (value-dated early). Default 1. */
  earlyDays: number;
  /** Which passes run (in this order): default all. */
  passes: MatchRule[];
  /** Bank items left without a reference match that the later passes keep (a bound on memory). Default 2,000,000. */
  maxLeftovers: number;
  /** Matches listed in the result (all are counted in stats.byRule): a million matches are counted, not kept. Default 10,000. */
  keepMatches: number;
}

export const DEFAULT_RULES: MatchRules = {
  amountTolerance: 0,
  amountToleranceBps: 0,
  windowDays: 2,
  earlyDays: 1,
  passes: ['exact', 'tolerant', 'oneToMany', 'manyToOne'],
  maxLeftovers: 2_000_000,
  keepMatches: 10_000,
};

export interface MatchResult {
  matches: Match[];
  expected: Expected[];
  breaks: Break[];
  /** Counts and sums, for the summary and the dashboard. */
  stats: {
    switchItems: number;
    bankItems: number;
    matchedSwitch: number;
    matchedBank: number;
    /** Entries not booked (PDNG, INFO) that matching skipped. */
    skippedBank: number;
    /** Matches per rule (all of them; `matches` lists at most rules.keepMatches). */
    byRule: Partial<Record<MatchRule, number>>;
  };
}
