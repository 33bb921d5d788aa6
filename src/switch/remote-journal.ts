// Money that a REMOTE issuer approved is journaled before the acquirer hears "approved", like the on-us engine's:
// the approval's settled record is committed (and fsynced) to the settled-record stream in the engine's LMDB file,
// so settlement pays the merchant for remote cards too, and nothing the acquirer was told is missing from it.
//
// Crash safety across the two files (switch.mdb and gerbang.mdb), in order per forwarded request:
//   1. begin:   an in-flight marker (the sealed 0420 we would send) is made durable in switch.mdb — group commit
//   2. send to the issuer, await its answer
//   3. approved: its settled record is made durable in gerbang.mdb (group commit) — only then is the acquirer answered
//   4. the marker is removed (write-behind)
// recover() at start-up: a marker whose settled record exists was answered (4 was lost): drop it; any other marker
// is a request the issuer may have approved and the acquirer never heard: its 0420 goes to the SAF queue.
// A marker left by a decline (4 lost) becomes a reversal of a decline: harmless, the issuer has nothing to undo.
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { FieldValue, IsoMessage } from '../../codecs/index.js';
import type { Decision, Txn, TxnKind } from '../model/txn.js';
import { mask } from '../runtime/log.js';
import type { SwitchStore } from '../runtime/store.js';
import { STATE_FILE } from '../state/env.js';
import { settledKindOf, settledRecordOf } from '../stream/journal.js';
import { appendSettled, openSettledStore, type SettledStore } from '../stream/lmdb.js';
import { settledRecordId, type NewSettledRecord, type SettledKind } from '../stream/types.js';

/** Most settled records committed in one transaction (the rest wait for the next turn). */
const MAX_GROUP = 1024;

/**
 * The settled kind an approved remote decision of this kind moves money as (undefined: moves none) — the on-us
 * journal's mapping; a stand-in approval is confirmed to the issuer by its 0120 advice, so it settles as an advice.
 */
export function remoteSettledKind(kind: TxnKind, standIn: boolean): SettledKind | undefined {
  return settledKindOf({ kind, mti: standIn ? '0120' : '0200', approved: true });
}

/** What the switch remembers of a forwarded request so later messages (reversal, completion) can name it. */
export interface OriginalRef {
  txnId: string;
  kind: SettledKind;
}

/** Pure: the settled record of an approved remote decision, or undefined when it moves no merchant money. */
export function remoteSettledRecord(txn: Txn, d: Decision, issuerId: string, now: Date, original?: OriginalRef): NewSettledRecord | undefined {
  if (!d.approved) return undefined;
  const kind = remoteSettledKind(txn.kind, d.standIn === true);
  if (!kind) return undefined;
  return settledRecordOf({
    kind,
    txnId: txn.id,
    amount: d.approvedAmount,
    currency: txn.currency,
    merchantId: txn.merchantId,
    terminalId: txn.terminalId,
    acquirerId: txn.acquirerId,
    issuerId,
    at: now.getTime(),
    originalId: original ? settledRecordId(original.txnId, original.kind) : undefined,
    split: txn.split,
    panMasked: mask(txn.pan),
  });
}

interface Marker {
  issuerId: string;
  /** The settled record id an answered approval would have committed. */
  recordId: string;
  /** The 0420's fields, sealed (they hold the PAN). */
  sealed: string;
  at: number;
}

export interface RemoteJournal {
  /** Durable once resolved: if the switch dies before `settle`/`done`, recovery reverses `reversal` at the issuer. */
  begin(txnId: string, issuerId: string, recordId: string, reversal: IsoMessage): Promise<void>;
  /** Commits `rec` to the settled stream; durable (fsynced) when it resolves. Then clears the marker. */
  settle(txnId: string | null, rec: NewSettledRecord): Promise<void>;
  /** The request's outcome needs no record (declined, reversed, never sent): clears the marker (write-behind). */
  done(txnId: string): void;
  /** Start-up: markers of requests whose answer was never journaled, as reversals to queue. Clears the rest. */
  recover(): { issuerId: string; reversal: IsoMessage; txnId: string }[];
  /** Removes the markers `recover()` returned once their reversals are queued. */
  forget(txnIds: string[]): void;
  close(): Promise<void>;
}

export function openRemoteJournal(dataDir: string, store: SwitchStore): RemoteJournal {
  // The engine's environment (same options as src/state/env.ts): lmdb-js shares one handle per path and process.
  const root: RootDatabase = open({ path: join(dataDir, STATE_FILE), maxDbs: 24, mapSize: 8 * 1024 ** 3, encoding: 'msgpack' });
  const settled: SettledStore = openSettledStore(root);
  let pending: { rec: NewSettledRecord; resolve: () => void; reject: (e: Error) => void }[] = [];
  let scheduled = false;
  let closed = false;

  const commit = (): void => {
    scheduled = false;
    const group = pending.splice(0, MAX_GROUP);
    if (pending.length > 0) schedule();
    if (group.length === 0) return;
    const failed = new Map<number, Error>();
    // One transaction and one fsync for the group. appendSettled validates before its first write, so a record
    // it refuses leaves nothing behind and fails alone.
    root
      .transaction(() => {
        group.forEach((g, i) => {
          try {
            appendSettled(settled, g.rec);
          } catch (e) {
            failed.set(i, e as Error);
          }
        });
      })
      .then(() => root.flushed)
      .then(
        () => group.forEach((g, i) => (failed.has(i) ? g.reject(failed.get(i)!) : g.resolve())),
        (e: Error) => group.forEach((g) => g.reject(e)),
      );
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(commit);
  };

  return {
    begin(txnId, issuerId, recordId, reversal) {
      const m: Marker = { issuerId, recordId, sealed: store.seal(JSON.stringify(reversal.fields), `inflight|${txnId}`), at: Date.now() };
      return store.putDurable(store.inflight, txnId, m);
    },
    settle(txnId, rec) {
      if (closed) return Promise.reject(new Error('remote journal closed'));
      return new Promise<void>((resolve, reject) => {
        pending.push({ rec, resolve, reject });
        schedule();
      }).then(() => {
        if (txnId) store.removeLater(store.inflight, txnId);
      });
    },
    done(txnId) {
      store.removeLater(store.inflight, txnId);
    },
    recover() {
      const out: { issuerId: string; reversal: IsoMessage; txnId: string }[] = [];
      const answered: string[] = [];
      for (const { key, value } of store.inflight.getRange({})) {
        const txnId = key as string;
        const m = value as Marker;
        if (settled.ids.get(m.recordId) !== undefined) answered.push(txnId);
        else out.push({ issuerId: m.issuerId, txnId, reversal: { mti: '0420', fields: JSON.parse(store.unseal(m.sealed, `inflight|${txnId}`)) as Record<string, FieldValue> } });
      }
      for (const t of answered) store.removeLater(store.inflight, t);
      return out;
    },
    forget(txnIds) {
      for (const t of txnIds) store.removeLater(store.inflight, t);
    },
    async close() {
      closed = true;
      if (pending.length > 0) commit();
      await root.flushed;
      // The environment is shared with the engine and settlement in this process; lmdb-js closes it with the last.
      await root.close();
    },
  };
}
