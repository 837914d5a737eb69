/**
 * Limits shared by the project's HTTP servers (GPU host, viewer), so that a slow or hostile
 * client cannot hold connections or memory:
 *
 * - headers must arrive within `headersTimeoutMs` and be at most `maxHeaderBytes` (431 beyond);
 * - the whole request must arrive within `requestTimeoutMs` (408), and a body that stops
 *   flowing for `bodyIdleMs` is cut off by the server's own body reader (`bodyIdleMs` is
 *   exported for it);
 * - Node checks those deadlines every `checkIntervalMs` (its default, 30 s, would let a
 *   slowloris client hold a connection for half a minute past the deadline);
 * - parse errors are answered with a status and a short body that names the limit, never with
 *   parser internals, and the rest of the request is drained before closing (closing with
 *   unread data makes the kernel send a reset instead of the answer).
 */
import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';

export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyIdleMs: number;
  maxHeaderBytes: number;
  checkIntervalMs: number;
}

export const HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, bodyIdleMs: 15_000, maxHeaderBytes: 16 * 1024, checkIntervalMs: 1000 };

/** Options for `createServer` that apply the limits. */
export function guardedServerOptions(limits: HttpLimits = HTTP_LIMITS): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/** What a parse failure is answered with: status, a protocol code and a message. */
export function clientErrorAnswer(code: string | undefined, limits: HttpLimits = HTTP_LIMITS): { status: number; code: string; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'HEADERS_TOO_LARGE', message: `Request headers exceed ${limits.maxHeaderBytes / 1024} KiB; send fewer or shorter headers.` };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      code: 'REQUEST_TIMEOUT',
      message: `The request did not arrive in time (headers within ${limits.headersTimeoutMs / 1000} s, everything within ${limits.requestTimeoutMs / 1000} s).`,
    };
  return { status: 400, code: 'BAD_REQUEST', message: 'Malformed HTTP request.' };
}

/**
 * Answers parse errors and timeouts itself (see the file comment). `format` turns the answer
 * into a body and its content type (JSON for the GPU host, text for the viewer).
 */
export function guardServer(server: Server, format: (a: { status: number; code: string; message: string }) => { type: string; body: string }, limits: HttpLimits = HTTP_LIMITS): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const answer = clientErrorAnswer(err.code, limits);
    const { type, body } = format(answer);
    socket.end(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    // drain what the client is still sending, so it reads the answer instead of a reset
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}
