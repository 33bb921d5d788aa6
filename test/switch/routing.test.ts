import { describe, expect, it } from 'vitest';
import { compileRoutes, route } from '../../src/switch/routing.js';

describe('routing', () => {
  const table = compileRoutes([
    { prefix: '4', to: 'visa-net' },
    { prefix: '476173', to: 'onus' },
    { prefix: '4761', to: 'bank-a' },
    { range: ['520000', '529999'], to: 'bank-b' },
    { prefix: '520473', to: 'onus' },
  ]);

  it('longest prefix wins, ranges count by their length', () => {
    expect(route('4761730000000011', table)).toEqual({ kind: 'onus' });
    expect(route('4761990000000011', table)).toEqual({ kind: 'issuer', issuerId: 'bank-a' });
    expect(route('4000000000000002', table)).toEqual({ kind: 'issuer', issuerId: 'visa-net' });
    expect(route('5204730000000003', table)).toEqual({ kind: 'onus' });
    expect(route('5299990000000001', table)).toEqual({ kind: 'issuer', issuerId: 'bank-b' });
    expect(route('5300000000000000', table)).toBeNull();
    expect(route('', table)).toBeNull();
  });

  it('an exact prefix carves out of a same-length range', () => {
    expect(route('5204740000000002', table)).toEqual({ kind: 'issuer', issuerId: 'bank-b' });
  });

  it('rejects overlapping ranges and bad ranges', () => {
    expect(() => compileRoutes([{ range: ['5000', '5100'], to: 'a' }, { range: ['5100', '5200'], to: 'b' }])).toThrow(/overlap/);
    expect(() => compileRoutes([{ range: ['5200', '5100'], to: 'a' }])).toThrow(/bad range/);
  });
});
