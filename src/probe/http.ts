/**
 * The probe against a live endpoint: a preflight that spends nothing (GET {base}/models:
 * reachable? key accepted? model listed?), then runProbe over HttpDispatch on the wall clock
 * with exact-N-token prompts.
 */
import { request } from 'undici';
import { RealClock } from '../clock.js';
import { HttpDispatch } from '../client/undici-dispatch.js';
import { authHeaders } from '../client/endpoint.js';
import { ConfigError, TargetUnreachableError } from '../errors.js';
import type { ChatMessage } from '../exec/ports.js';
import type { Dialect } from '../metrics/classify.js';
import { createRng } from '../plan/rng.js';
import { synthesizeText } from '../tokens/synth.js';
import { runProbe, type ProbeOptions, type ProbeResult } from './probe.js';

export interface HttpProbeOptions extends Omit<ProbeOptions, 'dispatch' | 'clock' | 'messages'> {
  baseUrl: string;
  apiKey?: string;
  dialect: Dialect;
  timeoutMs?: number;
}

/** Fails fast (typed errors, nothing billable sent) when the target is unreachable or refuses the key. */
export async function preflight(baseUrl: string, dialect: Dialect, apiKey: string | undefined, model: string, timeoutMs = 10_000): Promise<void> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigError(`--base-url: expected an http(s) URL, found ${JSON.stringify(baseUrl)}`);
  }
  const models = `${url.origin}${url.pathname.replace(/\/+$/, '')}/models`;
  let status: number;
  let body = '';
  try {
    const r = await request(models, { method: 'GET', headers: authHeaders(dialect, apiKey), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    status = r.statusCode;
    body = await r.body.text();
  } catch (e) {
    throw new TargetUnreachableError(baseUrl, (e as Error).message);
  }
  if (status === 401 || status === 403) throw new ConfigError(`the target refused the API key (HTTP ${status} from GET ${models}): check --api-key-env`);
  if (status === 200) {
    try {
      const ids = ((JSON.parse(body) as { data?: { id?: string }[] }).data ?? []).map((m) => m.id);
      if (ids.length > 0 && !ids.includes(model)) throw new ConfigError(`model ${JSON.stringify(model)} is not served by ${baseUrl} (it lists ${ids.slice(0, 10).join(', ')})`);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
    }
  }
}

export async function probeHttp(o: HttpProbeOptions): Promise<ProbeResult> {
  await preflight(o.baseUrl, o.dialect, o.apiKey, o.model);
  const clock = new RealClock();
  const t0 = clock.now();
  const runClock = { now: () => clock.now() - t0, sleepUntil: (t: number, s?: AbortSignal) => clock.sleepUntil(t + t0, s) };
  const dispatch = new HttpDispatch({ baseUrl: o.baseUrl, ...(o.apiKey ? { apiKey: o.apiKey } : {}), dialect: o.dialect, timeoutMs: o.timeoutMs ?? 300_000, clock: runClock });
  const cache = new Map<number, ChatMessage[]>();
  const rng = createRng(1, 'probe');
  const messages = (n: number): ChatMessage[] => {
    let m = cache.get(n);
    if (!m) {
      m = [{ role: 'user', content: synthesizeText(n, o.model, rng) }];
      if (cache.size > 64) cache.clear();
      cache.set(n, m);
    }
    return m;
  };
  try {
    const { baseUrl: _b, apiKey: _k, dialect: _d, timeoutMs: _t, ...rest } = o;
    return await runProbe({ ...rest, dispatch, clock: runClock, messages });
  } finally {
    await dispatch.close?.();
  }
}
