// The same contract on NATS JetStream (127.0.0.1:4222, started by .ci/run). Skips, saying why, only when the
// server is down and cannot be started here.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { NatsSettledStream } from '../../src/stream/nats.js';
import { streamContract } from './contract.js';

function reachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: 4222 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

let available: Promise<boolean> | undefined;
async function natsAvailable(): Promise<boolean> {
  available ??= (async () => {
    if (await reachable()) return true;
    spawnSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--', '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log']);
    for (let i = 0; i < 20; i++) {
      if (await reachable()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stderr.write('NATS JetStream is not reachable on 127.0.0.1:4222 and could not be started: skipping the NATS contract tests\n');
    return false;
  })();
  return available;
}

streamContract('nats-jetstream', async () => {
  if (!(await natsAvailable())) return undefined;
  const tag = randomBytes(4).toString('hex');
  const stream = await NatsSettledStream.open({ stream: `GERBANG_TEST_${tag}`, subject: `gerbang.test.${tag}` });
  return {
    stream,
    async cleanup() {
      await stream.destroy();
      await stream.close();
    },
  };
});
