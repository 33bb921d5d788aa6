// Payments in LMDB with two ordered indexes (by creation time, by status and time), kept in step with the
// record in one write transaction. Listing is newest first with an opaque cursor.
import { durable, type HttpStore } from '../http/store.js';
import { assertInvariants, type PaymentRecord, type PaymentStatus } from './model.js';

/** Writes the record and its index rows in one transaction, awaited durable (committed and flushed). `alsoWrite` runs in the same
 * synchronous run, so its writes join that transaction: the edge uses it to store the Idempotency-Key's response
 * in the same commit, so the key is as durable as the payment without a second fsync wait. */
export async function savePayment(store: HttpStore, prev: PaymentRecord | undefined, next: PaymentRecord, alsoWrite?: (p: PaymentRecord) => void): Promise<void> {
  assertInvariants(next);
  if (prev) {
    if (prev.id !== next.id || prev.merchantId !== next.merchantId || prev.created !== next.created) throw new Error('payment identity changed');
  }
  // Plain puts issued in one synchronous run land in one LMDB transaction (lmdb-js batches every write of an
  // event turn, eventTurnBatching is on by default), so record and index rows still commit together; unlike
  // transaction(cb) the write thread never waits for this thread to run a callback inside its open transaction.
  // They share one commit; `durable` waits for that commit's fsync too (a put alone resolves before it).
  const put = store.payments.put(next.id, next);
  if (!prev) store.byCreated.put([next.merchantId, next.created, next.id], 1);
  if (!prev || prev.status !== next.status) {
    if (prev) store.byStatus.remove([prev.merchantId, prev.status, prev.created, prev.id]);
    store.byStatus.put([next.merchantId, next.status, next.created, next.id], 1);
  }
  alsoWrite?.(next);
  await durable(store.payments, put);
}

/** The merchant's payment, or undefined (another merchant's payment is indistinguishable from a missing one). */
export function getPayment(store: HttpStore, merchantId: string, id: string): PaymentRecord | undefined {
  if (!/^pay_[A-Za-z0-9_-]{1,40}$/.test(id)) return undefined;
  const p = store.payments.get(id);
  return p && p.merchantId === merchantId ? p : undefined;
}

export interface ListQuery {
  limit: number;
  status?: PaymentStatus;
  createdGte?: number;
  createdLt?: number;
  startingAfter?: string;
}

export function encodeCursor(p: { created: number; id: string }): string {
  return Buffer.from(JSON.stringify([p.created, p.id])).toString('base64url');
}

/** Decodes a cursor; undefined when it is not one of ours. */
export function decodeCursor(c: string): { created: number; id: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].startsWith('pay_')) {
      return { created: v[0] as number, id: v[1] as string };
    }
  } catch {
    /* not a cursor */
  }
  return undefined;
}

export function listPayments(
  store: HttpStore,
  merchantId: string,
  q: ListQuery,
): { data: PaymentRecord[]; hasMore: boolean; nextCursor: string | null } {
  const after = q.startingAfter !== undefined ? decodeCursor(q.startingAfter) : undefined;
  if (q.startingAfter !== undefined && !after) throw new Error('bad cursor');
  const prefix: (string | number)[] = q.status ? [merchantId, q.status] : [merchantId];
  const upper = after ? [...prefix, after.created, after.id] : [...prefix, q.createdLt ?? Number.MAX_SAFE_INTEGER];
  const lower = q.createdGte !== undefined ? [...prefix, q.createdGte] : prefix;
  const index = q.status ? store.byStatus : store.byCreated;
  const data: PaymentRecord[] = [];
  let hasMore = false;
  for (const { key } of index.getRange({ start: upper, end: lower, reverse: true })) {
    const id = key[key.length - 1] as string;
    const created = key[key.length - 2] as number;
    if (after && id === after.id && created === after.created) continue; // the cursor row itself
    if (q.createdLt !== undefined && created >= q.createdLt) continue;
    if (data.length === q.limit) {
      hasMore = true;
      break;
    }
    const p = store.payments.get(id);
    if (p) data.push(p);
  }
  const last = data[data.length - 1];
  return { data, hasMore, nextCursor: hasMore && last ? encodeCursor(last) : null };
}
