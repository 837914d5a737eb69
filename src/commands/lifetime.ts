/**
 * How a long-running command (serve, view, ros) learns it should stop: SIGINT, SIGTERM, SIGHUP,
 * or — when started through `npm run` / `npx` — its launcher going away.
 *
 * npm starts a package binary through `sh -c`; on SIGTERM npm passes the signal to that shell,
 * which dies without passing it on, and the server (its child) would keep running, orphaned,
 * holding its port. So under npm (`npm_command` in the environment) the parent pid is watched:
 * when it changes (the shell is gone), the command stops as if it had been sent SIGTERM. Outside
 * npm nothing is watched: a server started with `nohup … &` keeps running when its shell exits.
 */
export interface StopOptions {
  /** Poll interval for the parent check (ms). */
  pollMs?: number;
  /** Watch the parent even outside npm (tests). */
  watchParent?: boolean;
}

export function untilStopped(options: StopOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    let timer: NodeJS.Timeout | undefined;
    const stop = (why: string) => {
      for (const s of signals) process.removeListener(s, handlers[s]);
      if (timer) clearInterval(timer);
      resolve(why);
    };
    const handlers = Object.fromEntries(signals.map((s) => [s, () => stop(s)])) as Record<(typeof signals)[number], () => void>;
    for (const s of signals) process.once(s, handlers[s]);
    if (options.watchParent ?? process.env['npm_command'] !== undefined) {
      const parent = process.ppid;
      timer = setInterval(() => {
        if (process.ppid !== parent) stop('launcher exited');
      }, options.pollMs ?? 500);
      timer.unref();
    }
  });
}
