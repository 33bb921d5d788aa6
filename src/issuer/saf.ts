// Store-and-forward queue in LMDB: reversals (0420, repeated as 0421 until 0430) and stand-in advices (0120,
// repeated as 0121 until 0130), FIFO per issuer, durable before the caller goes on, surviving restarts.
// Messages carry the PAN, so each entry's fields are sealed (AES-256-GCM under the switch data key).
import type { FieldValue, IsoMessage } from '../../codecs/index.js';
import type { SwitchStore } from '../runtime/store.js';

export type SafKind = 'reversal' | 'advice';

export interface SafEntry {
  issuerId: string;
  seq: number;
  kind: SafKind;
  /** MTI of the first transmission (0420 / 0120); repeats set the last digit to 1. */
  mti: string;
  fields: Record<string, FieldValue>;
  attempts: number;
  createdAt: number;
  lastAttemptAt: number;
}

interface StoredEntry {
  kind: SafKind;
  mti: string;
  sealed: string;
  attempts: number;
  createdAt: number;
  lastAttemptAt: number;
}

export class SafFullError extends Error {
  override readonly name = 'SafFullError';
}

export class SafQueue {
  private readonly depths = new Map<string, number>();
  private seq: number;

  constructor(
    private readonly store: SwitchStore,
    private readonly maxEntriesPerIssuer: number,
  ) {
    let max = 0;
    for (const { key } of store.saf.getRange({})) {
      const [issuer, seq] = key as [string, number];
      this.depths.set(issuer, (this.depths.get(issuer) ?? 0) + 1);
      if (seq > max) max = seq;
    }
    this.seq = max;
  }

  depth(issuerId: string): number {
    return this.depths.get(issuerId) ?? 0;
  }

  /** Appends a message; resolves once it is durable. Throws SafFullError past the per-issuer bound. */
  async enqueue(issuerId: string, kind: SafKind, msg: IsoMessage, now = Date.now()): Promise<number> {
    const depth = this.depth(issuerId);
    if (depth >= this.maxEntriesPerIssuer) throw new SafFullError(`SAF queue for ${issuerId} holds ${depth} entries (limit ${this.maxEntriesPerIssuer})`);
    const seq = ++this.seq;
    const rec: StoredEntry = { kind, mti: msg.mti, sealed: this.store.seal(JSON.stringify(msg.fields), `${issuerId}|${seq}`), attempts: 0, createdAt: now, lastAttemptAt: 0 };
    this.depths.set(issuerId, depth + 1);
    await this.store.saf.put([issuerId, seq], rec);
    return seq;
  }

  /** The oldest `limit` entries of an issuer, opened. */
  peek(issuerId: string, limit: number): SafEntry[] {
    const out: SafEntry[] = [];
    for (const { key, value } of this.store.saf.getRange({ start: [issuerId, 0], end: [issuerId, Number.MAX_SAFE_INTEGER], limit })) {
      const [, seq] = key as [string, number];
      const v = value as StoredEntry;
      out.push({ issuerId, seq, kind: v.kind, mti: v.mti, fields: JSON.parse(this.store.unseal(v.sealed, `${issuerId}|${seq}`)), attempts: v.attempts, createdAt: v.createdAt, lastAttemptAt: v.lastAttemptAt });
    }
    return out;
  }

  /** Records a transmission attempt (so a restart sends the next one as a repeat). */
  async attempted(issuerId: string, seq: number, now = Date.now()): Promise<void> {
    const v = this.store.saf.get([issuerId, seq]) as StoredEntry | undefined;
    if (!v) return;
    await this.store.saf.put([issuerId, seq], { ...v, attempts: v.attempts + 1, lastAttemptAt: now });
  }

  /** The issuer acknowledged: remove. */
  async ack(issuerId: string, seq: number): Promise<void> {
    if (await this.store.saf.remove([issuerId, seq])) this.depths.set(issuerId, Math.max(0, this.depth(issuerId) - 1));
  }
}

/** MTI for transmission number `attempts` (0-based): 0420 first, 0421 after. */
export function safMti(e: Pick<SafEntry, 'mti' | 'attempts'>): string {
  return e.attempts === 0 ? e.mti : e.mti.slice(0, 3) + '1';
}
