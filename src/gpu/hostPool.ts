/**
 * Several GPU hosts behind one client interface (`call`, `health`, `url`, `close`), so the
 * learned backends use a pool exactly as they use one host.
 *
 * - Routing: each request goes to the healthy host with the fewest requests outstanding from
 *   this process (ties: the one picked least recently, i.e. round robin), so a slow or busy host
 *   gets less work.
 * - Health: a host whose request could not reach it, or whose connection dropped mid-request,
 *   is taken out at once; a health check (`GET /v1/health`) every `healthIntervalMs` brings it
 *   back when it answers `ok` again (and takes out a host that is `draining` or silent).
 * - Failover: an idempotent request whose host failed that way (or answered 502/503/504, or
 *   timed out) is sent to another host; only when every host has failed is the last error
 *   thrown (kind `unreachable` when none could be reached, so the callers' fallbacks still apply).
 */
import { GpuHostClient, type FailureKind, type GpuClientOptions } from './client.ts';
import { ENDPOINTS, type HealthResponse, type Task, type TaskRequests, type TaskResponses } from './protocol.ts';
import { Real2SimError } from '../model/errors.ts';

/** What the learned backends need of a host (one client or a pool). */
export type GpuCaller = Pick<GpuHostClient, 'call' | 'url' | 'close'>;

export interface HostPoolOptions extends Omit<GpuClientOptions, 'url'> {
  urls: readonly string[];
  /** Health checks of every host this often (default 5000 ms); 0 disables them. */
  healthIntervalMs?: number;
}

interface Host {
  url: string;
  client: GpuHostClient;
  healthy: boolean;
  outstanding: number;
  served: number;
  failures: number;
  lastPicked: number;
}

/** `--gpu-host a,b --gpu-host c` → [a, b, c] (trimmed, duplicates dropped). */
export function splitHostList(values: readonly string[] | string | undefined): string[] {
  const list = (Array.isArray(values) ? values : values === undefined ? [] : [values])
    .flatMap((v: string) => v.split(','))
    .map((s: string) => s.trim())
    .filter(Boolean);
  return [...new Set(list)];
}

const FAILOVER_KINDS: ReadonlySet<string> = new Set<FailureKind>(['unreachable', 'reset', 'timeout']);
const TAKES_OUT: ReadonlySet<string> = new Set<FailureKind>(['unreachable', 'reset']);

export class GpuHostPool {
  readonly url: string;
  private readonly hosts: Host[];
  private readonly timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private picks = 0;

  constructor(o: HostPoolOptions) {
    if (o.urls.length === 0) throw new Real2SimError('BAD_INPUT', '--gpu-host needs at least one URL.');
    const { urls, healthIntervalMs, ...clientOpts } = o;
    // the pool retries on other hosts; each client retries once on its own (a blip, not a dead host)
    this.hosts = urls.map((url) => {
      const client = new GpuHostClient({ retries: 1, ...clientOpts, url });
      return { url: client.url, client, healthy: true, outstanding: 0, served: 0, failures: 0, lastPicked: 0 };
    });
    this.url = this.hosts.map((h) => h.url).join(',');
    const every = healthIntervalMs ?? 5000;
    if (every > 0) {
      this.timer = setInterval(() => void this.checkHealth(), every);
      this.timer.unref();
    }
  }

  /** Per host: whether it takes requests, requests in flight, requests answered. */
  status(): { url: string; healthy: boolean; outstanding: number; served: number; failures: number }[] {
    return this.hosts.map(({ url, healthy, outstanding, served, failures }) => ({ url, healthy, outstanding, served, failures }));
  }

  /** Health-checks every host now (concurrent checks share one round). */
  checkHealth(): Promise<void> {
    this.checking ??= Promise.all(
      this.hosts.map(async (h) => {
        try {
          const r = await h.client.health();
          h.healthy = r.status === 'ok';
        } catch {
          h.healthy = false;
        }
      }),
    ).then(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private pick(exclude: ReadonlySet<Host>): Host | undefined {
    let best: Host | undefined;
    for (const h of this.hosts) {
      if (!h.healthy || exclude.has(h)) continue;
      if (!best || h.outstanding < best.outstanding || (h.outstanding === best.outstanding && h.lastPicked < best.lastPicked)) best = h;
    }
    if (best) best.lastPicked = ++this.picks;
    return best;
  }

  /** The first healthy host's health answer (for `serve`-style checks of a pool). */
  async health(): Promise<HealthResponse> {
    await this.checkHealth();
    const h = this.pick(new Set());
    if (!h) throw this.noneHealthy('health', undefined);
    return h.client.health();
  }

  private noneHealthy(stage: string, last: Real2SimError | undefined): Real2SimError {
    return new Real2SimError(
      'REMOTE',
      `No GPU host of ${this.hosts.length} is reachable for stage "${stage}" (${this.hosts.map((h) => h.url).join(', ')})${last ? `; last error: ${last.message}` : ''}. Start \`real2sim serve\` on them or fix --gpu-host.`,
      { host: this.url, stage, kind: 'unreachable' satisfies FailureKind },
      last,
    );
  }

  async call<T extends Task>(task: T, body: TaskRequests[T], opts: { stage?: string; idempotent?: boolean } = {}): Promise<TaskResponses[T]> {
    const stage = opts.stage ?? task;
    const canFailOver = opts.idempotent ?? ENDPOINTS[task].idempotent;
    const tried = new Set<Host>();
    let last: Real2SimError | undefined;
    let reachedAny = false;
    for (;;) {
      let host = this.pick(tried);
      if (!host && tried.size === 0) {
        // every host is out: check now rather than fail a request a recovered host could serve
        await this.checkHealth();
        host = this.pick(tried);
      }
      if (!host) {
        if (last && reachedAny) throw last;
        throw this.noneHealthy(stage, last);
      }
      tried.add(host);
      host.outstanding++;
      try {
        const r = await host.client.call(task, body, opts);
        host.served++;
        return r;
      } catch (err) {
        if (!(err instanceof Real2SimError)) throw err;
        const kind = String((err.context as { kind?: string }).kind ?? '');
        const status = Number((err.context as { status?: number }).status ?? 0);
        const transient = FAILOVER_KINDS.has(kind) || (kind === 'http' && (status === 502 || status === 503 || status === 504));
        if (!transient || !canFailOver) throw err;
        host.failures++;
        if (TAKES_OUT.has(kind)) host.healthy = false;
        else reachedAny = true;
        last = err;
      } finally {
        host.outstanding--;
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const h of this.hosts) h.client.close();
  }
}
