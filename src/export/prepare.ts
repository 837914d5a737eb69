/**
 * The one view of a scene that every writer shares: sanitised unique names, safe masses and
 * inertias, collision pieces that exist, mesh file paths. Writers never read raw ids, so the
 * URDF, SDF, MJCF and the bundle can never disagree about a name or a file.
 */
import { ballCentre, ballOf, type Ball } from '../geometry/ball.ts';
import { boundsOf, type Mesh } from '../model/geometry.ts';
import type { Scene, SceneObject, Inertia, Plane } from '../model/scene.ts';
import { isFinitePose, quatNormalize, transformPositions, type Pose, type Vec3 } from '../model/pose.ts';
import type { StageReport } from '../model/report.ts';
import { Real2SimError } from '../model/errors.ts';
import { convexHull } from '../geometry/convexHull.ts';
import { capHullVertices } from './hullCap.ts';
import { boxMesh } from '../geometry/primitives.ts';
import { massProperties } from '../geometry/massProperties.ts';
import { uniqueNames } from './names.ts';
import { INERTIA_RULES_DEFAULTS, safeMassProperties, type InertiaRules } from './inertia.ts';
import { exactBoxOf, SURFACE_DEFAULTS, type Primitive, type Surface } from './surface.ts';

export interface ExportObject {
  /** The scene's object, untouched. */
  source: SceneObject;
  /** Sanitised, unique among the scene's objects: used for file, link, body and model names. */
  name: string;
  pose: Pose;
  mass: number;
  inertia: Inertia;
  centerOfMass: Vec3;
  visual: Mesh;
  /** At least one convex piece. */
  collision: Mesh[];
  /** The visual mesh encloses volume. MuJoCo 3 refuses meshes without ("mesh volume is too
   * small"), so the MJCF leaves a flat or inside-out visual out and shows the collision pieces. */
  visualIsSolid: boolean;
  /**
   * Set when the object is one convex piece that is a ball (src/geometry/ball.ts): writers that
   * have a sphere primitive use it, centred as our engines centre it, since a tessellated ball
   * rests on one vertex and rolls away in MuJoCo.
   */
  ball?: Ball;
  /**
   * The one collision primitive that replaces the convex piece in every format that has it
   * (a ball as above; an exact box as `exactBoxOf` finds it). Absent: mesh pieces.
   */
  primitive?: Primitive;
  /** Friction and restitution, the same numbers in every format (surface.ts). */
  surface: Surface;
  isStatic: boolean;
  /** Paths relative to the bundle root, '/'-separated. */
  visualFile: string;
  collisionFiles: string[];
}

export interface PreparedScene {
  scene: Scene;
  objects: ExportObject[];
  /** Support plane to put the floor on (z = 0 when the scene has none). */
  support: Plane;
  report: StageReport;
}

const MAX_HULL_VERTICES = 255;
const MAX_PIECES = 64;

export interface PrepareOptions {
  /** Folder for meshes inside the bundle. */
  meshDir?: string;
  inertia?: Partial<InertiaRules>;
  /** Warn when an object reaches further than this below the support plane, metres. */
  belowSupportTolerance?: number;
  /** Contact surface written into every format (default: what our validators simulate). */
  surface?: Partial<Surface>;
}

export const PREPARE_DEFAULTS: Required<Omit<PrepareOptions, 'inertia' | 'surface'>> & { inertia: InertiaRules; surface: Surface } = {
  meshDir: 'meshes',
  inertia: INERTIA_RULES_DEFAULTS,
  belowSupportTolerance: 0.002,
  surface: SURFACE_DEFAULTS,
};

function validMesh(m: Mesh | undefined): m is Mesh {
  return !!m && m.positions instanceof Float32Array && m.indices instanceof Uint32Array && m.indices.length >= 3 && m.positions.length >= 9;
}

/** Checks the scene's objects and builds what the writers need. Throws `EXPORT` for objects
 * that cannot be written at all (non-finite pose); fixes and reports everything else. */
export function prepareScene(scene: Scene, options: PrepareOptions = {}): PreparedScene {
  const t0 = performance.now();
  const meshDir = options.meshDir ?? PREPARE_DEFAULTS.meshDir;
  const rules: InertiaRules = { ...PREPARE_DEFAULTS.inertia, ...(options.inertia ?? {}) };
  const tolerance = options.belowSupportTolerance ?? PREPARE_DEFAULTS.belowSupportTolerance;
  const surface: Surface = { ...SURFACE_DEFAULTS, ...Object.fromEntries(Object.entries(options.surface ?? {}).filter(([, v]) => Number.isFinite(v) && v >= 0)) };
  const warnings: string[] = [];
  const counts: Record<string, number> = { objects: scene.objects.length, clampedMass: 0, hullFallback: 0, belowSupport: 0, renamed: 0, collisionPieces: 0, collisionMismatch: 0, simplifiedPieces: 0 };
  const support: Plane = scene.support && [...scene.support.normal, scene.support.d].every(Number.isFinite) ? scene.support : { normal: [0, 0, 1], d: 0 };
  const names = uniqueNames(scene.objects.map((o) => o.id));
  const objects = scene.objects.map((src, i): ExportObject => {
    const name = names[i]!;
    const what = `object '${src.id}'`;
    if (name !== src.id) counts['renamed']!++;
    if (!src.pose || !isFinitePose(src.pose)) {
      const zero = src.pose && Array.isArray(src.pose.orientation) && src.pose.orientation.every((v) => v === 0);
      throw new Real2SimError(
        'EXPORT',
        zero
          ? `${what} has a zero quaternion as orientation (no rotation at all): give a unit quaternion (x, y, z, w), e.g. [0, 0, 0, 1]`
          : `${what} has a non-finite pose; fix or drop it before export`,
        { object: src.id, pose: src.pose },
      );
    }
    const size: Vec3 = Array.isArray(src.size) && src.size.every((s) => Number.isFinite(s) && s > 0) ? src.size : [0.05, 0.05, 0.05];
    let visual = src.mesh;
    if (!validMesh(visual)) {
      warnings.push(`${what}: has no usable visual mesh; writing its box instead`);
      visual = boxMesh(size[0], size[1], size[2]);
    }
    let collision = (src.collision ?? []).filter(validMesh);
    if (collision.length === 0) {
      counts['hullFallback']!++;
      try {
        collision = [convexHull(visual.positions)];
        warnings.push(`${what}: has no collision pieces; using the convex hull of its visual mesh`);
      } catch {
        collision = [boxMesh(size[0], size[1], size[2])];
        warnings.push(`${what}: has no collision pieces and its mesh is flat; using its box`);
      }
    }
    counts['collisionPieces']! += collision.length;
    // Limits of common consumers: PhysX (Isaac Sim) cooks at most 255 vertices per convex
    // mesh, so bigger pieces are simplified here (a hull inside the original, touching it in
    // every sampled direction) rather than silently by the simulator; dozens of pieces per
    // object slow every engine's broad phase.
    const bigPieces = collision.filter((c) => c.positions.length / 3 > MAX_HULL_VERTICES).length;
    if (bigPieces) {
      collision = collision.map((c) => (c.positions.length / 3 > MAX_HULL_VERTICES ? capHullVertices(c, MAX_HULL_VERTICES) : c));
      counts['simplifiedPieces']! += bigPieces;
      warnings.push(`${what}: ${bigPieces} collision piece(s) had more than ${MAX_HULL_VERTICES} vertices; simplified to at most ${MAX_HULL_VERTICES}`);
    }
    if (collision.length > MAX_PIECES) warnings.push(`${what}: ${collision.length} collision pieces (more than ${MAX_PIECES}) will slow simulation; decompose more coarsely`);
    // Collision that disagrees with the visual (wrong scale or offset) makes objects float,
    // sink or collide with nothing visible: compare their boxes.
    const vb = boundsOf(visual.positions);
    const cb = collision
      .map((c) => boundsOf(c.positions))
      .reduce((a, b) => ({
        min: [Math.min(a.min[0], b.min[0]), Math.min(a.min[1], b.min[1]), Math.min(a.min[2], b.min[2])] as Vec3,
        max: [Math.max(a.max[0], b.max[0]), Math.max(a.max[1], b.max[1]), Math.max(a.max[2], b.max[2])] as Vec3,
      }));
    for (let k = 0; k < 3; k++) {
      const ve = vb.max[k]! - vb.min[k]!,
        ce = cb.max[k]! - cb.min[k]!;
      const off = Math.abs(vb.max[k]! + vb.min[k]! - cb.max[k]! - cb.min[k]!) / 2;
      if (Math.abs(ce - ve) > 0.2 * ve + 0.005 || off > 0.1 * ve + 0.005) {
        counts['collisionMismatch']!++;
        warnings.push(
          `${what}: collision pieces span ${(ce * 1000).toFixed(0)} mm along ${'xyz'[k]} where the visual mesh spans ${(ve * 1000).toFixed(0)} mm (offset ${(off * 1000).toFixed(0)} mm): wrong scale or frame?`,
        );
        break;
      }
    }
    const visualVolume = massProperties(visual, 1).volume;
    const visualIsSolid = visualVolume > 1e-9;
    if (!visualIsSolid) warnings.push(`${what}: visual mesh encloses no volume (flat, open or inside-out); MJCF shows its collision pieces instead`);
    const safe = safeMassProperties(what, src.mass, src.inertia ?? { ixx: NaN, ixy: 0, ixz: 0, iyy: NaN, iyz: 0, izz: NaN }, size, rules);
    if (safe.warnings.length) counts['clampedMass']!++;
    warnings.push(...safe.warnings);
    const rawCom: Vec3 = Array.isArray(src.centerOfMass) && src.centerOfMass.every(Number.isFinite) ? src.centerOfMass : [0, 0, 0];
    // Round-off residue (1e-17 where the answer is 0) is flushed to 0: it changes nothing
    // physical and keeps files readable and golden files stable.
    const lenScale = Math.max(...size);
    const com = rawCom.map((c) => (Math.abs(c) < 1e-12 * lenScale ? 0 : c)) as Vec3;
    const iScale = Math.max(Math.abs(safe.inertia.ixx), Math.abs(safe.inertia.iyy), Math.abs(safe.inertia.izz));
    const flush = (x: number) => (Math.abs(x) < 1e-12 * iScale ? 0 : x);
    const I = safe.inertia;
    const inertia: Inertia = { ixx: I.ixx, ixy: flush(I.ixy), ixz: flush(I.ixz), iyy: I.iyy, iyz: flush(I.iyz), izz: I.izz };
    const pose: Pose = { position: [...src.pose.position], orientation: quatNormalize(src.pose.orientation) };
    // Objects starting inside the support explode on the first step: say so (the physics
    // stage repairs poses; export never moves objects).
    if (!src.isStatic) {
      let lowest = Infinity;
      for (const piece of collision) {
        const w = transformPositions(pose, piece.positions);
        for (let k = 0; k < w.length; k += 3) {
          const dist = support.normal[0] * w[k]! + support.normal[1] * w[k + 1]! + support.normal[2] * w[k + 2]! + support.d;
          if (dist < lowest) lowest = dist;
        }
      }
      if (lowest < -tolerance) {
        counts['belowSupport']!++;
        warnings.push(`${what}: reaches ${(-lowest * 1000).toFixed(1)} mm below the support plane; run validate to repair before simulating`);
      }
    }
    // A static ball stays at its fit centre, a movable one goes on its mass centre when that
    // close (ballCentre): the rule our validation engines follow, so verdicts carry over.
    const fit = collision.length === 1 ? ballOf(collision[0]!) : null;
    const ball = fit ? { centre: src.isStatic ? fit.centre : ballCentre(fit, 1, com), radius: fit.radius } : undefined;
    const box = !ball && collision.length === 1 ? exactBoxOf(collision[0]!) : null;
    const primitive: Primitive | undefined = ball ? { kind: 'sphere', ...ball } : box ? { kind: 'box', ...box } : undefined;
    if (primitive) counts['primitives'] = (counts['primitives'] ?? 0) + 1;
    return {
      source: src,
      name,
      pose,
      mass: safe.mass,
      inertia,
      centerOfMass: com,
      visual,
      collision,
      isStatic: !!src.isStatic,
      visualIsSolid,
      ...(ball ? { ball } : {}),
      ...(primitive ? { primitive } : {}),
      surface,
      visualFile: `${meshDir}/${name}.obj`,
      collisionFiles: collision.map((_, k) => `${meshDir}/${name}_collision_${k}.obj`),
    };
  });
  return {
    scene,
    objects,
    support,
    report: { stage: 'export', backend: 'files', timeMs: performance.now() - t0, counts, warnings },
  };
}
