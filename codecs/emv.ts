// Convenience access to DE 55 (EMV chip data) on a message in canonical form.
import type { IsoMessage } from './engine.js';
import { CodecError } from './errors.js';
import { decodeTlv, TLV_ORDER, tlvTags } from './tlv.js';

/** The EMV tags of DE 55 (or another BER-TLV field) as { TAG: HEX }, or undefined when the field is absent. */
export function getEmvTags(msg: IsoMessage, field = 55): Record<string, string> | undefined {
  const v = msg.fields[field];
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    if (!/^(?:[0-9A-Fa-f]{2})*$/.test(v)) throw new CodecError(field, 0, 'bad-hex', 'DE 55 string is not hex');
    return decodeTlv(Buffer.from(v, 'hex'), 0, v.length >> 1, field);
  }
  return v;
}

/** One tag's hex value from DE 55, or undefined. */
export function getEmvTag(msg: IsoMessage, tag: string, field = 55): string | undefined {
  return getEmvTags(msg, field)?.[tag.toUpperCase()];
}

/** Sets (or with undefined, removes) tags in DE 55, keeping the wire order of the tags already there. */
export function setEmvTags(msg: IsoMessage, tags: Record<string, string | undefined>, field = 55): void {
  const current = getEmvTags(msg, field) ?? {};
  const order = tlvTags(current).slice();
  const next: Record<string, string> = { ...current };
  for (const [t, v] of Object.entries(tags)) {
    const tag = t.toUpperCase();
    if (v === undefined) {
      delete next[tag];
      const i = order.indexOf(tag);
      if (i >= 0) order.splice(i, 1);
    } else {
      if (!(tag in next)) order.push(tag);
      next[tag] = v.toUpperCase();
    }
  }
  Object.defineProperty(next, TLV_ORDER, { value: order, enumerable: false });
  msg.fields[field] = next;
}
