// Entry point of the simulator child processes the runtime starts (HSM simulator, issuer simulator). Loading only
// what the simulator needs keeps startup fast and independent of every other CLI command module.
// Usage: node dist/src/runtime/child.js hsm|issuer-sim '<options JSON>'  → prints {"port":P} when listening;
// SIGTERM/SIGINT closes the server and exits 0; so does the end of stdin (the parent has gone).
const [what, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as Record<string, unknown>;

async function main(): Promise<void> {
  let close: () => Promise<void>;
  let port: number;
  if (what === 'hsm') {
    const { startHsmServer } = await import('../../hsm-sim/index.js');
    // The LMK of GERBANG_HSM_LMK when set (as `gerbang hsm` and the CLI's in-process simulator read it), else the test LMK.
    const lmkFile = process.env.GERBANG_HSM_LMK;
    const s = await startHsmServer({ host: '127.0.0.1', port: Number(opts.port ?? 0), ...(lmkFile ? { lmkFile } : {}), log: (l) => process.stderr.write(l + '\n') });
    port = s.port;
    close = () => s.close();
  } else if (what === 'issuer-sim') {
    const { startIssuerSim } = await import('../sim/index.js');
    const s = await startIssuerSim({ ...opts, log: (l: string) => process.stderr.write(l + '\n') });
    port = s.port;
    close = () => s.close();
  } else throw new Error(`unknown child ${what}`);
  process.stdout.write(JSON.stringify({ ready: true, port }) + '\n');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent holds our stdin open and never writes to it: end of file means it is gone — SIGKILLed or crashed
  // without stopping us — so stop too, rather than live on as an orphan holding a port.
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

main().catch((e) => {
  process.stderr.write(`child ${what}: ${(e as Error).message}\n`);
  process.exit(1);
});
