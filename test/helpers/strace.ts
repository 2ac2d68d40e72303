/**
 * Reading an `strace -f -ttt -T -y` log: one record per system call of any process in the
 * traced tree, with when it was entered and when it returned (entry + its duration), its process
 * and its text (arguments with file paths, `-y`, and the result). A call interrupted by another
 * process's line (`<unfinished ...>`, later `<... name resumed>`) is joined back into one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SysCall {
  pid: number;
  name: string;
  start: number;
  end: number;
  text: string;
}

const LINE = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/;
const RESUMED = /^<\.\.\. (\w+) resumed>(.*)$/;
const DURATION = /<(\d+\.\d+)>$/;

export function parseTrace(log: string): SysCall[] {
  const calls: SysCall[] = [];
  const unfinished = new Map<number, { name: string; start: number; text: string }>();
  const finish = (pid: number, name: string, start: number, text: string) => {
    const duration = DURATION.exec(text);
    if (duration) calls.push({ pid, name, start, end: start + Number(duration[1]), text });
  };
  for (const line of log.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, pidText, time, rest] = match as unknown as [string, string, string, string];
    const pid = Number(pidText);
    const resumed = RESUMED.exec(rest);
    if (resumed) {
      const begun = unfinished.get(pid);
      unfinished.delete(pid);
      if (begun) finish(pid, begun.name, begun.start, begun.text + resumed[2]);
      continue;
    }
    const name = /^(\w+)\(/.exec(rest)?.[1];
    if (!name) continue; // signals, exits
    if (rest.endsWith('<unfinished ...>')) unfinished.set(pid, { name, start: Number(time), text: rest.slice(0, -16) });
    else finish(pid, name, Number(time), rest);
  }
  return calls.sort((a, b) => a.start - b.start);
}

/**
 * strace, installed from Debian's packages when missing (as root), and whether this machine lets
 * it trace at all (a container without ptrace rights does not): undefined, or why not.
 */
export function straceUnavailable(): string | undefined {
  if (!existsSync('/usr/bin/strace') && process.getuid?.() === 0) {
    try {
      execFileSync('bash', [new URL('../../scripts/install-strace.sh', import.meta.url).pathname], { stdio: 'pipe' });
    } catch (error) {
      return `strace is missing and could not be installed: ${(error as Error).message}`;
    }
  }
  if (!existsSync('/usr/bin/strace'))
    return 'strace is missing: run `bash scripts/install-strace.sh` (apt-get install -y strace)';
  try {
    execFileSync('/usr/bin/strace', ['-f', '-o', '/dev/null', 'true'], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `strace cannot trace here (no ptrace rights?): ${(error as Error).message}`;
  }
}
