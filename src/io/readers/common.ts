/**
 * What the three importers share: the context (where files are), file reading, the report,
 * and turning a link/body (its geometry in its own frame, its inertial, its world pose) into
 * a `SceneObject` of the scene model.
 *
 * Object frame: our model puts the object origin at the centre of its box. An imported link
 * frame usually is not, so the object frame is the link frame shifted (not rotated) to the
 * centre of the visual bounds; meshes, centre of mass and pose are moved with it. A shift
 * below 1e-9 m is ignored so that our own exports round-trip exactly.
 */
import { access, readFile as fsReadFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Mesh } from '../../model/geometry.ts';
import { boundsOf } from '../../model/geometry.ts';
import type { Inertia, Scene, SceneObject } from '../../model/scene.ts';
import { SCENE_VERSION } from '../../model/scene.ts';
import type { StageReport } from '../../model/report.ts';
import { quatToMat3, rotateVec, transformPositions, type Pose, type Quat, type Vec3 } from '../../model/pose.ts';
import { Real2SimError } from '../../model/errors.ts';
import { convexHull } from '../../geometry/convexHull.ts';
import { massProperties } from '../../geometry/massProperties.ts';
import { mergeMeshes } from '../../geometry/primitives.ts';
import { boxInertia } from '../../export/inertia.ts';
import { parseAssetMesh, type ParsedMesh } from './meshes.ts';

export interface ImportContext {
  /** Folder that relative paths in the file are resolved against (the file's own folder). */
  baseDir: string;
  /** Reads a file; defaults to the file system. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** Folders holding Gazebo models (`model://<name>/…`) and ROS packages (`package://<pkg>/…`). */
  searchPath?: string[];
  /** Density for links without mass, kg/m³. */
  defaultDensity?: number;
  /** Name of the file being read, for messages. */
  fileName?: string;
}

/** Mutable state of one import: files read (cached), warnings. */
export class ImportSession {
  readonly warnings: string[] = [];
  readonly counts: Record<string, number> = { objects: 0, skippedLinks: 0, meshes: 0 };
  private readonly cache = new Map<string, Promise<ParsedMesh>>();
  private readonly reader: (path: string) => Promise<Uint8Array>;
  readonly t0 = performance.now();

  constructor(
    readonly ctx: ImportContext,
    readonly backend: string,
  ) {
    this.reader = ctx.readFile ?? (async (p: string) => new Uint8Array(await fsReadFile(p)));
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  async read(path: string): Promise<Uint8Array> {
    try {
      return await this.reader(path);
    } catch (cause) {
      throw new Real2SimError('BAD_FILE', `Cannot read '${path}' (referenced by ${this.ctx.fileName ?? 'the imported file'}): ${(cause as Error).message}`, { path }, cause);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      // With the default reader, ask the file system instead of reading the whole file.
      if (this.ctx.readFile) await this.reader(path);
      else await access(path);
      return true;
    } catch {
      return false;
    }
  }

  mesh(path: string): Promise<ParsedMesh> {
    let p = this.cache.get(path);
    if (!p) {
      p = this.read(path).then((bytes) => parseAssetMesh(bytes, path));
      this.cache.set(path, p);
      this.counts['meshes']!++;
    }
    return p;
  }

  report(): StageReport {
    return { stage: 'import', backend: this.backend, timeMs: performance.now() - this.t0, counts: { ...this.counts }, warnings: [...this.warnings] };
  }

  scene(objects: SceneObject[], meta: Record<string, unknown> = {}): Scene {
    this.counts['objects'] = objects.length;
    return { version: SCENE_VERSION, frameId: 'world', objects, reports: [this.report()], meta: { importedFrom: this.ctx.fileName, ...meta } };
  }
}

/**
 * Resolves a mesh/file URI of an asset: `package://pkg/rest`, `model://name/rest`,
 * `file:///abs`, absolute or relative paths (relative to `baseDir`). For package/model URIs,
 * candidates are tried in the search path, then beside `baseDir` (a bundle's own
 * `package://<pkg>/meshes/…` resolves against the bundle folder).
 */
export async function resolveUri(session: ImportSession, uri: string, baseDir: string): Promise<string> {
  const u = uri.trim();
  const m = /^(package|model):\/\/([^/]+)\/(.*)$/.exec(u);
  if (m) {
    const [, , name, rest] = m as unknown as [string, string, string, string];
    const candidates = [
      ...(session.ctx.searchPath ?? []).map((d) => join(d, name, rest)),
      join(baseDir, rest),
      join(baseDir, '..', name, rest),
      join(baseDir, '..', '..', name, rest),
      join(session.ctx.baseDir, rest),
    ];
    for (const c of candidates) if (await session.exists(c)) return c;
    throw new Real2SimError(
      'BAD_FILE',
      `Cannot resolve '${u}': not found in the search path (${(session.ctx.searchPath ?? []).join(', ') || 'empty'}) nor beside ${baseDir}. Pass the folder that holds '${name}/' in searchPath.`,
      { uri: u },
    );
  }
  if (u.startsWith('file://')) return decodeURIComponent(u.slice('file://'.length));
  return isAbsolute(u) ? u : resolve(baseDir, u);
}

/** A piece of geometry of a link, in the link frame. */
export interface Part {
  mesh: Mesh;
  /** Convex pieces (for collision parts): groups of a V-HACD OBJ, or one primitive. */
  pieces: Mesh[];
  color?: Vec3;
}

export interface LinkSpec {
  id: string;
  label: string;
  /** Link frame → world. */
  pose: Pose;
  visual: Part[];
  collision: Part[];
  /** From the file, in the link frame; undefined when the file has none. */
  mass?: number;
  /** Centre of mass in the link frame. */
  centerOfMass?: Vec3;
  /** About the centre of mass, axes of the link frame. */
  inertia?: Inertia;
  isStatic: boolean;
}

/** Rotates an inertia tensor from a frame rotated by q into the parent frame: R I Rᵀ. */
export function rotateInertia(I: Inertia, q: Quat): Inertia {
  const R = quatToMat3(q);
  const A = [I.ixx, I.ixy, I.ixz, I.ixy, I.iyy, I.iyz, I.ixz, I.iyz, I.izz];
  const RA = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) RA[r * 3 + c]! += R[r * 3 + k]! * A[k * 3 + c]!;
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c]! += RA[r * 3 + k]! * R[c * 3 + k]!;
  return { ixx: out[0]!, ixy: out[1]!, ixz: out[2]!, iyy: out[4]!, iyz: out[5]!, izz: out[8]! };
}

/** Applies a pose and per-axis scale (scale first) to a mesh; flips winding for a mirror scale. */
export function placeMesh(mesh: Mesh, pose: Pose, scale: Vec3 = [1, 1, 1]): Mesh {
  let positions = mesh.positions;
  if (scale[0] !== 1 || scale[1] !== 1 || scale[2] !== 1) {
    positions = new Float32Array(positions.length);
    for (let i = 0; i < positions.length; i += 3) {
      positions[i] = mesh.positions[i]! * scale[0];
      positions[i + 1] = mesh.positions[i + 1]! * scale[1];
      positions[i + 2] = mesh.positions[i + 2]! * scale[2];
    }
  }
  const identity = pose.position.every((v) => v === 0) && pose.orientation[3] === 1;
  if (!identity) positions = transformPositions(pose, positions);
  let indices = mesh.indices;
  if (scale[0] * scale[1] * scale[2] < 0) {
    indices = new Uint32Array(mesh.indices.length);
    for (let t = 0; t < indices.length; t += 3) {
      indices[t] = mesh.indices[t]!;
      indices[t + 1] = mesh.indices[t + 2]!;
      indices[t + 2] = mesh.indices[t + 1]!;
    }
  }
  return { positions, indices };
}

function shiftMesh(m: Mesh, c: Vec3): Mesh {
  const positions = new Float32Array(m.positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    positions[i] = m.positions[i]! - c[0];
    positions[i + 1] = m.positions[i + 1]! - c[1];
    positions[i + 2] = m.positions[i + 2]! - c[2];
  }
  return { positions, indices: m.indices };
}

/** Builds the scene object of one link, or null (with a warning) when it has no geometry. */
export function linkToObject(session: ImportSession, link: LinkSpec): SceneObject | null {
  const density = session.ctx.defaultDensity ?? 1000;
  const visualParts = link.visual.length ? link.visual : link.collision;
  if (visualParts.length === 0) {
    session.counts['skippedLinks']!++;
    session.warn(`link '${link.id}' has no geometry; skipped`);
    return null;
  }
  let visual = visualParts.length === 1 ? visualParts[0]!.mesh : mergeMeshes(visualParts.map((p) => p.mesh));
  const pieceSource = (link.collision.length ? link.collision : link.visual).flatMap((p) => p.pieces);
  let collision: Mesh[] = [];
  for (const piece of pieceSource) {
    try {
      collision.push(convexHull(piece.positions));
    } catch {
      session.warn(`link '${link.id}': a flat collision piece was dropped`);
    }
  }
  if (collision.length === 0) {
    try {
      collision = [convexHull(visual.positions)];
      session.warn(`link '${link.id}': no usable collision geometry; using the convex hull of its visual mesh`);
    } catch {
      session.warn(`link '${link.id}' is flat (no volume); skipped`);
      session.counts['skippedLinks']!++;
      return null;
    }
  }
  const b = boundsOf(visual.positions);
  const centre: Vec3 = [(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2];
  const size: Vec3 = [b.max[0] - b.min[0], b.max[1] - b.min[1], b.max[2] - b.min[2]];
  let pose = link.pose;
  let com = link.centerOfMass;
  if (Math.hypot(...centre) > 1e-9) {
    visual = shiftMesh(visual, centre);
    collision = collision.map((m) => shiftMesh(m, centre));
    const d = rotateVec(link.pose.orientation, centre);
    pose = { position: [link.pose.position[0] + d[0], link.pose.position[1] + d[1], link.pose.position[2] + d[2]], orientation: link.pose.orientation };
    if (com) com = [com[0] - centre[0], com[1] - centre[1], com[2] - centre[2]];
  }
  let mass = link.mass;
  let inertia = link.inertia;
  if (mass === undefined || !(mass > 0)) {
    // Computed from the collision pieces: they are closed (hulls), visual meshes often are not.
    let vol = 0;
    for (const c of collision) vol += massProperties(c, 1).volume;
    const computed = Math.max(vol, 1e-9) * density;
    if (link.isStatic) session.warn(`link '${link.id}': static with mass ${mass ?? 'missing'}; mass set from its volume at ${density} kg/m³`);
    else session.warn(`link '${link.id}': mass ${mass ?? 'missing'}; computed ${computed.toPrecision(3)} kg from its volume at ${density} kg/m³`);
    mass = computed;
    inertia = undefined;
    com = undefined;
  }
  if (!com || !inertia) {
    const whole = collision.length === 1 ? collision[0]! : mergeMeshes(collision);
    const mp = massProperties(whole, 1);
    if (mp.volume > 1e-12) {
      const k = mass / mp.volume;
      com ??= mp.centerOfMass;
      inertia ??= { ixx: mp.inertia.ixx * k, ixy: mp.inertia.ixy * k, ixz: mp.inertia.ixz * k, iyy: mp.inertia.iyy * k, iyz: mp.inertia.iyz * k, izz: mp.inertia.izz * k };
    } else {
      com ??= [0, 0, 0];
      inertia ??= boxInertia(mass, size);
    }
  }
  const color = visualParts.find((p) => p.color)?.color;
  return {
    id: link.id,
    label: link.label,
    mesh: visual,
    pose,
    size,
    mass,
    centerOfMass: com,
    inertia,
    collision,
    ...(link.isStatic ? { isStatic: true } : {}),
    ...(color ? { color } : {}),
  };
}

/** Unique ids: a second `link` becomes `link_2` (ids must be unique in a scene). */
export function uniqueIds(objects: SceneObject[]): SceneObject[] {
  const seen = new Set<string>();
  for (const o of objects) {
    let id = o.id || 'object';
    for (let k = 2; seen.has(id); k++) id = `${o.id || 'object'}_${k}`;
    seen.add(id);
    o.id = id;
  }
  return objects;
}
