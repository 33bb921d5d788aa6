// The pipeline charges each request's decider time to its stage (on-us engine or the remote issuer it was routed
// to), beside the whole switch latency, so an operator can see where the time goes.
import { describe, expect, it } from 'vitest';
import type { ListenerConfig } from '../../src/config/types.js';
import { metrics } from '../../src/metrics/registry.js';
import type { Decision, Txn } from '../../src/model/txn.js';
import { createLogger } from '../../src/runtime/log.js';
import { createPipeline } from '../../src/switch/pipeline.js';
import { compileRoutes } from '../../src/switch/routing.js';
import { panFor, purchase } from './helpers.js';

const stage = metrics.latency('gerbang_switch_stage_seconds', '');
const whole = metrics.latency('gerbang_switch_latency_seconds', '');

function slowDecider(ms: number) {
  return {
    async authorize(txn: Txn): Promise<Decision> {
      await new Promise((r) => setTimeout(r, ms));
      return { txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, authCode: 'A1B2C3', reasons: [] };
    },
  };
}

describe('stage latency', () => {
  it('records the on-us engine and each issuer under their own series, within the whole request time', async () => {
    const listener = { id: 'metrics-iso', kind: 'iso', acquirerId: '100001' } as ListenerConfig;
    const p = createPipeline({
      routes: compileRoutes([{ prefix: '476173', to: 'onus' }, { prefix: '400555', to: 'bank-x' }]),
      onus: slowDecider(20),
      issuers: new Map([['bank-x', slowDecider(40)]]) as never,
      duplicates: null,
      review: null as never,
      log: createLogger({}, 'silent'),
    });
    const on0 = stage.count({ stage: 'onus' });
    const x0 = stage.count({ issuer: 'bank-x', stage: 'issuer' });
    expect((await p.handle(purchase(panFor('476173'), 500), listener))!.fields[39]).toBe('00');
    expect((await p.handle(purchase(panFor('400555'), 500), listener))!.fields[39]).toBe('00');
    expect((await p.handle(purchase(panFor('400555'), 700), listener))!.fields[39]).toBe('00');
    expect(stage.count({ stage: 'onus' }) - on0).toBe(1);
    expect(stage.count({ issuer: 'bank-x', stage: 'issuer' }) - x0).toBe(2);
    // timers fire no earlier than asked; the whole request includes its stage
    expect(stage.percentileMs(50, { stage: 'issuer', issuer: 'bank-x' })).toBeGreaterThanOrEqual(39);
    expect(whole.percentileMs(100, { channel: 'iso:metrics-iso' })).toBeGreaterThanOrEqual(stage.percentileMs(100, { stage: 'issuer', issuer: 'bank-x' }));
    expect(metrics.render()).toMatch(/gerbang_switch_stage_seconds\{issuer="bank-x",stage="issuer",quantile="0.5"\} [0-9.e-]+\n/);
  });
});
