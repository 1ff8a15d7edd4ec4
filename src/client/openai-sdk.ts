/**
 * `client.kind: openai-sdk`: each request goes through the official `openai` npm package
 * (`client.chat.completions.create`), with the SDK's own retry logic (maxRetries 2 by default,
 * its backoff, its Retry-After rule, x-should-retry). The harness observes every HTTP attempt
 * through the SDK's `fetch` option (openai-sdk-fetch.ts) and records each as its own attempt;
 * the mock's referee sees the SDK's x-stainless-retry-count headers. `openai` is loaded with a
 * dynamic import, so it stays an optional (peer) dependency: install it to use this client.
 */
import type { Clock } from '../clock.js';
import type { AttemptResult, Dispatch, PlannedRequest } from '../exec/ports.js';
import type { Dialect } from '../metrics/classify.js';
import { instrumentedFetch, type FetchFn } from './openai-sdk-fetch.js';

export interface OpenAiSdkDispatchOptions {
  /** OpenAI-compatible base URL including /v1. */
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  dialect?: Dialect;
  clock: Clock;
  /** Per attempt (the SDK's `timeout`). */
  timeoutMs: number;
  /** The SDK's maxRetries (default: the SDK's own, 2). */
  maxRetries?: number;
  /** Tests: the fetch underneath (default global fetch). */
  fetch?: FetchFn;
}

interface OpenAiLike {
  chat: { completions: { create(body: unknown, opts?: { signal?: AbortSignal; fetchOptions?: unknown }): Promise<unknown> } };
}
type OpenAiCtor = new (opts: Record<string, unknown>) => OpenAiLike;

let ctor: Promise<OpenAiCtor> | undefined;
async function loadOpenAi(): Promise<OpenAiCtor> {
  ctor ??= import('openai').then(
    (m) => (m as unknown as { default: OpenAiCtor }).default,
    () => {
      throw new Error('client.kind openai-sdk needs the `openai` npm package: npm install openai');
    },
  );
  return ctor;
}

export class OpenAiSdkDispatch implements Dispatch {
  constructor(private readonly opts: OpenAiSdkDispatchOptions) {}

  /** One attempt only (maxRetries 0): for callers that drive retries themselves. */
  async send(req: PlannedRequest, _attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    let last: AttemptResult | undefined;
    await this.run(req, signal, (_a, r) => (last = r), 0);
    return last ?? { promptTokensEstimate: req.promptTokens, maxTokens: req.maxTokens, endMs: this.opts.clock.now(), outcome: 'network_error', errorCode: 'E_NO_ATTEMPT' };
  }

  sendWithOwnRetries(req: PlannedRequest, signal: AbortSignal, onAttempt: (attempt: number, result: AttemptResult) => void): Promise<void> {
    return this.run(req, signal, onAttempt, this.opts.maxRetries);
  }

  private async run(req: PlannedRequest, signal: AbortSignal, sink: (attempt: number, r: AttemptResult) => void, maxRetries: number | undefined): Promise<void> {
    const OpenAI = await loadOpenAi();
    const pending: Promise<void>[] = [];
    const fetch = instrumentedFetch({ req, clock: this.opts.clock, dialect: this.opts.dialect ?? 'openai', sink, pending, base: this.opts.fetch });
    const client = new OpenAI({
      baseURL: this.opts.baseUrl,
      apiKey: this.opts.apiKey ?? 'limitprobe-no-key',
      timeout: this.opts.timeoutMs,
      fetch,
      defaultHeaders: this.opts.headers,
      ...(maxRetries !== undefined ? { maxRetries } : {}),
    });
    const body = {
      model: req.model,
      messages: req.messages,
      max_tokens: req.maxTokens,
      stream: req.stream,
      ...(req.stream ? { stream_options: { include_usage: true } } : {}),
    };
    try {
      const out = await client.chat.completions.create(body, { signal });
      if (req.stream && out && typeof (out as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
        for await (const _chunk of out as AsyncIterable<unknown>) {
          /* drain: the attempt's record comes from the clone */
        }
      }
    } catch {
      // The SDK gave up (or the error was fatal): every attempt is already reported.
    }
    await Promise.allSettled(pending);
  }
}
