/**
 * The README's ROS 2 commands, for real: `ros2 launch launch/real2sim.launch.xml` starts the
 * node beside a camera, `ros2 service call /reconstruct std_srvs/srv/Trigger` (rclpy) gets
 * the bundle path, Ctrl-C on the launch stops the node.
 * Skips with a message where no ROS 2 command line is installed; fails in CI (see ros2.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_MALLOC_ENV } from '../../../ros/memory.ts';
import { paramsFromYaml } from '../../../ros/params.ts';
import { freeDomainId, repo, requireRos2OrSkip, startProbe, startProc } from './ros2.ts';

const ros2 = requireRos2OrSkip('ros2 launch test');
const env = { ...ros2?.env, ROS_DOMAIN_ID: freeDomainId(40, 54) };
const dir = mkdtempSync(join(tmpdir(), 'real2sim-ros2-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `ros2 <args>` to completion, in its own process group (the ros2 daemon must not share ours). */
async function ros2Cli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  const p = startProc('ros2', args, env, { ownGroup: true });
  const timer = setTimeout(() => void p.stop('SIGKILL', 0), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.output() };
}

/** The environment of the `real2sim ros` process launched on this domain (Linux /proc). */
function nodeEnvironment(domainId: string): Record<string, string> {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmd.some((a) => a.endsWith('bin/real2sim.js')) || !cmd.includes('ros')) continue;
      const e = Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter((kv) => kv.includes('='))
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
      if (e['ROS_DOMAIN_ID'] === domainId) return e;
    } catch {
      // a process that ended meanwhile
    }
  }
  throw new Error(`no real2sim ros process on ROS_DOMAIN_ID ${domainId}`);
}

describe.skipIf(!ros2 || !ros2.hasCli)('ros2 launch launch/real2sim.launch.xml', () => {
  it('the launched node answers `ros2 service call /reconstruct std_srvs/srv/Trigger` with the bundle path, and stops on Ctrl-C', async () => {
    // The launch file's own parameters file, with the bundles written here instead of the repository.
    const params = readFileSync(join(repo, 'launch/params.yaml'), 'utf8').replace(/^(\s+output_dir:).*$/m, `$1 ${dir}`);
    expect(paramsFromYaml(params)['output_dir']).toBe(dir);
    const paramsFile = join(dir, 'params.yaml');
    writeFileSync(paramsFile, params);

    const launch = startProc('ros2', ['launch', 'launch/real2sim.launch.xml', 'camera_ns:=/cam1', `params_file:=${paramsFile}`], env, { ownGroup: true });
    const probe = await startProbe(env);
    try {
      await launch.waitFor(/ready \(rclnodejs\): on_demand, image \/cam1\/color\/image_raw, depth \/cam1\/aligned_depth_to_color\/image_raw, camera_info \/cam1\/color\/camera_info/, 90_000);
      await probe.ask({
        op: 'camera',
        seed: 5,
        width: 160,
        height: 120,
        rate: 4,
        stamp0: 4242,
        topics: { image: '/cam1/color/image_raw', depth: '/cam1/aligned_depth_to_color/image_raw', info: '/cam1/color/camera_info' },
      });
      let answer = '';
      for (let k = 0; k < 10; k++) {
        const { code, out } = await ros2Cli(['service', 'call', '/reconstruct', 'std_srvs/srv/Trigger']);
        expect(code, out).toBe(0);
        answer = out;
        if (/success=True/.test(out)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      // The node runs with the launch file's glibc malloc settings: in its environment, and no
      // start-up note about them (which the node prints on glibc when they are missing).
      expect(nodeEnvironment(env.ROS_DOMAIN_ID)).toMatchObject(NODE_MALLOC_ENV);
      expect(launch.output()).not.toMatch(/dynamic mmap threshold is on/);
      const m = answer.match(/std_srvs\.srv\.Trigger_Response\(success=True, message='([^']+)'\)/);
      expect(m, answer + launch.output()).not.toBeNull();
      expect(m![1]!.startsWith(`${dir}/scene_42`)).toBe(true);
      expect(existsSync(join(m![1]!, 'scene.urdf'))).toBe(true);
      // Ctrl-C to the launch's process group, as a terminal sends it.
      expect(await launch.stop('SIGINT', 20_000), launch.output()).toBe(0);
      expect(launch.output()).toMatch(/real2sim-1\]: process has finished cleanly|process has finished cleanly/);
    } finally {
      await probe.close();
      await launch.stop('SIGKILL', 0);
    }
  }, 240_000); // ros2 launch, a DDS graph and a reconstruction: real processes on a 2-core machine
});
