// One remote issuer as the switch sees it: its links (primary first, then backups), its SAF queue forwarder and its
// stand-in rules. authorize(txn) sends on the first link that is up (failover), answers from the issuer's response;
// when no link is up or the issuer keeps timing out it stands in; when a request goes unanswered it queues a 0420
// reversal (SAF) and answers 91 (or stands in, with standIn.onTimeout). Stand-in decisions queue 0120 advices.
import type { CompiledSpec, FramingOptions, IsoMessage } from '../../codecs/index.js';
import type { IssuerConfig } from '../config/types.js';
import { metrics } from '../metrics/registry.js';
import type { Decision, Txn } from '../model/txn.js';
import { pausePoint } from '../runtime/crashpoints.js';
import { mask, type Logger } from '../runtime/log.js';
import type { SwitchStore } from '../runtime/store.js';
import { adviceFor, isoToDecision, reversalFor, transmissionTime, txnToIso } from '../switch/iso-txn.js';
import { IssuerLink, LinkNoAnswerError, LinkUnavailableError, type MessageSigner } from './link.js';
import { SafFullError, safMti, type SafEntry, type SafQueue } from './saf.js';
import { remoteSettledKind, remoteSettledRecord, type OriginalRef, type RemoteJournal } from '../switch/remote-journal.js';
import { settledRecordId, type SettledKind } from '../stream/types.js';
import { settledKindGiven } from '../stream/journal.js';
import { standIn, utcDay, type StandInVelocity } from './standin.js';

export interface IssuerDeps {
  cfg: IssuerConfig;
  /** Resolved link addresses (simulator links filled in), same order as cfg.links. */
  addresses: { host: string; port: number }[];
  spec: CompiledSpec;
  saf: SafQueue;
  store: SwitchStore;
  log: Logger;
  /** The switch's institution id (DE 33). */
  forwarderId: string;
  /** Translates the acquirer's PIN block to the issuer's ZPK (through the HSM); absent: PIN transactions get 96. */
  translatePin?: ((txn: Txn) => Promise<string>) | null;
  mac?: MessageSigner | null;
  /** Journals approvals before they are answered and marks requests in flight (absent: nothing is journaled). */
  journal?: RemoteJournal | null;
}

const linkStatus = metrics.gauge('gerbang_issuer_link_status', 'Issuer link state: 1 up, 0 not up');
const safDepth = metrics.gauge('gerbang_saf_depth', 'Store-and-forward entries waiting per issuer');
const standIns = metrics.counter('gerbang_standin_total', 'Stand-in decisions by issuer and DE 39');
const issuerTimeouts = metrics.counter('gerbang_issuer_timeouts_total', 'Requests an issuer did not answer in time');

interface ForwardedRecord {
  mti: string;
  stan: string;
  transmittedAt: string;
  issuerId: string;
  /** Our txn id and the settled kind its approval journals as (records written before these fields lack them). */
  txnId?: string;
  kind?: SettledKind;
}

/** SAF entries sent at once per issuer. */
const SAF_WINDOW = 16;

export class IssuerService {
  readonly links: IssuerLink[];
  private consecutiveTimeouts = 0;
  private safRunning = false;
  private safTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private stipSeq = 0;
  private readonly log: Logger;
  stats = { forwarded: 0, answered: 0, timeouts: 0, standIns: 0, reversalsQueued: 0, advicesQueued: 0, safSent: 0, safAcked: 0, safFull: 0 };

  constructor(private readonly d: IssuerDeps) {
    const c = d.cfg;
    this.log = d.log.child({ issuer: c.id });
    const framing: FramingOptions = { lengthHeader: c.framing as FramingOptions['lengthHeader'], tpdu: c.tpdu };
    this.links = c.links.map(
      (l, i) =>
        new IssuerLink({
          issuerId: c.id,
          name: l.name,
          host: d.addresses[i].host,
          port: d.addresses[i].port,
          spec: d.spec,
          framing,
          connectTimeoutMs: c.connectTimeoutMs,
          requestTimeoutMs: c.requestTimeoutMs,
          echoIntervalMs: c.echoIntervalMs,
          signOn: c.signOn,
          reconnectInitialMs: c.reconnectInitialMs,
          reconnectMaxMs: c.reconnectMaxMs,
          maxInFlight: c.maxInFlight,
          log: d.log,
          mac: d.mac ?? null,
        }),
    );
    for (const link of this.links) {
      linkStatus.set(0, { issuer: c.id, link: link.opts.name });
      link.on('state', (s: string) => {
        linkStatus.set(s === 'up' ? 1 : 0, { issuer: c.id, link: link.opts.name });
        if (s === 'up') void this.pumpSaf();
      });
    }
    safDepth.set(d.saf.depth(c.id), { issuer: c.id });
  }

  get id(): string {
    return this.d.cfg.id;
  }

  start(): void {
    for (const l of this.links) l.start();
    this.safTimer = setInterval(() => void this.pumpSaf(), this.d.cfg.safRetryMs);
    this.safTimer.unref();
  }

  /** Up links in order of preference. */
  private upLinks(): IssuerLink[] {
    return this.links.filter((l) => l.isUp);
  }

  /** True when the issuer is treated as unreachable: no link up, or too many timeouts in a row. */
  get unavailable(): boolean {
    return this.upLinks().length === 0 || this.consecutiveTimeouts >= this.d.cfg.timeoutsBeforeStandIn;
  }

  status(): { id: string; unavailable: boolean; consecutiveTimeouts: number; safDepth: number; links: { name: string; state: string; inFlight: number }[] } {
    return {
      id: this.id,
      unavailable: this.unavailable,
      consecutiveTimeouts: this.consecutiveTimeouts,
      safDepth: this.d.saf.depth(this.id),
      links: this.links.map((l) => ({ name: l.opts.name, state: l.state, inFlight: l.inFlight })),
    };
  }

  async authorize(txn: Txn): Promise<Decision> {
    const now = new Date();
    if (txn.kind === 'reversal') return this.forwardReversal(txn, now);
    if (this.unavailable) return this.standIn(txn, now, this.upLinks().length === 0 ? 'no link up' : 'issuer timing out');
    let pinBlock: string | undefined;
    if (txn.pin) {
      if (!this.d.translatePin) return this.fail(txn, '96', 'pin', 'no PIN translation configured for this issuer');
      try {
        pinBlock = await this.d.translatePin(txn);
      } catch (e) {
        this.log.warn('PIN translation failed', { txnId: txn.id, pan: mask(txn.pan), error: (e as Error).message });
        return this.fail(txn, '96', 'pin', `PIN translation failed: ${(e as Error).message}`);
      }
    }
    const original = txn.original ? this.originalRef(txn, now) : undefined;
    // The settled kind an approval would journal as: requests that can move money are marked in flight first.
    const kind = remoteSettledKind(txn.kind, false);
    const settles = kind && settledKindGiven(kind, original !== undefined);
    const journal = settles ? (this.d.journal ?? null) : null;
    let marked = false;
    for (const link of this.upLinks()) {
      let msg: IsoMessage;
      try {
        msg = txnToIso(txn, { stan: link.nextStan(), now, forwarderId: this.d.forwarderId, receiverId: this.d.cfg.institutionId, pinBlock });
      } catch (e) {
        return this.fail(txn, '96', 'issuer', (e as Error).message);
      }
      this.rememberForwarded(txn, msg, now, settles);
      if (journal) {
        try {
          await journal.begin(txn.id, this.id, settledRecordId(txn.id, settles!), reversalFor(msg, { stan: '000000', now }));
          marked = true;
        } catch (e) {
          this.log.error('in-flight marker not stored; request not sent', { txnId: txn.id, error: (e as Error).message });
          return this.fail(txn, '96', 'journal', `in-flight marker not stored: ${(e as Error).message}`);
        }
      }
      try {
        this.stats.forwarded++;
        const resp = await link.request(msg);
        this.consecutiveTimeouts = 0;
        this.stats.answered++;
        return await this.journaled(txn, isoToDecision(resp, txn, this.id), now, original, marked, msg);
      } catch (e) {
        if (e instanceof LinkUnavailableError) continue; // never sent: try the next link
        if (!(e instanceof LinkNoAnswerError)) throw e;
        this.consecutiveTimeouts++;
        this.stats.timeouts++;
        issuerTimeouts.inc({ issuer: this.id });
        this.log.warn('issuer did not answer; reversing', { txnId: txn.id, link: link.opts.name, stan: msg.fields[11], pan: mask(txn.pan), error: e.message });
        await this.queue('reversal', reversalFor(msg, { stan: '000000', now }));
        if (marked) journal!.done(txn.id);
        if (this.d.cfg.standIn.onTimeout) return this.standIn(txn, now, 'issuer timeout');
        return this.fail(txn, '91', 'issuer', `no answer from ${this.id}`);
      }
    }
    if (marked) journal!.done(txn.id);
    return this.standIn(txn, now, 'no link took the request');
  }

  /**
   * The issuer's answer, made durable before anyone hears it: an approval that moves money commits its settled
   * record first. If that fails the acquirer gets 96 and the issuer a 0420 (it approved something nobody was told).
   */
  private async journaled(txn: Txn, d: Decision, now: Date, original: OriginalRef | undefined, marked: boolean, sent: IsoMessage | null): Promise<Decision> {
    const journal = this.d.journal;
    const rec = journal ? remoteSettledRecord(txn, d, this.id, now, original) : undefined;
    if (!rec) {
      if (marked) journal!.done(txn.id);
      return d;
    }
    try {
      pausePoint('remote.answered'); // crash tests: the issuer approved, nothing journaled, nobody answered
      await journal!.settle(marked ? txn.id : null, rec);
      pausePoint('remote.journaled'); // crash tests: journaled, the acquirer not answered yet
      return d;
    } catch (e) {
      this.log.error('approval not journaled; answering 96', { txnId: txn.id, pan: mask(txn.pan), error: (e as Error).message });
      if (sent) await this.queue('reversal', reversalFor(sent, { stan: '000000', now }));
      if (marked) journal!.done(txn.id);
      return this.fail(txn, '96', 'journal', `approval not journaled: ${(e as Error).message}`);
    }
  }

  /** The original a completion, refund or reversal names, as we forwarded and would have settled it. */
  private originalRef(txn: Txn, now: Date): OriginalRef | undefined {
    const o = this.forwardedOriginal(txn, now);
    return o?.txnId && o.kind ? { txnId: o.txnId, kind: o.kind } : undefined;
  }

  /** A reversal the switch owes the issuer from before a restart (see RemoteJournal.recover). */
  async queueRecoveredReversal(msg: IsoMessage): Promise<boolean> {
    return this.queue('reversal', msg);
  }

  private fail(txn: Txn, code: string, check: string, detail: string): Decision {
    return { txnId: txn.id, responseCode: code, approved: false, approvedAmount: 0, reasons: [{ check, ok: false, detail }] };
  }

  /** What the issuer saw of a request (its link STAN and DE 7), so an acquirer's later reversal can name it. */
  private rememberForwarded(txn: Txn, sent: IsoMessage, now: Date, settles: SettledKind | undefined): void {
    const key = `${utcDay(now)}|${txn.acquirerId}|${txn.stan}|${txn.transmittedAt ?? ''}`;
    // Stored as one `mti|stan|DE 7|issuer|txnId|kind` string: a fraction of the cost of packing an object.
    this.d.store.putLater(this.d.store.fwd, key, `${sent.mti}|${String(sent.fields[11])}|${String(sent.fields[7])}|${this.id}|${txn.id}|${settles ?? ''}`);
  }

  private forwardedOriginal(txn: Txn, now: Date): ForwardedRecord | undefined {
    const o = txn.original;
    if (!o?.stan) return undefined;
    const tail = `|${o.acquirerId ?? txn.acquirerId}|${o.stan}|${o.transmittedAt ?? ''}`;
    const yesterday = new Date(now.getTime() - 86_400_000);
    const fwd = this.d.store.fwd;
    const v = this.d.store.getFresh(fwd, utcDay(now) + tail) ?? this.d.store.getFresh(fwd, utcDay(yesterday) + tail);
    if (typeof v !== 'string') return v as ForwardedRecord | undefined; // records written before the compact form
    const [mti, stan, transmittedAt, issuerId, txnId, kind] = v.split('|');
    const r: ForwardedRecord = { mti, stan, transmittedAt, issuerId };
    if (txnId) r.txnId = txnId;
    if (kind) r.kind = kind as SettledKind;
    return r;
  }

  /** An acquirer's reversal of an issuer transaction: guaranteed delivery through SAF, accepted at once. */
  private async forwardReversal(txn: Txn, now: Date): Promise<Decision> {
    const msg = txnToIso(txn, { stan: '000000', now, forwarderId: this.d.forwarderId, receiverId: this.d.cfg.institutionId });
    msg.fields[39] = '17'; // customer cancellation
    // DE 90 names the request as the issuer saw it (our link STAN and DE 7), when we forwarded it.
    const orig = this.forwardedOriginal(txn, now);
    if (orig && typeof msg.fields[90] === 'object') msg.fields[90] = { ...msg.fields[90], 1: orig.mti, 2: orig.stan, 3: orig.transmittedAt, 5: this.d.forwarderId.padStart(11, '0') };
    const ok = await this.queue('reversal', msg);
    if (!ok) return this.fail(txn, '96', 'saf', 'SAF queue full');
    const d: Decision = { txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, reasons: [{ check: 'issuer.reversal', ok: true, detail: 'queued for the issuer' }] };
    // Settlement undoes what it settled for the original (the ledger ignores a repeat of the same reversal).
    const original = orig?.txnId && orig.kind ? { txnId: orig.txnId, kind: orig.kind } : undefined;
    return this.journaled(txn, d, now, original, false, null);
  }

  private async standIn(txn: Txn, now: Date, why: string): Promise<Decision> {
    const rules = this.d.cfg.standIn;
    if (!rules.enabled) return this.fail(txn, '91', 'issuer', `${this.id} unavailable (${why}); stand-in off`);
    const key = txn.pan ? `${this.d.store.cardHash(txn.pan)}|${utcDay(now)}` : '';
    const prior = key ? (this.d.store.stip.get(key) as StandInVelocity | undefined) : undefined;
    const r = standIn(txn, rules, prior, now, ++this.stipSeq + Math.floor(Date.now() / 1000));
    r.decision.reasons.unshift({ check: 'stip', ok: true, detail: `${this.id} ${why}` });
    if (key && r.velocity !== prior && r.decision.approved) await this.d.store.stip.put(key, r.velocity);
    if (r.decision.approved) {
      // The stand-in approval moves money like any other: journaled before it is answered (and advised).
      const d = await this.journaled(txn, r.decision, now, txn.original ? this.originalRef(txn, now) : undefined, false, null);
      if (!d.approved) return d;
    }
    this.stats.standIns++;
    standIns.inc({ issuer: this.id, code: r.decision.responseCode });
    const req = txnToIso(txn, { stan: '000000', now, forwarderId: this.d.forwarderId, receiverId: this.d.cfg.institutionId });
    const advice = adviceFor(req, r.decision, { stan: '000000', now });
    // An acquirer's later reversal must find what it reverses (and settlement must undo the advice it settled).
    if (r.decision.approved) this.rememberForwarded(txn, advice, now, remoteSettledKind(txn.kind, true));
    await this.queue('advice', advice);
    return r.decision;
  }

  /** Durably queues a SAF message; false when the queue is full (logged). */
  private async queue(kind: 'reversal' | 'advice', msg: IsoMessage): Promise<boolean> {
    try {
      await this.d.saf.enqueue(this.id, kind, msg);
    } catch (e) {
      if (e instanceof SafFullError) {
        this.stats.safFull++;
        this.log.error('SAF queue full; message not stored', { kind, error: e.message });
        return false;
      }
      throw e;
    }
    if (kind === 'reversal') this.stats.reversalsQueued++;
    else this.stats.advicesQueued++;
    safDepth.set(this.d.saf.depth(this.id), { issuer: this.id });
    void this.pumpSaf();
    return true;
  }

  /** Sends queued SAF messages (oldest first, SAF_WINDOW at a time) while a link is up; stops at the first failure. */
  async pumpSaf(): Promise<void> {
    if (this.safRunning || this.closed) return;
    this.safRunning = true;
    try {
      while (!this.closed) {
        const link = this.upLinks()[0];
        if (!link) break;
        const batch = this.d.saf.peek(this.id, SAF_WINDOW);
        if (batch.length === 0) break;
        const results = await Promise.all(batch.map((e) => this.sendSaf(link, e)));
        if (results.some((ok) => !ok)) break; // retry on the next tick (safRetryMs)
      }
    } catch (e) {
      this.log.error('SAF forwarding failed', { error: (e as Error).message });
    } finally {
      this.safRunning = false;
    }
  }

  private async sendSaf(link: IssuerLink, e: SafEntry): Promise<boolean> {
    const msg: IsoMessage = { mti: safMti(e), fields: { ...e.fields, 7: transmissionTime(new Date()), 11: link.nextStan() } };
    await this.d.saf.attempted(this.id, e.seq);
    try {
      this.stats.safSent++;
      const resp = await link.request(msg);
      const expect = e.mti.slice(0, 2) + '3';
      if (!resp.mti.startsWith(expect)) {
        this.log.warn('SAF answer with an unexpected MTI', { mti: resp.mti, expected: `${expect}0` });
        return false;
      }
      this.consecutiveTimeouts = 0;
      await this.d.saf.ack(this.id, e.seq);
      this.stats.safAcked++;
      safDepth.set(this.d.saf.depth(this.id), { issuer: this.id });
      return true;
    } catch (err) {
      if (!(err instanceof LinkUnavailableError) && !(err instanceof LinkNoAnswerError)) throw err;
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.safTimer) clearInterval(this.safTimer);
    await Promise.all(this.links.map((l) => l.close()));
  }
}
