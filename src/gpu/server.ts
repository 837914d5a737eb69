/**
 * The GPU-host HTTP server (protocol v1, docs/gpu-host-protocol.md) on Node's `http`: a
 * dozen routes need no framework. Every answer carries the request id; errors are JSON
 * `{error: {code, message, requestId, problems?}}` with the status of `PROTOCOL_ERRORS`.
 *
 * Limits: bodies over `maxBodyBytes` are refused with 413 before they are read (by
 * Content-Length) or as soon as the stream passes the limit; each model has a bounded queue
 * (503 BUSY + Retry-After beyond it). `close()` shuts down gracefully: new requests get 503
 * SHUTTING_DOWN, admitted ones finish, then sessions are released.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Real2SimError } from '../model/errors.ts';
import { guardedServerOptions, guardServer, HTTP_LIMITS, type HttpLimits } from '../io/httpGuard.ts';
import {
  API_PREFIX,
  CBOR_TYPE,
  ENDPOINTS,
  type ErrorBody,
  type HealthResponse,
  JSON_TYPE,
  type ModelsResponse,
  PROTOCOL_ERRORS,
  PROTOCOL_VERSION,
  type ProtocolErrorCode,
  REQUEST_ID_HEADER,
  REQUEST_PARSERS,
  TASKS,
  type Task,
} from './protocol.ts';
import type { TaskRuntime } from './runtime.ts';
import { decodeCbor, encodeCborParts } from './wire.ts';
import { defined } from '../model/options.ts';

export interface GpuServerOptions {
  /** Bearer token every request but `health` must carry; no auth when absent. */
  token?: string;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Largest request body accepted (default 64 MiB: a 4K rgb8 image is 25 MB). */
  maxBodyBytes?: number;
  /** How long `close()` waits for in-flight requests before cutting connections (default 10 s). */
  shutdownGraceMs?: number;
  /** Header/body deadlines and the header size limit (default `HTTP_LIMITS`). */
  limits?: Partial<HttpLimits>;
  /** Called with the details of an internal error (the client gets only the request id). */
  onError?: (entry: { requestId: string; error: unknown }) => void;
  /** Called once per finished request (for logs). */
  onRequest?: (entry: { requestId: string; method: string; path: string; status: number; ms: number }) => void;
}

export const GPU_SERVER_DEFAULTS = { host: '127.0.0.1', port: 8765, maxBodyBytes: 64 * 1024 * 1024, shutdownGraceMs: 10_000 } as const;

class HttpError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly problems?: { path: string; message: string }[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export interface GpuServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests admitted and not yet answered. */
  inFlight(): number;
  close(): Promise<void>;
}

/** Inputs: a request body, refused with 413 when it passes `maxBodyBytes` and cut off when it stops flowing. */
function readBody(req: IncomingMessage, maxBodyBytes: number, limits: HttpLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      reject(new HttpError('TOO_LARGE', `Body of ${declared} bytes exceeds this host's limit of ${maxBodyBytes} bytes; downscale the image, or start the host with a larger --max-body-mb.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // a body that stops flowing is cut off (the request deadline alone would wait minutes)
    let idle = setTimeout(() => stalled(), limits.bodyIdleMs);
    const stalled = () => {
      req.removeAllListeners('data');
      reject(new HttpError('REQUEST_TIMEOUT', `No body bytes arrived for ${limits.bodyIdleMs / 1000} s; the upload was cut off.`));
    };
    const done = () => clearTimeout(idle);
    req.on('close', done);
    req.on('data', (c: Buffer) => {
      clearTimeout(idle);
      idle = setTimeout(() => stalled(), limits.bodyIdleMs);
      size += c.length;
      if (size > maxBodyBytes) {
        done();
        req.removeAllListeners('data');
        reject(new HttpError('TOO_LARGE', `Body exceeds this host's limit of ${maxBodyBytes} bytes; downscale the image, or start the host with a larger --max-body-mb.`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => done());
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('aborted', () => reject(new HttpError('BAD_REQUEST', 'The client closed the connection before the body was complete.')));
  });
}

/** Outputs: one whole answer (headers, then the parts corked together); nothing once the response is gone. */
function send(res: ServerResponse, status: number, type: string, body: Buffer | string | Buffer[], headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const parts = Array.isArray(body) ? body : [typeof body === 'string' ? Buffer.from(body) : body];
  const length = parts.reduce((n, p) => n + p.length, 0);
  res.writeHead(status, { 'content-type': type, 'content-length': length, ...headers });
  res.cork();
  for (const p of parts) res.write(p);
  res.end();
  res.uncork();
}

/** Outputs: a protocol error body with its status. */
function sendError(res: ServerResponse, requestId: string, e: HttpError, close = false): void {
  const body: ErrorBody = { error: { code: e.code, message: e.message, requestId, ...(e.problems ? { problems: e.problems } : {}) } };
  send(res, PROTOCOL_ERRORS[e.code], JSON_TYPE, JSON.stringify(body), { ...e.headers, ...(close ? { connection: 'close' } : {}) });
}

/** Turns any failure into the protocol error it stands for. */
function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof Real2SimError) {
    const ctx = err.context as { busy?: boolean; noModel?: boolean; modelFailed?: boolean; problems?: { path: string; message: string }[] };
    if (ctx.busy) return new HttpError('BUSY', err.message, undefined, { 'retry-after': '1' });
    if (ctx.noModel) return err.code === 'UNSUPPORTED' ? new HttpError('NO_MODEL', err.message) : new HttpError('NOT_FOUND', err.message);
    if (ctx.modelFailed) return new HttpError('MODEL_FAILED', err.message);
    if (err.code === 'BAD_INPUT') return new HttpError('INVALID_BODY', err.message, ctx.problems);
    if (err.code === 'BAD_MESH' || err.code === 'BAD_IMAGE' || err.code === 'SIZE_MISMATCH' || err.code === 'TOO_LARGE') return new HttpError('INVALID_BODY', err.message);
    return new HttpError('INTERNAL', err.message);
  }
  // a bug: the details go to the host's log (onError), never to the client
  return new HttpError('INTERNAL', 'Internal error in the GPU host; the host log has the details under this request id.');
}

/** Whether a request carries the bearer token (compared in constant time); always true without a token. */
function bearerCheck(token: string | undefined): (req: IncomingMessage) => boolean {
  const tokenBytes = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return (req) => {
    if (!tokenBytes) return true;
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes);
  };
}

/** Run control: counts admitted requests and lets `close()` wait until none is left. */
class Admissions {
  draining = false;
  count = 0;
  private onIdle: (() => void) | undefined;
  enter(): void {
    this.count++;
  }
  leave(): void {
    this.count--;
  }
  /** Wakes a waiting `idle()` once nothing is in flight. */
  settle(): void {
    if (this.count === 0) this.onIdle?.();
  }
  /** Resolves when no request is in flight (at once when none is). */
  idle(): Promise<void> {
    return this.count > 0 ? new Promise<void>((resolve) => (this.onIdle = resolve)) : Promise.resolve();
  }
}

interface RouteContext {
  runtime: TaskRuntime;
  started: number;
  admissions: Admissions;
  authorised: (req: IncomingMessage) => boolean;
  maxBodyBytes: number;
  limits: HttpLimits;
}

/** The routes: health, models, and one POST per task; throws `HttpError`s for everything refused. */
async function route(c: RouteContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const { runtime } = c;
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === ENDPOINTS.health.path) {
    if (req.method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED', `${path} takes GET.`);
    const body: HealthResponse = {
      status: c.admissions.draining ? 'draining' : 'ok',
      protocol: PROTOCOL_VERSION,
      server: 'real2sim-gpu-host',
      executionProvider: runtime.executionProvider,
      availableProviders: runtime.availableProviders,
      tasks: runtime.tasks,
      uptimeS: (Date.now() - c.started) / 1000,
    };
    return send(res, 200, JSON_TYPE, JSON.stringify(body));
  }
  if (c.admissions.draining) throw new HttpError('SHUTTING_DOWN', 'The host is shutting down; retry on another host or after it restarts.', undefined, { 'retry-after': '5' });
  if (!c.authorised(req))
    throw new HttpError('UNAUTHORIZED', 'Missing or wrong bearer token: send "Authorization: Bearer <token>" with the token the server was started with (--token).', undefined, {
      'www-authenticate': 'Bearer',
    });
  if (path === ENDPOINTS.models.path) {
    if (req.method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED', `${path} takes GET.`);
    const body: ModelsResponse = {
      models: runtime.manifests.map((m) => ({ id: m.id, task: m.task, file: m.file, licence: m.licence, source: m.source, inputs: m.inputs, outputs: m.outputs })),
    };
    return send(res, 200, JSON_TYPE, JSON.stringify(body));
  }
  const task = path.startsWith(`${API_PREFIX}/`) ? (path.slice(API_PREFIX.length + 1) as Task) : undefined;
  if (!task || !TASKS.includes(task))
    throw new HttpError(
      'NOT_FOUND',
      `No endpoint ${path}; protocol v${PROTOCOL_VERSION} has ${Object.values(ENDPOINTS)
        .map((e) => e.path)
        .join(', ')}.`,
    );
  if (req.method !== 'POST') throw new HttpError('METHOD_NOT_ALLOWED', `${path} takes POST with a CBOR body.`);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== CBOR_TYPE) throw new HttpError('UNSUPPORTED_MEDIA_TYPE', `${path} takes Content-Type ${CBOR_TYPE}, got "${type || 'none'}".`);
  const raw = await readBody(req, c.maxBodyBytes, c.limits);
  let parsed: unknown;
  try {
    parsed = decodeCbor(raw);
  } catch (e) {
    throw new HttpError('BAD_REQUEST', e instanceof Real2SimError ? e.message : 'Body is not valid CBOR.');
  }
  const request = REQUEST_PARSERS[task](parsed);
  const response = await runtime.handle(task, request);
  send(res, 200, CBOR_TYPE, encodeCborParts({ ...response, requestId }));
}

export async function startGpuServer(runtime: TaskRuntime, options: GpuServerOptions = {}): Promise<GpuServer> {
  const opts = { ...GPU_SERVER_DEFAULTS, ...defined(options) } as GpuServerOptions & typeof GPU_SERVER_DEFAULTS;
  const limits: HttpLimits = { ...HTTP_LIMITS, ...defined(options.limits ?? {}) };
  const admissions = new Admissions();
  const ctx: RouteContext = { runtime, started: Date.now(), admissions, authorised: bearerCheck(opts.token), maxBodyBytes: opts.maxBodyBytes, limits };

  const server = createServer(guardedServerOptions(limits), (req, res) => {
    const t0 = performance.now();
    const given = req.headers[REQUEST_ID_HEADER];
    const requestId = typeof given === 'string' && ID_RE.test(given) ? given : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, requestId);
    admissions.enter();
    res.on('close', () => {
      admissions.leave();
      opts.onRequest?.({ requestId, method: req.method ?? '', path: req.url ?? '', status: res.statusCode, ms: performance.now() - t0 });
      admissions.settle();
    });
    route(ctx, req, res, requestId).catch((err: unknown) => {
      const e = toHttpError(err);
      if (e.code === 'INTERNAL') opts.onError?.({ requestId, error: err });
      // after a refused upload the rest of the body is unread: close the connection after answering
      const close = e.code === 'TOO_LARGE' || e.code === 'BAD_REQUEST' || e.code === 'REQUEST_TIMEOUT';
      sendError(res, requestId, e, close);
      if (close) req.resume();
    });
  });
  server.keepAliveTimeout = 5000;
  guardServer(server, (a) => ({ type: JSON_TYPE, body: JSON.stringify({ error: { code: a.code, message: a.message, requestId: 'none' } }) }), limits);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Real2SimError('BAD_INPUT', `Cannot listen on ${opts.host}:${opts.port}: ${e.message}${e.code === 'EADDRINUSE' ? ' (the port is taken: pick another with --port)' : ''}`, {}, e)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      admissions.draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (admissions.count > 0) {
        await Promise.race([admissions.idle(), new Promise((r) => setTimeout(r, opts.shutdownGraceMs).unref())]);
      }
      server.closeAllConnections();
      await stopped;
      await runtime.close();
    })());

  return { url: `http://${host}:${port}`, port, server, inFlight: () => admissions.count, close };
}
