// The dispute edge: disputes stored in the books environment (their own named databases), the machine's
// effects applied — the provisional debit and its reversal as settled records on the stream (the ledger poster
// posts them by its chargeback/representment rules, so settlement and payouts see them), stage fees as postings
// (Dr merchant / Cr fees:switch) in the same books transaction that stores the dispute — webhooks queued, and
// the dashboard gauges kept current. Stream appends are idempotent by record id and happen before the dispute
// is stored, so a crash between the two repeats the append harmlessly.
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import { accountId } from '../ledger/accounts.js';
import type { Books } from '../ledger/books.js';
import { transferState } from '../ledger/transfers.js';
import { LedgerWriter } from '../ledger/writer.js';
import { metrics } from '../metrics/registry.js';
import type { BusinessCalendar } from '../settlement/calendar.js';
import type { SettledStream } from '../stream/api.js';
import { settledRecordId } from '../stream/types.js';
import { deadlineStep, DisputeStateError, dueBy, transition, type Action, type Actor, type Effect, type Stage, type Step } from './machine.js';
import { assertNetwork, deadlinesFor, reasonCode, type DisputeConfig, type Network } from './reasons.js';
import type { Dispute, DisputeEventSink, Evidence } from './types.js';

const openGauge = metrics.gauge('gerbang_disputes_open', 'Open disputes by stage');
const dueSoonGauge = metrics.gauge('gerbang_disputes_due_soon', 'Open disputes whose response deadline falls within the warning window, by who must answer');
const closedCounter = metrics.counter('gerbang_disputes_closed_total', 'Disputes closed, by outcome');

export const MAX_EVIDENCE = 50;
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;
export const MAX_NOTE_CHARS = 20_000;

export interface OpenDisputeInput {
  caseId: string;
  network: string;
  reasonCode: string;
  /** Settled record id of the capture (e.g. `T…:purchase`). */
  transactionId: string;
  amount?: number;
  /** 'retrieval_request' or 'chargeback' (default): where the issuer starts. */
  stage?: 'retrieval_request' | 'chargeback';
  /** When the issuer filed it (default now). */
  filedAt?: Date;
}

export interface EvidenceInput {
  kind: 'document' | 'note';
  name: string;
  text?: string;
  contentType?: string;
  /** Document bytes. */
  content?: Buffer;
}

export interface DisputeServiceOptions {
  books: Books;
  stream: SettledStream;
  calendar: BusinessCalendar;
  config?: DisputeConfig;
  events?: DisputeEventSink;
  log?: (m: string) => void;
}

export class DisputeService {
  readonly disputes: Database<Dispute, string>;
  /** `m|merchant|created|id`, `d|dueBy|id` (open disputes by deadline), `c|caseId` → id. */
  private readonly index: Database<string | number, string>;
  readonly documents: Database<Buffer, string>;
  private readonly cfg: DisputeConfig;
  private readonly log: (m: string) => void;

  constructor(private readonly o: DisputeServiceOptions) {
    this.disputes = o.books.root.openDB<Dispute, string>({ name: 'disputes', encoding: 'msgpack' });
    this.index = o.books.root.openDB<string | number, string>({ name: 'disputes-idx', encoding: 'msgpack' });
    this.documents = o.books.root.openDB<Buffer, string>({ name: 'disputes-docs', encoding: 'binary' });
    this.cfg = o.config ?? {};
    this.log = o.log ?? ((m) => process.stderr.write(m + '\n'));
  }

  get(id: string): Dispute | undefined {
    return this.disputes.get(id);
  }

  byCase(caseId: string): Dispute | undefined {
    const id = this.index.get(`c|${caseId}`) as string | undefined;
    return id ? this.get(id) : undefined;
  }

  /** Newest first; `merchantId` limits to one merchant, `open` to disputes not closed. */
  list(f: { merchantId?: string; open?: boolean; stage?: Stage; limit?: number; startingAfter?: string } = {}): { data: Dispute[]; hasMore: boolean } {
    const limit = Math.min(Math.max(f.limit ?? 20, 1), 1000);
    const out: Dispute[] = [];
    const keep = (d: Dispute) => (f.open === undefined || (d.stage !== 'closed') === f.open) && (!f.stage || d.stage === f.stage);
    let skipping = !!f.startingAfter;
    const rows = f.merchantId
      ? this.index.getRange({ start: `m|${f.merchantId}|~`, end: `m|${f.merchantId}|`, reverse: true })
      : this.index.getRange({ start: 'm|~', end: 'm|', reverse: true });
    for (const { value } of rows) {
      const id = value as string;
      if (skipping) {
        if (id === f.startingAfter) skipping = false;
        continue;
      }
      const d = this.get(id);
      if (!d || !keep(d)) continue;
      if (out.length === limit) return { data: out, hasMore: true };
      out.push(d);
    }
    return { data: out, hasMore: false };
  }

  /** Opens a dispute from an issuer's chargeback (file or API). Idempotent by caseId. */
  async open(input: OpenDisputeInput, by = 'issuer', now = new Date()): Promise<Dispute> {
    const existing = this.byCase(input.caseId);
    if (existing) return existing;
    if (!input.caseId || input.caseId.length > 64) throw new Error('caseId must be 1–64 characters');
    assertNetwork(input.network);
    const network: Network = input.network;
    const rc = reasonCode(network, input.reasonCode);
    const cap = transferState(this.o.books, input.transactionId);
    if (!cap) throw new Error(`transaction ${input.transactionId} is not in the ledger`);
    if (!['purchase', 'advice', 'completion'].includes(cap.kind) || cap.status !== 'posted') throw new Error(`transaction ${input.transactionId} is a ${cap.status} ${cap.kind}, not a posted capture`);
    const amount = input.amount ?? cap.amount - cap.refunded - cap.charged;
    const open = cap.amount - cap.refunded - cap.charged;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > open) throw new Error(`dispute amount ${amount} must be 1..${open} (captured ${cap.amount}, refunded ${cap.refunded}, charged back ${cap.charged})`);
    const d = deadlinesFor(this.cfg, network, rc.code);
    const filed = input.filedAt ?? now;
    const ageDays = Math.floor((filed.getTime() - Date.parse(cap.businessDate + 'T00:00:00Z')) / 86_400_000);
    if (ageDays > d.filingDays) throw new Error(`chargeback filed ${ageDays} days after the transaction (${cap.businessDate}); ${network} allows ${d.filingDays}`);
    const stage = input.stage ?? 'chargeback';
    const at = now.toISOString();
    const id = 'dp_' + randomBytes(12).toString('base64url');
    let dispute: Dispute = {
      id,
      caseId: input.caseId,
      network,
      reasonCode: rc.code,
      reasonTitle: rc.title,
      category: rc.category,
      flow: rc.flow,
      stage: 'retrieval_request',
      transactionId: input.transactionId,
      transactionDate: cap.businessDate,
      merchantId: cap.merchantId,
      issuerId: cap.issuerId,
      acquirerId: cap.acquirerId,
      currency: cap.currency,
      amount,
      stageStartedAt: at,
      dueBy: dueBy(rc.flow, 'retrieval_request', at, d),
      evidence: [],
      history: [{ at, action: 'open', actor: 'issuer', by, to: 'retrieval_request', note: `${network} ${rc.code} ${rc.title}` }],
      ledger: { feePostings: [] },
      createdAt: at,
      updatedAt: at,
    };
    if (stage === 'chargeback') {
      // Opened straight at the first chargeback: the machine's chargeback step gives its debit and fee.
      dispute.history[0].to = 'chargeback';
      const step = transition({ ...dispute, evidenceCount: 0 }, 'chargeback', 'issuer', now, d);
      dispute = await this.apply(step, 'chargeback', 'issuer', by, now, undefined, true);
    } else {
      await this.store(dispute, undefined, now, []);
    }
    await this.emit(dispute, 'dispute.opened');
    return this.get(id)!;
  }

  /** An action by a party (merchant, issuer, network). Merchants may only act on their own disputes. */
  async act(id: string, action: Action, actor: Actor, by: string, opts: { note?: string; merchantId?: string; now?: Date } = {}): Promise<Dispute> {
    const now = opts.now ?? new Date();
    const cur = this.get(id);
    if (!cur || (opts.merchantId && cur.merchantId !== opts.merchantId)) throw new DisputeStateError('invalid_transition', `no dispute ${id}`);
    if (action === 'deadline') throw new DisputeStateError('not_allowed', 'deadlines are applied by the sweep');
    const step = transition({ ...cur, evidenceCount: cur.evidence.length }, action, actor, now, this.deadlines(cur));
    const d = await this.apply(step, action, actor, by, now, opts.note);
    await this.emit(d, d.stage === 'closed' ? 'dispute.closed' : 'dispute.updated');
    return d;
  }

  /** Attaches evidence (documents, notes) without changing the stage. */
  async addEvidence(id: string, items: EvidenceInput[], by: string, opts: { merchantId?: string; now?: Date } = {}): Promise<Dispute> {
    const now = opts.now ?? new Date();
    const cur = this.get(id);
    if (!cur || (opts.merchantId && cur.merchantId !== opts.merchantId)) throw new DisputeStateError('invalid_transition', `no dispute ${id}`);
    if (cur.stage === 'closed') throw new DisputeStateError('closed', `the dispute is closed (${cur.outcome})`);
    if (items.length === 0) throw new Error('no evidence given');
    if (cur.evidence.length + items.length > MAX_EVIDENCE) throw new Error(`at most ${MAX_EVIDENCE} pieces of evidence per dispute`);
    const at = now.toISOString();
    const added: Evidence[] = [];
    const docs: [string, Buffer][] = [];
    for (const e of items) {
      if (!e.name || e.name.length > 200) throw new Error('evidence name must be 1–200 characters');
      const ev: Evidence = { id: 'ev_' + randomBytes(9).toString('base64url'), kind: e.kind, name: e.name, submittedAt: at, by };
      if (e.kind === 'note') {
        if (!e.text || e.text.length > MAX_NOTE_CHARS) throw new Error(`a note needs text of 1–${MAX_NOTE_CHARS} characters`);
        ev.text = e.text;
      } else if (e.kind === 'document') {
        if (!e.content || e.content.length === 0 || e.content.length > MAX_DOCUMENT_BYTES) throw new Error(`a document must be 1 byte to ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB`);
        ev.contentType = e.contentType ?? 'application/octet-stream';
        ev.size = e.content.length;
        ev.sha256 = createHash('sha256').update(e.content).digest('hex');
        docs.push([`${id}|${ev.id}`, e.content]);
      } else throw new Error(`evidence kind must be document or note`);
      added.push(ev);
    }
    const d: Dispute = {
      ...cur,
      evidence: [...cur.evidence, ...added],
      history: [...cur.history, { at, action: 'evidence', actor: opts.merchantId ? 'merchant' : 'merchant', by, note: added.map((e) => `${e.kind} ${e.name}`).join(', ') }],
      updatedAt: at,
    };
    await this.o.books.root.transactionSync(() => {
      for (const [k, v] of docs) this.documents.putSync(k, v);
      this.disputes.putSync(id, d);
    });
    await this.o.books.root.flushed;
    await this.emit(d, 'dispute.updated');
    return d;
  }

  /** Applies every deadline that passed by `now` (the network's rule for an unanswered stage). */
  async sweep(now = new Date()): Promise<Dispute[]> {
    const changed: Dispute[] = [];
    const end = `d|${now.toISOString()}|~`;
    const due: string[] = [];
    for (const { key } of this.index.getRange({ start: 'd|', end })) due.push((key as string).split('|')[2]);
    for (const id of due) {
      const cur = this.get(id);
      if (!cur) continue;
      const step = deadlineStep({ ...cur, evidenceCount: cur.evidence.length }, now, this.deadlines(cur));
      if (!step) continue;
      const d = await this.apply(step, 'deadline', 'system', 'system', now, `deadline ${cur.dueBy} passed in ${cur.stage}`);
      await this.emit(d, d.stage === 'closed' ? 'dispute.closed' : 'dispute.updated');
      changed.push(d);
    }
    this.refreshGauges(now);
    return changed;
  }

  /** Open disputes whose deadline falls within `days` of `now` (the dashboard's warning list). */
  dueSoon(now: Date, days = this.cfg.warnDays ?? 3): Dispute[] {
    const out: Dispute[] = [];
    const end = `d|${new Date(now.getTime() + days * 86_400_000).toISOString()}|~`;
    for (const { key } of this.index.getRange({ start: `d|${now.toISOString()}`, end })) {
      const d = this.get((key as string).split('|')[2]);
      if (d && d.stage !== 'closed') out.push(d);
    }
    return out;
  }

  refreshGauges(now = new Date()): void {
    const byStage = new Map<string, number>();
    for (const { value } of this.index.getRange({ start: 'd|', end: 'd|~' })) {
      const d = this.get(value as string);
      if (d && d.stage !== 'closed') byStage.set(d.stage, (byStage.get(d.stage) ?? 0) + 1);
    }
    for (const s of ['retrieval_request', 'chargeback', 'representment', 'pre_arbitration', 'arbitration']) openGauge.set(byStage.get(s) ?? 0, { stage: s });
    const soon = this.dueSoon(now);
    for (const who of ['merchant', 'issuer', 'network']) dueSoonGauge.set(soon.filter((d) => waitingOn(d) === who).length, { waiting_on: who });
  }

  document(disputeId: string, evidenceId: string): Buffer | undefined {
    return this.documents.get(`${disputeId}|${evidenceId}`);
  }

  private deadlines(d: Dispute) {
    return deadlinesFor(this.cfg, d.network, d.reasonCode);
  }

  private async apply(step: Step<Dispute & { evidenceCount: number }>, action: Action, actor: Actor, by: string, now: Date, note?: string, opening = false): Promise<Dispute> {
    const prev = step.from;
    const { evidenceCount: _n, ...d } = step.dispute;
    void _n;
    const at = now.toISOString();
    d.updatedAt = at;
    d.ledger = { ...d.ledger, feePostings: [...d.ledger.feePostings] };
    d.history = [...d.history, { at, action, actor, by, from: prev, to: d.stage, ...(note ? { note } : {}) }];
    // Money first on the stream (idempotent by record id), then the dispute and its fees in one books transaction.
    const fees: Effect[] = [];
    for (const e of step.transition.effects) {
      if (e.kind === 'debit' && !d.ledger.chargebackRecordId) {
        const txnId = `DSP-${d.id}`;
        const rid = settledRecordId(txnId, 'chargeback');
        await this.o.stream.append({ id: rid, kind: 'chargeback', txnId, amount: d.amount, currency: d.currency, merchantId: d.merchantId, acquirerId: d.acquirerId, issuerId: d.issuerId, originalId: d.transactionId, occurredAt: at });
        d.ledger.chargebackRecordId = rid;
      } else if (e.kind === 'reverse' && d.ledger.chargebackRecordId && !d.ledger.representmentRecordId) {
        const txnId = `DSP-${d.id}`;
        const rid = settledRecordId(txnId, 'representment');
        await this.o.stream.append({ id: rid, kind: 'representment', txnId, amount: d.amount, currency: d.currency, merchantId: d.merchantId, acquirerId: d.acquirerId, issuerId: d.issuerId, originalId: d.ledger.chargebackRecordId, occurredAt: at });
        d.ledger.representmentRecordId = rid;
      } else if (e.kind === 'fee') fees.push(e);
    }
    await this.store(d, opening ? undefined : prev, now, fees);
    if (d.stage === 'closed') {
      closedCounter.inc({ outcome: d.outcome ?? 'unknown' });
      this.log(`disputes: ${d.id} (${d.network} ${d.reasonCode}) closed ${d.outcome} after ${prev}`);
    }
    return d;
  }

  private async store(d: Dispute, prev: Stage | undefined, now: Date, fees: Effect[]): Promise<void> {
    const old = this.get(d.id);
    this.o.books.root.transactionSync(() => {
      const w = new LedgerWriter(this.o.books);
      for (const f of fees) {
        if (f.kind !== 'fee') continue;
        const amount = this.cfg.fees?.[d.network]?.[f.stage] ?? 0;
        if (!amount) continue;
        const pid = `dispute-fee:${d.id}:${f.stage}`;
        if (w.hasPosting(pid)) continue;
        w.post({
          id: pid,
          seq: 0,
          kind: 'dispute_fee',
          currency: d.currency,
          businessDate: this.o.calendar.businessDateOf(now.getTime(), d.currency),
          entries: [[accountId('merchant', d.merchantId, d.currency), 'D', amount], [accountId('fees', 'switch', d.currency), 'C', amount]],
          note: `${d.network} ${f.stage} fee, dispute ${d.id}`,
        });
        d.ledger.feePostings.push(pid);
      }
      w.flush();
      if (old?.dueBy) this.index.removeSync(`d|${old.dueBy}|${d.id}`);
      if (d.dueBy && d.stage !== 'closed') this.index.putSync(`d|${d.dueBy}|${d.id}`, d.id);
      if (!old) {
        this.index.putSync(`m|${d.merchantId}|${d.createdAt}|${d.id}`, d.id);
        this.index.putSync(`m|~all|${d.createdAt}|${d.id}`, d.id);
        this.index.putSync(`c|${d.caseId}`, d.id);
      }
      this.disputes.putSync(d.id, d);
    });
    await this.o.books.root.flushed;
    void prev;
  }

  private async emit(d: Dispute, type: 'dispute.opened' | 'dispute.updated' | 'dispute.closed'): Promise<void> {
    if (!this.o.events) return;
    try {
      await this.o.events(d.merchantId, type, toPublicDispute(d));
    } catch (e) {
      // A webhook problem never undoes a dispute step; the dispatcher keeps its own retries.
      this.log(`disputes: ${type} for ${d.id} not queued: ${(e as Error).message}`);
    }
  }
}

export function waitingOn(d: Dispute): string | null {
  if (d.stage === 'closed') return null;
  if (d.stage === 'retrieval_request' || d.stage === 'chargeback') return 'merchant';
  if (d.stage === 'representment') return 'issuer';
  if (d.stage === 'arbitration') return 'network';
  return d.flow === 'allocation' ? 'issuer' : 'merchant';
}

const ALPHA: Record<string, string> = { '360': 'IDR', '840': 'USD', '978': 'EUR', '826': 'GBP', '702': 'SGD', '458': 'MYR', '764': 'THB', '608': 'PHP', '036': 'AUD', '156': 'CNY', '392': 'JPY', '410': 'KRW', '704': 'VND', '048': 'BHD', '414': 'KWD', '512': 'OMR', '788': 'TND' };

/** Stripe-like public shape (snake_case) for the HTTP API and webhooks; document bytes are never included. */
export function toPublicDispute(d: Dispute): Record<string, unknown> {
  const status =
    d.stage === 'closed' ? (d.outcome === 'won' ? 'won' : 'lost') : waitingOn(d) === 'merchant' ? (d.stage === 'retrieval_request' ? 'warning_needs_response' : 'needs_response') : 'under_review';
  return {
    id: d.id,
    object: 'dispute',
    amount: d.amount,
    currency: ALPHA[d.currency] ?? d.currency,
    status,
    stage: d.stage,
    outcome: d.outcome ?? null,
    network: d.network,
    reason_code: d.reasonCode,
    reason: d.reasonTitle,
    category: d.category,
    flow: d.flow,
    payment: d.transactionId,
    case_id: d.caseId,
    evidence: d.evidence.map((e) => ({ id: e.id, kind: e.kind, name: e.name, content_type: e.contentType ?? null, size: e.size ?? null, sha256: e.sha256 ?? null, text: e.text ?? null, submitted_at: e.submittedAt })),
    evidence_details: { due_by: d.dueBy, waiting_on: waitingOn(d), has_evidence: d.evidence.length > 0, submission_count: d.history.filter((h) => h.action === 'contest' || h.action === 'fulfil').length },
    history: d.history.map((h) => ({ at: h.at, action: h.action, actor: h.actor, from: h.from ?? null, to: h.to ?? null, note: h.note ?? null })),
    created: d.createdAt,
    updated: d.updatedAt,
  };
}

/** Runs `sweep` every `intervalMs` (default 1 h) inside a long-running process (the switch), so deadlines close
 *  on time and the dashboard's due-soon gauge stays current. Errors are logged once per distinct message. */
export function startDisputeSweeper(svc: DisputeService, intervalMs = 3_600_000, log: (m: string) => void = (m) => process.stderr.write(m + '\n')): { stop(): void; tick(): Promise<void> } {
  let last = '';
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await svc.sweep(new Date());
      last = '';
    } catch (e) {
      const m = `disputes sweeper: ${(e as Error).message}`;
      if (m !== last) log(m);
      last = m;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
