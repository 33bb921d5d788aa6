// The LMDB environment: one file, named databases, msgpack values. Opened once per thread (each piscina worker
// opens the same path; LMDB's writer lock serialises write transactions across threads and processes).
// Durability: default sync settings (overlappingSync on Linux); writers await `flushed` before answering.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { loadDataKeys, type DataKeys } from './keys.js';
import type { CardProfile, MerchantProfile } from '../fraud/index.js';
import { decodeCardProfile } from '../fraud/profile-codec.js';
import type {
  AccountRecord,
  CardRecord,
  HoldRecord,
  IdemRecord,
  JournalRecord,
  KeyRecord,
  MerchantRecord,
  VelocityRecord,
} from './records.js';

export interface State {
  dataDir: string;
  root: RootDatabase;
  cards: Database<CardRecord, string>;
  accounts: Database<AccountRecord, string>;
  holds: Database<HoldRecord, string>;
  velocity: Database<VelocityRecord, string>;
  merchants: Database<MerchantRecord, string>;
  journal: Database<JournalRecord, number>;
  idem: Database<IdemRecord, string>;
  /** Aliases to idem keys: 'i|<txnId>' and 'n|<acquirer>|<rrn>' → the idem key of that transaction. */
  refs: Database<string, string>;
  keys: Database<KeyRecord, string>;
  /**
   * Fraud profiles (src/fraud): per merchant by 'acquirer|merchant'; per card by PAN hash only in data written
   * before 2026-12-03 (a card's profile now rides in its velocity record: read it with cardProfileOf).
   */
  cardProfiles: Database<CardProfile, string>;
  merchantProfiles: Database<MerchantProfile, string>;
  /** Counters (journal sequence) and the wrapped data keys. */
  meta: Database<unknown, string>;
  dataKeys: DataKeys;
}

// Shared msgpack structures (stored under a Symbol key that range reads skip): without them every record carries
// its own field-name definition, which every read re-parses. Measured ~25% less CPU per authorization. Records
// written without them still decode. The journal (uint32 keys) cannot hold the Symbol key and keeps inline ones.
// GERBANG_SHARED_STRUCT=0 turns them off for comparison.
const SHARED = process.env.GERBANG_SHARED_STRUCT !== '0';
/**
 * The journal is written as plain msgpack maps. Without shared structures (see above) msgpackr's records carry their
 * field-name definitions inline and are rebuilt on every encode: a purchase's record (~30 fields and its reasons)
 * took 8–9 µs to encode and as long to decode, inside the write lock. As maps: 3.8 µs encode, 4.5 decode, 772
 * instead of 736 bytes (microbench, 2026-12-03). `mapsAsObjects` decodes them as plain objects (undefined fields
 * stay present and undefined); records written before still decode. An older build reading this data dir would
 * decode new records as Map objects.
 */
const JOURNAL_ENCODING = { useRecords: false, variableMapSize: true, mapsAsObjects: true };
export const STATE_FILE = 'gerbang.mdb';
/** 8 GiB map ceiling: LMDB grows the file on demand; this bounds it. */
const MAP_SIZE = 8 * 1024 ** 3;

/**
 * Opens (creating when `create`) the hot state under `dataDir`. Only one caller should create a fresh
 * data dir (the main thread, before starting workers): data keys are generated on first open.
 */
export function openState(dataDir: string, opts: { create?: boolean } = {}): State {
  mkdirSync(dataDir, { recursive: true });
  const root = open({
    path: join(dataDir, STATE_FILE),
    maxDbs: 24,
    mapSize: MAP_SIZE,
    encoding: 'msgpack',
    // Never noSync/noMetaSync: approvals must survive a crash once answered.
  });
  const db = <V, K extends string | number = string>(name: string, keyEncoding?: 'uint32' | 'ordered-binary', extra?: object) =>
    root.openDB<V, K>({
      name, encoding: 'msgpack', ...(keyEncoding ? { keyEncoding } : {}), ...(SHARED && !keyEncoding ? { sharedStructuresKey: Symbol.for('structures') } : {}), ...extra,
    });
  const meta = db<unknown>('meta');
  const dataKeys = loadDataKeys(dataDir, meta, opts.create ?? false);
  return {
    dataDir,
    root,
    cards: db<CardRecord>('cards'),
    accounts: db<AccountRecord>('accounts'),
    holds: db<HoldRecord>('holds'),
    velocity: db<VelocityRecord>('velocity'),
    merchants: db<MerchantRecord>('merchants'),
    journal: db<JournalRecord, number>('journal', 'uint32', JOURNAL_ENCODING),
    idem: db<IdemRecord>('idem'),
    refs: db<string>('refs'),
    keys: db<KeyRecord>('keys'),
    cardProfiles: db<CardProfile>('fraud.cards'),
    merchantProfiles: db<MerchantProfile>('fraud.merchants'),
    meta,
    dataKeys,
  };
}

/**
 * After an aborted (child) write transaction: msgpackr may have minted a shared structure whose save was rolled
 * back. Marking the database's in-memory structures uninitialized makes the next encode reload the stored ones
 * (msgpackr's own recovery path for a failed save), so no later record refers to a structure id that was lost.
 */
export function reloadSharedStructures(db: unknown): void {
  const st = (db as { encoder?: { structures?: { uninitialized?: boolean; transitions?: unknown } } }).encoder?.structures;
  if (st) {
    st.uninitialized = true;
    st.transitions = null;
  }
}

export async function closeState(s: State): Promise<void> {
  await s.root.flushed;
  await s.root.close();
}

/** Key of a merchant's fraud profile. */
export function merchantProfileKey(t: { acquirerId: string; merchantId?: string; terminalId?: string }): string {
  return `${t.acquirerId}|${t.merchantId ?? t.terminalId ?? ''}`;
}

/**
 * The card's fraud profile. It lives in the card's velocity record (`profile`, one get and one put per authorization
 * for both); data written before 2026-12-03 keeps it in fraud.cards until the card's next scored authorization
 * moves it. `vel`: the velocity record when the caller has read it already.
 */
export function cardProfileOf(s: State, panHash: string, vel: VelocityRecord | undefined = s.velocity.get(panHash)): CardProfile | undefined {
  return vel?.profile ? decodeCardProfile(vel.profile) : s.cardProfiles.get(panHash);
}

/** Last journal sequence number committed (0 when empty). Call inside a write transaction for the next one. */
export function lastJournalSeq(s: State): number {
  return (s.meta.get('journalSeq') as number | undefined) ?? 0;
}
