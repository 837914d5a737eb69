/**
 * A real ROS 2 for the tests: finds a ROS 2 install (sourced or not), builds the environment
 * its setup.bash gives, and runs ROS processes in it — the node (`real2sim ros --transport
 * rclnodejs`), the probe participant (`probe.ts`), `ros2` commands, a rosbridge server.
 * The test runner itself never imports rclnodejs (importing it where ROS is not sourced makes
 * it delete its own compiled addon).
 *
 * All traffic stays on 127.0.0.1: Cyclone DDS gets a loopback-only profile, each test file its
 * own ROS_DOMAIN_ID, rosbridge `address:=127.0.0.1`.
 *
 * Where no ROS 2 exists (a fresh clone), the tests skip with a message; in CI (`CI=true`)
 * that is a failure: `.ci/run` installs ROS 2 and builds rclnodejs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '../../helpers/net.ts';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Cyclone DDS on the loopback interface only, unicast discovery to 127.0.0.1. */
const CYCLONE_LOOPBACK = `<?xml version="1.0" encoding="UTF-8"?>
<CycloneDDS xmlns="https://cdds.io/config">
  <Domain Id="any">
    <General>
      <Interfaces><NetworkInterface address="127.0.0.1" multicast="false"/></Interfaces>
      <AllowMulticast>false</AllowMulticast>
    </General>
    <Discovery>
      <ParticipantIndex>auto</ParticipantIndex>
      <MaxAutoParticipantIndex>60</MaxAutoParticipantIndex>
      <Peers><Peer address="127.0.0.1"/></Peers>
    </Discovery>
  </Domain>
</CycloneDDS>
`;

const CANDIDATES = ['/opt/ros2-full', '/opt/ros/humble', '/opt/ros/jazzy', '/opt/ros/rolling'];

function prefixes(): string[] {
  const out: string[] = [];
  if (process.env['REAL2SIM_ROS2_PREFIX']) out.push(process.env['REAL2SIM_ROS2_PREFIX']);
  for (const p of (process.env['AMENT_PREFIX_PATH'] ?? '').split(':')) if (p) out.push(p);
  out.push(...CANDIDATES);
  return out;
}

export interface Ros2 {
  prefix: string;
  /** The environment setup.bash gives, plus the loopback profile; no domain id yet. */
  env: NodeJS.ProcessEnv;
  /** Whether the `ros2` command line (with launch) is installed. */
  hasCli: boolean;
  /** Whether rosbridge_server is installed. */
  hasRosbridge: boolean;
}

let cached: { ros2: Ros2 | null; why: string } | undefined;

export function findRos2(): { ros2: Ros2 | null; why: string } {
  if (cached) return cached;
  const addon = join(repo, 'node_modules/rclnodejs/build/Release/rclnodejs.node');
  const prefix = prefixes().find((p) => existsSync(join(p, 'setup.bash')) && existsSync(join(p, 'share/rcl')));
  if (!prefix) return (cached = { ros2: null, why: `no ROS 2 install found (looked in ${prefixes().join(', ')}; set REAL2SIM_ROS2_PREFIX)` });
  if (!existsSync(addon)) return (cached = { ros2: null, why: `rclnodejs is not built (${addon} is missing): source ${prefix}/setup.bash and npm install rclnodejs` });
  // Debian's python3 first (setup.bash's Python packages are built for it).
  const text = execFileSync('bash', ['-c', `source ${JSON.stringify(join(prefix, 'setup.bash'))} >/dev/null 2>&1; env -0`], {
    env: { ...process.env, PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${process.env['PATH'] ?? ''}` },
    encoding: 'utf8',
  });
  const env: NodeJS.ProcessEnv = {};
  for (const kv of text.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (!env['AMENT_PREFIX_PATH'] || !env['ROS_DISTRO']) return (cached = { ros2: null, why: `${prefix}/setup.bash did not set AMENT_PREFIX_PATH / ROS_DISTRO` });
  const dir = mkdtempSync(join(tmpdir(), 'real2sim-ros2-'));
  writeFileSync(join(dir, 'cyclonedds.xml'), CYCLONE_LOOPBACK);
  Object.assign(env, {
    CYCLONEDDS_URI: `file://${join(dir, 'cyclonedds.xml')}`,
    RMW_IMPLEMENTATION: 'rmw_cyclonedds_cpp',
    ROS_LOG_DIR: join(dir, 'log'),
    ROS_HOME: join(dir, 'home'),
    PYTHONUNBUFFERED: '1',
  });
  delete env['ROS_LOCALHOST_ONLY'];
  // Exactly the ROS tree, Node and Debian's directories: ROS 2's Python scripts start with
  // `#!/usr/bin/env python3` and need Debian's python3 (a pyenv or venv one lacks its packages).
  const rosBins = (env['PATH'] ?? '').split(':').filter((d) => d.startsWith(prefix));
  env['PATH'] = [...rosBins, dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
  for (const k of Object.keys(env)) if (k.startsWith('PYENV') || k === 'VIRTUAL_ENV' || k === 'PYTHONHOME') delete env[k];
  return (cached = {
    ros2: { prefix, env, hasCli: existsSync(join(prefix, 'bin/ros2')) || existsSync(join(prefix, 'share/ros2cli')), hasRosbridge: existsSync(join(prefix, 'share/rosbridge_server')) },
    why: '',
  });
}

/** The ROS 2 to test with, or null after saying why the tests skip; in CI a missing one throws. */
export function requireRos2OrSkip(what: string): Ros2 | null {
  const { ros2, why } = findRos2();
  if (ros2) return ros2;
  if (process.env['CI'] === 'true') throw new Error(`${what}: ${why} — .ci/run installs ROS 2 and builds rclnodejs`);
  console.warn(`[${what}] skipped: ${why}`);
  return null;
}

export { freePort };

/** A child process with its output kept (for assertions and failure messages). */
export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output matches (or rejects with the output so far). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** SIGINT, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function startProc(cmd: string, args: string[], env: NodeJS.ProcessEnv, o: { cwd?: string; stdin?: boolean; ownGroup?: boolean } = {}): Proc {
  // A fresh process group (`detached`), with SIGINT not ignored: `ros2 launch` as a background
  // job of a shell would inherit an ignored SIGINT and never stop on Ctrl-C.
  const child = spawn(cmd, args, { cwd: o.cwd ?? repo, env, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: o.ownGroup ?? false });
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    out += String(d);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(out)) waiters.splice(i, 1)[0]!.resolve();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(re, timeoutMs = 30_000) {
      if (re.test(out)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re} in:\n${out.slice(-3000)}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then((code) => {
          clearTimeout(timer);
          if (!re.test(out)) reject(new Error(`process exited (${code}) before ${re} appeared:\n${out.slice(-3000)}`));
        });
      });
    },
    async stop(signal = 'SIGINT', graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const target = o.ownGroup ? -child.pid! : child.pid!;
      try {
        process.kill(target, signal);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A probe participant (`probe.ts`) speaking JSON lines. */
export interface Probe {
  proc: Proc;
  /** Sends a command and resolves with its answer (the event with the same id). */
  ask<T = Record<string, unknown>>(cmd: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Messages received on `topic` so far (in order); requests to a served service under `service:<name>`. */
  messages<T = unknown>(topic: string): { msg: T; t: number }[];
  /** Resolves once `topic` has `n` messages (or rejects after the timeout). */
  waitMessages<T = unknown>(topic: string, n: number, timeoutMs?: number): Promise<{ msg: T; t: number }[]>;
  close(): Promise<void>;
}

export async function startProbe(env: NodeJS.ProcessEnv): Promise<Probe> {
  const proc = startProc(process.execPath, ['--import', 'tsx', 'test/ros/real/probe.ts'], env, { stdin: true });
  const byTopic = new Map<string, { msg: unknown; t: number }[]>();
  const answers = new Map<number, (ev: Record<string, unknown>) => void>();
  let seq = 0;
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  createInterface({ input: proc.child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (ev['ev'] === 'ready') ready();
    else if (ev['ev'] === 'request') {
      const key = `service:${String(ev['service'])}`;
      const list = byTopic.get(key) ?? [];
      list.push({ msg: ev['request'], t: ev['t'] as number });
      byTopic.set(key, list);
    } else if (ev['ev'] === 'msg') {
      const list = byTopic.get(ev['topic'] as string) ?? [];
      list.push({ msg: ev['msg'], t: ev['t'] as number });
      byTopic.set(ev['topic'] as string, list);
    } else if (typeof ev['id'] === 'number') answers.get(ev['id'])?.(ev);
  });
  await Promise.race([isReady, proc.exited.then((c) => Promise.reject(new Error(`probe exited (${c}):\n${proc.output()}`)))]);
  const messages = <T>(topic: string) => (byTopic.get(topic) ?? []) as { msg: T; t: number }[];
  return {
    proc,
    ask<T>(cmd: Record<string, unknown>, timeoutMs = 60_000) {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`probe: no answer to ${JSON.stringify(cmd)} within ${timeoutMs} ms`)), timeoutMs);
        answers.set(id, (ev) => {
          clearTimeout(timer);
          answers.delete(id);
          if (ev['ev'] === 'error') reject(new Error(`probe: ${String(ev['error'])}`));
          else resolve(ev as T);
        });
        proc.child.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
      });
    },
    messages,
    async waitMessages<T>(topic: string, n: number, timeoutMs = 30_000) {
      const t0 = Date.now();
      while (messages(topic).length < n) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`probe: ${messages(topic).length} of ${n} messages on ${topic} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return messages<T>(topic);
    },
    async close() {
      proc.child.stdin!.end();
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 5000))]);
      await proc.stop('SIGKILL', 0);
    },
  };
}

/** The real2sim command in the ROS environment (`nodeFlags`: for node itself, e.g. --expose-gc). */
export function startReal2simRos(env: NodeJS.ProcessEnv, args: string[], nodeFlags: string[] = []): Proc {
  return startProc(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/cli.ts', 'ros', ...args], env);
}

/** UDP ports bound on this machine (Linux), or null where /proc/net/udp cannot be read. */
function boundUdpPorts(): Set<number> | null {
  try {
    const ports = new Set<number>();
    for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
      if (!existsSync(f)) continue;
      for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
        const local = line.trim().split(/\s+/)[1];
        if (local) ports.add(parseInt(local.split(':').pop()!, 16));
      }
    }
    return ports;
  } catch {
    return null;
  }
}

/**
 * A ROS_DOMAIN_ID in [from, to] that no DDS participant on this machine uses now (DDS port
 * mapping: domain d uses UDP ports 7400 + 250·d … + 249), picked at random among the free ones
 * so that two runs starting together rarely pick the same one. A graph shared with another
 * run (another checkout's test, a node left running) answers our service calls too: a
 * sequential client then gets the other node's 'busy' answers and its camera's frames.
 * Where the ports cannot be read, any domain in the range.
 */
export function freeDomainId(from = 65, to = 101, avoid: readonly string[] = []): string {
  const bound = boundUdpPorts();
  const all = Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((d) => !avoid.includes(String(d)));
  const free = bound ? all.filter((d) => ![...bound].some((p) => p >= 7400 + 250 * d && p < 7650 + 250 * d)) : all;
  const pool = free.length > 0 ? free : all;
  return String(pool[Math.floor(Math.random() * pool.length)]!);
}
