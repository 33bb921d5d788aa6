// `gerbang` entry point: finds every command module in ./commands and dispatches to it.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from './command.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

export async function loadCommands(): Promise<Map<string, Command>> {
  const files = readdirSync(commandsDir).filter((f) => f.endsWith('.js') || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
  const commands = new Map<string, Command>();
  for (const file of files.sort()) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as { command?: Command };
    if (mod.command) commands.set(mod.command.name, mod.command);
  }
  return commands;
}

function topHelp(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length), 4);
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'gerbang — an ISO 8583 card payment switch',
    '',
    'Usage: gerbang <command> [options]    (every command takes --help)',
    '',
    'Commands:',
    ...lines,
  ].join('\n');
}

/** Imports only the named command's module (a half-built or heavy sibling never slows or breaks it). */
async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
  for (const ext of ['.js', '.ts']) {
    const file = join(commandsDir, name + ext);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { command?: Command };
    if (mod.command?.name === name) return mod.command;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp(await loadCommands()) + '\n');
    return name ? 0 : 2;
  }
  const command = await loadCommand(name);
  if (!command) {
    process.stderr.write(`gerbang: unknown command '${name}'\n\n${topHelp(await loadCommands())}\n`);
    return 2;
  }
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
    process.stdout.write(command.help + '\n');
    return 0;
  }
  return command.run(rest);
}
