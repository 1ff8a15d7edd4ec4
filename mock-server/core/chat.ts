/**
 * The chat routes' logic, independent of transport: the shared pipeline (auth → body size →
 * validation → model → spend budget → overload → transport fault → admission) and the
 * OpenAI-family replies (JSON or SSE, generation paced on the core's clock). The Anthropic
 * replies live in anthropic-reply.ts; the control routes in control.ts. MSW handlers and the
 * node:http server both call these. Every attempt is shown to the referee.
 */
import { SSE_DONE_FRAME } from '../../src/protocol/sse.js';
import { PROCESSING_MS_HEADER, type ChatCompletion, type ModelList, type Usage } from '../../src/protocol/openai.js';
import { countPromptTokens } from '../../src/tokens/count.js';
import type { AdmissionInput } from './admission.js';
import { anthropicJson, anthropicStream } from './anthropic-reply.js';
import type { ChatAdmission, MockCore, Tenant, Ticket } from './core.js';
import type { LimitsView } from './dialect-openai.js';
import { completionMs, tokensDueBy } from './latency.js';
import { completionText, wordOffset } from './output.js';
import { nextDue, stallFor } from './pacing.js';
import { fingerprint } from './referee.js';
import { faultyJson, JSON_CT, SSE_CT, type Reply, type ReplyStream } from './reply.js';
import { validateChatBody, type ValidationResult } from './validate.js';
import { validateAnthropicBody } from './validate-anthropic.js';
import { nativeSuccess, toNativeError, validateNativeBody } from './dashscope-native.js';
import { errorReply, rateLimitedContext, rateLimitHeadersFor, retryAfterHeaders } from './wire.js';
import { storeOutageReply } from '../store/outage.js';

export { controlState, controlReset } from './control.js';

/** What the transport knows about the request besides its body. */
export interface RequestMeta {
  /** Header lookup (lower-case names). */
  header?: (name: string) => string | null | undefined;
  /** URL path (Azure takes the deployment from it). */
  path?: string;
}

export type Family = 'openai' | 'anthropic' | 'dashscope-native';

/** UTF-8 size of `text` when it exceeds `max`, else undefined (cheap for small bodies). */
export function byteLengthOver(text: string, max: number): number | undefined {
  if (text.length <= max / 3) return undefined; // UTF-8 is at most 3 bytes per UTF-16 unit
  const n = Buffer.byteLength(text, 'utf8');
  return n > max ? n : undefined;
}

export function baseHeaders(core: MockCore, index: number | undefined): Record<string, string> {
  const d = core.dialect;
  const h: Record<string, string> = {};
  if (d.name === 'openai' || d.name === 'groq') {
    h['openai-organization'] = core.settings.org;
    h['openai-version'] = '2020-10-01';
  } else if (d.name === 'anthropic') h['anthropic-organization-id'] = core.settings.org;
  if (index !== undefined) h[d.requestIdHeader] = core.requestId(index);
  return h;
}

function usageOf(t: Ticket, completion: number): Usage {
  return {
    prompt_tokens: t.promptTokens,
    completion_tokens: completion,
    total_tokens: t.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** The API key as the dialect carries it (`authorization: Bearer …`, `api-key`, `x-api-key`). */
export function presentedKey(core: MockCore, header: RequestMeta['header']): string | undefined {
  if (!header) return undefined;
  for (const name of core.dialect.authHeaders) {
    const v = header(name);
    if (v === null || v === undefined || v === '') continue;
    if (name === 'authorization') {
      const m = /^Bearer\s+(.+)$/i.exec(v);
      if (m) return m[1]!.trim();
      continue;
    }
    return v;
  }
  return undefined;
}

const AZURE_DEPLOYMENT = /\/openai\/deployments\/([^/]+)\//;
const trim3 = (x: number) => Math.round(x * 1000) / 1000;

interface Decided {
  reply: Reply;
  /** Retrying cannot help. */
  fatal: boolean;
}

function rejection(core: MockCore, a: Extract<ChatAdmission, { ok: false }>, model: string, tenant: Tenant): Decided {
  const d = a.decision;
  const D = core.dialect;
  const E = D.errors;
  const h = baseHeaders(core, a.index);
  const requestId = core.requestId(a.index);
  const org = core.settings.org;
  const withLimits = (limits: LimitsView) => {
    if (D.headers.on429 && !core.settings.dropRateLimitHeadersOn429) {
      const m = core.resolveModel(model);
      rateLimitHeadersFor(D, { limits, rules: m && D.headers.style === 'anthropic' ? core.ruleViews(m, tenant) : {}, epochNow: core.epochMsAt(core.clock.now()) }, h);
    }
  };
  switch (d.kind) {
    case 'rate_limited': {
      withLimits(d.limits);
      const c = rateLimitedContext(d, model, org, requestId);
      retryAfterHeaders(D, c.waitMs, h);
      return { reply: errorReply(E.rateLimited(c), h), fatal: false };
    }
    case 'request_too_large':
      withLimits(d.limits);
      return { reply: errorReply(E.requestTooLarge({ model, org, rule: d.rule ?? 'tpm', limit: trim3(d.limit), requested: d.requested, requestId }), h), fatal: true };
    case 'context_exceeded': {
      const c: Parameters<typeof E.contextExceeded>[0] = { model, contextWindow: d.contextWindow, promptTokens: d.promptTokens, requestId };
      if (d.maxTokens !== undefined) c.maxTokens = d.maxTokens;
      if (d.maxInputTokens !== undefined) c.maxInputTokens = d.maxInputTokens;
      return { reply: errorReply(E.contextExceeded(c), h), fatal: true };
    }
    case 'max_tokens_too_large':
      return { reply: errorReply(E.maxTokensTooLarge({ model, param: d.param, value: d.value, max: d.max, requestId }), h), fatal: true };
  }
}

/**
 * POST …/chat/completions (OpenAI, Groq, Azure, DashScope dialects). `signal` fires when the
 * client goes away: a waiting JSON reply or a stream stops and the tokens generated so far
 * are what the core is told. Never throws for bad input.
 */
export function chatCompletions(core: MockCore, text: string, signal?: AbortSignal, meta?: RequestMeta): Promise<Reply> {
  return route(core, 'openai', text, signal, meta);
}

/** POST /api/v1/services/aigc/text-generation/generation (DashScope native, JSON only). */
export async function dashscopeNative(core: MockCore, text: string, signal?: AbortSignal, meta?: RequestMeta): Promise<Reply> {
  const r = await route(core, 'dashscope-native', text, signal, meta);
  if (!('body' in r) || r.fault || r.status === 499 || r.status < 400) return r;
  return toNativeError(r, r.headers[core.dialect.requestIdHeader] ?? '');
}

/** POST /v1/messages (Anthropic dialect). */
export function anthropicMessages(core: MockCore, text: string, signal?: AbortSignal, meta?: RequestMeta): Promise<Reply> {
  return route(core, 'anthropic', text, signal, meta);
}

function advisedMs(h: Record<string, string>): number | undefined {
  const ms = h['retry-after-ms'];
  if (ms !== undefined) return Number(ms);
  const s = h['retry-after'];
  return s !== undefined ? Number(s) * 1000 : undefined;
}

async function route(core: MockCore, family: Family, text: string, signal: AbortSignal | undefined, meta: RequestMeta | undefined): Promise<Reply> {
  const header = meta?.header;
  const tenant = core.authenticate(core.authRequired ? presentedKey(core, header) : undefined);
  const rc = header?.('x-stainless-retry-count');
  const ik = header?.('idempotency-key') ?? header?.('x-idempotency-key');
  const attempt = core.referee.arrive({
    tenant: tenant?.name ?? 'unauthenticated',
    fingerprint: fingerprint(family, text),
    ...(rc !== undefined && rc !== null && /^\d+$/.test(rc) ? { retryCount: Number(rc) } : {}),
    ...(ik ? { idempotencyKey: ik } : {}),
  });
  let d: Decided;
  try {
    d = await decide(core, family, text, signal, meta, tenant);
  } catch (e) {
    attempt.answer({ status: 500 });
    throw e;
  }
  const r = d.reply;
  if (r.status !== 499 && !('fault' in r && r.fault)) {
    const ra = advisedMs(r.headers);
    attempt.answer({ status: r.status, ...(ra !== undefined ? { retryAfterMs: ra } : {}), fatal: d.fatal });
  } else if ('fault' in r && r.fault) attempt.answer({ status: 0 });
  return r;
}

async function decide(core: MockCore, family: Family, text: string, signal: AbortSignal | undefined, meta: RequestMeta | undefined, tenant: Tenant | undefined): Promise<Decided> {
  const t0 = performance.now();
  const D = core.dialect;
  const E = D.errors;
  if (!tenant) {
    core.reject('unauthorized');
    const idx = core.nextRequestIndex();
    return { reply: errorReply(E.unauthorized({ presented: presentedKey(core, meta?.header), requestId: core.requestId(idx) }), baseHeaders(core, idx)), fatal: true };
  }
  const over = byteLengthOver(text, core.settings.maxBodyBytes);
  if (over !== undefined) {
    core.reject('payload_too_large');
    return { reply: errorReply(E.payloadTooLarge({ bytes: over, max: core.settings.maxBodyBytes }), baseHeaders(core, undefined)), fatal: true };
  }
  const v: ValidationResult = family === 'anthropic' ? validateAnthropicBody(text) : family === 'dashscope-native' ? validateNativeBody(text) : validateChatBody(text);
  if (!v.ok) {
    core.reject('bad_request');
    return { reply: errorReply(E.badRequest({ ...v.error, requestId: '' }), baseHeaders(core, undefined)), fatal: true };
  }
  const req = v.request;
  let modelId = req.model;
  if (modelId === undefined && D.name === 'azure' && meta?.path) modelId = AZURE_DEPLOYMENT.exec(meta.path)?.[1];
  modelId ??= core.defaultModel.id;
  const model = core.resolveModel(modelId);
  if (!model) {
    core.reject('not_found');
    return { reply: errorReply(E.modelNotFound({ model: modelId, requestId: '' }), baseHeaders(core, undefined)), fatal: true };
  }
  let index: number | undefined;
  if (core.overBudget(tenant)) {
    core.reject('quota_exceeded', model.id);
    index = core.nextRequestIndex();
    return { reply: errorReply(E.quotaExceeded({ requestId: core.requestId(index) }), baseHeaders(core, index)), fatal: true };
  }
  let slowdown = 1;
  if (core.overload) {
    index = core.nextRequestIndex();
    const o = core.overloadFor(index);
    if (o.overloaded) {
      core.reject('overloaded', model.id);
      const c: { requestId: string; status?: number } = { requestId: core.requestId(index) };
      if (o.status !== undefined) c.status = o.status;
      return { reply: errorReply(E.overloaded(c), baseHeaders(core, index)), fatal: false };
    }
    slowdown = o.slowdown;
  }
  let fault: Ticket['fault'];
  if (core.faults) {
    index ??= core.nextRequestIndex();
    fault = core.faultFor(index);
    if (fault?.kind === 'reset') return { reply: { status: 0, headers: {}, body: '', fault: 'reset' }, fatal: false };
    if (fault?.kind === 'slow-first-byte') {
      try {
        await core.scheduler.sleepUntil(core.clock.now() + (fault.ms ?? 5000), signal);
      } catch {
        return { reply: { status: 499, headers: {}, body: '' }, fatal: false };
      }
    }
  }

  const input: AdmissionInput = { promptTokens: countPromptTokens(req.messages, model.id), maxTokensParam: req.maxTokensParam, n: req.n };
  if (req.maxTokens !== undefined) input.maxTokens = req.maxTokens;
  if (core.settings.tokenEstimate === 'chars/4') {
    let chars = 0;
    for (const m of req.messages) chars += m.content.length;
    input.estimateTokens = Math.ceil(chars / 4);
  }
  const a = core.shared ? await core.admitShared(model, input, tenant, index, slowdown) : core.admit(model, input, tenant, index, slowdown);
  if (!a.ok) {
    if ('outage' in a) return { reply: storeOutageReply(a.store, a.error, baseHeaders(core, a.index)), fatal: false };
    return rejection(core, a, model.id, tenant);
  }

  const t = a.ticket;
  const cpuMs = performance.now() - t0;
  if (fault) t.fault = fault;
  if (req.stream && core.settings.flushHeadersAt === 'ttft') {
    try {
      await core.scheduler.sleepUntil(t.admittedAt + t.timing.ttftMs, signal);
    } catch {
      core.finish(t, 0, true);
      return { reply: { status: 499, headers: {}, body: '' }, fatal: false };
    }
  }
  const h = baseHeaders(core, a.index);
  rateLimitHeadersFor(D, { limits: t.limits, rules: D.headers.style === 'anthropic' ? core.ruleViews(model, tenant) : {}, epochNow: core.epochMsAt(core.clock.now()) }, h);
  if (family === 'openai') h[PROCESSING_MS_HEADER] = String(Math.round(completionMs(t.timing, t.completionTokens)));
  h['server-timing'] = `mock;dur=${cpuMs.toFixed(3)}`;
  let reply: Reply;
  if (family === 'anthropic') reply = req.stream ? anthropicStream(core, t, h, signal) : await anthropicJson(core, t, h, signal);
  else if (family === 'dashscope-native') {
    if (!(await awaitCompletion(core, t, signal))) return { reply: { status: 499, headers: {}, body: '' }, fatal: false };
    h['content-type'] = JSON_CT;
    const n = t.completionTokens;
    reply = { status: 200, headers: h, body: nativeSuccess(completionText(wordOffset(core.settings.seed, t.index), 0, n), t.finishReason, t.promptTokens, n, core.requestId(t.index)) };
  }
  else reply = req.stream ? streamed(core, t, h, req.includeUsage, signal) : await json(core, t, h, signal);
  return { reply, fatal: false };
}

/** Waits until the whole completion is due; false when the client went away (then the core was told). */
export async function awaitCompletion(core: MockCore, t: Ticket, signal: AbortSignal | undefined): Promise<boolean> {
  const n = t.completionTokens;
  const doneAt = t.admittedAt + completionMs(t.timing, n);
  if (core.clock.now() < doneAt) {
    try {
      await core.scheduler.sleepUntil(doneAt, signal);
    } catch {
      core.finish(t, tokensDueBy(t.timing, core.clock.now() - t.admittedAt, n), true);
      return false;
    }
  }
  core.finish(t, n);
  return true;
}

/** Applies a JSON-level fault (stall after headers, cut half-way) to a finished JSON reply. */
export function jsonWithFault(core: MockCore, t: Ticket, r: { status: number; headers: Record<string, string>; body: string }, signal: AbortSignal | undefined): Reply {
  const f = t.fault;
  if (!f || (f.kind !== 'stall' && f.kind !== 'cut')) return r;
  const sleep = (x: number, s?: AbortSignal) => core.scheduler.sleepUntil(x, s);
  return faultyJson(r, f.kind === 'stall' ? { stallUntil: f.ms === undefined ? Infinity : core.clock.now() + f.ms } : { cut: true }, sleep, signal);
}

async function json(core: MockCore, t: Ticket, h: Record<string, string>, signal: AbortSignal | undefined): Promise<Reply> {
  const n = t.completionTokens;
  if (!(await awaitCompletion(core, t, signal))) return { status: 499, headers: {}, body: '' };
  const body: ChatCompletion = {
    id: core.completionId(t.index),
    object: 'chat.completion',
    created: core.created(),
    model: t.model.id,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completionText(wordOffset(core.settings.seed, t.index), 0, n), refusal: null },
        logprobs: null,
        finish_reason: t.finishReason,
      },
    ],
    usage: usageOf(t, n),
    system_fingerprint: null,
  };
  h['content-type'] = JSON_CT;
  return jsonWithFault(core, t, { status: 200, headers: h, body: JSON.stringify(body) }, signal);
}

const MALFORMED_FRAME = 'data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n';
const OPENAI_STREAM_ERROR = 'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n';

/**
 * SSE reply: the role chunk at once (headers flush at admission), then every token as it
 * becomes due (`streamChunkTokens` per event), the finish chunk, the usage chunk when asked,
 * and `data: [DONE]`. One wake-up per chunk; a late wake-up sends everything due in one write.
 * Faults: stall (after the role chunk), cut / malformed line / error event after `afterTokens`.
 */
function streamed(core: MockCore, t: Ticket, h: Record<string, string>, includeUsage: boolean, signal: AbortSignal | undefined): Reply {
  const n = t.completionTokens;
  const per = core.settings.streamChunkTokens;
  const offset = wordOffset(core.settings.seed, t.index);
  const usageTail = includeUsage ? ',"usage":null}' : '}';
  const head = `data: {"id":${JSON.stringify(core.completionId(t.index))},"object":"chat.completion.chunk","created":${core.created()},"model":${JSON.stringify(t.model.id)},"system_fingerprint":null,"choices":[`;
  const tokenOpen = `${head}{"index":0,"delta":{"content":"`;
  const tokenClose = `"},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;
  const roleFrame = `${head}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${usageTail}\n\n`;
  const fault = t.fault;
  const faultAt = fault ? Math.min(n, fault.afterTokens ?? Math.floor(n / 2)) : -1;
  let faultDone = false;

  let sent = 0;
  let started = false;
  let stalled = false;
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    core.finish(t, sent, true);
  };
  const tail = () => {
    let s = `${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"${t.finishReason}"}]${usageTail}\n\n`;
    if (includeUsage) s += `${head}],"usage":${JSON.stringify(usageOf(t, n))}}\n\n`;
    return s + SSE_DONE_FRAME;
  };

  const stream: ReplyStream = {
    async next() {
      if (closed) return undefined;
      if (!started) {
        started = true;
        return roleFrame;
      }
      if (fault?.kind === 'stall' && !stalled) {
        stalled = true;
        if (!(await stallFor(core, fault.ms, signal))) {
          stop();
          return undefined;
        }
      }
      for (;;) {
        if (!faultDone && sent >= faultAt && fault && (fault.kind === 'cut' || fault.kind === 'malformed-sse' || fault.kind === 'error-event')) {
          faultDone = true;
          if (fault.kind === 'malformed-sse') return MALFORMED_FRAME;
          stop();
          if (fault.kind === 'cut') {
            stream.cut = true;
            return undefined;
          }
          return OPENAI_STREAM_ERROR;
        }
        const dueNow = await nextDue(core, t, sent, per, signal);
        if (dueNow === undefined) {
          stop();
          return undefined;
        }
        if (closed) return undefined;
        let due = dueNow;
        if (!faultDone && faultAt >= 0 && fault && fault.kind !== 'stall' && due > faultAt && sent < faultAt) due = faultAt;
        let s = '';
        while (sent < due) {
          const k = Math.min(per, due - sent);
          if (k < per && due < n && due !== faultAt) break; // a partial chunk waits for its last token
          s += tokenOpen + completionText(offset, sent, k) + tokenClose;
          sent += k;
        }
        core.progress(t, sent);
        if (sent >= n && (faultDone || !fault || fault.kind === 'stall' || faultAt > n)) {
          closed = true;
          core.finish(t, n);
          return s + tail();
        }
        if (s) return s;
      }
    },
    cancel: stop,
  };
  h['content-type'] = SSE_CT;
  h['cache-control'] = 'no-cache';
  return { status: 200, headers: h, stream };
}

const MODELS_CREATED = 1_717_200_000; // fixed: model objects do not change per request

export function modelList(core: MockCore): Reply {
  const ordered = [core.defaultModel.profile, ...core.profile.models.filter((m) => m.id !== core.defaultModel.id)];
  if (core.dialect.family === 'anthropic') {
    const data = ordered.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: new Date(MODELS_CREATED * 1000).toISOString() }));
    return { status: 200, headers: { 'content-type': JSON_CT }, body: JSON.stringify({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }) };
  }
  const list: ModelList = {
    object: 'list',
    data: ordered.map((m) => ({ id: m.id, object: 'model', created: MODELS_CREATED, owned_by: m.ownedBy ?? 'limitprobe' })),
  };
  return { status: 200, headers: { 'content-type': JSON_CT }, body: JSON.stringify(list) };
}

export function serverErrorReply(core: MockCore): Reply {
  core.reject('server_error');
  return errorReply(core.dialect.errors.serverError({ requestId: '' }), {});
}

/** The dialect's 404 for an unknown route. */
export function notFoundReply(core: MockCore, method: string, path: string): Reply {
  core.reject('not_found');
  return errorReply(core.dialect.errors.invalidUrl({ method, path }), {});
}

/** The dialect's 413. */
export function payloadTooLargeReply(core: MockCore, bytes: number | undefined): Reply {
  core.reject('payload_too_large');
  return errorReply(core.dialect.errors.payloadTooLarge({ bytes, max: core.settings.maxBodyBytes }), {});
}
