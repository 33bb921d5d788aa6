// The fraud configuration: thresholds, rule parameters, MCC risk and the model weights the trainer wrote.
// model.json is read once at module load (a JSON import); nothing is parsed per call.
import model from './model.json' with { type: 'json' };
import { FEATURE_COUNT, FEATURE_NAMES } from './features.js';
import { defaultMccRisk, defaultMccRiskUnknown, defaultRules } from './rules.js';
import type { FraudConfig, FraudModel } from './types.js';

interface ModelFile extends FraudModel {
  declineThreshold: number;
  reviewThreshold: number;
}

const shipped = model as unknown as ModelFile;

/** Throws a clear error when a config cannot be scored with (wrong feature list, bad thresholds, non-finite weights). */
export function validateFraudConfig(c: FraudConfig): void {
  const m = c.model;
  if (!m || !Array.isArray(m.features) || m.features.length !== FEATURE_COUNT)
    throw new Error(`fraud model: expected ${FEATURE_COUNT} features, got ${m?.features?.length}`);
  for (let i = 0; i < FEATURE_COUNT; i++) {
    if (m.features[i] !== FEATURE_NAMES[i]) throw new Error(`fraud model: feature ${i} is '${m.features[i]}', expected '${FEATURE_NAMES[i]}'`);
    if (!Number.isFinite(m.weights[i]) || !Number.isFinite(m.mean[i]) || !(m.std[i] > 0))
      throw new Error(`fraud model: bad weight, mean or std for '${FEATURE_NAMES[i]}'`);
  }
  if (!Number.isFinite(m.bias)) throw new Error('fraud model: bias is not finite');
  const { reviewThreshold: rv, declineThreshold: dc } = c;
  if (!(Number.isInteger(rv) && Number.isInteger(dc) && rv >= 0 && dc <= 1000 && rv <= dc))
    throw new Error(`fraud config: need 0 ≤ reviewThreshold (${rv}) ≤ declineThreshold (${dc}) ≤ 1000, integers`);
  if (!(c.topContributions >= 0 && c.topContributions <= 10)) throw new Error('fraud config: topContributions must be 0–10');
}

export const defaultFraudConfig: FraudConfig = {
  declineThreshold: shipped.declineThreshold,
  reviewThreshold: shipped.reviewThreshold,
  rules: defaultRules,
  mccRisk: defaultMccRisk,
  mccRiskDefault: defaultMccRiskUnknown,
  topContributions: 4,
  model: { features: shipped.features, mean: shipped.mean, std: shipped.std, weights: shipped.weights, bias: shipped.bias },
};
validateFraudConfig(defaultFraudConfig);

/** defaultFraudConfig with overrides (thresholds, rules, model), validated. */
export function makeFraudConfig(over: Partial<Omit<FraudConfig, 'rules'>> & { rules?: Partial<FraudConfig['rules']> } = {}): FraudConfig {
  const c: FraudConfig = {
    ...defaultFraudConfig,
    ...over,
    rules: { ...defaultRules, ...over.rules },
  };
  validateFraudConfig(c);
  return c;
}
