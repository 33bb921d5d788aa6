// fast-check generators of canonical messages for every built-in spec, shared by the property and plan tests.
import fc from 'fast-check';
import { builtInSpecSource, type FieldSpec, type IsoMessage } from '../../codecs/index.js';

const DIGITS = '0123456789';
const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ';
const ALNUM = ALPHA + DIGITS;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const HEXU = '0123456789ABCDEF';

const str = (chars: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
const hexBytes = (min: number, max: number) => fc.array(fc.constantFrom(...HEXU), { minLength: min * 2, maxLength: max * 2 }).filter((a) => a.length % 2 === 0).map((a) => a.join(''));
const EMV = ['9F26', '9F27', '9F10', '9F37', '9F36', '95', '9A', '9C', '9F02', '5F2A', '82', '9F1A', '9F33', '9F34', '84', '9F8101', 'DF01'];

function charsFor(type: string): string {
  return type === 'n' ? DIGITS : type === 'a' ? ALPHA : type === 'an' ? ALNUM : PRINTABLE;
}

export function fieldArb(f: FieldSpec): fc.Arbitrary<IsoMessage['fields'][string]> {
  const fixed = (f.prefix ?? 'fixed') === 'fixed';
  const cap = Math.min(f.length, 40);
  const len = (min = 0) => (fixed ? f.length : fc.integer({ min, max: cap }));
  const sized = (l: number | fc.Arbitrary<number>, mk: (n: number) => fc.Arbitrary<string>) => (typeof l === 'number' ? mk(l) : l.chain(mk));
  if (f.subfields?.kind === 'ber-tlv') {
    return fc.uniqueArray(fc.tuple(fc.constantFrom(...EMV), hexBytes(0, 12)), { selector: (t) => t[0], maxLength: 12 }).map((pairs) => Object.fromEntries(pairs));
  }
  if (f.subfields?.kind === 'fixed') {
    const parts = f.subfields.fields.map((sf) =>
      sf.type === 'xn' ? fc.tuple(fc.constantFrom('C', 'D'), str(DIGITS, sf.length - 1, sf.length - 1)).map(([s, d]) => s + d) : str(charsFor(sf.type), sf.length, sf.length),
    );
    return fc.tuple(...parts).map((vals) => Object.fromEntries(f.subfields!.kind === 'fixed' ? f.subfields!.fields.map((sf, i) => [sf.id, vals[i]]) : []));
  }
  switch (f.type) {
    case 'b':
      return sized(len(), (n) => hexBytes(n, n));
    case 'z':
      return sized(len(), (n) => str(DIGITS + '=', n, n));
    case 'xn':
      return fc.tuple(fc.constantFrom('C', 'D'), str(DIGITS, f.length - 1, f.length - 1)).map(([s, d]) => s + d);
    default:
      return sized(len(), (n) => str(charsFor(f.type), n, n));
  }
}

export function messageArb(specName: string): fc.Arbitrary<IsoMessage> {
  const src = builtInSpecSource(specName);
  const nums = Object.keys(src.fields).map(Number);
  return fc
    .tuple(str(DIGITS, 4, 4), fc.subarray(nums, { minLength: 0, maxLength: 25 }))
    .chain(([mti, chosen]) =>
      fc.tuple(...chosen.map((n) => fieldArb(src.fields[n]))).map((vals) => {
        const fields: IsoMessage['fields'] = {};
        chosen.forEach((n, i) => (fields[n] = vals[i]));
        return { mti, fields };
      }),
    );
}
