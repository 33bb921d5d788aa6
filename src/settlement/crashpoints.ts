// Named points in a batch where the crash test stops the process. With GERBANG_SETTLE_PAUSE_AT=<name> the
// process announces "PAUSED <name>" on stderr and blocks there until the test SIGKILLs it. Without the
// variable a crash point costs one string comparison.
const pauseAt = process.env.GERBANG_SETTLE_PAUSE_AT;

export function crashPoint(name: string): void {
  if (!pauseAt || pauseAt !== name) return;
  process.stderr.write(`PAUSED ${name}\n`);
  // Block the thread (not the event loop's timers): nothing after this point may run before the kill.
  const sab = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(sab, 0, 0, 60_000);
}
