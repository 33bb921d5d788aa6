// From the authorization journal to the settled-record stream. The engine calls journal hooks INSIDE its write
// transaction right after it writes the journal record (src/authorize/commit.ts registerJournalHook), so
// wiring settlement in is one call at start-up:
//
//   registerJournalHook(settledJournalHook({ issuerId: 'ONUS' }));
//
// Only approved events that move money become records: purchase (or 'advice' when it came as an 0120/0220
// advice), preauth (a hold), completion, refund and the reversal of any of them. Balance inquiries, declines,
// cash withdrawals (no merchant to settle) and incrementals (LIMITATION: the ledger models one hold per preauth)
// produce nothing. Atomicity is LMDB's: the hook's writes commit in the engine's transaction or not at all
// (the engine runs each plan's writes, hooks included, in an LMDB child transaction, so a hook that throws rolls
// back only its own authorization — answered 96 — but this hook still refuses bad records instead of throwing).
import type { RootDatabase } from 'lmdb';
import { metrics } from '../metrics/registry.js';
import { reloadSharedStructures } from '../state/env.js';
import type { JournalRecord } from '../state/records.js';
import { appendSettled, openSettledStore, SettledSeqCursor, type SettledStore } from './lmdb.js';
import { settledRecordId, type NewSettledRecord, type SettledKind, type Split } from './types.js';

export interface JournalMapOptions {
  /** The issuer id the on-us engine settles as (default 'ONUS'). */
  issuerId?: string;
}

const ADVICE_MTIS = new Set(['0120', '0121', '0220', '0221']);

/** The settled kind a journal record maps to, or undefined when it moves no merchant money. */
export function settledKindOf(rec: Pick<JournalRecord, 'kind' | 'mti' | 'approved'>): SettledKind | undefined {
  if (!rec.approved) return undefined;
  switch (rec.kind) {
    case 'purchase':
      return ADVICE_MTIS.has(rec.mti) ? 'advice' : 'purchase';
    case 'preauth':
      return 'preauth';
    case 'completion':
      return 'completion';
    case 'refund':
      return 'refund';
    case 'reversal':
      return 'reversal';
    default:
      return undefined;
  }
}

/** The kind an approved event settles as once its original is known: a completion whose preauth we cannot name
 * still captured money, so it settles as a purchase. */
export function settledKindGiven(kind: SettledKind, hasOriginal: boolean): SettledKind {
  return kind === 'completion' && !hasOriginal ? 'purchase' : kind;
}

/** An approved money movement from any source (the on-us journal, a remote issuer's answer). */
export interface SettledEvent {
  kind: SettledKind;
  txnId: string;
  /** What moved: for a reversal what it actually undid (0 for a repeat or a closed hold: nothing settles). */
  amount: number;
  currency: string;
  merchantId?: string;
  terminalId?: string;
  acquirerId: string;
  issuerId: string;
  at: number;
  /** Record id of the event this one completes, refunds or reverses. */
  originalId?: string;
  split?: Split;
  panMasked?: string;
  panHash?: string;
}

/** Pure: the settled record of an event, or undefined when it moves no money. The rules every source shares. */
export function settledRecordOf(e: SettledEvent): NewSettledRecord | undefined {
  if (!(e.amount > 0)) return undefined;
  // A reversal of something that never moved money (a decline, a balance inquiry) settles nothing.
  if (e.kind === 'reversal' && !e.originalId) return undefined;
  const k = settledKindGiven(e.kind, e.originalId !== undefined);
  const r: NewSettledRecord = {
    id: settledRecordId(e.txnId, k),
    kind: k,
    txnId: e.txnId,
    amount: e.amount,
    currency: e.currency,
    merchantId: e.merchantId ?? (e.terminalId ? `T:${e.terminalId}` : 'UNKNOWN'),
    acquirerId: e.acquirerId || 'UNKNOWN',
    issuerId: e.issuerId,
    occurredAt: new Date(e.at).toISOString(),
  };
  if (e.originalId && k !== 'purchase') r.originalId = e.originalId;
  if (e.split && (k === 'purchase' || k === 'advice' || k === 'completion')) r.split = e.split;
  if (e.panMasked) r.panMasked = e.panMasked;
  if (e.panHash) r.panHash = e.panHash;
  return r;
}

/**
 * Pure mapping: the settled record for journal record `rec`, given the journal record it refers to (for
 * completions, refunds and reversals) and the payment's marketplace split if it had one.
 */
export function settledFromJournal(rec: JournalRecord, original: JournalRecord | undefined, opts: JournalMapOptions = {}, split?: Split): NewSettledRecord | undefined {
  const kind = settledKindOf(rec);
  if (!kind) return undefined;
  const ok = original ? settledKindOf(original) : undefined;
  return settledRecordOf({
    kind,
    txnId: rec.txnId,
    amount: rec.approvedAmount,
    currency: rec.currency,
    merchantId: rec.merchantId,
    terminalId: rec.terminalId,
    acquirerId: rec.acquirerId,
    issuerId: opts.issuerId ?? 'ONUS',
    at: rec.at,
    originalId: original && ok ? settledRecordId(original.txnId, ok) : undefined,
    split,
    panMasked: rec.panMasked,
    panHash: rec.panHash,
  });
}

const stores = new WeakMap<RootDatabase, SettledStore>();
const refused = metrics.counter('gerbang_stream_refused_total', 'Journal records whose settled record failed validation (logged, not appended)');

/** Minimal view of the engine's State the hook needs. */
export interface JournalState {
  root: RootDatabase;
  journal: { get(seq: number): JournalRecord | undefined };
}

/**
 * The journal hook: appends the record's settled event to the stream in the SAME write transaction.
 * The split comes from the journal record when the engine stores it there (`split` field), else none.
 */
export function settledJournalHook(
  opts: JournalMapOptions = {},
): ((s: JournalState, rec: JournalRecord) => void) & {
  rolledBack: (s: JournalState) => void;
  open: (s: JournalState) => void;
  txnBegin: (s: JournalState) => void;
  txnMark: () => number | undefined;
  txnRewind: (mark: unknown) => void;
  txnEnd: (s: JournalState, write: boolean) => void;
} {
  // The stream's sequence cursor for the engine's current write transaction (txnBegin … txnEnd, one synchronous
  // commitGroup call): created at the first append, `~seq` written once by txnEnd. Outside such a transaction
  // (`active` unset or another environment) appendSettled reads and writes `~seq` itself.
  let active: { root: RootDatabase; cursor?: SettledSeqCursor } | undefined;
  const hook = (s: JournalState, rec: JournalRecord): void => {
    if (!rec.approved) return;
    let store = stores.get(s.root);
    if (!store) stores.set(s.root, (store = openSettledStore(s.root)));
    const original = rec.originalSeq !== undefined ? s.journal.get(rec.originalSeq) : undefined;
    const split = (rec as JournalRecord & { split?: Split }).split;
    const settled = settledFromJournal(rec, original, opts, split);
    if (!settled) return;
    try {
      // Validation throws before any write; the authorization must not fail because settlement dislikes a
      // field, so the record is refused loudly and reconciliation finds it in the journal.
      const tx = active !== undefined && active.root === s.root ? active : undefined;
      if (tx) tx.cursor ??= new SettledSeqCursor(store);
      appendSettled(store, settled, tx?.cursor);
    } catch (e) {
      refused.inc();
      process.stderr.write(`settled stream: refused journal seq ${rec.seq}: ${(e as Error).message}\n`);
    }
  };
  // After an aborted child transaction: reload the records database's shared msgpack structures (a structure
  // minted inside the aborted child was never saved; see forgetUnsavedStructures in src/authorize/engine.ts).
  // Also forget the store itself: if its databases were first opened inside the aborted transaction, LMDB closed
  // those handles with it ("dbi out of range" on every later append); they are opened again on the next append.
  const rolledBack = (s: JournalState): void => {
    const store = stores.get(s.root);
    if (!store) return;
    reloadSharedStructures(store.records);
    stores.delete(s.root);
  };
  // Opens the stream's databases outside any transaction (a worker calls it once at start), so the first append
  // never opens them inside a write transaction that might be rolled back.
  const openStore = (s: JournalState): void => {
    if (!stores.has(s.root)) stores.set(s.root, openSettledStore(s.root));
  };
  const txnBegin = (s: JournalState): void => {
    active = { root: s.root };
  };
  // Before a child transaction: where the sequence stands (undefined: nothing appended yet in this transaction).
  const txnMark = (): number | undefined => active?.cursor?.last;
  // After that child was aborted: its appends were rolled back, so their numbers are handed back.
  const txnRewind = (mark: unknown): void => {
    const c = active?.cursor;
    if (c) c.last = typeof mark === 'number' ? mark : c.first;
  };
  // End of the transaction: `write` (still inside it) stores `~seq` once; always forgets the cursor.
  const txnEnd = (s: JournalState, write: boolean): void => {
    const tx = active;
    active = undefined;
    if (!write || !tx?.cursor || tx.root !== s.root) return;
    let store = stores.get(s.root);
    if (!store) stores.set(s.root, (store = openSettledStore(s.root)));
    tx.cursor.finish(store);
  };
  return Object.assign(hook, { rolledBack, open: openStore, txnBegin, txnMark, txnRewind, txnEnd });
}
