// Card network dispute reason codes and the flow each follows. Visa Claims Resolution: fraud (10.x) and
// authorization (11.x) disputes follow *allocation* (the issuer's chargeback is final unless the acquirer opens
// pre-arbitration); processing errors (12.x) and consumer disputes (13.x) follow *collaboration* (the acquirer
// responds, the issuer may open pre-arbitration). Mastercard's cycle (chargeback, second presentment,
// pre-arbitration, arbitration) runs like collaboration.
export type Network = 'visa' | 'mastercard';
export type Flow = 'allocation' | 'collaboration';
export type ReasonCategory = 'fraud' | 'authorization' | 'processing_error' | 'consumer_dispute';

export interface ReasonCode {
  network: Network;
  code: string;
  title: string;
  category: ReasonCategory;
  flow: Flow;
}

const visa = (code: string, title: string): ReasonCode => {
  const major = code.split('.')[0];
  const category: ReasonCategory = major === '10' ? 'fraud' : major === '11' ? 'authorization' : major === '12' ? 'processing_error' : 'consumer_dispute';
  return { network: 'visa', code, title, category, flow: major === '10' || major === '11' ? 'allocation' : 'collaboration' };
};
const mc = (code: string, title: string, category: ReasonCategory): ReasonCode => ({ network: 'mastercard', code, title, category, flow: 'collaboration' });

export const REASON_CODES: readonly ReasonCode[] = [
  visa('10.1', 'EMV liability shift counterfeit fraud'),
  visa('10.2', 'EMV liability shift non-counterfeit fraud'),
  visa('10.3', 'Other fraud: card-present environment'),
  visa('10.4', 'Other fraud: card-absent environment'),
  visa('10.5', 'Visa fraud monitoring program'),
  visa('11.1', 'Card recovery bulletin'),
  visa('11.2', 'Declined authorization'),
  visa('11.3', 'No authorization'),
  visa('12.1', 'Late presentment'),
  visa('12.2', 'Incorrect transaction code'),
  visa('12.3', 'Incorrect currency'),
  visa('12.4', 'Incorrect account number'),
  visa('12.5', 'Incorrect amount'),
  visa('12.6.1', 'Duplicate processing'),
  visa('12.6.2', 'Paid by other means'),
  visa('12.7', 'Invalid data'),
  visa('13.1', 'Merchandise/services not received'),
  visa('13.2', 'Cancelled recurring transaction'),
  visa('13.3', 'Not as described or defective merchandise/services'),
  visa('13.4', 'Counterfeit merchandise'),
  visa('13.5', 'Misrepresentation'),
  visa('13.6', 'Credit not processed'),
  visa('13.7', 'Cancelled merchandise/services'),
  visa('13.8', 'Original credit transaction not accepted'),
  visa('13.9', 'Non-receipt of cash or load transaction value'),
  mc('4808', 'Authorization-related chargeback', 'authorization'),
  mc('4834', 'Point-of-interaction error', 'processing_error'),
  mc('4837', 'No cardholder authorization', 'fraud'),
  mc('4840', 'Fraudulent processing of transactions', 'fraud'),
  mc('4849', 'Questionable merchant activity', 'fraud'),
  mc('4853', 'Cardholder dispute', 'consumer_dispute'),
  mc('4863', 'Cardholder does not recognize, potential fraud', 'fraud'),
  mc('4870', 'Chip liability shift', 'fraud'),
  mc('4871', 'Chip/PIN liability shift', 'fraud'),
];

const BY_KEY = new Map(REASON_CODES.map((r) => [`${r.network}|${r.code}`, r]));

export function reasonCode(network: string, code: string): ReasonCode {
  const r = BY_KEY.get(`${network}|${code}`);
  if (!r) throw new Error(`unknown ${network} reason code ${code}`);
  return r;
}

export function assertNetwork(n: string): asserts n is Network {
  if (n !== 'visa' && n !== 'mastercard') throw new Error(`network must be visa or mastercard, got "${n}"`);
}

/** Calendar-day limits; all configurable per network and per reason code. */
export interface DeadlineRules {
  /** Merchant's time to answer a retrieval request or a chargeback (Visa 30, Mastercard 45). */
  merchantResponseDays: number;
  /** Issuer's time to answer a representment / acquirer pre-arbitration (30). */
  issuerResponseDays: number;
  /** Merchant's time to answer an issuer's pre-arbitration (30). */
  preArbResponseDays: number;
  /** Network's ruling in arbitration (0: no deadline, the network decides when it decides). */
  arbitrationDecisionDays: number;
  /** Latest a chargeback may be filed after the transaction (120). */
  filingDays: number;
}

/** Fees (minor units of the dispute's currency) charged to the merchant when a stage is entered. */
export type StageFees = Partial<Record<'chargeback' | 'pre_arbitration' | 'arbitration', number>>;

export interface DisputeConfig {
  deadlines?: Partial<Record<Network, Partial<DeadlineRules>>>;
  /** Per reason code ("visa:13.1", "mastercard:4853"): overrides of the network's deadlines. */
  reasonDeadlines?: Record<string, Partial<DeadlineRules>>;
  fees?: Partial<Record<Network, StageFees>>;
  /** The dashboard warns this many days before a deadline (default 3). */
  warnDays?: number;
}

export const DEFAULT_DEADLINES: Record<Network, DeadlineRules> = {
  visa: { merchantResponseDays: 30, issuerResponseDays: 30, preArbResponseDays: 30, arbitrationDecisionDays: 0, filingDays: 120 },
  mastercard: { merchantResponseDays: 45, issuerResponseDays: 30, preArbResponseDays: 30, arbitrationDecisionDays: 0, filingDays: 120 },
};

export function deadlinesFor(cfg: DisputeConfig, network: Network, code: string): DeadlineRules {
  const d = { ...DEFAULT_DEADLINES[network], ...(cfg.deadlines?.[network] ?? {}), ...(cfg.reasonDeadlines?.[`${network}:${code}`] ?? {}) };
  for (const [k, v] of Object.entries(d)) if (!Number.isSafeInteger(v) || v < 0 || v > 3650) throw new Error(`dispute deadline ${k} for ${network}:${code} must be 0–3650 days, got ${v}`);
  return d;
}
