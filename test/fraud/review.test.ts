// The fraud review queue: flagged approvals are queued by the switch pipeline (masked PAN only), the depth is the
// dashboard's gauge, and an analyst works the queue with `gerbang fraud review` from another process while the
// store stays open here — every resolution records who, when and why, and a second resolution is refused.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewQueue, reviewItemOf } from '../../src/fraud/review.js';
import { metrics } from '../../src/metrics/registry.js';
import type { Decision, Txn } from '../../src/model/txn.js';
import { createLogger } from '../../src/runtime/log.js';
import { openSwitchStore, type SwitchStore } from '../../src/runtime/store.js';
import { createPipeline } from '../../src/switch/pipeline.js';
import { compileRoutes } from '../../src/switch/routing.js';
import type { ListenerConfig } from '../../src/config/types.js';
import { panFor, purchase, tempDir } from '../switch/helpers.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gerbang.js');
const gauge = () => metrics.gauge('gerbang_fraud_review_queue', '').get();

describe('reviewItemOf', () => {
  const t: Txn = { id: 'x1', kind: 'purchase', mti: '0200', processingCode: '000000', pan: '4761739001010119', amount: 250_000, currency: '360', stan: '1', acquirerId: 'A', merchantId: 'M9', mcc: '5999', channel: 'iso:iso' };
  const d: Decision = { txnId: 'x1', responseCode: '00', approved: true, approvedAmount: 250_000, fraudScore: 512, review: true, reasons: [{ check: 'pin', ok: true }, { check: 'fraud', ok: true, detail: 'score 512: amountVsCard +3.1' }] };
  it('keeps the masked PAN, the score and only the fraud reasons', () => {
    const i = reviewItemOf(t, d, 1000)!;
    expect(i).toEqual({ txnId: 'x1', at: 1000, channel: 'iso:iso', panMasked: '476173******0119', amount: 250_000, currency: '360', acquirerId: 'A', merchantId: 'M9', mcc: '5999', score: 512, why: ['fraud: score 512: amountVsCard +3.1'], status: 'open' });
    expect(JSON.stringify(i)).not.toContain('4761739001010119');
  });
  it('is undefined for a decision not flagged', () => {
    expect(reviewItemOf(t, { ...d, review: false }, 1)).toBeUndefined();
  });
});

describe('review queue through the pipeline and the CLI', () => {
  let dir: string;
  let store: SwitchStore;
  let queue: ReviewQueue;
  const listener = { id: 'iso', kind: 'iso', acquirerId: '100001' } as ListenerConfig;
  beforeAll(() => {
    dir = tempDir('review');
    store = openSwitchStore(dir);
    queue = new ReviewQueue(store);
  });
  afterAll(async () => {
    await store.close();
  });

  it('queues flagged on-us approvals only, and the gauge follows the depth', async () => {
    // The on-us engine as a decider whose fraud stage flags amounts over 100,000 for review.
    const onus = {
      async authorize(txn: Txn): Promise<Decision> {
        const review = txn.amount > 100_000;
        return { txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, authCode: 'A1B2C3', fraudScore: review ? 600 : 40, review, reasons: [{ check: 'fraud', ok: true, detail: `score ${review ? 600 : 40}` }] };
      },
    };
    const p = createPipeline({ routes: compileRoutes([{ prefix: '476173', to: 'onus' }]), onus, issuers: new Map(), duplicates: null, review: queue, log: createLogger({}, 'silent') });
    const pan = panFor('476173');
    expect((await p.handle(purchase(pan, 500), listener))!.fields[39]).toBe('00');
    expect((await p.handle(purchase(pan, 150_000), listener))!.fields[39]).toBe('00');
    expect((await p.handle(purchase(pan, 170_000), listener))!.fields[39]).toBe('00');
    await store.flushLater();
    expect(queue.refresh()).toBe(2);
    expect(gauge()).toBe(2);
    expect(queue.listOpen().map((i) => i.amount)).toEqual([150_000, 170_000]);
  });

  it('gerbang fraud review lists and resolves from another process; a second resolution is refused', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'fraud', 'review', ...args, '--data', dir], { encoding: 'utf8' });
    const list = run('list', '--json');
    expect(list.status).toBe(0);
    const out = JSON.parse(list.stdout.trim().split('\n').at(-1)!);
    expect(out.open).toBe(2);
    expect(list.stdout).toMatch(/476173\*{6}\d{4}/);
    expect(list.stdout).not.toContain(panFor('476173'));
    const first = out.items[0].txnId as string;

    const noBy = run('resolve', first, '--outcome', 'fraud');
    expect(noBy.status).toBe(2);
    expect(noBy.stderr).toMatch(/--by NAME is required/);
    const ok = run('resolve', first, '--outcome', 'fraud', '--by', 'analyst.ana', '--note', 'cardholder denies');
    expect(ok.status).toBe(0);
    // this decider names no card: the verdict stands, and the CLI says the card was not blocked
    expect(ok.stderr).toMatch(/verdict recorded, card not blocked: review item .* does not name its card/);
    expect(ok.stdout).toMatch(/fraud by analyst\.ana .*cardholder denies/);
    const again = run('resolve', first, '--outcome', 'legit', '--by', 'analyst.bo');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already resolved as fraud by analyst\.ana/);

    // The switch's queue (this process) sees the other process's work.
    expect(queue.refresh()).toBe(1);
    expect(gauge()).toBe(1);
    expect(queue.get(first)).toMatchObject({ status: 'fraud', resolution: { by: 'analyst.ana', note: 'cardholder denies' } });
  });
});
