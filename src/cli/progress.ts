/**
 * Console progress while a run goes: a line every few seconds (plain lines work in CI logs and
 * pipes alike): elapsed/total, sent, ok, 429s, dropped.
 */
import type { RunEvent, Scenario } from '../index.js';

export interface Progress {
  start(s: Scenario): void;
  event(ev: RunEvent): void;
  stop(): void;
}

export function createProgress(out: NodeJS.WritableStream, everyMs = 5_000): Progress {
  let total = 0;
  let t0 = 0;
  let sent = 0, ok = 0, limited = 0, dropped = 0, other = 0;
  let timer: NodeJS.Timeout | undefined;
  const line = () => {
    const el = (performance.now() - t0) / 1000;
    out.write(`[${el.toFixed(0).padStart(3)}s/${(total / 1000).toFixed(0)}s] sent ${sent}  ok ${ok}  429 ${limited}  other errors ${other}  dropped ${dropped}\n`);
  };
  return {
    start(s) {
      total = s.phases.reduce((a, p) => a + p.durationMs, 0);
      t0 = performance.now();
      out.write(`limitprobe: ${s.name} — ${s.phases.length} phase(s), ${(total / 1000).toFixed(0)} s, target ${s.target.kind === 'mock' ? `embedded mock (${s.target.profile})` : s.target.baseUrl}\n`);
      timer = setInterval(line, everyMs);
      timer.unref();
    },
    event(ev) {
      if (ev.type === 'phase-start') out.write(`phase ${ev.phase} started at ${(ev.atMs / 1000).toFixed(1)} s\n`);
      if (ev.type !== 'attempt') return;
      const o = ev.record.outcome;
      if (o === 'dropped') dropped++;
      else {
        sent++;
        if (o === 'ok') ok++;
        else if (o.startsWith('rate_limited')) limited++;
        else other++;
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      line();
    },
  };
}
