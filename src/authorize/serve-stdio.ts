// A minimal front for the engine: JSON lines in (one Txn each), JSON lines out (one Decision each, in completion
// order). Used by the crash test (SIGKILL mid-stream) and handy for poking the engine by hand:
//   node dist/src/authorize/serve-stdio.js DATA_DIR [HSM_HOST:PORT]
import { createInterface } from 'node:readline';
import { createAuthorizer } from './index.js';

const [dataDir, hsmAddr = '127.0.0.1:1500'] = process.argv.slice(2);
if (!dataDir) {
  process.stderr.write('usage: serve-stdio DATA_DIR [HSM_HOST:PORT]\n');
  process.exit(2);
}
const [host, port] = hsmAddr.split(':');
const auth = await createAuthorizer({ dataDir, hsm: { host, port: Number(port) }, fraud: { enabled: process.env.GERBANG_FRAUD !== '0' } });
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const rl = createInterface({ input: process.stdin });
let open = 0;
let ended = false;
rl.on('line', (line) => {
  let txn;
  try {
    txn = JSON.parse(line);
  } catch {
    process.stdout.write(JSON.stringify({ error: 'bad json' }) + '\n');
    return;
  }
  open++;
  void auth.authorize(txn).then((d) => {
    process.stdout.write(JSON.stringify(d) + '\n');
    open--;
    if (ended && open === 0) void auth.close().then(() => process.exit(0));
  });
});
rl.on('close', () => {
  ended = true;
  if (open === 0) void auth.close().then(() => process.exit(0));
});
