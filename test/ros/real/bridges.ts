/**
 * Real rosbridge servers for the tests:
 * - ROS 2: rosbridge_suite 2.x from the ROS 2 install (`ros2 launch rosbridge_server
 *   rosbridge_websocket_launch.xml address:=127.0.0.1 port:=N`), with its default limits;
 * - ROS 1: rosbridge_suite 0.11.17 over Debian's ROS 1, started by the kit in
 *   `../shared/rosbridge-ros1` (roscore, the bridge and a rospy camera, all on 127.0.0.1).
 * Both skip with a message where they are not installed; in CI a missing one fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, repo, startProc, type Proc } from './ros2.ts';

export const ROS1_KIT = resolve(repo, '../shared/rosbridge-ros1/rosbridge-ros1.sh');

export interface Bridge {
  url: string;
  /** The bridge's log (where a rejected op shows: the ROS 1 bridge never reports it on the socket). */
  log(): string;
  stop(): Promise<void>;
}

export async function startRos2Bridge(env: NodeJS.ProcessEnv): Promise<Bridge & { proc: Proc }> {
  const port = await freePort();
  const proc = startProc('ros2', ['launch', 'rosbridge_server', 'rosbridge_websocket_launch.xml', 'address:=127.0.0.1', `port:=${port}`], env, { ownGroup: true });
  await proc.waitFor(/Rosbridge WebSocket server started on port/, 60_000);
  return {
    proc,
    url: `ws://127.0.0.1:${port}`,
    log: () => proc.output(),
    async stop() {
      await proc.stop('SIGINT', 15_000);
    },
  };
}

/** Whether the ROS 1 kit and its Debian packages are here; the reason when not. */
export function ros1KitProblem(): string | null {
  if (!existsSync(ROS1_KIT)) return `the ROS 1 rosbridge kit is not here (${ROS1_KIT})`;
  try {
    execFileSync('dpkg', ['-s', 'ros-core', 'python3-rospy', 'python3-autobahn', 'python3-cbor', 'libsensor-msgs-dev'], { stdio: 'ignore' });
  } catch {
    return `the ROS 1 Debian packages are missing: run \`${ROS1_KIT} setup\` as root`;
  }
  return null;
}

export interface Ros1Kit extends Bridge {
  /** ROS_MASTER_URI etc. for rostopic / rosservice. */
  env: NodeJS.ProcessEnv;
}

/** Starts roscore, the bridge and (with `synth`) the rospy camera in a RUN_DIR of their own. */
export function startRos1Kit(o: { synth?: string; rate?: number; maxMessageSize?: number } = {}): Ros1Kit {
  const runDir = mkdtempSync(join(tmpdir(), 'real2sim-ros1-'));
  const env = { ...process.env, RUN_DIR: runDir };
  const args = ['start', '--port', 'auto', '--master-port', 'auto'];
  if (o.synth) args.push('--synth', o.synth, '--rate', String(o.rate ?? 2));
  if (o.maxMessageSize) args.push('--max-message-size', String(o.maxMessageSize));
  execFileSync(ROS1_KIT, args, { env, stdio: 'pipe', timeout: 60_000 });
  const kitEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const line of execFileSync(ROS1_KIT, ['env'], { env, encoding: 'utf8' }).split('\n')) {
    const m = line.match(/^export ([A-Z_]+)=(.*)$/);
    if (m) kitEnv[m[1]!] = m[2]!;
  }
  for (const k of Object.keys(kitEnv)) if (/^(AMENT_|COLCON_|RMW_)/.test(k) || k === 'ROS_DISTRO' || k === 'ROS_VERSION') delete kitEnv[k];
  return {
    url: kitEnv['ROSBRIDGE_URL']!,
    env: kitEnv,
    log: () => {
      try {
        return readFileSync(join(runDir, 'rosbridge.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop() {
      execFileSync(ROS1_KIT, ['stop'], { env, stdio: 'ignore', timeout: 60_000 });
      rmSync(runDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** A folder of `real2sim synth` output (rgb.png, depth.png, camera.json) for the rospy camera. */
export function synthFolder(seed: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'real2sim-synth-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'synth', '--seed', String(seed), '--out', dir], { cwd: repo, stdio: 'ignore' });
  return dir;
}

/** Runs a ROS 1 command line tool (rosservice, rostopic) to completion. */
export function ros1Cli(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 60_000): string {
  return execFileSync(args[0]!, args.slice(1), { env, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

export { startProc };
