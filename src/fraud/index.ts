// Fraud scoring: the public API the authorization engine calls from its worker threads.
//   scoreTxn(txn, card, merchant, now, config) → { score 0–999, action, contributions, rulesFired }
//   updateCardProfile / updateMerchantProfile inside the engine's commit (mutate in place, return the profile).
// Everything is pure and synchronous; profiles are plain data, stored per card / merchant as msgpack.
export type {
  CardContext,
  CardProfile,
  FraudAction,
  FraudConfig,
  FraudContribution,
  FraudModel,
  FraudRuleParams,
  FraudScore,
  MerchantProfile,
} from './types.js';
export { CARD_RING, CARD_MCCS, DAY_BUCKETS } from './types.js';
export {
  emptyCardProfile,
  emptyMerchantProfile,
  updateCardProfile,
  updateMerchantProfile,
  isScoredKind,
  isSmallAmount,
} from './profile.js';
export { scoreTxn, describeFraudScore } from './score.js';
export { defaultFraudConfig, makeFraudConfig, validateFraudConfig } from './config.js';
export { FEATURE_NAMES, RULE_NAMES } from './features.js';
