// Command-line flags shared by the bench scripts: `--json` and bounded integer options.
const argv = process.argv.slice(2);

/** `--json`: end the output with one line, the headline object. */
export const jsonOutput = argv.includes('--json');

/** The integer after `flag` (1..max), or `dflt`; anything else is an error naming the flag. */
export function intArg(flag: string, dflt: number, max: number): number {
  const i = argv.indexOf(flag);
  const v = i >= 0 ? Number(argv[i + 1]) : dflt;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new Error(`${flag} must be an integer 1..${max}`);
  return v;
}
