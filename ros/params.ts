/**
 * Every parameter the node declares, in one table: the transports declare them (rclnodejs makes
 * them visible to `ros2 param`), the CLI turns them into flags (`rate_hz` → `--rate-hz`), and
 * the launch test checks that `launch/params.yaml` names only these.
 */
import { parse as parseYaml } from 'yaml';
import { Real2SimError, type ValidationProblem } from '../src/model/errors.ts';

export type ParamValue = string | number | boolean;

export interface ParamSpec {
  name: string;
  type: 'string' | 'double' | 'integer' | 'bool';
  default: ParamValue;
  description: string;
  /** For enumerations. */
  choices?: readonly string[];
  /** Inclusive lower bound for numbers. */
  min?: number;
}

export const PARAMS = [
  {
    name: 'mode',
    type: 'string',
    default: 'on_demand',
    choices: ['on_demand', 'continuous'],
    description: 'on_demand: reconstruct when the `reconstruct` service is called; continuous: at rate_hz on the latest synced frame',
  },
  { name: 'rate_hz', type: 'double', default: 0.2, min: 0.001, description: 'reconstructions per second in continuous mode (a run in progress is never interrupted)' },
  { name: 'sync_tolerance_s', type: 'double', default: 0.02, min: 0, description: 'colour, depth and masks pair when their stamps differ by at most this (approximate time sync)' },
  { name: 'queue_when_busy', type: 'bool', default: false, description: 'a request during a run waits for one more run (one slot) instead of answering busy' },
  { name: 'use_depth', type: 'bool', default: true, description: 'subscribe to `depth` and require it in every frame (false: colour only; depth from the GPU host)' },
  { name: 'use_masks', type: 'bool', default: false, description: 'subscribe to `masks` (instance label image) and require it in every frame' },
  { name: 'depth_scale', type: 'double', default: 0.001, min: 0, description: 'metres per unit of 16UC1 / mono16 depth' },
  {
    name: 'input_reliability',
    type: 'string',
    default: 'best_effort',
    choices: ['best_effort', 'reliable'],
    description: 'QoS of the input subscriptions (best_effort also hears reliable publishers)',
  },
  { name: 'scene_frame', type: 'string', default: 'world', description: 'TF frame of the reconstructed world (z up, REP 103)' },
  { name: 'camera_frame', type: 'string', default: '', description: 'optical frame of the camera; empty = header.frame_id of the colour image' },
  {
    name: 'camera_tf',
    type: 'string',
    default: 'scene_parent',
    choices: ['scene_parent', 'camera_parent', 'none'],
    description: 'scene_parent: publish scene_frame → camera; camera_parent: camera → scene_frame (when a driver already owns the camera frame); none',
  },
  { name: 'object_frame_prefix', type: 'string', default: 'real2sim/', description: 'prefix of the per-object static TF frames' },
  {
    name: 'marker_mesh',
    type: 'string',
    default: 'triangle_list',
    choices: ['triangle_list', 'mesh_resource'],
    description: 'how objects are drawn in scene/markers: inline triangles, or file:// meshes of the bundle (same machine only)',
  },
  { name: 'output_dir', type: 'string', default: 'real2sim_out', description: 'bundles are written under this folder, one per run' },
  {
    name: 'write_bundle',
    type: 'string',
    default: 'always',
    choices: ['always', 'on_change'],
    description:
      'always: a new bundle per run; on_change: only when objects were added/removed or one moved beyond change_translation_m / change_rotation_deg, else the current scene is re-published with a new stamp',
  },
  {
    name: 'debug_products',
    type: 'bool',
    default: true,
    description: "each bundle's debug/ folder (masks, depth, labels, clouds, rendered views, report.html); false: the simulator files, scene.json and physics.json only (faster in a loop)",
  },
  { name: 'change_translation_m', type: 'double', default: 0.01, min: 0, description: 'on_change: an object that moved more than this (metres) is a change' },
  { name: 'change_rotation_deg', type: 'double', default: 5, min: 0, description: 'on_change: an object that turned more than this (degrees) is a change' },
  { name: 'keep_last', type: 'integer', default: -1, min: -1, description: 'bundles of this node kept in output_dir, oldest removed first; 0 = all; -1 = 20 in continuous mode, all on demand' },
  { name: 'max_disk_mb', type: 'double', default: 0, min: 0, description: "the node's bundles in output_dir are kept under this many MB, oldest removed first (never the current one); 0 = no limit" },
  {
    name: 'gpu_url',
    type: 'string',
    default: '',
    description: 'GPU host URL for the learned stages, or several comma-separated (a pool: least outstanding requests, health checks, failover); empty = geometric CPU backends only',
  },
  { name: 'spawn', type: 'string', default: 'none', choices: ['none', 'gz', 'classic'], description: 'spawn objects in Gazebo: gz (ros_gz /world/<world>/create) or classic (/spawn_entity)' },
  { name: 'world', type: 'string', default: 'default', description: 'Gazebo (gz) world name for /world/<world>/create' },
  { name: 'spawn_invalid', type: 'bool', default: false, description: 'also spawn scenes whose physics verdict is invalid' },
  { name: 'spawn_timeout_s', type: 'double', default: 5, min: 0, description: 'how long to wait for each spawn service answer' },
  { name: 'workspace', type: 'string', default: '', description: 'box where objects may be, in the support frame, metres: "xmin,ymin,zmin,xmax,ymax,zmax"; empty = anywhere' },
  { name: 'roi_path', type: 'string', default: '', description: 'region-of-interest PNG the size of the colour image (non-zero = objects may be there); empty = the whole image' },
  { name: 'max_object_size', type: 'double', default: 0.5, min: 0, description: 'largest plausible object, metres; larger segments (robot arm, bin wall, furniture) are excluded, not emitted' },
  {
    name: 'library',
    type: 'string',
    default: '',
    description: "folder of known objects' meshes (OBJ/STL/PLY/GLB/MSH, optional library.json): clear matches become the item's mesh at the registered pose; empty = no library",
  },
] as const satisfies readonly ParamSpec[];

export type ParamName = (typeof PARAMS)[number]['name'];

export interface NodeParams {
  mode: 'on_demand' | 'continuous';
  rate_hz: number;
  sync_tolerance_s: number;
  queue_when_busy: boolean;
  use_depth: boolean;
  use_masks: boolean;
  depth_scale: number;
  input_reliability: 'best_effort' | 'reliable';
  scene_frame: string;
  camera_frame: string;
  camera_tf: 'scene_parent' | 'camera_parent' | 'none';
  object_frame_prefix: string;
  marker_mesh: 'triangle_list' | 'mesh_resource';
  output_dir: string;
  write_bundle: 'always' | 'on_change';
  debug_products: boolean;
  change_translation_m: number;
  change_rotation_deg: number;
  keep_last: number;
  max_disk_mb: number;
  gpu_url: string;
  spawn: 'none' | 'gz' | 'classic';
  world: string;
  spawn_invalid: boolean;
  spawn_timeout_s: number;
  workspace: string;
  roi_path: string;
  max_object_size: number;
  library: string;
}

export const PARAM_DEFAULTS: Readonly<NodeParams> = Object.fromEntries(PARAMS.map((p) => [p.name, p.default])) as unknown as NodeParams;

const SPECS = new Map<string, ParamSpec>(PARAMS.map((p) => [p.name, p]));

export function paramSpec(name: string): ParamSpec | undefined {
  return SPECS.get(name);
}

/** Coerces one value (flags arrive as strings) to the declared type; null with a problem otherwise. */
export function coerceParam(spec: ParamSpec, raw: unknown, problems: ValidationProblem[], path = spec.name): ParamValue | null {
  let v: ParamValue | null = null;
  if (spec.type === 'bool') {
    if (typeof raw === 'boolean') v = raw;
    else if (raw === 'true' || raw === '1') v = true;
    else if (raw === 'false' || raw === '0') v = false;
  } else if (spec.type === 'double' || spec.type === 'integer') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (Number.isFinite(n) && (spec.type === 'double' || Number.isInteger(n))) v = n;
  } else if (typeof raw === 'string') {
    v = raw;
  }
  if (v === null) {
    problems.push({ path, message: `must be a ${spec.type}, got ${JSON.stringify(raw)}` });
    return null;
  }
  if (spec.choices && !spec.choices.includes(String(v))) {
    problems.push({ path, message: `must be one of ${spec.choices.join(', ')}, got '${v}'` });
    return null;
  }
  if (spec.min !== undefined && typeof v === 'number' && v < spec.min) {
    problems.push({ path, message: `must be ≥ ${spec.min}, got ${v}` });
    return null;
  }
  return v;
}

/**
 * Full parameter set from partial, untrusted values (YAML, flags, a transport's parameter
 * server). Unknown names and bad values are all reported at once.
 */
export function resolveParams(given: Record<string, unknown>, where = 'parameters'): NodeParams {
  const problems: ValidationProblem[] = [];
  const out: Record<string, ParamValue> = { ...PARAM_DEFAULTS };
  for (const [name, raw] of Object.entries(given)) {
    if (raw === undefined) continue;
    const spec = SPECS.get(name);
    if (!spec) {
      problems.push({ path: name, message: `unknown parameter; the node declares ${PARAMS.map((p) => p.name).join(', ')}` });
      continue;
    }
    const v = coerceParam(spec, raw, problems);
    if (v !== null) out[name] = v;
  }
  if (problems.length > 0) {
    throw new Real2SimError('BAD_INPUT', `${where} are invalid:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, { problems });
  }
  return out as unknown as NodeParams;
}

/**
 * Reads the `ros__parameters` of one node from a ROS 2 parameters YAML file
 * (`<node>: {ros__parameters: {...}}`, also under `/**` or a namespaced key).
 */
export function paramsFromYaml(text: string, nodeName = 'real2sim'): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `parameters file is not valid YAML: ${(cause as Error).message}`, {}, cause);
  }
  if (typeof doc !== 'object' || doc === null) throw new Real2SimError('BAD_FILE', 'parameters file must map node names to {ros__parameters: …}');
  const merged: Record<string, unknown> = {};
  for (const [key, section] of Object.entries(doc as Record<string, unknown>)) {
    const bare = key.replace(/^\/+/, '').split('/').pop();
    if (key !== '/**' && bare !== nodeName) continue;
    const p = (section as Record<string, unknown> | null)?.['ros__parameters'];
    if (typeof p !== 'object' || p === null) {
      throw new Real2SimError('BAD_FILE', `parameters file: '${key}' has no ros__parameters mapping`);
    }
    Object.assign(merged, p);
  }
  return merged;
}
