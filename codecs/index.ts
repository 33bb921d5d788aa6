// Public API of the ISO 8583 codec library. The rest of gerbang imports ONLY from here.
// No runtime dependency: node built-ins only.
import { decodeWith, encodeWith, type IsoMessage } from './engine.js';
import { planFor } from './plan.js';
import { getSpec } from './registry.js';
import type { CompiledSpec } from './spec.js';

export { CodecError, type CodecReason } from './errors.js';
export type { FieldValue, IsoMessage } from './engine.js';
export { MAX_MESSAGE_BYTES } from './engine.js';
export type { CompiledSpec, MessageSpec, FieldSpec, SubfieldSpec, SubfieldLayout, ContentClass, DataEncoding, PrefixEncoding, LengthKind } from './spec.js';
export { compileSpec } from './spec.js';
export { getSpec, listSpecs, loadSpecJson, builtInSpecSource } from './registry.js';
export { FrameSplitter, frame, swapTpdu, DEFAULT_MAX_FRAME, type Frame, type FramingOptions, type LengthHeader } from './framing.js';
export { dumpMessage, maskPan, maskTrack1, maskTrack2 } from './dump.js';
export { decodeTlv, encodeTlv, decodePrivateTlv, encodePrivateTlv, EMV_TAGS, EMV_SENSITIVE_TAGS, TLV_ORDER } from './tlv.js';
export { getEmvTags, getEmvTag, setEmvTags } from './emv.js';
export { responseMti, requestMti, isRequest, isResponse, isValidMti, mtiVersion } from './mti.js';

/** A spec: a compiled spec, or the name of a built-in one ('iso87-ascii', …). */
export type SpecRef = CompiledSpec | string;

function resolve(spec: SpecRef): CompiledSpec {
  return typeof spec === 'string' ? getSpec(spec) : spec;
}

/** Message (canonical JSON form) → wire bytes (no framing). Throws CodecError. */
export function encode(spec: SpecRef, msg: IsoMessage): Buffer {
  const s = resolve(spec);
  return encodeWith(s, msg, planFor(s));
}

/** Wire bytes of exactly one message (no framing) → canonical JSON form. Throws CodecError and nothing else. */
export function decode(spec: SpecRef, bytes: Uint8Array): IsoMessage {
  const s = resolve(spec);
  return decodeWith(s, bytes, planFor(s));
}
