import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built CLI; LIMITPROBE_BIN points at another build of it (e.g. while dist/ is being rebuilt). */
export const BIN = process.env.LIMITPROBE_BIN ?? join(ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ReturnType<typeof spawn>;
  done: Promise<CliResult>;
  /** Resolves with the first stdout line that matches. */
  line(pattern: RegExp): Promise<string>;
}

/** Spawns the built `limitprobe` bin (a real process, as users run it). */
export function startCli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, CI: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) {
      const hit = stdout.split('\n').find((l) => w.pattern.test(l));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    line: (pattern) =>
      new Promise((res, rej) => {
        const hit = stdout.split('\n').find((l) => pattern.test(l));
        if (hit !== undefined) return res(hit);
        waiters.push({ pattern, resolve: res });
        void done.then((r) => rej(new Error(`process ended before printing ${pattern}: ${r.stderr}`)));
      }),
  };
}

export function runCli(args: string[], opts?: Parameters<typeof startCli>[1]): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Runs a shell script (a docs recipe) with bash and collects its output. */
export function runBash(script: string, cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { cwd, env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function tempDir(prefix = 'limitprobe-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
