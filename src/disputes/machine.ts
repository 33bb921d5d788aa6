// Dispute stages as a state machine written as data: per flow, per stage, who the dispute waits on, which
// deadline rule applies, what happens when it passes, and the allowed transitions with their ledger effects.
// `transition` and `sweep` are pure: they take a dispute, an action and `now`, and return the new dispute and
// the effects for the edge to apply (stream records, fee postings, webhooks).
import type { DeadlineRules, Flow } from './reasons.js';

export type Stage = 'retrieval_request' | 'chargeback' | 'representment' | 'pre_arbitration' | 'arbitration' | 'closed';
export type Outcome = 'won' | 'lost' | 'accepted' | 'expired';
export type Actor = 'merchant' | 'issuer' | 'network' | 'system';
export type Action =
  | 'fulfil' // merchant answers a retrieval request with the documents
  | 'chargeback' // issuer files the first chargeback
  | 'accept' // merchant accepts the liability
  | 'contest' // merchant contests with evidence (representment, or acquirer pre-arbitration under allocation)
  | 'issuer_accept' // issuer accepts the merchant's response
  | 'pre_arbitration' // issuer rejects the representment
  | 'arbitration' // the case goes to the network
  | 'ruling_won'
  | 'ruling_lost'
  | 'deadline'; // the stage's deadline passed without an answer

/** What a transition does to money: provisional debit (chargeback record), reversal on a win, a stage fee. */
export type Effect = { kind: 'debit' } | { kind: 'reverse' } | { kind: 'fee'; stage: 'chargeback' | 'pre_arbitration' | 'arbitration' };

export interface Transition {
  to: Stage;
  outcome?: Outcome;
  by: readonly Actor[];
  effects: readonly Effect[];
  /** The merchant must have attached evidence first. */
  needsEvidence?: boolean;
}

export interface StageRule {
  waitingOn: Actor | null;
  deadline: keyof DeadlineRules | null;
  transitions: Partial<Record<Action, Transition>>;
}

const M: readonly Actor[] = ['merchant'];
const I: readonly Actor[] = ['issuer'];
const N: readonly Actor[] = ['network'];
const SYS: readonly Actor[] = ['system'];
const DEBIT: Effect = { kind: 'debit' };
const REVERSE: Effect = { kind: 'reverse' };

const retrieval: StageRule = {
  waitingOn: 'merchant',
  deadline: 'merchantResponseDays',
  transitions: {
    fulfil: { to: 'closed', outcome: 'won', by: M, effects: [], needsEvidence: true },
    chargeback: { to: 'chargeback', by: I, effects: [DEBIT, { kind: 'fee', stage: 'chargeback' }] },
    accept: { to: 'closed', outcome: 'accepted', by: M, effects: [DEBIT] },
    deadline: { to: 'closed', outcome: 'expired', by: SYS, effects: [] },
  },
};

const arbitration: StageRule = {
  waitingOn: 'network',
  deadline: 'arbitrationDecisionDays',
  transitions: {
    ruling_won: { to: 'closed', outcome: 'won', by: N, effects: [REVERSE] },
    ruling_lost: { to: 'closed', outcome: 'lost', by: N, effects: [] },
    accept: { to: 'closed', outcome: 'accepted', by: M, effects: [] },
  },
};

export const FLOWS: Record<Flow, Partial<Record<Stage, StageRule>>> = {
  // Processing errors, consumer disputes, and Mastercard: representment, then the issuer's pre-arbitration.
  collaboration: {
    retrieval_request: retrieval,
    chargeback: {
      waitingOn: 'merchant',
      deadline: 'merchantResponseDays',
      transitions: {
        accept: { to: 'closed', outcome: 'accepted', by: M, effects: [] },
        contest: { to: 'representment', by: M, effects: [], needsEvidence: true },
        deadline: { to: 'closed', outcome: 'expired', by: SYS, effects: [] },
      },
    },
    representment: {
      waitingOn: 'issuer',
      deadline: 'issuerResponseDays',
      transitions: {
        issuer_accept: { to: 'closed', outcome: 'won', by: I, effects: [REVERSE] },
        pre_arbitration: { to: 'pre_arbitration', by: I, effects: [{ kind: 'fee', stage: 'pre_arbitration' }] },
        deadline: { to: 'closed', outcome: 'won', by: SYS, effects: [REVERSE] },
      },
    },
    pre_arbitration: {
      waitingOn: 'merchant',
      deadline: 'preArbResponseDays',
      transitions: {
        accept: { to: 'closed', outcome: 'accepted', by: M, effects: [] },
        contest: { to: 'arbitration', by: M, effects: [{ kind: 'fee', stage: 'arbitration' }], needsEvidence: true },
        deadline: { to: 'closed', outcome: 'expired', by: SYS, effects: [] },
      },
    },
    arbitration,
  },
  // Fraud and authorization: no representment; the merchant's contest opens pre-arbitration with the issuer.
  allocation: {
    retrieval_request: retrieval,
    chargeback: {
      waitingOn: 'merchant',
      deadline: 'merchantResponseDays',
      transitions: {
        accept: { to: 'closed', outcome: 'accepted', by: M, effects: [] },
        contest: { to: 'pre_arbitration', by: M, effects: [{ kind: 'fee', stage: 'pre_arbitration' }], needsEvidence: true },
        deadline: { to: 'closed', outcome: 'expired', by: SYS, effects: [] },
      },
    },
    pre_arbitration: {
      waitingOn: 'issuer',
      deadline: 'issuerResponseDays',
      transitions: {
        issuer_accept: { to: 'closed', outcome: 'won', by: I, effects: [REVERSE] },
        arbitration: { to: 'arbitration', by: I, effects: [{ kind: 'fee', stage: 'arbitration' }] },
        deadline: { to: 'closed', outcome: 'won', by: SYS, effects: [REVERSE] },
      },
    },
    arbitration,
  },
};

export class DisputeStateError extends Error {
  constructor(
    readonly code: 'invalid_transition' | 'not_allowed' | 'evidence_required' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'DisputeStateError';
  }
}

/** The minimal dispute shape the machine needs. */
export interface MachineState {
  flow: Flow;
  stage: Stage;
  outcome?: Outcome;
  stageStartedAt: string;
  dueBy: string | null;
  evidenceCount: number;
}

export function stageRule(flow: Flow, stage: Stage): StageRule | undefined {
  return FLOWS[flow][stage];
}

export function dueBy(flow: Flow, stage: Stage, startedAt: string, d: DeadlineRules): string | null {
  const rule = stageRule(flow, stage);
  if (!rule?.deadline) return null;
  const days = d[rule.deadline];
  if (!days) return null;
  return new Date(Date.parse(startedAt) + days * 86_400_000).toISOString();
}

export interface Step<T extends MachineState> {
  dispute: T;
  transition: Transition;
  from: Stage;
}

/** Applies `action` by `actor` at `now`; throws DisputeStateError when the table does not allow it. */
export function transition<T extends MachineState>(d: T, action: Action, actor: Actor, now: Date, deadlines: DeadlineRules): Step<T> {
  if (d.stage === 'closed') throw new DisputeStateError('closed', `the dispute is closed (${d.outcome})`);
  const rule = stageRule(d.flow, d.stage);
  const t = rule?.transitions[action];
  if (!t) {
    const allowed = Object.keys(rule?.transitions ?? {}).filter((a) => a !== 'deadline');
    throw new DisputeStateError('invalid_transition', `cannot ${action} a dispute in ${d.stage} (${d.flow} flow); allowed: ${allowed.join(', ') || 'none'}`);
  }
  if (!t.by.includes(actor)) throw new DisputeStateError('not_allowed', `${action} in ${d.stage} is for the ${t.by.join('/')}, not the ${actor}`);
  if (t.needsEvidence && d.evidenceCount === 0) throw new DisputeStateError('evidence_required', `${action} needs evidence attached first`);
  const at = now.toISOString();
  const next: T = { ...d, stage: t.to, stageStartedAt: at, dueBy: t.to === 'closed' ? null : dueBy(d.flow, t.to, at, deadlines) };
  if (t.outcome) next.outcome = t.outcome;
  return { dispute: next, transition: t, from: d.stage };
}

/** The deadline step for a dispute whose deadline passed at `now`, or undefined. */
export function deadlineStep<T extends MachineState>(d: T, now: Date, deadlines: DeadlineRules): Step<T> | undefined {
  if (d.stage === 'closed' || !d.dueBy || Date.parse(d.dueBy) > now.getTime()) return undefined;
  if (!stageRule(d.flow, d.stage)?.transitions.deadline) return undefined;
  return transition(d, 'deadline', 'system', now, deadlines);
}
