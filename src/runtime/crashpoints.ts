// Named points where a crash test stops the process. With GERBANG_PAUSE_AT=<name> (settlement's tests say
// GERBANG_SETTLE_PAUSE_AT) the process announces "PAUSED <name>" on stderr and blocks its thread there until the
// test SIGKILLs it. Without the variable a pause point costs one comparison.
const pauseAt = process.env.GERBANG_PAUSE_AT ?? process.env.GERBANG_SETTLE_PAUSE_AT;

export function pausePoint(name: string): void {
  if (!pauseAt || pauseAt !== name) return;
  process.stderr.write(`PAUSED ${name}\n`);
  // Block the thread (not just this task): nothing after this point may run before the kill.
  const sab = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(sab, 0, 0, 60_000);
}
