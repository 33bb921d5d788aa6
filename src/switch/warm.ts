// The main thread's part of the start-up warm-up: synthetic requests of every kind go through what the edges do
// with a real one, for each configured spec — request built (txnToIso, as for an issuer), dialect, encode, frame,
// split, decode, isoToTxn (as at an acquirer listener), decisionToIso, encode, decode, isoToDecision — so V8 has
// compiled the codec and the stages before the first acquirer connects. Pure: no socket, no state, no clock.
// Each round trip is also checked: a spec that cannot carry the switch's own messages is reported, not hidden.
import { FrameSplitter, decode, encode, frame, type CompiledSpec, type FramingOptions } from '../../codecs/index.js';
import { WARM_KINDS, warmTxn } from '../model/warm-txn.js';
import { dialectOf } from './dialect.js';
import { decisionToIso, isFormatError, isoToDecision, isoToTxn, txnToIso, type EdgeContext } from './iso-txn.js';

export interface WarmSpec {
  spec: CompiledSpec;
  framing: FramingOptions['lengthHeader'];
}

export interface CodecWarmResult {
  messages: number;
  ms: number;
  /** Specs whose round trip did not come back as sent, with why (the warm-up went on with the others). */
  failed: { spec: string; error: string }[];
}

const EDGE: EdgeContext = { listenerId: 'warmup', kind: 'iso', acquirerId: '999999', pin: null };
const NOW = new Date(Date.UTC(2026, 11, 3, 10, 20, 30));

/** One request and its answer through `w`; throws when something does not survive the trip. */
function roundTrip(w: WarmSpec, splitter: FrameSplitter, i: number): void {
  const { spec } = w;
  const dialect = dialectOf(spec);
  const txn = warmTxn(i, WARM_KINDS[i % WARM_KINDS.length]);
  const req = txnToIso(txn, { stan: txn.stan, now: NOW, forwarderId: '999999' });
  const frames = splitter.push(frame(encode(spec, dialect.toWire(req, NOW)), { lengthHeader: w.framing }));
  if (frames.length !== 1) throw new Error(`framing gave ${frames.length} frames for one message`);
  const got = dialect.fromWire(decode(spec, frames[0].payload));
  const back = isoToTxn(got, EDGE, txn.id, NOW);
  if (isFormatError(back)) throw new Error(`request did not survive: DE ${back.field}: ${back.detail}`);
  if (back.amount !== txn.amount || back.pan !== txn.pan || back.kind !== txn.kind) throw new Error('request came back different');
  const resp = decisionToIso(got, { responseCode: '00', approvedAmount: txn.amount, authCode: '123456', availableBalance: 1_000_000, ledgerBalance: 1_000_000 });
  const d = isoToDecision(dialect.fromWire(decode(spec, encode(spec, dialect.toWire(resp, NOW)))), txn, 'warmup');
  if (d.responseCode !== '00') throw new Error(`answer came back as ${d.responseCode}`);
}

/** `rounds` round trips per spec (each spec once, however many listeners and issuers share it). */
export function warmCodecs(specs: readonly WarmSpec[], rounds: number): CodecWarmResult {
  const t0 = performance.now();
  const seen = new Set<string>();
  const failed: CodecWarmResult['failed'] = [];
  let messages = 0;
  for (const w of specs) {
    const key = `${w.spec.name}/${w.framing}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const splitter = new FrameSplitter({ lengthHeader: w.framing });
    try {
      for (let i = 0; i < rounds; i++) {
        roundTrip(w, splitter, i);
        messages += 2;
      }
    } catch (e) {
      failed.push({ spec: key, error: (e as Error).message });
    }
  }
  return { messages, ms: Math.round(performance.now() - t0), failed };
}
