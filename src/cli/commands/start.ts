// `gerbang start`: runs the switch with its simulators on embedded defaults.
// Each capability registers what it starts in src/runtime/services.ts as it lands.
import type { Command } from '../command.js';

const help = `Usage: gerbang start [--data DIR]

Starts the switch on embedded defaults (LMDB under ./data, simulators in-process or as child processes).
Stop it with Ctrl-C; in-flight work drains first.`;

export const command: Command = {
  name: 'start',
  summary: 'run the switch and its simulators on embedded defaults',
  help,
  async run() {
    process.stderr.write('gerbang start: no services yet\n');
    return 1;
  },
};
