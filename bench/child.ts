/**
 * What every benchmark does with its child processes: wait for a server child's
 * `LISTENING <url>` line, and read a process's CPU time from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resolves with the URL a child prints as `LISTENING <url>` on stdout; rejects if it exits first or takes over 20 s. */
export function listeningUrl(child: ChildProcess, what: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /LISTENING (\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** utime + stime of a process in µs (Linux), or undefined. */
export function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // USER_HZ = 100
  } catch {
    return undefined;
  }
}
