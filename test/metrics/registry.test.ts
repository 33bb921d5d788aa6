import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/metrics/registry.js';

describe('metrics registry', () => {
  it('counts per label set and renders the Prometheus text format', () => {
    const r = new Registry();
    const c = r.counter('gerbang_decisions_total', 'Decisions by response code');
    c.inc({ code: '00' });
    c.inc({ code: '00' });
    c.inc({ code: '51' }, 3);
    expect(c.get({ code: '00' })).toBe(2);
    expect(c.get({ code: '51' })).toBe(3);
    const text = r.render();
    expect(text).toContain('# TYPE gerbang_decisions_total counter');
    expect(text).toContain('gerbang_decisions_total{code="00"} 2');
    expect(text).toContain('gerbang_decisions_total{code="51"} 3');
  });

  it('reports latency percentiles in ms and as a summary in seconds', () => {
    const r = new Registry();
    const l = r.latency('gerbang_auth_latency_seconds', 'Authorization latency');
    for (let i = 1; i <= 1000; i++) l.recordMicros(i * 10); // 10 µs .. 10 ms
    expect(l.count()).toBe(1000);
    expect(l.percentileMs(50)).toBeGreaterThan(4.9);
    expect(l.percentileMs(50)).toBeLessThan(5.1);
    expect(r.render()).toMatch(/gerbang_auth_latency_seconds\{quantile="0.99"\} 0\.0099/);
  });

  it('bounds the number of series so a hostile label cannot grow memory', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'x');
    for (let i = 0; i < 10_000; i++) c.inc({ id: String(i) });
    expect(c.entries().length).toBeLessThanOrEqual(257);
    expect(c.get({ overflow: 'true' })).toBe(10_000 - 256);
  });

  it('a label object changed between calls counts under its new labels; a frozen one is keyed once', () => {
    const r = new Registry();
    const c = r.counter('by_code_total', 'x');
    const reused: Record<string, string> = { code: '00' };
    c.inc(reused);
    reused.code = '51';
    c.inc(reused);
    expect(c.get({ code: '00' })).toBe(1);
    expect(c.get({ code: '51' })).toBe(1);
    const frozen = Object.freeze({ z: '1', a: '2' });
    c.inc(frozen);
    c.inc(frozen);
    expect(c.get({ a: '2', z: '1' })).toBe(2); // same series whatever the key order
    expect(r.render()).toContain('by_code_total{a="2",z="1"} 2');
  });

  it('escapes label values', () => {
    const r = new Registry();
    r.gauge('g', 'g').set(1, { name: 'a"b\\c' });
    expect(r.render()).toContain('g{name="a\\"b\\\\c"} 1');
  });
});
