// The contract every `gerbang` sub-command module in src/cli/commands/ fulfils.
// main.ts discovers the modules in that folder, so adding a command never edits a shared file.

export interface Command {
  /** The word after `gerbang`, e.g. "iso". */
  name: string;
  /** One line for `gerbang --help`. */
  summary: string;
  /** Full usage text, printed for `gerbang NAME --help` (and by sub-sub-commands for their own --help). */
  help: string;
  /** Runs with the arguments after NAME; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** True when argv asks for help (anywhere, as users type it at the end too). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Writes a usage error and returns exit code 2 (the CLI's code for bad input). */
export function usageError(message: string, help: string): number {
  process.stderr.write(`gerbang: ${message}\n\n${help}\n`);
  return 2;
}

export interface ParsedFlags {
  /** Values of each valued flag in the order given (a flag may repeat). */
  flags: Map<string, string[]>;
  bools: Set<string>;
  positional: string[];
}

/**
 * The one flag grammar of the sub-commands: `--name value` for `valued` flags (repeatable), bare `--name` for
 * `bools`, and for `multi` flags every following word up to the next flag (`--statement a.xml b.xml`).
 * Returns an error message for an unknown option or a missing value.
 */
export function parseFlags(
  argv: readonly string[],
  spec: { valued: Iterable<string>; bools: Iterable<string>; multi?: Iterable<string> },
): ParsedFlags | string {
  const valued = new Set(spec.valued);
  const boolNames = new Set(spec.bools);
  const multi = new Set(spec.multi ?? []);
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (valued.has(a) || multi.has(a)) {
      const vals: string[] = [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
        vals.push(argv[++i]);
        if (!multi.has(a)) break;
      }
      if (vals.length === 0) return `${a} needs a value`;
      flags.set(a, [...(flags.get(a) ?? []), ...vals]);
    } else if (boolNames.has(a)) bools.add(a);
    else if (a.startsWith('--')) return `unknown option ${a}`;
    else positional.push(a);
  }
  return { flags, bools, positional };
}

/** The last value given for a valued flag (a later `--data` overrides an earlier one). */
export function flagValue(p: ParsedFlags, name: string): string | undefined {
  const v = p.flags.get(name);
  return v?.[v.length - 1];
}
