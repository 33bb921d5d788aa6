// Overload protection: past maxOutstanding original requests being decided, a new 0100/0200 is answered 91 at
// once (it would only queue behind work it cannot overtake, and time out at the acquirer anyway); reversals,
// advices and network management are always taken; capacity freed is admitted again.
import { describe, expect, it } from 'vitest';
import type { ListenerConfig } from '../../src/config/types.js';
import { resolveConfig } from '../../src/config/load.js';
import { metrics } from '../../src/metrics/registry.js';
import type { Decision, Txn } from '../../src/model/txn.js';
import { createLogger } from '../../src/runtime/log.js';
import { createPipeline, isSheddable } from '../../src/switch/pipeline.js';
import { compileRoutes } from '../../src/switch/routing.js';
import { startSwitch } from '../../src/runtime/index.js';
import { IsoClient, panFor, purchase, tempDir, testConfig, waitFor } from './helpers.js';

/** A decider that holds every request until released: the test decides when capacity frees up. */
function gate() {
  const waiting: (() => void)[] = [];
  let decided = 0;
  return {
    decider: {
      authorize(txn: Txn): Promise<Decision> {
        return new Promise((resolve) =>
          waiting.push(() => {
            decided++;
            resolve({ txnId: txn.id, responseCode: '00', approved: true, approvedAmount: txn.amount, authCode: 'A1B2C3', reasons: [] });
          }),
        );
      },
    },
    releaseAll: () => waiting.splice(0).forEach((f) => f()),
    get held() {
      return waiting.length;
    },
    get decided() {
      return decided;
    },
  };
}

const listener = { id: 'admission-iso', kind: 'iso', acquirerId: '100001' } as ListenerConfig;
const shedCounter = metrics.counter('gerbang_switch_shed_total', '');

describe('admission', () => {
  it('answers 91 at once past maxOutstanding, keeps taking reversals, and admits again once capacity frees', async () => {
    const g = gate();
    const logged: string[] = [];
    const log = createLogger({}, 'silent');
    const p = createPipeline({
      routes: compileRoutes([{ prefix: '476173', to: 'onus' }]),
      onus: g.decider,
      issuers: new Map(),
      duplicates: null,
      maxOutstanding: 2,
      log: { ...log, warn: (m: string) => void logged.push(m), child: () => log } as never,
    });
    const pan = panFor('476173');
    const shed0 = shedCounter.get({ channel: 'iso:admission-iso' });
    const a = p.handle(purchase(pan, 100), listener);
    const b = p.handle(purchase(pan, 200), listener);
    await new Promise((r) => setImmediate(r));
    expect(p.outstanding).toBe(2);
    expect(g.held).toBe(2);

    // Full: a third and a fourth purchase are refused without reaching the decider.
    const c = await p.handle(purchase(pan, 300), listener);
    const d = await p.handle({ ...purchase(pan, 400), mti: '0100' }, listener);
    expect(c!.mti).toBe('0210');
    expect(c!.fields[39]).toBe('91');
    expect(d!.mti).toBe('0110');
    expect(d!.fields[39]).toBe('91');
    expect(g.held).toBe(2);
    expect(shedCounter.get({ channel: 'iso:admission-iso' }) - shed0).toBe(2);
    // One warning for the burst, not one per request.
    expect(logged.filter((m) => m.startsWith('overloaded')).length).toBe(1);

    // A reversal is taken even when full (it releases a hold the acquirer would otherwise keep repeating).
    const rev = p.handle({ ...purchase(pan, 100), mti: '0400' }, listener);
    await new Promise((r) => setImmediate(r));
    expect(g.held).toBe(3);
    expect(p.outstanding).toBe(2);

    g.releaseAll();
    expect((await a)!.fields[39]).toBe('00');
    expect((await b)!.fields[39]).toBe('00');
    expect((await rev)!.mti).toBe('0410');
    expect(p.outstanding).toBe(0);

    // Capacity is back: the next purchase is decided, not shed.
    const e = p.handle(purchase(pan, 500), listener);
    await new Promise((r) => setImmediate(r));
    g.releaseAll();
    expect((await e)!.fields[39]).toBe('00');
    expect(g.decided).toBe(4);
  });

  it('releases its slot when the decider throws', async () => {
    let calls = 0;
    const p = createPipeline({
      routes: compileRoutes([{ prefix: '476173', to: 'onus' }]),
      onus: {
        authorize: async () => {
          calls++;
          throw new Error('engine down');
        },
      },
      issuers: new Map(),
      duplicates: null,
      maxOutstanding: 1,
      log: createLogger({}, 'silent'),
    });
    const pan = panFor('476173');
    for (let i = 0; i < 3; i++) expect((await p.handle(purchase(pan, 100 + i), listener))!.fields[39]).toBe('96');
    expect(calls).toBe(3);
    expect(p.outstanding).toBe(0);
  });

  it('sheds only original authorization and financial requests', () => {
    for (const mti of ['0100', '0101', '0200', '0201', '1100', '1200']) expect(isSheddable(mti), mti).toBe(true);
    for (const mti of ['0120', '0220', '0400', '0420', '0421', '0800', '0110', '0210', '1420', '0500']) expect(isSheddable(mti), mti).toBe(false);
  });

  it('is configured by admission.maxOutstanding (default 1024) and refuses a bound below 1', () => {
    const base = { listeners: [{ id: 'a', kind: 'iso', acquirerId: '100001', spec: 'iso87-ascii', framing: 'ascii4' }] };
    expect(resolveConfig(base).admission.maxOutstanding).toBe(1024);
    expect(resolveConfig({ ...base, admission: { maxOutstanding: 64 } }).admission.maxOutstanding).toBe(64);
    expect(() => resolveConfig({ ...base, admission: { maxOutstanding: 0 } })).toThrow(/admission/);
    expect(() => createPipeline({ routes: compileRoutes([]), onus: null, issuers: new Map(), duplicates: null, maxOutstanding: 0, log: createLogger({}, 'silent') })).toThrow(/maxOutstanding/);
  });
});

describe('admission, through the running switch', () => {
  it('takes admission.maxOutstanding from the config: past it a purchase is answered 91 over the wire', async () => {
    const g = gate();
    const cfg = testConfig(tempDir('admission'), { raw: { admission: { maxOutstanding: 1 } } });
    const sw = await startSwitch(cfg, { hsmMode: 'in-process', onus: g.decider, issuerSim: { latencyMs: 1, jitterMs: 0, approveRate: 1 } });
    const iso = await IsoClient.connect(sw.acquirerPorts.iso);
    try {
      const pan = panFor('476173');
      const first = iso.request(purchase(pan, 100));
      await waitFor(() => g.held === 1, 5000, 'first purchase at the engine');
      const second = await iso.request(purchase(pan, 200));
      expect(second.mti).toBe('0210');
      expect(second.fields[39]).toBe('91');
      expect(g.held).toBe(1);
      g.releaseAll();
      expect((await first).fields[39]).toBe('00');
      const third = iso.request(purchase(pan, 300));
      await waitFor(() => g.held === 1, 5000, 'third purchase at the engine');
      g.releaseAll();
      expect((await third).fields[39]).toBe('00');
    } finally {
      iso.close();
      await sw.close();
    }
  }, 60_000);
});
