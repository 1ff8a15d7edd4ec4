/**
 * The mock over real HTTP: a thin node:http server in front of the MSW handlers.
 *
 * Every request body is buffered (capped at maxBodyBytes → 413) and gets an AbortSignal that
 * fires when the client goes away before its response is finished, so waiting replies and
 * streams stop generating. Responses are written with a content-length (JSON) or streamed
 * with backpressure (SSE).
 *
 * Dispatch (`dispatch` option):
 * - 'direct' (default): POST …/chat/completions, the hot path, calls the same route function
 *   the MSW handler wraps (core/chat.ts) without building Fetch Request/Response objects;
 *   every other route goes through msw's `getResponse(handlers, request)`. Same behaviour,
 *   several times the throughput (msw clones each request, parses cookies, and Node 20's web
 *   streams are costly; see bench/mock-throughput.ts).
 * - 'msw': every request goes through `getResponse`, exactly as the handlers are exported.
 * No setupServer/interceptors run in this process either way.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse } from 'msw';
import { ConfigError, type Issue } from '../src/errors.js';
import { anthropicMessages, chatCompletions, dashscopeNative, notFoundReply, payloadTooLargeReply, serverErrorReply } from './core/chat.js';
import { MockCore, type MockCoreOptions } from './core/core.js';
import type { Reply } from './core/reply.js';
import { DIALECT_NAMES, type DialectName } from './dialects/index.js';
import { CHAT_COMPLETIONS_PATH, createHandlers, DASHSCOPE_NATIVE_PATH, MESSAGES_PATH } from './handlers.js';
import { connectRedisStore, type LimiterStore } from './store/index.js';

export { MockCore, createMockCore, type MockCoreOptions, type ChatAdmission, type Ticket, type ResolvedModel, type MockSettings } from './core/core.js';
export type { MockState, ModelState, RejectionClass } from './core/state.js';
export { REJECTION_CLASSES } from './core/state.js';
export type { LatencyModel } from './core/latency.js';
export type { BucketStore, BucketState, BucketView } from './core/bucket.js';
export { MemoryBucketStore } from './core/bucket.js';
export { createHandlers } from './handlers.js';
export { Referee, refereeRows, refereeCsv, REFEREE_COLUMNS, type TenantLedger, type RefereeRow, type RefereeColumn } from './core/referee.js';
export { DIALECT_NAMES, type DialectName } from './dialects/index.js';
export { parseFaultSpec, parseOverloadCapacity, parseOverloadWindow, parseApiKeySpec, parseLimiterStore, parseStoreFailure, parseStoreInstances } from './cli-options.js';
export { inProcess, readSse, type InProcessMock } from './testing.js';
export * from './store/index.js';
export type { TenantConfig, LimitChange } from './core/core.js';
export type { LimitValues, Enforcement } from './core/rules.js';
export type { OverloadOptions, FaultRule, FaultKind, CapacityModel, OverloadWindow } from './core/faults.js';
export { getProfile, profileNames, type Profile, type ModelProfile } from './profiles/index.js';

export interface MockServerOptions extends Omit<MockCoreOptions, 'limiterStore'> {
  /**
   * Where limiter state lives: 'memory' (default, this process only), `redis://HOST:PORT`
   * (shared by every mock instance on that Redis; ioredis is loaded only then), or a
   * LimiterStore object (the server does not close it).
   */
  limiterStore?: 'memory' | string | LimiterStore;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Wire dialect (default: the profile's). */
  dialect?: DialectName;
  /** 'direct' (default): chat completions skip msw's per-request machinery; 'msw': everything through getResponse. */
  dispatch?: 'direct' | 'msw';
}

export interface MockServer {
  /** `http://HOST:PORT` (no path); OpenAI clients use `${url}/v1`. */
  url: string;
  port: number;
  core: MockCore;
  /** Stops listening, ends every open connection (keep-alive included) and every stream. */
  close(): Promise<void>;
}

function sendReply(res: ServerResponse, r: Reply, closeConnection = false): void {
  if (closeConnection) r.headers['connection'] = 'close';
  writeReply(res, r).catch(() => res.destroy());
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Whether `host` binds only the loopback interface. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Reads the body up to `max` bytes: the bytes, 'over' (larger; the rest is drained), or 'aborted'. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'over' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve('over');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', () => resolve('aborted'));
    req.on('aborted', () => resolve('aborted'));
  });
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      resolve();
    };
    res.on('drain', go);
    res.on('close', go);
  });
}

/** Writes a Reply: JSON with a content-length in one write; streams chunk by chunk with backpressure. */
async function writeReply(res: ServerResponse, r: Reply): Promise<void> {
  if (res.destroyed) {
    if ('stream' in r) r.stream.cancel();
    return;
  }
  if ('body' in r) {
    if (r.fault === 'reset') {
      res.socket?.destroy();
      res.destroy();
      return;
    }
    if (r.status === 499) return; // the client is gone
    r.headers['content-length'] = String(Buffer.byteLength(r.body));
    res.writeHead(r.status, r.headers);
    res.end(r.body);
    return;
  }
  const src = r.stream;
  const onClose = () => {
    if (!res.writableFinished) src.cancel();
  };
  res.on('close', onClose);
  res.writeHead(r.status, r.headers);
  try {
    for (;;) {
      const chunk = await src.next();
      if (chunk === undefined || res.destroyed) break;
      if (!res.write(chunk)) await waitDrain(res);
    }
    if (src.cut) res.destroy();
    else if (!res.destroyed) res.end();
  } finally {
    res.off('close', onClose);
  }
}

/** Writes a Fetch Response (the msw path). */
async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (response.type === 'error') {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const ct = headers['content-type'] ?? '';
  if (!response.body || !ct.startsWith('text/event-stream')) {
    const buf = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
    if (res.destroyed) return;
    headers['content-length'] = String(buf ? buf.length : 0);
    res.writeHead(response.status, headers);
    res.end(buf);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel().catch(() => {});
  };
  res.on('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) await waitDrain(res);
    }
    if (!res.destroyed) res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function rawHeaderPairs(req: IncomingMessage): [string, string][] {
  const raw = req.rawHeaders;
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

export async function createMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  const issues: Issue[] = [];
  if (opts.dialect !== undefined && !DIALECT_NAMES.includes(opts.dialect)) issues.push({ path: 'dialect', expected: `one of ${DIALECT_NAMES.join(', ')}`, found: JSON.stringify(opts.dialect) });
  const bindHost = opts.host ?? '127.0.0.1';
  if (!isLoopback(bindHost) && !opts.adminToken) {
    issues.push({ path: 'adminToken', expected: `an admin token for the control API when binding a non-loopback address (${bindHost})`, found: 'none' });
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) issues.push({ path: 'port', expected: 'an integer 0–65535', found: String(port) });
  const dispatch = opts.dispatch ?? 'direct';
  if (dispatch !== 'direct' && dispatch !== 'msw') issues.push({ path: 'dispatch', expected: "'direct' or 'msw'", found: JSON.stringify(dispatch) });
  if (issues.length) throw new ConfigError('invalid mock server options', issues);
  const host = bindHost;
  const { limiterStore: storeOpt, ...coreOpts } = opts;
  let ownedStore: LimiterStore | undefined;
  let limiterStore: LimiterStore | undefined;
  if (typeof storeOpt === 'string' && storeOpt !== 'memory') {
    const { parseRedisUrl } = await import('./store/redis.js');
    parseRedisUrl(storeOpt);
    ownedStore = limiterStore = await connectRedisStore(storeOpt);
  } else if (typeof storeOpt === 'object') limiterStore = storeOpt;
  let core: MockCore;
  try {
    core = new MockCore(limiterStore ? { ...coreOpts, limiterStore } : coreOpts);
  } catch (e) {
    await ownedStore?.close();
    throw e;
  }
  const handlers = createHandlers(core);
  const maxBody = core.settings.maxBodyBytes;
  const live = new Set<AbortController>();
  let origin = '';

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const declared = Number(req.headers['content-length']);
    if (declared > maxBody) {
      req.resume();
      sendReply(res, payloadTooLargeReply(core, declared), true);
      return;
    }
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      const b = await readBody(req, maxBody);
      if (b === 'aborted') return;
      if (b === 'over') {
        sendReply(res, payloadTooLargeReply(core, undefined), true);
        return;
      }
      body = b;
    }

    const ac = new AbortController();
    live.add(ac);
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
      live.delete(ac);
    });

    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);

    const chat = dispatch === 'direct' && method === 'POST' ? (CHAT_COMPLETIONS_PATH.test(path) ? chatCompletions : MESSAGES_PATH.test(path) ? anthropicMessages : DASHSCOPE_NATIVE_PATH.test(path) ? dashscopeNative : undefined) : undefined;
    if (chat) {
      let reply: Reply;
      try {
        reply = await chat(core, body ? body.toString('utf8') : '', ac.signal, { header: (n) => headerOf(req, n), path });
      } catch {
        reply = serverErrorReply(core);
      }
      await writeReply(res, reply);
      return;
    }

    let response: Response | undefined;
    try {
      const request = new Request(origin + url, {
        method,
        headers: rawHeaderPairs(req),
        body: body && body.length > 0 ? (new Uint8Array(body.buffer, body.byteOffset, body.length) as Uint8Array<ArrayBuffer>) : null,
        signal: ac.signal,
      });
      response = await getResponse(handlers, request);
    } catch {
      if (!res.headersSent && !res.destroyed) sendReply(res, serverErrorReply(core));
      return;
    }
    if (res.destroyed) {
      await response?.body?.cancel().catch(() => {});
      return;
    }
    if (!response) {
      sendReply(res, notFoundReply(core, method, path));
      return;
    }
    await writeResponse(res, response);
  };

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) sendReply(res, serverErrorReply(core));
      else res.destroy();
    });
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: load tests open thousands of connections at once.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  origin = `http://${shownHost}:${addr.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    port: addr.port,
    core,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const ac of live) ac.abort();
        server.close(() => {
          if (ownedStore) ownedStore.close().then(() => resolve(), () => resolve());
          else resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
