// The fraud review queue: approvals the fraud score flagged for review (score ≥ the review threshold, below the
// decline threshold) wait here for an analyst, who marks each one legitimate or fraud (which blocks the card:
// src/state/cards.ts, from the CLI). Every resolution keeps who, when, why. Items live in the switch's LMDB file (data/switch.mdb) so the running switch adds them and the
// `gerbang fraud review` command works them from another process. No clear PAN: the masked PAN only.
import type { Database } from 'lmdb';
import { metrics } from '../metrics/registry.js';
import type { Decision, Txn } from '../model/txn.js';
import { mask } from '../runtime/log.js';
import type { SwitchStore } from '../runtime/store.js';

export type ReviewOutcome = 'legit' | 'fraud';
export const REVIEW_OUTCOMES: readonly ReviewOutcome[] = ['legit', 'fraud'];

export interface ReviewItem {
  txnId: string;
  /** Epoch ms the decision was made. */
  at: number;
  channel: string;
  panMasked?: string;
  amount: number;
  currency: string;
  acquirerId: string;
  merchantId?: string;
  mcc?: string;
  score: number;
  /** The card's key in the engine state (keyed PAN hash, from the decision): a fraud verdict blocks that card. */
  cardRef?: string;
  /** The fraud score's top contributions, as the engine explained them. */
  why: string[];
  status: 'open' | ReviewOutcome;
  resolution?: { by: string; at: number; note: string };
}

/** Open items kept at most; past it new flags are counted and logged, not stored (an analyst backlog bound). */
export const MAX_OPEN_REVIEWS = 100_000;

const queueGauge = metrics.gauge('gerbang_fraud_review_queue', 'Approvals flagged for fraud review and not yet worked');
const overflow = metrics.counter('gerbang_fraud_review_dropped_total', 'Review flags not queued because the queue was full');

/** Pure: the review item of a flagged decision (undefined when the decision was not flagged). */
export function reviewItemOf(txn: Txn, d: Decision, at: number): ReviewItem | undefined {
  if (!d.review) return undefined;
  const item: ReviewItem = {
    txnId: txn.id,
    at,
    channel: txn.channel,
    amount: txn.amount,
    currency: txn.currency,
    acquirerId: txn.acquirerId,
    score: d.fraudScore ?? 0,
    why: d.reasons.filter((r) => r.check.startsWith('fraud')).map((r) => (r.detail ? `${r.check}: ${r.detail}` : r.check)),
    status: 'open',
  };
  const pm = mask(txn.pan);
  if (pm) item.panMasked = pm;
  if (d.cardRef) item.cardRef = d.cardRef;
  if (txn.merchantId) item.merchantId = txn.merchantId;
  if (txn.mcc) item.mcc = txn.mcc;
  return item;
}

/** Open-index key: decision time (fixed width, so keys sort by it), then the txn id. */
function openKey(i: Pick<ReviewItem, 'at' | 'txnId'>): string {
  return `${String(i.at).padStart(15, '0')}|${i.txnId}`;
}

export class ReviewQueue {
  private readonly items: Database<unknown, string>;
  /** Index of open items in decision order: openKey(item) → txnId (its size is the queue depth). */
  private readonly open: Database<unknown, string>;
  private depth: number;

  constructor(private readonly store: SwitchStore) {
    this.items = store.root.openDB<unknown, string>({ name: 'review', encoding: 'msgpack' });
    this.open = store.root.openDB<unknown, string>({ name: 'review-open', encoding: 'msgpack' });
    this.depth = this.open.getKeysCount();
    queueGauge.set(this.depth);
  }

  /** Queues the item for a flagged decision (write-behind, with the switch's other records). True when queued. */
  add(txn: Txn, d: Decision, now = Date.now()): boolean {
    const item = reviewItemOf(txn, d, now);
    if (!item) return false;
    if (this.depth >= MAX_OPEN_REVIEWS) {
      overflow.inc();
      return false;
    }
    this.store.putLater(this.items, item.txnId, item);
    this.store.putLater(this.open, openKey(item), item.txnId);
    queueGauge.set(++this.depth);
    return true;
  }

  /** Re-reads the depth (another process may have worked items); call on a timer. */
  refresh(): number {
    this.store.root.resetReadTxn(); // a fresh snapshot: see what another process committed since our last read
    this.depth = this.open.getKeysCount();
    queueGauge.set(this.depth);
    return this.depth;
  }

  /** Open items, oldest first (by decision time), at most `limit`. */
  listOpen(limit = 100): ReviewItem[] {
    const out: ReviewItem[] = [];
    for (const { value } of this.open.getRange({ limit: Math.max(0, limit) })) {
      const it = this.store.getFresh(this.items, value as string) as ReviewItem | undefined;
      if (it) out.push(it);
    }
    return out;
  }

  get(txnId: string): ReviewItem | undefined {
    return this.store.getFresh(this.items, txnId) as ReviewItem | undefined;
  }

  /** Resolves an open item; durable when it resolves. Throws when the item is unknown or already worked. */
  async resolve(txnId: string, outcome: ReviewOutcome, by: string, note: string, now = Date.now()): Promise<ReviewItem> {
    if (!REVIEW_OUTCOMES.includes(outcome)) throw new Error(`outcome must be one of ${REVIEW_OUTCOMES.join(', ')}`);
    if (!by.trim()) throw new Error('who resolved it (--by) is required');
    let resolved: ReviewItem | undefined;
    await this.store.root.transaction(() => {
      const it = this.items.get(txnId) as ReviewItem | undefined;
      if (!it) throw new Error(`no review item ${txnId}`);
      if (it.status !== 'open') throw new Error(`review item ${txnId} was already resolved as ${it.status} by ${it.resolution?.by}`);
      resolved = { ...it, status: outcome, resolution: { by, at: now, note } };
      this.items.put(txnId, resolved);
      this.open.remove(openKey(it));
    });
    await this.store.root.flushed;
    this.refresh();
    return resolved!;
  }
}
