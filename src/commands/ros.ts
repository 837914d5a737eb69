/**
 * `real2sim ros` — the ROS 2 node: camera topics in, validated scene out.
 *
 *   real2sim ros [--transport rclnodejs|rosbridge] [--url ws://robot:9090] [--params-file FILE]
 *                [--namespace NS] [--name NODE] [--remap from:=to]… [--<parameter> VALUE]…
 *                [--ros-args …]
 *
 * Parameter precedence: defaults < --params-file < --<parameter> flags < `--ros-args -p`
 * (with rclnodejs, rcl applies `-p` and `--params-file` given after --ros-args itself).
 */
import { readFileSync } from 'node:fs';
import { Real2SimError } from '../model/errors.ts';
import { parseCommandArgs } from './args.ts';
import type { SceneNode, PipelineFn } from '../../ros/node.ts';
import type { NodeParams } from '../../ros/params.ts';
import type { Transport } from '../../ros/transport/types.ts';

const FIXED_OPTIONS = {
  transport: { type: 'string', default: 'rclnodejs' },
  url: { type: 'string', default: 'ws://localhost:9090' },
  compression: { type: 'string', default: 'cbor' },
  'connect-timeout': { type: 'string' },
  'params-file': { type: 'string' },
  namespace: { type: 'string', default: '' },
  name: { type: 'string', default: 'real2sim' },
  remap: { type: 'string', multiple: true, default: [] as string[] },
  stats: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `rate_hz` ↔ `--rate-hz` */
export const flagOf = (param: string) => param.replace(/_/g, '-');

export interface RosCommandHandle {
  node: SceneNode;
  transport: Transport;
  /** `--stats` was given. */
  printStats: boolean;
  close(): Promise<void>;
}

/** The node's counters as lines for a terminal (`--stats`). */
export function formatStats(st: SceneNode['stats']): string {
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ') || 'none';
  const ok = st.runs - st.failures;
  const lines = [
    'real2sim ros counters:',
    `  received: ${list(st.received)}`,
    `  dropped: ${list(st.dropped)}`,
    ...Object.entries(st.dropReasons).map(([t, r]) => `    last drop on ${t}: ${r}`),
    `  synced ${st.synced}, used ${st.used}, skipped inconsistent ${st.skippedInconsistent}`,
    `  reconstructions ${st.runs}, failures ${st.failures}, busy ${st.busy}, mean time ${ok > 0 ? (st.totalRunMs / ok).toFixed(0) : '-'} ms`,
    `  bundles written ${st.bundlesWritten}, unchanged scenes ${st.unchanged}, removed ${st.bundlesRemoved}, kept ${st.bundlesKept} (${(st.bundleBytes / 1e6).toFixed(1)} MB)`,
    `  current bundle: ${st.currentBundle || 'none'}`,
  ];
  return lines.join('\n');
}

/** Parses `--ros-args` the way rcl does for the parts this node uses (remaps, -p, --params-file). */
export function parseRosArgs(args: readonly string[]): { remaps: string[]; params: Record<string, string>; paramsFiles: string[] } {
  const out = { remaps: [] as string[], params: {} as Record<string, string>, paramsFiles: [] as string[] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Real2SimError('BAD_INPUT', `--ros-args: ${a} needs a value`);
      return v;
    };
    if (a === '--ros-args' || a === '--') continue;
    if (a === '-r' || a === '--remap') out.remaps.push(next());
    else if (a === '-p' || a === '--param') {
      const kv = next();
      const k = kv.indexOf(':=');
      if (k <= 0) throw new Real2SimError('BAD_INPUT', `--ros-args -p ${kv}: use name:=value`);
      out.params[kv.slice(0, k)] = kv.slice(k + 2);
    } else if (a === '--params-file') out.paramsFiles.push(next());
  }
  return out;
}

async function usage(): Promise<string> {
  const [{ PARAMS }, { ROSBRIDGE_DEFAULTS }] = await Promise.all([import('../../ros/params.ts'), import('../../ros/transport/rosbridge.ts')]);
  const width = Math.max(...PARAMS.map((p) => flagOf(p.name).length)) + 2;
  const lines = PARAMS.map((p) => `  --${flagOf(p.name).padEnd(width)} ${p.description} (default: ${JSON.stringify(p.default)}${'choices' in p ? `; ${p.choices.join('|')}` : ''})`);
  return [
    'usage: real2sim ros [--transport rclnodejs|rosbridge] [--url ws://HOST:9090] [--params-file FILE]',
    '                    [--namespace NS] [--name NODE] [--remap from:=to]... [--PARAMETER VALUE]... [--ros-args ...]',
    '',
    '  --transport      rclnodejs (a ROS 2 node; needs a sourced ROS 2 and `npm install rclnodejs`) or',
    '                   rosbridge (a rosbridge_server WebSocket; no ROS 2 needed on this machine)',
    '  --url            rosbridge URL (default ws://localhost:9090)',
    '  --compression    rosbridge image encoding: cbor (binary, default) or none (JSON + base64)',
    `  --connect-timeout  seconds the start keeps trying to reach rosbridge (default ${ROSBRIDGE_DEFAULTS.connectTimeoutMs / 1000}; 0 = one attempt)`,
    '  --params-file    ROS 2 parameters YAML (<node>: {ros__parameters: {...}}), e.g. launch/params.yaml',
    '  --namespace      node namespace; relative topic names (image, depth, ...) resolve under it',
    '  --remap          from:=to, e.g. image:=/camera/color/image_raw (repeatable)',
    '  --stats          print the counters (frames received, dropped, synced, used; runs, failures, mean time) at shutdown',
    '                   and the memory in use; SIGUSR2 prints the memory at any time (heap after a full GC when node runs with --expose-gc)',
    '',
    'parameters:',
    ...lines,
  ].join('\n');
}

/** Starts the node and returns once it is serving (for tests and embedding). */
export async function startRosCommand(argv: string[], o: { pipeline?: PipelineFn; signal?: AbortSignal } = {}): Promise<RosCommandHandle> {
  const [{ PARAMS, paramsFromYaml, resolveParams }, { parseRemaps, normaliseNamespace }, { startSceneNode }] = await Promise.all([
    import('../../ros/params.ts'),
    import('../../ros/names.ts'),
    import('../../ros/node.ts'),
  ]);
  const split = argv.indexOf('--ros-args');
  const own = split >= 0 ? argv.slice(0, split) : argv;
  const rosArgs = split >= 0 ? argv.slice(split) : [];
  const paramOptions = Object.fromEntries(PARAMS.map((p) => [flagOf(p.name), { type: 'string' as const }]));
  const { values } = parseCommandArgs('ros', own, { ...FIXED_OPTIONS, ...paramOptions }, '[options] (real2sim ros --help lists them)');
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const transportKind = v['transport'] as string;
  if (transportKind !== 'rclnodejs' && transportKind !== 'rosbridge') {
    throw new Real2SimError('BAD_INPUT', `--transport must be rclnodejs or rosbridge, got '${transportKind}'`);
  }
  const compression = v['compression'] as string;
  if (compression !== 'cbor' && compression !== 'none') throw new Real2SimError('BAD_INPUT', `--compression must be cbor or none, got '${compression}'`);
  // absent: the transport's own default (ROSBRIDGE_DEFAULTS)
  const connectTimeoutS = v['connect-timeout'] === undefined ? undefined : Number(v['connect-timeout']);
  if (connectTimeoutS !== undefined && !(connectTimeoutS >= 0 && Number.isFinite(connectTimeoutS)))
    throw new Real2SimError('BAD_INPUT', `--connect-timeout must be a number of seconds ≥ 0, got '${String(v['connect-timeout'])}'`);
  const ros = parseRosArgs(rosArgs);
  const nodeName = (ros.remaps.find((r) => r.startsWith('__node:='))?.slice(8) ?? v['name']) as string;
  const namespace = normaliseNamespace((ros.remaps.find((r) => r.startsWith('__ns:='))?.slice(6) ?? v['namespace']) as string);

  // defaults < params files < flags < -p
  const given: Record<string, unknown> = {};
  const files = [...(v['params-file'] ? [v['params-file'] as string] : []), ...(transportKind === 'rosbridge' ? ros.paramsFiles : [])];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (cause) {
      throw new Real2SimError('BAD_FILE', `cannot read the parameters file ${f}: ${(cause as Error).message}`, { file: f }, cause);
    }
    Object.assign(given, paramsFromYaml(text, nodeName));
  }
  for (const p of PARAMS) if (v[flagOf(p.name)] !== undefined) given[p.name] = v[flagOf(p.name)];
  if (transportKind === 'rosbridge') Object.assign(given, ros.params);
  const params = resolveParams(given, 'real2sim ros parameters');
  const remaps = parseRemaps([...(v['remap'] as string[]), ...ros.remaps.filter((r) => !r.startsWith('__'))]);

  let transport: Transport;
  if (transportKind === 'rosbridge') {
    const { connectRosbridge } = await import('../../ros/transport/rosbridge.ts');
    transport = await connectRosbridge({
      url: v['url'] as string,
      compression,
      ...(connectTimeoutS !== undefined ? { connectTimeoutMs: connectTimeoutS * 1000 } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } else {
    const { connectRclnodejs } = await import('../../ros/transport/rclnodejs.ts');
    transport = await connectRclnodejs({ nodeName, namespace, rosArgs });
  }

  let node: SceneNode;
  try {
    node = await startSceneNode({
      transport,
      // Built from the parameters the transport settled on, before the node serves: a bad GPU
      // host URL or a missing module fails the start, not the first request.
      ...(o.pipeline ? { pipeline: o.pipeline } : { makePipeline: async (p: NodeParams) => (await import('../../ros/wiring.ts')).defaultPipeline(p) }),
      params: params as unknown as Record<string, string | number | boolean>,
      namespace,
      remaps,
      nodeName,
    });
  } catch (err) {
    await transport.close();
    throw err;
  }
  const n = node;
  return {
    node: n,
    transport,
    printStats: v['stats'] === true,
    async close() {
      await n.close();
      await transport.close();
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(await usage());
    return 0;
  }
  // Handlers are installed before the node starts and stay while it closes: a Ctrl-C during the
  // start (right after "ready") must still unadvertise, and under `ros2 launch` a terminal's
  // Ctrl-C reaches the node twice (its process group, then launch forwarding it); a second
  // signal must not kill it halfway through unadvertising.
  let signals = 0;
  // ends a start that is still waiting for rosbridge (nothing is served yet: nothing to undo)
  const waiting = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      waiting.abort();
      if (signals++ === 0) resolve();
      else if (signals >= 3) process.exit(130); // a third Ctrl-C: the user wants out now
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // SIGUSR2 prints the process's memory (after a full GC when node runs with --expose-gc): what
  // the soak samples to tell a leak (heap growing after GC) from resident memory that only looks
  // like one (see ros/memory.ts). Installed before the start: unhandled, SIGUSR2 ends the process.
  const { memorySampleWithWorkers, formatMemory, mallocNote } = await import('../../ros/memory.ts');
  const printMemory = () => void memorySampleWithWorkers(true).then((m) => console.log(formatMemory(m)));
  process.on('SIGUSR2', printMemory);
  let handle: RosCommandHandle;
  try {
    handle = await startRosCommand(argv, { signal: waiting.signal });
  } catch (err) {
    if (!(err instanceof Real2SimError && err.code === 'ABORTED')) throw err;
    console.error(`real2sim ros: ${err.message}`);
    return 130;
  }
  const note = mallocNote();
  if (note) handle.transport.log.info(note);
  await stopped;
  handle.transport.log.info('shutting down');
  await handle.close();
  process.off('SIGUSR2', printMemory);
  if (handle.printStats) console.log(`${formatStats(handle.node.stats)}\n  ${formatMemory(await memorySampleWithWorkers(true))}`);
  return 0;
}
