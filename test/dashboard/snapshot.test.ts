// Snapshot arithmetic over a real Registry's Prometheus text: rates from counter deltas, approval rate,
// declines by code, latency quantiles, issuer link states including stand-in.
import { describe, expect, test } from 'vitest';
import { Registry } from '../../src/metrics/registry.js';
import { buildSnapshot, DEFAULT_SOURCES, parseExposition } from '../../src/dashboard/snapshot.js';

describe('dashboard snapshot', () => {
  test('parses label values with escapes', () => {
    const p = parseExposition('# HELP x y\nm{a="q\\"uote",b="2"} 3\nbad line\nm 4\n');
    expect(p.get('m')).toEqual([
      { name: 'm', labels: { a: 'q"uote', b: '2' }, value: 3 },
      { name: 'm', labels: {}, value: 4 },
    ]);
  });

  test('rates, approval rate, declines and links from two readings', () => {
    const r = new Registry();
    const dec = r.counter('gerbang_switch_decisions_total', 'd');
    const http = r.counter('gerbang_http_decisions_total', 'h');
    const link = r.gauge('gerbang_issuer_link_status', 'l');
    const saf = r.gauge('gerbang_saf_depth', 's');
    const standIn = r.counter('gerbang_standin_total', 'si');
    const lat = r.latency('gerbang_switch_latency_seconds', 'lat');
    dec.inc({ channel: 'iso:acq', code: '00' }, 10);
    link.set(1, { issuer: 'bank-b', link: 'primary' });
    link.set(0, { issuer: 'bank-c', link: 'primary' });
    const first = buildSnapshot(parseExposition(r.render()), DEFAULT_SOURCES, undefined, 1_000);
    expect(first.snapshot.tps).toBe(0); // no previous reading: no rate yet
    expect(first.snapshot.issuerLinks).toEqual({ 'bank-b': 'up', 'bank-c': 'down' });

    dec.inc({ channel: 'iso:acq', code: '00' }, 30);
    dec.inc({ channel: 'iso:acq', code: '51' }, 10);
    http.inc({ kind: 'purchase', code: '00' }, 8);
    http.inc({ kind: 'purchase', code: '59' }, 2);
    standIn.inc({ issuer: 'bank-c', code: '00' }, 3);
    saf.set(4, { issuer: 'bank-c' });
    for (let i = 1; i <= 100; i++) lat.recordMicros(i * 1000); // 1..100 ms
    const second = buildSnapshot(parseExposition(r.render()), DEFAULT_SOURCES, first.totals, 3_000);
    const s = second.snapshot;
    expect(s.tps).toBe(25); // 50 decisions over 2 s
    expect(s.tpsByChannel).toEqual({ iso: 20, http: 5 });
    expect(s.approvalRate).toBeCloseTo(38 / 50, 10);
    expect(s.totals).toEqual({ decided: 60, approved: 48 });
    expect(s.declinesByCode).toEqual({ '51': 10, '59': 2 });
    expect(s.fraud.declines).toBe(2); // no fraud counter: 59s are counted
    expect(s.latencyMs!.source).toBe('gerbang_switch_latency_seconds');
    expect(s.latencyMs!.p50).toBeCloseTo(50, 0);
    expect(s.latencyMs!.p99).toBeCloseTo(99, 0);
    expect(s.issuerLinks).toEqual({ 'bank-b': 'up', 'bank-c': 'stand-in' });
    expect(s.safDepth).toEqual({ 'bank-c': 4 });
    expect(s.hsm).toBe('unknown');

    const third = buildSnapshot(parseExposition(r.render()), DEFAULT_SOURCES, second.totals, 4_000);
    expect(third.snapshot.tps).toBe(0);
    expect(third.snapshot.approvalRate).toBeNull();
    expect(third.snapshot.issuerLinks['bank-c']).toBe('down'); // no stand-in since the last reading
  });
});
