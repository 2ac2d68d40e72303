/** CPU time from /proc (user + system), the measure the benches trust over a profiler's samples. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString());

/** CPU time one process has used so far, in ms; NaN once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/** CPU time used so far by every process named `name` (a database server's backends), in ms. */
export function cpuMsOfAll(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue; // The process ended while we looked.
    }
    const ms = processCpuMs(Number(entry));
    if (!Number.isNaN(ms)) total += ms;
  }
  return total;
}
