// `gerbang iso`: decode, encode and safely dump ISO 8583 messages with any built-in (or JSON-file) spec.
import { readFileSync } from 'node:fs';
import { usageError, wantsHelp, type Command } from '../command.js';
import {
  CodecError, FrameSplitter, decode, dumpMessage, encode, frame, getSpec, listSpecs, loadSpecJson,
  type CompiledSpec, type IsoMessage, type LengthHeader,
} from '../../../codecs/index.js';

const FRAMINGS = ['none', 'len2', 'len4', 'ascii4', 'hex4', 'bcd2'];

const help = `Usage: gerbang iso <specs|decode|encode|dump> [options]

  gerbang iso specs                                  list the built-in specs
  gerbang iso decode --spec NAME [--framing F] HEX   print the message as canonical JSON
  gerbang iso encode --spec NAME [--framing F] JSON  print the message as upper-case hex
  gerbang iso dump   --spec NAME [--framing F] HEX   print a human dump (PAN masked, PIN/track/cryptograms redacted)

Options:
  --spec NAME        built-in spec (default iso87-ascii); see 'gerbang iso specs'
  --spec-file PATH   a spec in the JSON spec format instead of a built-in one
  --framing F        ${FRAMINGS.join('|')} (default none): a length header in front of the message
  HEX / JSON         the message; '-' reads it from stdin

Errors print {"error", "reason", "field", "offset"} on stderr and exit 2.`;

const subHelp: Record<string, string> = {
  specs: 'Usage: gerbang iso specs\n\nLists the built-in specs with a one-line description.',
  decode: 'Usage: gerbang iso decode --spec NAME [--spec-file PATH] [--framing F] HEX|-\n\nPrints the canonical JSON of one message (exit 0), or {"error",...} on stderr (exit 2).',
  encode: 'Usage: gerbang iso encode --spec NAME [--spec-file PATH] [--framing F] JSON|-\n\nPrints the encoded message as upper-case hex (exit 0), or {"error",...} on stderr (exit 2).',
  dump: 'Usage: gerbang iso dump --spec NAME [--spec-file PATH] [--framing F] HEX|-\n\nPrints a human dump: field number, name, value; PAN masked 6+4, PIN block, track data and EMV cryptograms redacted.',
};

interface Args {
  spec: string;
  specFile?: string;
  framing: string;
  input?: string;
}

function parse(argv: string[]): Args | string {
  const a: Args = { spec: 'iso87-ascii', framing: 'none' };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--spec' || x === '--spec-file' || x === '--framing') {
      const v = argv[++i];
      if (v === undefined) return `${x} needs a value`;
      if (x === '--spec') a.spec = v;
      else if (x === '--spec-file') a.specFile = v;
      else a.framing = v;
    } else if (x.startsWith('--')) return `unknown option ${x}`;
    else if (a.input === undefined) a.input = x;
    else return `unexpected argument ${x}`;
  }
  if (!FRAMINGS.includes(a.framing)) return `--framing must be one of ${FRAMINGS.join(', ')}`;
  return a;
}

function fail(e: unknown): number {
  if (e instanceof CodecError) process.stderr.write(JSON.stringify({ error: e.message, reason: e.reason, field: e.field, offset: e.offset }) + '\n');
  else process.stderr.write(JSON.stringify({ error: (e as Error).message ?? String(e), reason: 'bad-input', field: null, offset: 0 }) + '\n');
  return 2;
}

function readInput(input: string): string {
  return (input === '-' ? readFileSync(0, 'utf8') : input).trim();
}

function hexToBytes(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(clean)) throw new CodecError(null, 0, 'bad-hex', 'input is not an even number of hex digits');
  return Buffer.from(clean, 'hex');
}

/** The largest body each header can describe (the CLI handles one message, so allow the most). */
function maxFrameFor(framing: string): number {
  return framing === 'len4' ? 1 << 24 : framing === 'ascii4' || framing === 'bcd2' ? 9999 : 65535;
}

function unframe(bytes: Buffer, framing: string): Buffer {
  if (framing === 'none') return bytes;
  const frames = new FrameSplitter({ lengthHeader: framing as LengthHeader, maxFrame: maxFrameFor(framing) }).push(bytes);
  const consumed = frames.reduce((n, f) => n + f.payload.length, 0) + frames.length * (framing === 'len4' || framing === 'ascii4' || framing === 'hex4' ? 4 : 2);
  if (frames.length !== 1 || consumed !== bytes.length) throw new CodecError(null, 0, 'bad-frame', `expected exactly one ${framing} frame`);
  return frames[0].payload;
}

function resolveSpec(a: Args): CompiledSpec {
  return a.specFile ? loadSpecJson(readFileSync(a.specFile, 'utf8')) : getSpec(a.spec);
}

export const command: Command = {
  name: 'iso',
  summary: 'decode, encode and dump ISO 8583 messages (built-in specs: iso87-ascii, iso87-bcd, …)',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === '--help' || sub === '-h') {
      process.stdout.write(help + '\n');
      return sub ? 0 : 2;
    }
    if (!(sub in subHelp)) return usageError(`unknown iso sub-command '${sub}'`, help);
    if (wantsHelp(rest)) {
      process.stdout.write(subHelp[sub] + '\n');
      return 0;
    }
    if (sub === 'specs') {
      for (const s of listSpecs()) process.stdout.write(`${s.name.padEnd(24)} ${s.description}\n`);
      return 0;
    }
    const a = parse(rest);
    if (typeof a === 'string') return usageError(a, subHelp[sub]);
    if (a.input === undefined) return usageError('missing the message argument', subHelp[sub]);
    try {
      const spec = resolveSpec(a);
      const text = readInput(a.input);
      if (sub === 'encode') {
        let msg: IsoMessage;
        try {
          msg = JSON.parse(text) as IsoMessage;
        } catch (e) {
          throw new CodecError(null, 0, 'bad-value', `input is not JSON: ${(e as Error).message}`);
        }
        let bytes = encode(spec, msg);
        if (a.framing !== 'none') bytes = frame(bytes, { lengthHeader: a.framing as LengthHeader, maxFrame: maxFrameFor(a.framing) });
        process.stdout.write(bytes.toString('hex').toUpperCase() + '\n');
        return 0;
      }
      const msg = decode(spec, unframe(hexToBytes(text), a.framing));
      process.stdout.write((sub === 'decode' ? JSON.stringify(msg) : dumpMessage(spec, msg)) + '\n');
      return 0;
    } catch (e) {
      return fail(e);
    }
  },
};
