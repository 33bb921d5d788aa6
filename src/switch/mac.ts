// MAC generation and verification (DE 64, or DE 128 when the message has a secondary bitmap) through the HSM.
// The MAC covers the encoded message up to the MAC field itself, which is the last field on the wire.
import { encode, type CompiledSpec, type IsoMessage } from '../../codecs/index.js';
import type { HsmApi } from '../hsm/api.js';
import type { MacConfig } from '../config/types.js';
import type { WireMac } from './acquirer-server.js';
import type { MessageSigner } from '../issuer/link.js';
import type { KeyRing } from './keys.js';

const E_HEX = 4;

export class MacError extends Error {
  override readonly name = 'MacError';
}

/** The MAC field a message uses: 128 when any field above 64 is present, else 64. */
export function macField(msg: IsoMessage): 64 | 128 {
  for (const k of Object.keys(msg.fields)) if (Number(k) > 64 && k !== '128') return 128;
  return 64;
}

/** Bytes of the MAC field on the wire for this spec (8 raw bytes, or 16 hex characters). */
function macWireBytes(spec: CompiledSpec, field: 64 | 128): number {
  return spec.fields[field]?.enc === E_HEX ? 16 : 8;
}

/** The data the MAC covers: the message encoded with a zero MAC, minus the MAC bytes at the end. */
export function macInput(spec: CompiledSpec, msg: IsoMessage): { field: 64 | 128; data: Buffer } {
  const field = macField(msg);
  const fields = { ...msg.fields };
  delete fields[64];
  delete fields[128];
  fields[field] = '0000000000000000';
  const bytes = encode(spec, { mti: msg.mti, fields });
  return { field, data: bytes.subarray(0, bytes.length - macWireBytes(spec, field)) };
}

function mac16(m: string): string {
  return m.toUpperCase().padEnd(16, '0').slice(0, 16);
}

export interface Macer {
  sign(msg: IsoMessage): Promise<IsoMessage>;
  /** Checks the MAC of a received message; `bytes` is its wire form. */
  verify(msg: IsoMessage, bytes: Buffer): Promise<boolean>;
  encodeSigned(msg: IsoMessage): Promise<Buffer>;
}

export function createMacer(spec: CompiledSpec, cfg: MacConfig, keys: KeyRing, hsm: () => Promise<HsmApi>): Macer & WireMac & MessageSigner {
  const key = keys.get(cfg.keyRef);
  if (!key || (key.type !== 'TAK' && key.type !== 'ZAK')) throw new MacError(`MAC key '${cfg.keyRef}' is not a known TAK/ZAK`);
  const keyType = key.type;
  const sign = async (msg: IsoMessage): Promise<IsoMessage> => {
    const { field, data } = macInput(spec, msg);
    const m = await (await hsm()).generateMac({ keyType, key: key.value, algorithm: cfg.algorithm, data });
    const fields = { ...msg.fields };
    delete fields[64];
    delete fields[128];
    fields[field] = mac16(m);
    return { mti: msg.mti, fields };
  };
  return {
    sign,
    async encodeSigned(msg) {
      return encode(spec, await sign(msg));
    },
    async verify(msg, bytes) {
      const field = macField(msg);
      const got = msg.fields[field];
      if (typeof got !== 'string') return false;
      const n = macWireBytes(spec, field);
      if (bytes.length < n) return false;
      const data = bytes.subarray(0, bytes.length - n);
      const expect = await (await hsm()).generateMac({ keyType, key: key.value, algorithm: cfg.algorithm, data });
      return mac16(expect) === got.toUpperCase();
    },
  };
}
