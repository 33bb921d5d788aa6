#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm install` (the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('gerbang: dist/ is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(1);
}
// `gerbang … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main: run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
