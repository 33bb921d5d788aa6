// CPU time of other processes, from Linux's /proc: benches run the system under test in child processes and
// charge each its own CPU per transaction, which on a shared box is steadier than throughput.
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
export const CLK_TCK = 100;

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the comm field may hold spaces: count after it
  } catch {
    return null;
  }
}

/** utime + stime of a process, all its threads, in seconds (0 where /proc or the process is missing). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const f = statFields(pid);
  return f === null ? 0 : (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
}

/** Pids whose parent is pid (one /proc scan; a process that exits mid-scan is skipped). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const f = statFields(Number(name));
    if (f !== null && Number(f[1]) === pid) out.push(Number(name)); // field 4: ppid
  }
  return out;
}
