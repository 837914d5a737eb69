import { watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Real2SimError } from '../model/errors.ts';
import { guardedServerOptions, guardServer, HTTP_LIMITS, type HttpLimits } from '../io/httpGuard.ts';
import { viewerScript } from './appBundle.ts';
import { viewerHtml } from './page.ts';
import type { ViewModel } from './viewModel.ts';
import { defined } from '../model/options.ts';

export interface ViewerServerOptions {
  /** Bundle folder to show; or give `model` directly (the ROS node and `reconstruct --view`). */
  bundleDir?: string;
  model?: ViewModel;
  port?: number;
  /** Loopback by default: the viewer has no authentication. */
  host?: string;
  /** Push a new scene to every page whenever the bundle changes. */
  watch?: boolean;
  log?: (line: string) => void;
  /** Header deadlines and size limit (default `HTTP_LIMITS`). */
  limits?: Partial<HttpLimits>;
}

export interface ViewerServer {
  url: string;
  /** Sends a scene to every connected page and serves it to new ones. */
  push(model: ViewModel): void;
  /** Re-reads the bundle and pushes it. */
  reload(): Promise<void>;
  clients(): number;
  close(): Promise<void>;
}

/**
 * `real2sim view`: a small HTTP server for the page, its script and the scene, plus a
 * WebSocket (`/ws`) that pushes scene updates. Serves only these fixed routes: no path from a
 * request ever reaches the file system.
 */
export async function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const log = opts.log ?? (() => {});
  if (!opts.bundleDir && !opts.model) throw new Real2SimError('BAD_INPUT', 'The viewer needs a bundle folder or a scene to show');
  // loaded only for bundles: a live scene pushed by the ROS node needs no file reading
  const bundleViewModel = async (dir: string, title?: string) => (await import('./bundleView.ts')).bundleViewModel(dir, title);
  let model: ViewModel = opts.model ?? (await bundleViewModel(opts.bundleDir!));
  const script = await viewerScript();
  const page = viewerHtml({ title: model.title, script });

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const limits: HttpLimits = { ...HTTP_LIMITS, ...defined(opts.limits ?? {}) };
  const server = createServer(guardedServerOptions(limits), (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', page);
    if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', script);
    if (path === '/view-model.json') return send(res, 200, 'application/json', JSON.stringify(model));
    return send(res, 404, 'text/plain', `not found: ${path}\n`);
  });
  guardServer(server, (a) => ({ type: 'text/plain; charset=utf-8', body: `${a.message}\n` }), limits);
  const wss = new WebSocketServer({ server, path: '/ws' });
  // the server's own 'error' (a taken port) is re-emitted here; it is handled at listen below
  wss.on('error', () => undefined);
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
  });

  const push = (m: ViewModel) => {
    model = m;
    const msg = JSON.stringify({ type: 'scene', model: m });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
    log(`pushed scene with ${m.objects.length} objects to ${sockets.size} page(s)`);
  };
  const reload = async () => {
    if (!opts.bundleDir) return;
    push(await bundleViewModel(opts.bundleDir, model.title));
  };

  let watcher: FSWatcher | null = null;
  if (opts.watch && opts.bundleDir) {
    // The bundle writer renames a finished folder into place, so watch the parent for the
    // bundle's name and debounce: one push per write, never half a bundle.
    let timer: NodeJS.Timeout | null = null;
    const nodePath = await import('node:path');
    const parent = nodePath.dirname(opts.bundleDir);
    const name = nodePath.basename(opts.bundleDir);
    watcher = watch(parent, { recursive: false }, (_event, file) => {
      if (file && !String(file).startsWith(name)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        reload().catch((err: unknown) => log(`could not reload ${opts.bundleDir}: ${(err as Error).message}`));
      }, 150);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Real2SimError('BAD_INPUT', err.code === 'EADDRINUSE' ? `Port ${opts.port} is in use: pick another with --port` : `Viewer could not listen: ${err.message}`, {}, err)),
    );
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    push,
    reload,
    clients: () => sockets.size,
    close: async () => {
      watcher?.close();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
