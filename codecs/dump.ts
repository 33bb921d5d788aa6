// Safe printing: a human dump of a message that never shows a clear PAN, track data, PIN block or cryptogram.
import type { CompiledSpec } from './spec.js';
import type { FieldValue, IsoMessage } from './engine.js';
import { EMV_SENSITIVE_TAGS, EMV_TAGS, tlvTags } from './tlv.js';

/** First 6 and last 4 digits, the rest '*' (PCI DSS 3.3). Short values (< 13) keep only the last 4. */
export function maskPan(pan: string): string {
  if (typeof pan !== 'string') return '';
  if (pan.length >= 13) return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
  if (pan.length > 4) return '*'.repeat(pan.length - 4) + pan.slice(-4);
  return '*'.repeat(pan.length);
}

/** Track 2 (PAN=YYMM SVC discretionary incl. CVV): masked PAN, everything after the separator starred. */
export function maskTrack2(t2: string): string {
  const sep = t2.search(/[=D]/);
  if (sep < 0) return maskPan(t2);
  return maskPan(t2.slice(0, sep)) + '=' + '*'.repeat(t2.length - sep - 1);
}

/** Track 1 (B PAN ^ NAME ^ YYMM SVC discretionary): masked PAN, the rest starred (name and CVV included). */
export function maskTrack1(t1: string): string {
  const m = /^([A-Z]?)([0-9]+)(.*)$/.exec(t1);
  if (!m) return '*'.repeat(t1.length);
  return m[1] + maskPan(m[2]) + '*'.repeat(m[3].length);
}

const redacted = (v: string) => `[redacted ${v.length} chars]`;

/** Field numbers whose whole value is secret: PIN data, track 3, security control, CVV-bearing private data is not known. */
const REDACT_FIELDS = new Set([52, 36, 53, 96]);

function safeValue(num: number, v: FieldValue): string {
  if (typeof v !== 'string') {
    const tags = num === 55 ? tlvTags(v) : Object.keys(v);
    return tags
      .map((t) => {
        const val = v[t];
        const shown = num === 55 && EMV_SENSITIVE_TAGS.has(t) ? redacted(val) : num === 55 && t === '5A' ? maskPan(val) : val;
        const name = num === 55 ? EMV_TAGS[t] : undefined;
        return `\n      ${t.padEnd(5)} ${name ? name + ': ' : ''}${shown}`;
      })
      .join('');
  }
  if (num === 2 || num === 34) return maskPan(v);
  if (num === 35) return maskTrack2(v);
  if (num === 45) return maskTrack1(v);
  if (REDACT_FIELDS.has(num)) return redacted(v);
  return v;
}

/** Multi-line human dump: MTI, then one line per field (number, name, masked value). Safe for logs. */
export function dumpMessage(spec: CompiledSpec, msg: IsoMessage): string {
  const lines = [`MTI ${msg.mti}  (spec ${spec.name})`];
  for (const key in msg.fields) {
    const num = +key;
    const v = msg.fields[key];
    if (v === undefined) continue;
    const name = spec.fields[num]?.name ?? 'unknown field';
    lines.push(`  ${String(num).padStart(3)}  ${name.padEnd(42)} ${safeValue(num, v)}`);
  }
  return lines.join('\n');
}
