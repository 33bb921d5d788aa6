// Built-in specs by name, compiled once on first use; plus loading a spec from JSON.
import { CodecError } from './errors.js';
import { compileSpec, type CompiledSpec, type MessageSpec } from './spec.js';
import { iso87Ascii, iso87AsciiBinBitmap, iso87Bcd, iso87Ebcdic } from './specs/iso87.js';
import { iso93Ascii } from './specs/iso93.js';

const BUILT_IN: readonly MessageSpec[] = [iso87Ascii, iso87AsciiBinBitmap, iso87Bcd, iso93Ascii, iso87Ebcdic];
const compiled = new Map<string, CompiledSpec>();

/** Names and one-line descriptions of the built-in specs. */
export function listSpecs(): { name: string; description: string }[] {
  return BUILT_IN.map((s) => ({ name: s.name, description: s.description }));
}

/** The compiled built-in spec called name. Throws CodecError 'bad-spec' for an unknown name. */
export function getSpec(name: string): CompiledSpec {
  let c = compiled.get(name);
  if (c) return c;
  const src = BUILT_IN.find((s) => s.name === name);
  if (!src) throw new CodecError(null, 0, 'bad-spec', `unknown spec ${JSON.stringify(name)}; built-in: ${BUILT_IN.map((s) => s.name).join(', ')}`);
  c = compileSpec(src);
  compiled.set(name, c);
  return c;
}

/** The source (data) of a built-in spec, to copy and adapt: `loadSpecJson({...builtInSpecSource('iso87-bcd'), name: 'mine'})`. */
export function builtInSpecSource(name: string): MessageSpec {
  const src = BUILT_IN.find((s) => s.name === name);
  if (!src) throw new CodecError(null, 0, 'bad-spec', `unknown spec ${JSON.stringify(name)}`);
  return structuredClone(src);
}

/** Compiles a spec given as parsed JSON (or JSON text). Throws CodecError 'bad-spec' on anything invalid. */
export function loadSpecJson(json: unknown): CompiledSpec {
  let obj = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      throw new CodecError(null, 0, 'bad-spec', `spec is not JSON: ${(e as Error).message}`);
    }
  }
  return compileSpec(obj as MessageSpec);
}
