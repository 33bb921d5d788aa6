// Stand-in processing (STIP): deciding for an issuer that cannot answer, by that issuer's rules. A plain function
// over the transaction, the rules and the card's stand-in velocity today; the caller persists the new velocity and
// queues the 0120 advice. Every decision is marked standIn.
import type { StandInRules } from '../config/types.js';
import type { Decision, DecisionReason, Txn } from '../model/txn.js';

export interface StandInVelocity {
  /** UTC day YYYYMMDD. */
  day: string;
  count: number;
  amount: number;
}

export interface StandInResult {
  decision: Decision;
  /** Velocity after this decision (unchanged on a decline). */
  velocity: StandInVelocity;
}

let dayStart = 0;
let dayEnd = 0;
let dayText = '';
export function utcDay(now: Date): string {
  // Called once or twice per request: remember the current day instead of formatting an ISO string each time.
  const t = now.getTime();
  if (t >= dayStart && t < dayEnd) return dayText;
  dayText = now.toISOString().slice(0, 10).replaceAll('-', '');
  dayStart = Math.floor(t / 86_400_000) * 86_400_000;
  dayEnd = dayStart + 86_400_000;
  return dayText;
}

function yymm(now: Date): string {
  return String(now.getUTCFullYear() % 100).padStart(2, '0') + String(now.getUTCMonth() + 1).padStart(2, '0');
}

/** Six-digit approval code for a stand-in approval; the leading 'S' marks it as the switch's, not the issuer's. */
export function standInAuthCode(seq: number): string {
  return 'S' + String(seq % 100_000).padStart(5, '0');
}

export function standIn(txn: Txn, rules: StandInRules, prior: StandInVelocity | undefined, now: Date, seq: number): StandInResult {
  const day = utcDay(now);
  const v: StandInVelocity = prior && prior.day === day ? prior : { day, count: 0, amount: 0 };
  const reasons: DecisionReason[] = [];
  const decline = (check: string, detail: string, code = rules.declineCode): StandInResult => {
    reasons.push({ check, ok: false, detail });
    return { decision: { txnId: txn.id, responseCode: code, approved: false, approvedAmount: 0, standIn: true, reasons }, velocity: v };
  };
  if (!rules.enabled) return decline('stip.enabled', 'stand-in is off for this issuer', '91');
  if (txn.kind === 'reversal') {
    // A reversal of something the issuer never saw changes nothing; it is forwarded by SAF when the issuer is back.
    reasons.push({ check: 'stip.reversal', ok: true, detail: 'accepted for forwarding' });
    return { decision: { txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, standIn: true, reasons }, velocity: v };
  }
  if (!rules.allowedKinds.includes(txn.kind)) return decline('stip.kind', `${txn.kind} not allowed in stand-in`);
  reasons.push({ check: 'stip.kind', ok: true });
  if (rules.checkExpiry) {
    if (!txn.expiry || !/^\d{2}(0[1-9]|1[0-2])$/.test(txn.expiry)) return decline('stip.expiry', 'no valid expiry date', '54');
    if (txn.expiry < yymm(now)) return decline('stip.expiry', `expired ${txn.expiry}`, '54');
    reasons.push({ check: 'stip.expiry', ok: true });
  }
  if (rules.declinePin && txn.pin) return decline('stip.pin', 'PIN cannot be verified in stand-in', '55');
  if (txn.mcc && rules.blockedMcc.includes(txn.mcc)) return decline('stip.mcc', `mcc ${txn.mcc} blocked in stand-in`, '57');
  if (txn.amount > rules.floorLimit) return decline('stip.floor', `${txn.amount} > floor ${rules.floorLimit}`, '61');
  reasons.push({ check: 'stip.floor', ok: true });
  if (txn.kind !== 'balance') {
    if (v.count + 1 > rules.maxCountPerDay) return decline('stip.velocity.count', `${v.count + 1} > ${rules.maxCountPerDay}`, '65');
    if (v.amount + txn.amount > rules.maxAmountPerDay) return decline('stip.velocity.amount', `${v.amount + txn.amount} > ${rules.maxAmountPerDay}`, '61');
    reasons.push({ check: 'stip.velocity', ok: true });
  } else return decline('stip.balance', 'no balance known in stand-in', rules.declineCode);
  const next: StandInVelocity = { day, count: v.count + 1, amount: v.amount + txn.amount };
  return {
    decision: { txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, authCode: standInAuthCode(seq), standIn: true, reasons },
    velocity: next,
  };
}
