/**
 * The mock over real HTTP: a thin node:http server in front of msw's `getResponse`. Each
 * request becomes a Fetch Request (body buffered, size-capped; an AbortSignal that fires when
 * the client goes away before the response is finished, so streams stop generating), and the
 * Response is written back with backpressure. No setupServer/interceptors in this process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse } from 'msw';
import { ConfigError } from '../src/errors.js';
import { MockCore, type MockCoreOptions } from './core/core.js';
import * as dialect from './core/dialect-openai.js';
import { createHandlers } from './handlers.js';

export { MockCore, createMockCore, type MockCoreOptions, type ChatAdmission, type Ticket, type ResolvedModel, type MockSettings } from './core/core.js';
export type { MockState, ModelState, RejectionClass } from './core/state.js';
export { REJECTION_CLASSES } from './core/state.js';
export type { LatencyModel } from './core/latency.js';
export type { BucketStore, BucketState, BucketView } from './core/bucket.js';
export { MemoryBucketStore } from './core/bucket.js';
export { createHandlers } from './handlers.js';
export { getProfile, profileNames, type Profile, type ModelProfile } from './profiles/index.js';

export interface MockServerOptions extends MockCoreOptions {
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Wire dialect; only 'openai' exists so far. */
  dialect?: 'openai';
}

export interface MockServer {
  /** `http://HOST:PORT` (no path); OpenAI clients use `${url}/v1`. */
  url: string;
  port: number;
  core: MockCore;
  /** Stops listening, ends every open connection (keep-alive included) and every stream. */
  close(): Promise<void>;
}

function send(res: ServerResponse, w: dialect.WireResponse, closeConnection = false): void {
  const body = Buffer.from(w.body);
  w.headers['content-length'] = String(body.length);
  if (closeConnection) w.headers['connection'] = 'close';
  res.writeHead(w.status, w.headers);
  res.end(body);
}

function headersOf(req: IncomingMessage): [string, string][] {
  const raw = req.rawHeaders;
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Reads the body up to `max` bytes; undefined (and the request drained) when larger. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined | 'aborted'> {
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
        resolve(undefined);
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

export async function createMockServer(opts: MockServerOptions = {}): Promise<MockServer> {
  if (opts.dialect !== undefined && opts.dialect !== 'openai') {
    throw new ConfigError('unsupported mock dialect', [{ path: 'dialect', expected: "'openai'", found: JSON.stringify(opts.dialect) }]);
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('invalid mock server options', [{ path: 'port', expected: 'an integer 0–65535', found: String(port) }]);
  }
  const host = opts.host ?? '127.0.0.1';
  const core = new MockCore(opts);
  const handlers = createHandlers(core);
  const maxBody = core.settings.maxBodyBytes;
  const live = new Set<AbortController>();
  let origin = '';

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const declared = Number(req.headers['content-length']);
    if (declared > maxBody) {
      core.reject('payload_too_large');
      req.resume();
      send(res, dialect.payloadTooLarge(declared, maxBody), true);
      return;
    }
    let body: Buffer | undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      const b = await readBody(req, maxBody);
      if (b === 'aborted') return;
      if (b === undefined) {
        core.reject('payload_too_large');
        send(res, dialect.payloadTooLarge(undefined, maxBody), true);
        return;
      }
      body = b;
    }

    const ac = new AbortController();
    live.add(ac);
    const onClose = () => {
      if (!res.writableFinished) ac.abort();
      live.delete(ac);
    };
    res.on('close', onClose);

    let response: Response | undefined;
    try {
      const request = new Request(origin + (req.url ?? '/'), {
        method,
        headers: headersOf(req),
        body: body && body.length > 0 ? (new Uint8Array(body.buffer, body.byteOffset, body.length) as Uint8Array<ArrayBuffer>) : null,
        signal: ac.signal,
      });
      response = await getResponse(handlers, request);
    } catch {
      core.reject('server_error');
      if (!res.headersSent && !res.destroyed) send(res, dialect.serverError());
      return;
    }
    if (res.destroyed) {
      await response?.body?.cancel().catch(() => {});
      return;
    }
    if (!response) {
      core.reject('not_found');
      send(res, dialect.invalidUrl(method, (req.url ?? '/').split('?')[0]!));
      return;
    }
    await writeResponse(response, res, ac.signal);
  };

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) send(res, dialect.serverError());
      else res.destroy();
    });
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
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
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function writeResponse(response: Response, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const ct = headers['content-type'] ?? '';
  if (!response.body || !ct.startsWith('text/event-stream')) {
    // Small bodies (JSON): one write with a content-length.
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
  const cancel = () => {
    reader.cancel().catch(() => {});
  };
  if (signal.aborted) return cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
    }
    if (!res.destroyed) res.end();
  } catch {
    res.destroy();
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
