// Safe printing: PAN masked 6+4 (PCI DSS 3.3), track data, PIN block and EMV cryptograms never printed.
import { describe, expect, it } from 'vitest';
import { decode, dumpMessage, encode, getSpec, maskPan } from '../../codecs/index.js';
import { msg0200 } from './fixtures.js';

describe('maskPan', () => {
  it('keeps first 6 and last 4', () => {
    expect(maskPan('4761739001010119')).toBe('476173******0119');
    expect(maskPan('371449635398431')).toBe('371449*****8431');
    expect(maskPan('1234')).toBe('****');
  });
});

describe('dumpMessage', () => {
  const spec = getSpec('iso87-ascii');
  const m = decode(spec, encode(spec, { ...msg0200(), fields: { ...msg0200().fields, 45: 'B4761739001010119^CARDHOLDER/JOHN^2212201000000000000000123000000' } }));
  const text = dumpMessage(spec, m);
  it('names fields and shows ordinary values', () => {
    expect(text).toContain('MTI 0200');
    expect(text).toMatch(/11 +System trace audit number \(STAN\) +000123/);
    expect(text).toContain('Application Interchange Profile: 1980');
  });
  it('never contains the clear PAN, track data, PIN block or cryptogram', () => {
    expect(text).toContain('476173******0119');
    for (const secret of ['4761739001010119', '22122011758928889', '7434F67813BAE545', '1122334455667788', 'CARDHOLDER', '06010A03A0B800']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toMatch(/35 +Track 2 data +476173\*+0119=\*+/);
  });
});
