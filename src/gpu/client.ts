/**
 * Client of the GPU-host protocol: one call per task, with a per-attempt timeout, retries with
 * exponential backoff for idempotent calls on transient failures only (host unreachable,
 * connection reset, timeout, 502/503/504), and errors that name the host, the stage and what
 * to do. Every answer is checked against the declared shape before anyone uses it.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import { Real2SimError } from '../model/errors.ts';
import {
  CBOR_TYPE,
  ENDPOINTS,
  type EndpointName,
  type HealthResponse,
  type ModelsResponse,
  REQUEST_ID_HEADER,
  RESPONSE_PARSERS,
  type Task,
  type TaskRequests,
  type TaskResponses,
} from './protocol.ts';
import { decodeCbor, encodeCborParts } from './wire.ts';
import { defined } from '../model/options.ts';

export interface GpuClientOptions {
  /** e.g. `http://gpu-box:8765` */
  url: string;
  token?: string;
  /** Per attempt, from sending to the last byte of the answer (default 60 s: image-to-3D is slow). */
  timeoutMs?: number;
  /** Extra attempts after the first for idempotent calls (default 2). */
  retries?: number;
  /** First backoff; doubles each retry (default 200 ms), capped at `maxBackoffMs` (default 5 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export const GPU_CLIENT_DEFAULTS = { timeoutMs: 60_000, retries: 2, backoffMs: 200, maxBackoffMs: 5_000 } as const;

/** Why a call failed, in `Real2SimError.context.kind`. */
export type FailureKind = 'unreachable' | 'reset' | 'timeout' | 'http' | 'bad-response';

interface Attempt {
  status: number;
  type: string;
  body: Buffer;
  retryAfterS?: number;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

export class GpuHostClient {
  readonly url: string;
  private readonly opts: Required<Omit<GpuClientOptions, 'token'>> & { token?: string };
  private readonly agent: Agent;
  /** Attempts made by the last call (for reports and tests). */
  lastAttempts = 0;

  constructor(options: GpuClientOptions) {
    let u: URL;
    try {
      u = new URL(options.url);
    } catch (cause) {
      throw new Real2SimError('BAD_INPUT', `GPU host URL "${options.url}" is not a URL; give e.g. http://gpu-box:8765`, {}, cause);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Real2SimError('BAD_INPUT', `GPU host URL must be http:// or https://, got ${options.url}`);
    this.url = u.origin;
    this.opts = { ...GPU_CLIENT_DEFAULTS, sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)), ...defined(options) } as never;
    this.agent = u.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** Frees pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  async health(): Promise<HealthResponse> {
    return JSON.parse((await this.exchange('health', 'health')).toString('utf8')) as HealthResponse;
  }

  async models(): Promise<ModelsResponse> {
    return JSON.parse((await this.exchange('models', 'models')).toString('utf8')) as ModelsResponse;
  }

  /**
   * Runs one task on the host. `stage` names the pipeline stage in errors (defaults to the task).
   * `idempotent: false` disables retries (for protocol extensions that change server state).
   */
  async call<T extends Task>(task: T, body: TaskRequests[T], opts: { stage?: string; idempotent?: boolean } = {}): Promise<TaskResponses[T]> {
    const raw = await this.exchange(task, opts.stage ?? task, encodeCborParts(body), opts.idempotent);
    let value: unknown;
    try {
      value = decodeCbor(raw);
      return RESPONSE_PARSERS[task](value);
    } catch (cause) {
      throw new Real2SimError(
        'REMOTE',
        `GPU host ${this.url} (stage "${opts.stage ?? task}") answered a body that is not a ${task} response: ${(cause as Error).message}. Is the host speaking protocol v1?`,
        { host: this.url, stage: opts.stage ?? task, kind: 'bad-response' satisfies FailureKind },
        cause,
      );
    }
  }

  private async exchange(endpoint: EndpointName, stage: string, body?: Buffer[], idempotent?: boolean): Promise<Buffer> {
    const ep = ENDPOINTS[endpoint];
    const canRetry = idempotent ?? ep.idempotent;
    const requestId = randomUUID();
    const attempts = canRetry ? this.opts.retries + 1 : 1;
    let last: Real2SimError | undefined;
    for (let a = 0; a < attempts; a++) {
      this.lastAttempts = a + 1;
      if (a > 0) await this.opts.sleep(Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (a - 1)));
      let res: Attempt;
      try {
        res = await this.once(ep.method, ep.path, body, requestId);
      } catch (err) {
        last = this.networkError(err, stage, a + 1);
        continue;
      }
      if (res.status === 200) {
        const want = endpoint === 'health' || endpoint === 'models' ? 'application/json' : CBOR_TYPE;
        if (res.type !== want) {
          throw new Real2SimError('REMOTE', `GPU host ${this.url} (stage "${stage}") answered Content-Type "${res.type}" instead of ${want}. Is it a real2sim GPU host (protocol v1)?`, {
            host: this.url,
            stage,
            kind: 'bad-response' satisfies FailureKind,
          });
        }
        return res.body;
      }
      last = this.httpError(res, stage, requestId);
      const transient = res.status === 502 || res.status === 503 || res.status === 504;
      if (!transient) throw last;
      if (res.retryAfterS !== undefined) await this.opts.sleep(Math.min(this.opts.maxBackoffMs, res.retryAfterS * 1000));
    }
    throw last!;
  }

  private once(method: string, path: string, body: Buffer[] | undefined, requestId: string): Promise<Attempt> {
    return new Promise((resolve, reject) => {
      const u = new URL(path, this.url);
      const headers: Record<string, string | number> = { [REQUEST_ID_HEADER]: requestId, accept: `${CBOR_TYPE}, application/json` };
      if (this.opts.token) headers['authorization'] = `Bearer ${this.opts.token}`;
      if (body) {
        headers['content-type'] = CBOR_TYPE;
        headers['content-length'] = body.reduce((n, p) => n + p.length, 0);
      }
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method, headers, agent: this.agent });
      const timer = setTimeout(() => {
        const e = new Error(`no complete answer within ${this.opts.timeoutMs} ms`) as NodeJS.ErrnoException;
        e.code = 'ETIMEDOUT_CLIENT';
        req.destroy(e);
      }, this.opts.timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('aborted', () => {
          const e = new Error('the connection was reset before the whole answer arrived') as NodeJS.ErrnoException;
          e.code = 'ECONNRESET';
          fail(e);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const declared = Number(res.headers['content-length']);
          const data = Buffer.concat(chunks);
          if (Number.isFinite(declared) && data.length !== declared) {
            const e = new Error(`answer cut short: ${data.length} of ${declared} bytes`) as NodeJS.ErrnoException;
            e.code = 'ECONNRESET';
            return reject(e);
          }
          const ra = Number(res.headers['retry-after']);
          resolve({ status: res.statusCode ?? 0, type: (res.headers['content-type'] ?? '').split(';')[0]!.trim(), body: data, ...(Number.isFinite(ra) ? { retryAfterS: ra } : {}) });
        });
      });
      if (body) {
        req.cork();
        for (const p of body) req.write(p);
        req.uncork();
      }
      req.end();
    });
  }

  private networkError(err: unknown, stage: string, attempts: number): Real2SimError {
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? '';
    if (code === 'ETIMEDOUT_CLIENT') {
      return new Real2SimError(
        'TIMEOUT',
        `GPU host ${this.url} did not answer stage "${stage}" within ${this.opts.timeoutMs} ms (${attempts} attempt${attempts > 1 ? 's' : ''}); raise the timeout or check the host's load (GET /v1/health).`,
        {
          host: this.url,
          stage,
          kind: 'timeout' satisfies FailureKind,
          attempts,
        },
        err,
      );
    }
    if (UNREACHABLE.has(code)) {
      return new Real2SimError(
        'REMOTE',
        `GPU host ${this.url} is unreachable for stage "${stage}" (${code}, ${attempts} attempt${attempts > 1 ? 's' : ''}): start \`real2sim serve\` there or fix the host address.`,
        {
          host: this.url,
          stage,
          kind: 'unreachable' satisfies FailureKind,
          attempts,
          errno: code,
        },
        err,
      );
    }
    return new Real2SimError(
      'REMOTE',
      `GPU host ${this.url} dropped the connection during stage "${stage}" (${code || e.message}, ${attempts} attempt${attempts > 1 ? 's' : ''}); check the host's logs.`,
      {
        host: this.url,
        stage,
        kind: 'reset' satisfies FailureKind,
        attempts,
        errno: code,
      },
      err,
    );
  }

  private httpError(res: Attempt, stage: string, requestId: string): Real2SimError {
    let code = '';
    let message: string;
    let problems: unknown;
    try {
      const j = JSON.parse(res.body.toString('utf8')) as { error?: { code?: string; message?: string; problems?: unknown } };
      code = j.error?.code ?? '';
      message = j.error?.message ?? '';
      problems = j.error?.problems;
    } catch {
      message = res.body.toString('utf8').slice(0, 200);
    }
    const hint =
      res.status === 401 ? " Pass the host's token (--gpu-token / GpuHostClient({token}))." : res.status === 413 ? ' Downscale the image, or start the host with a larger --max-body-mb.' : '';
    return new Real2SimError('REMOTE', `GPU host ${this.url} refused stage "${stage}" with HTTP ${res.status}${code ? ` ${code}` : ''}: ${message || '(no message)'}${hint} [request ${requestId}]`, {
      host: this.url,
      stage,
      kind: 'http' satisfies FailureKind,
      status: res.status,
      remoteCode: code,
      requestId,
      ...(problems ? { problems } : {}),
    });
  }
}

/** True when an error means the host could not be reached at all (the case that allows a fallback). */
export function isUnreachable(err: unknown): boolean {
  return err instanceof Real2SimError && (err.context as { kind?: string }).kind === 'unreachable';
}
