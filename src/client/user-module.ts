/**
 * `client: { module: ./my-client.js }`: the user's own client, timed and reported like the
 * built-in ones. The module's default export is either an object with `send`, or a factory
 * (sync or async) returning one:
 *
 *   export default {
 *     async send(request, ctx) {            // one logical request; retry as you like
 *       const res = await ctx.fetch(`${ctx.baseUrl}/chat/completions`, {
 *         method: 'POST', headers: ctx.headers, body: JSON.stringify(request.body), signal: ctx.signal });
 *       return { status: res.status };       // optional; the records come from ctx.fetch
 *     },
 *     async close() {},                      // optional
 *   };
 *
 * Every call of `ctx.fetch` is one HTTP attempt, recorded as it finishes (status, outcome,
 * retry-after, rate-limit headers, usage): use it (or pass it as the `fetch` option of an SDK)
 * and each of your retries shows up as its own attempt. `request.body` is the OpenAI chat
 * body we would send; `ctx.sleep(ms)` waits on the run clock (virtual in simulation).
 *
 * Loading: dynamic import of the resolved path. Plain node loads .js/.mjs/.cjs; a .ts module
 * needs a TypeScript loader (run under tsx: `node --import tsx dist/src/cli/main.js …`, or
 * vitest), else the load fails with a message that says so.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Clock } from '../clock.js';
import type { AttemptResult, Dispatch, PlannedRequest } from '../exec/ports.js';
import type { Dialect } from '../metrics/classify.js';
import { instrumentedFetch, type FetchFn } from './openai-sdk-fetch.js';

export interface UserRequest {
  requestId: number;
  group: string;
  model: string;
  /** The OpenAI chat-completions body (model, messages, max_tokens, stream). */
  body: { model: string; messages: PlannedRequest['messages']; max_tokens: number; stream: boolean };
  promptTokens: number;
}

export interface UserContext {
  /** OpenAI-compatible base URL including /v1. */
  baseUrl: string;
  /** content-type and auth headers for the target. */
  headers: Record<string, string>;
  apiKey?: string;
  /** Instrumented fetch: each call is one recorded attempt. */
  fetch: FetchFn;
  signal: AbortSignal;
  /** Waits on the run clock. */
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface UserClient {
  send(request: UserRequest, ctx: UserContext): Promise<unknown>;
  close?(): Promise<void> | void;
}

export type UserClientModule = { default: UserClient | ((options: { baseUrl: string; apiKey?: string }) => UserClient | Promise<UserClient>) };

/** Imports the module at `path` (relative to `baseDir`) and returns its client. */
export async function loadUserClient(path: string, baseDir: string, options: { baseUrl: string; apiKey?: string }): Promise<UserClient> {
  const abs = isAbsolute(path) ? path : resolve(baseDir, path);
  let mod: UserClientModule;
  try {
    mod = (await import(pathToFileURL(abs).href)) as UserClientModule;
  } catch (e) {
    const hint = /\.(c|m)?ts$/.test(abs) ? ' (a .ts module needs a TypeScript loader: run with `node --import tsx`, or compile it to .js)' : '';
    throw new Error(`client.module: cannot load ${abs}${hint}: ${(e as Error)?.message ?? e}`);
  }
  const d = mod.default;
  const client = typeof d === 'function' ? await d(options) : d;
  if (!client || typeof client.send !== 'function') throw new Error(`client.module: ${abs} must default-export { send(request, ctx) } or a factory returning one`);
  return client;
}

export interface UserModuleDispatchOptions {
  client: UserClient;
  baseUrl: string;
  headers: Record<string, string>;
  apiKey?: string;
  dialect?: Dialect;
  clock: Clock;
  fetch?: FetchFn;
}

export class UserModuleDispatch implements Dispatch {
  constructor(private readonly opts: UserModuleDispatchOptions) {}

  async send(req: PlannedRequest, _attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    let last: AttemptResult | undefined;
    await this.sendWithOwnRetries(req, signal, (_a, r) => (last = r));
    return last ?? { promptTokensEstimate: req.promptTokens, maxTokens: req.maxTokens, endMs: this.opts.clock.now(), outcome: 'network_error', errorCode: 'E_NO_ATTEMPT' };
  }

  async sendWithOwnRetries(req: PlannedRequest, signal: AbortSignal, onAttempt: (attempt: number, result: AttemptResult) => void): Promise<void> {
    const { clock } = this.opts;
    const pending: Promise<void>[] = [];
    const fetch = instrumentedFetch({ req, clock, dialect: this.opts.dialect ?? 'openai', sink: onAttempt, pending, base: this.opts.fetch });
    const ctx: UserContext = {
      baseUrl: this.opts.baseUrl,
      headers: this.opts.headers,
      apiKey: this.opts.apiKey,
      fetch,
      signal,
      sleep: (ms) => clock.sleepUntil(clock.now() + ms, signal),
      now: () => clock.now(),
    };
    const request: UserRequest = {
      requestId: req.requestId,
      group: req.group,
      model: req.model,
      promptTokens: req.promptTokens,
      body: { model: req.model, messages: req.messages, max_tokens: req.maxTokens, stream: req.stream },
    };
    try {
      await this.opts.client.send(request, ctx);
    } catch {
      // The module gave up: its attempts are recorded already.
    }
    await Promise.allSettled(pending);
  }

  async close(): Promise<void> {
    await this.opts.client.close?.();
  }
}
