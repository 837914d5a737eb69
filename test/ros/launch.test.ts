/**
 * The launch file, its parameters file, package.xml and the documented commands agree with
 * what the node declares. The launch command line is run through the real command parser
 * (over rosbridge to a protocol server, since no ROS 2 exists here).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { flagOf, parseRosArgs, startRosCommand, type RosCommandHandle } from '../../src/commands/ros.ts';
import { NAMES } from '../../ros/node.ts';
import { mallocNote, NODE_MALLOC_ENV } from '../../ros/memory.ts';
import { PARAMS, paramsFromYaml, resolveParams } from '../../ros/params.ts';
import { RCLNODEJS_MISSING, rosEnvironmentProblem } from '../../ros/transport/rclnodejs.ts';
import { RosbridgeTestServer } from './rosbridgeServer.ts';
import { synth, truthPipeline } from './scenes.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const launchDir = resolve(repo, 'launch');
const launchXml = readFileSync(resolve(launchDir, 'real2sim.launch.xml'), 'utf8');
const declared = new Set<string>(PARAMS.map((p) => p.name));
const COMMAND_FLAGS = new Set(['transport', 'url', 'compression', 'params-file', 'namespace', 'name', 'remap', 'stats', 'help']);

function parseXml(text: string) {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, msg) => void (level !== 'warning' && errors.push(msg)) }).parseFromString(text, 'text/xml');
  expect(errors).toEqual([]);
  return doc;
}

/** The launch file's arguments and its command line with every substitution expanded to defaults. */
function launchCommand(overrides: Record<string, string> = {}) {
  const doc = parseXml(launchXml);
  const root = doc.documentElement!;
  expect(root.tagName).toBe('launch');
  const args = new Map<string, string>();
  for (const a of Array.from(root.getElementsByTagName('arg'))) args.set(a.getAttribute('name')!, a.getAttribute('default') ?? '');
  const execs = Array.from(root.getElementsByTagName('executable'));
  expect(execs).toHaveLength(1);
  const cmd = execs[0]!.getAttribute('cmd')!;
  const expand = (s: string, depth = 0): string => {
    expect(depth).toBeLessThan(10);
    return s.replace(/\$\((\w+)(?: ([\w]+))?\)/g, (_m, fn: string, name?: string) => {
      if (fn === 'dirname') return launchDir;
      expect(fn).toBe('var');
      expect(args.has(name!), `$(var ${name}) is declared`).toBe(true);
      return expand(overrides[name!] ?? args.get(name!)!, depth + 1);
    });
  };
  return { args, cmd, cwd: expand(execs[0]!.getAttribute('cwd') ?? ''), tokens: expand(cmd).split(/\s+/).filter(Boolean) };
}

const handles: RosCommandHandle[] = [];
const servers: RosbridgeTestServer[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('launch/real2sim.launch.xml', () => {
  it('parses, uses every argument, and starts the real2sim command from this repository', () => {
    const { args, cmd, cwd, tokens } = launchCommand();
    for (const name of args.keys()) expect(launchXml.includes(`$(var ${name})`), `argument ${name} is used`).toBe(true);
    expect([...args.keys()]).toEqual(expect.arrayContaining(['camera_ns', 'gpu_url', 'spawn']));
    expect([tokens[0], resolve(tokens[1]!), tokens[2]]).toEqual(['node', resolve(repo, 'bin/real2sim.js'), 'ros']);
    expect(existsSync(tokens[1]!)).toBe(true);
    expect(resolve(cwd)).toBe(repo);
    expect(cmd).toContain('--transport rclnodejs');
  });

  it('starts the node with the glibc malloc settings it is measured with (ros/memory.ts), which silence the start-up note', () => {
    const exec = parseXml(launchXml).getElementsByTagName('executable')[0]!;
    const env = Object.fromEntries(Array.from(exec.getElementsByTagName('env')).map((e) => [e.getAttribute('name')!, e.getAttribute('value')!]));
    expect(env).toEqual(NODE_MALLOC_ENV);
    expect(mallocNote({ ...env }, true)).toBeNull();
    expect(mallocNote({}, true)).toContain('MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072');
    expect(mallocNote({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072' }, true)).toBeNull();
    // not glibc (musl, macOS): nothing to say
    expect(mallocNote({}, false)).toBeNull();
  });

  it('names only flags and parameters the node declares, and remaps only its own topics', () => {
    const { tokens } = launchCommand();
    const split = tokens.indexOf('--ros-args');
    const flags = tokens
      .slice(3, split)
      .filter((t) => t.startsWith('--'))
      .map((t) => t.slice(2).split('=')[0]!);
    expect(flags.length).toBeGreaterThan(3);
    for (const f of flags) expect(COMMAND_FLAGS.has(f) || declared.has(f.replace(/-/g, '_')), `--${f}`).toBe(true);
    const ros = parseRosArgs(tokens.slice(split));
    const ownNames = new Set<string>(Object.values(NAMES));
    for (const r of ros.remaps) {
      const from = r.split(':=')[0]!;
      expect(from === '__node' || ownNames.has(from), `remap ${r}`).toBe(true);
    }
    for (const p of Object.keys(ros.params)) expect(declared.has(p)).toBe(true);
  });

  it('its command line runs through the real parser: params file loaded, remaps applied (over rosbridge)', async () => {
    const server = await RosbridgeTestServer.start();
    servers.push(server);
    const { tokens } = launchCommand({ camera_ns: '/cam', spawn: 'gz', world: 'shop', gpu_url: '' });
    const argv = tokens.slice(3).map((t) => (t === 'rclnodejs' ? 'rosbridge' : t));
    argv.splice(argv.indexOf('--ros-args'), 0, '--url', server.url);
    const h = await startRosCommand(argv, { pipeline: truthPipeline(synth(2)) });
    handles.push(h);
    expect(h.node.params).toMatchObject({ spawn: 'gz', world: 'shop', gpu_url: '', mode: 'on_demand', spawn_timeout_s: 5 });
    expect(h.node.names).toMatchObject({ image: '/cam/color/image_raw', depth: '/cam/aligned_depth_to_color/image_raw', cameraInfo: '/cam/color/camera_info' });
    await server.waitFor((op) => op.op === 'subscribe' && op['topic'] === '/cam/color/image_raw');
  });
});

describe('launch/params.yaml', () => {
  const text = readFileSync(resolve(launchDir, 'params.yaml'), 'utf8');
  it('is a ROS 2 parameters file for the node, naming only declared parameters with valid values', () => {
    const doc = parseYaml(text) as Record<string, { ros__parameters: Record<string, unknown> }>;
    expect(Object.keys(doc)).toEqual(['real2sim']);
    const names = Object.keys(doc['real2sim']!.ros__parameters);
    for (const n of names) expect(declared.has(n), n).toBe(true);
    expect(new Set(names)).toEqual(declared); // documents every parameter
    expect(() => resolveParams(paramsFromYaml(text))).not.toThrow();
  });
  it('doubles are written with a decimal point (rcl refuses an integer for a double parameter)', () => {
    for (const spec of PARAMS) {
      if (spec.type !== 'double') continue;
      const raw = text.match(new RegExp(`^\\s+${spec.name}:\\s*([^\\s#]+)`, 'm'))?.[1];
      expect(raw, spec.name).toMatch(/^-?\d+\.\d+$/);
    }
  });
  it('a wrong value in a parameters file is reported with its name', () => {
    expect(() => resolveParams(paramsFromYaml('real2sim:\n  ros__parameters:\n    mode: sometimes\n    ratehz: 1\n'))).toThrow(
      /mode: must be one of on_demand, continuous[\s\S]*ratehz: unknown parameter/,
    );
    expect(() => paramsFromYaml('real2sim:\n  mode: x\n')).toThrow(/no ros__parameters/);
  });
});

describe('package.xml and the README section "Use with ROS 2"', () => {
  it('package.xml is format 3 and depends on every message package the node uses', () => {
    const doc = parseXml(readFileSync(resolve(repo, 'package.xml'), 'utf8'));
    expect(doc.documentElement!.getAttribute('format')).toBe('3');
    const deps = Array.from(doc.getElementsByTagName('exec_depend')).map((e) => e.textContent);
    expect(deps).toEqual(expect.arrayContaining(['sensor_msgs', 'std_srvs', 'visualization_msgs', 'tf2_msgs', 'diagnostic_msgs', 'std_msgs']));
  });

  it('every documented command uses launch arguments, flags and parameters that exist', () => {
    const readme = readFileSync(resolve(repo, 'README.md'), 'utf8');
    const start = readme.indexOf('## Use with ROS 2');
    expect(start, 'README.md has a "Use with ROS 2" section').toBeGreaterThanOrEqual(0);
    const end = readme.indexOf('\n## ', start + 3);
    const md = readme.slice(start, end < 0 ? undefined : end);
    const { args } = launchCommand();
    const launches = md.split('\n').filter((l) => /^\s*ros2 launch launch\/real2sim\.launch\.xml/.test(l));
    expect(launches.length).toBeGreaterThan(0);
    for (const l of launches) for (const m of l.matchAll(/(\w+):=/g)) expect(args.has(m[1]!), `launch argument ${m[1]} in: ${l}`).toBe(true);
    const runs = md.split('\n').filter((l) => /real2sim ros /.test(l) && !l.includes('--help'));
    expect(runs.length).toBeGreaterThan(0);
    for (const l of runs) {
      for (const m of l.replace(/--ros-args.*/, '').matchAll(/--([a-z][a-z-]*)/g)) expect(COMMAND_FLAGS.has(m[1]!) || declared.has(m[1]!.replace(/-/g, '_')), `--${m[1]} in: ${l}`).toBe(true);
    }
    for (const p of PARAMS) expect(md.includes(p.name), `docs mention ${p.name}`).toBe(true);
    for (const t of ['scene/markers', 'scene/urdf', 'scene/sdf', '/tf_static', 'diagnostics', 'reconstruct']) expect(md).toContain(t);
  });
});

describe('real2sim ros command line', () => {
  it('without ROS 2 sourced, the rclnodejs transport says what to source, and never touches an installed rclnodejs', () => {
    // A separate process with the ROS variables removed, so the check holds wherever the suite
    // runs (also in a shell that sourced ROS 2). Importing rclnodejs unsourced would make it
    // delete its compiled addon: the addon must still be there afterwards.
    const addon = resolve(repo, 'node_modules/rclnodejs/build/Release/rclnodejs.node');
    const before = existsSync(addon) ? statSync(addon).mtimeMs : null;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AMENT_|ROS_|COLCON_|RMW_)/.test(k)));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'ros', '--transport', 'rclnodejs'], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(2); // EXIT.BAD_INPUT: the environment, not a bug
    expect(r.stderr).toContain(RCLNODEJS_MISSING);
    expect(r.stderr).toContain('no ROS 2 environment is sourced in this shell (AMENT_PREFIX_PATH is empty)');
    expect(r.stderr).toContain('[UNSUPPORTED]');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(addon) ? statSync(addon).mtimeMs : null).toBe(before);
  });
  it('the environment check names what is wrong before anything is imported', () => {
    expect(rosEnvironmentProblem({})).toMatch(/AMENT_PREFIX_PATH is empty/);
    expect(rosEnvironmentProblem({ AMENT_PREFIX_PATH: '/opt/ros/noetic', ROS_VERSION: '1', ROS_DISTRO: 'noetic' })).toMatch(/ROS 1, not ROS 2/);
    expect(rosEnvironmentProblem({ AMENT_PREFIX_PATH: '/opt/x' })).toMatch(/ROS_DISTRO is not set/);
    expect(rosEnvironmentProblem({ AMENT_PREFIX_PATH: '/opt/ros/humble', ROS_VERSION: '2', ROS_DISTRO: 'humble' })).toBeNull();
  });
  it('bad flags are errors that name the flag', async () => {
    await expect(startRosCommand(['--transport', 'ros1'])).rejects.toThrow(/--transport must be rclnodejs or rosbridge/);
    await expect(startRosCommand(['--transport', 'rosbridge', '--rate-hz', 'fast'])).rejects.toThrow(/rate_hz: must be a double, got "fast"/);
    await expect(startRosCommand(['--nope'])).rejects.toThrow(/Unknown option '--nope'/);
    await expect(startRosCommand(['--transport', 'rosbridge', '--params-file', '/no/such.yaml'])).rejects.toThrow(/cannot read the parameters file/);
    await expect(startRosCommand(['--transport', 'rosbridge', '--connect-timeout', 'soon'])).rejects.toThrow(/--connect-timeout must be a number of seconds ≥ 0, got 'soon'/);
    await expect(startRosCommand(['--transport', 'rosbridge', '--connect-timeout=-1'])).rejects.toThrow(/--connect-timeout must be/);
  });
  it('a bad GPU host URL fails at start, and the bridge connection is closed again', async () => {
    const server = await RosbridgeTestServer.start();
    servers.push(server);
    await expect(startRosCommand(['--transport', 'rosbridge', '--url', server.url, '--gpu-url', 'ftp://gpu-box'])).rejects.toThrow(/GPU host URL must be http:\/\/ or https:\/\//);
    // Nothing was served, and the connection is gone again.
    expect(server.received.filter((op) => op.op === 'advertise_service')).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.clientCount()).toBe(0);
  });
  it('every parameter has a flag', () => {
    for (const p of PARAMS) expect(flagOf(p.name)).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });
});
