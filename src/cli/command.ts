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
