/**
 * Rapier (`@dimforge/rapier3d-compat`, WASM) behind `PhysicsEngine`. Every convex piece becomes
 * a `convexMesh` collider (of the clean hull from `sim/hull.ts`) with zero density; the body's mass, centre of mass and inertia are set
 * explicitly from the scene (so they match the exported URDF/SDF/MJCF exactly). The ground is a
 * thick fixed cuboid whose top face is the support plane (Rapier has no half-space collider).
 */
import RAPIER from '@dimforge/rapier3d-compat';
import { Real2SimError } from '../../src/model/errors.ts';
import type { Plane } from '../../src/model/scene.ts';
import { quatFromMat3, quatToMat3, type Pose, type Vec3 } from '../../src/model/pose.ts';
import { ENGINE_DEFAULTS, type BodySpec, type EngineContact, type EngineOptions, type PhysicsEngine } from '../engine.ts';
import { principalAxes } from '../mathx.ts';
import { engineHull, type CleanHull } from '../hull.ts';
import { ballCentre } from '../../src/geometry/ball.ts';

let ready: Promise<void> | null = null;
/** Loads the WASM module once per process. */
export function initRapier(): Promise<void> {
  ready ??= RAPIER.init();
  return ready;
}

const GROUND_HALF = 1000;
/**
 * Fewer hull vertices than the other engines get: every face with more than 4 vertices costs
 * extra colliders here (see `facePyramids`), and a 48-sided cylinder thinned to ~24 sides moves
 * its surface by < 0.2 mm (r = 4 cm).
 */
const RAPIER_HULL_VERTICES = 48;
const GROUND_THICK = 1;

export async function createRapierEngine(options: EngineOptions = {}): Promise<PhysicsEngine> {
  await initRapier();
  return new RapierEngine({ ...ENGINE_DEFAULTS, ...defined(options) });
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

class RapierEngine implements PhysicsEngine {
  readonly name = 'rapier';
  private world: RAPIER.World;
  private bodies: RAPIER.RigidBody[] = [];
  private ids: string[] = [];
  /** collider handle → body index, −1 for the ground */
  private owner = new Map<number, number>();
  /** collider handle → hull vertices in the body frame (for bounds) */
  private local = new Map<number, Float32Array>();
  private ground: RAPIER.Collider | null = null;
  private disposed = false;

  constructor(private readonly opts: Required<EngineOptions>) {
    this.world = new RAPIER.World({ x: 0, y: 0, z: -opts.gravity });
    this.world.numSolverIterations = opts.solverIterations;
  }

  addBody(spec: BodySpec): number {
    const p = spec.pose;
    const desc = (spec.isStatic ? RAPIER.RigidBodyDesc.fixed() : RAPIER.RigidBodyDesc.dynamic())
      .setTranslation(p.position[0], p.position[1], p.position[2])
      .setRotation({ x: p.orientation[0], y: p.orientation[1], z: p.orientation[2], w: p.orientation[3] })
      .setLinearDamping(this.opts.linearDamping)
      .setAngularDamping(this.opts.angularDamping);
    if (!spec.isStatic) {
      const { moments, rotation } = principalAxes(spec.inertia);
      desc.setAdditionalMassProperties(
        spec.mass,
        { x: spec.centerOfMass[0], y: spec.centerOfMass[1], z: spec.centerOfMass[2] },
        { x: moments[0], y: moments[1], z: moments[2] },
        { x: rotation[0], y: rotation[1], z: rotation[2], w: rotation[3] },
      );
    }
    const body = this.world.createRigidBody(desc);
    const index = this.bodies.length;
    spec.pieces.forEach((piece, k) => {
      // convexMesh of our merged-polygon hull: Rapier's own convexHull of a many-sided
      // cylinder rocks and walks (see sim/hull.ts)
      const hull = engineHull(piece, RAPIER_HULL_VERTICES);
      const cd = !hull
        ? null
        : hull.sphere
          ? RAPIER.ColliderDesc.ball(hull.sphere.radius).setTranslation(...(spec.isStatic ? hull.sphere.centre : ballCentre(hull.sphere, spec.pieces.length, spec.centerOfMass)))
          : RAPIER.ColliderDesc.convexMesh(hull.vertices, hull.triangles);
      if (!cd || !hull) {
        throw new Real2SimError('BAD_MESH', `Object '${spec.id}': collision piece ${k} is degenerate (flat or fewer than 4 points); recompute its convex pieces`, {
          object: spec.id,
          piece: k,
        });
      }
      const descs = [{ cd, verts: hull.vertices }, ...(hull.sphere ? [] : facePyramids(hull))];
      for (const d of descs) {
        d.cd.setDensity(0).setFriction(this.opts.friction).setRestitution(this.opts.restitution);
        const c = createColliderChecked(this.world, d.cd, d.verts, body);
        this.owner.set(c.handle, index);
        this.local.set(c.handle, d.verts);
      }
    });
    this.bodies.push(body);
    this.ids.push(spec.id);
    return index;
  }

  setGround(plane?: Plane): void {
    const n: Vec3 = plane ? plane.normal : [0, 0, 1];
    const d = plane ? plane.d : 0;
    // rotation taking +z to n
    const rot = rotationZTo(n);
    // centre of the cuboid: on the plane (n·p + d = 0, nearest point to origin) minus n·thick
    const c: Vec3 = [-d * n[0] - GROUND_THICK * n[0], -d * n[1] - GROUND_THICK * n[1], -d * n[2] - GROUND_THICK * n[2]];
    const body = this.world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(c[0], c[1], c[2]).setRotation({ x: rot[0], y: rot[1], z: rot[2], w: rot[3] }));
    this.ground = this.world.createCollider(RAPIER.ColliderDesc.cuboid(GROUND_HALF, GROUND_HALF, GROUND_THICK).setFriction(this.opts.friction).setRestitution(this.opts.restitution), body);
    this.owner.set(this.ground.handle, -1);
  }

  step(dt: number): void {
    if (!(dt > 0) || !Number.isFinite(dt)) throw new Real2SimError('BAD_INPUT', `step(dt) needs a positive finite dt, got ${dt}`);
    this.world.timestep = dt;
    this.world.step();
  }

  pose(handle: number): Pose {
    const b = this.body(handle);
    const t = b.translation();
    const r = b.rotation();
    return { position: [t.x, t.y, t.z], orientation: [r.x, r.y, r.z, r.w] };
  }

  linearVelocity(handle: number): Vec3 {
    const v = this.body(handle).linvel();
    return [v.x, v.y, v.z];
  }

  angularVelocity(handle: number): Vec3 {
    const v = this.body(handle).angvel();
    return [v.x, v.y, v.z];
  }

  contacts(): EngineContact[] {
    // Exact shape queries (parry's GJK/EPA) between colliders whose bounds overlap: no time passes.
    const out = new Map<string, EngineContact>();
    const colliders: RAPIER.Collider[] = [];
    this.world.forEachCollider((c) => void colliders.push(c));
    const boxes = colliders.map((c) => aabbOf(c, this.local.get(c.handle)));
    for (let i = 0; i < colliders.length; i++) {
      for (let j = i + 1; j < colliders.length; j++) {
        const oi = this.owner.get(colliders[i]!.handle)!,
          oj = this.owner.get(colliders[j]!.handle)!;
        if (oi === oj) continue;
        if (oi >= 0 && oj >= 0 && this.bodies[oi]!.isFixed() && this.bodies[oj]!.isFixed()) continue;
        if (oi >= 0 && oj >= 0 && !overlap(boxes[i]!, boxes[j]!)) continue;
        const hit = colliders[i]!.contactCollider(colliders[j]!, 0);
        if (!hit || hit.distance >= 0) continue;
        // a = the body (never the ground); normal from b to a
        let a = oi,
          b = oj,
          sign = -1; // normal1 points out of collider i towards j: from a towards b
        if (oi < 0) [a, b, sign] = [oj, oi, 1];
        const n1 = hit.normal1;
        const contact: EngineContact = {
          a: this.ids[a]!,
          b: b < 0 ? 'ground' : this.ids[b]!,
          depth: -hit.distance,
          normal: [sign * n1.x, sign * n1.y, sign * n1.z],
        };
        const key = `${contact.a}\u0000${contact.b}`;
        const prev = out.get(key);
        if (!prev || prev.depth < contact.depth) out.set(key, contact);
      }
    }
    return [...out.values()];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.world.free();
  }

  private body(handle: number): RAPIER.RigidBody {
    const b = this.bodies[handle];
    if (!b) throw new Real2SimError('BAD_INPUT', `No body with handle ${handle}`);
    return b;
  }
}

/**
 * `convexMesh` hands the triangles to parry as they are; parry refuses any that do not form a
 * closed 2-manifold (a merged face's fan triangulation can leave a T-junction or a missing
 * triangle), its raw shape is then undefined and rapier's `createCollider` throws a bare
 * "expected instance of p" (`p` = its minified RawShape). Such a piece falls back to parry's own
 * hull of the same vertices — the same convex set.
 */
function createColliderChecked(world: RAPIER.World, cd: RAPIER.ColliderDesc, verts: Float32Array, body: RAPIER.RigidBody): RAPIER.Collider {
  const shape = cd.shape as RAPIER.Shape & { type: RAPIER.ShapeType };
  if (shape.type === RAPIER.ShapeType.ConvexPolyhedron) {
    const raw = (shape as unknown as { intoRaw(): { free(): void } | undefined }).intoRaw();
    if (!raw) {
      const hull = RAPIER.ColliderDesc.convexHull(verts);
      if (!hull) throw new Real2SimError('BAD_MESH', 'A collision piece is degenerate (flat or fewer than 4 points); recompute its convex pieces');
      hull.setDensity(cd.density).setFriction(cd.friction).setRestitution(cd.restitution).setTranslation(cd.translation.x, cd.translation.y, cd.translation.z);
      return world.createCollider(hull, body);
    }
    raw.free();
  }
  return world.createCollider(cd, body);
}

/**
 * Rapier's contact manifolds hold at most 4 vertices per face (parry's `PolygonalFeature`), so a
 * face with more (the 24-sided bottom of a bowl) gets a partial contact patch and the body rocks
 * and walks. Each such face is split into quads (a fan), and each quad with the piece's centroid
 * becomes an extra collider inside the piece: the union is unchanged, and together their
 * manifolds cover the whole face.
 */
function facePyramids(hull: CleanHull): { cd: RAPIER.ColliderDesc; verts: Float32Array }[] {
  const v = hull.vertices;
  const n = v.length / 3;
  const c = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k]! += v[i * 3 + k]! / n;
  const out: { cd: RAPIER.ColliderDesc; verts: Float32Array }[] = [];
  for (const f of hull.faces) {
    if (f.length <= 4) continue;
    for (let k = 1; k + 1 < f.length; k += 2) {
      const quad = [f[0]!, f[k]!, f[k + 1]!, ...(k + 2 < f.length ? [f[k + 2]!] : [])];
      const pts = new Float32Array((quad.length + 1) * 3);
      quad.forEach((q, j) => pts.set([v[q * 3]!, v[q * 3 + 1]!, v[q * 3 + 2]!], j * 3));
      pts.set(c, quad.length * 3);
      const cd = RAPIER.ColliderDesc.convexHull(pts);
      if (cd) out.push({ cd, verts: pts });
    }
  }
  return out;
}

type Box = [number, number, number, number, number, number];
function aabbOf(c: RAPIER.Collider, verts: Float32Array | undefined): Box {
  // The ground is huge; other colliders: bounds of their hull vertices in the world.
  const t = c.translation();
  const r = c.rotation();
  if (!verts) return [-Infinity, -Infinity, -Infinity, Infinity, Infinity, Infinity];
  const m = quatToMat3([r.x, r.y, r.z, r.w]);
  const box: Box = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (let i = 0; i < verts.length; i += 3) {
    const x = verts[i]!,
      y = verts[i + 1]!,
      z = verts[i + 2]!;
    const w = [m[0]! * x + m[1]! * y + m[2]! * z + t.x, m[3]! * x + m[4]! * y + m[5]! * z + t.y, m[6]! * x + m[7]! * y + m[8]! * z + t.z];
    for (let k = 0; k < 3; k++) {
      if (w[k]! < box[k]!) box[k] = w[k]!;
      if (w[k]! > box[k + 3]!) box[k + 3] = w[k]!;
    }
  }
  return box;
}

function overlap(a: Box, b: Box): boolean {
  return a[0] <= b[3] && b[0] <= a[3] && a[1] <= b[4] && b[1] <= a[4] && a[2] <= b[5] && b[2] <= a[5];
}

/** Rotation taking +z onto the unit vector n. */
export function rotationZTo(n: Vec3): [number, number, number, number] {
  const len = Math.hypot(n[0], n[1], n[2]) || 1;
  const z: Vec3 = [n[0] / len, n[1] / len, n[2] / len];
  // any x perpendicular to z
  const ref: Vec3 = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const y: Vec3 = [z[1] * ref[2] - z[2] * ref[1], z[2] * ref[0] - z[0] * ref[2], z[0] * ref[1] - z[1] * ref[0]];
  const yl = Math.hypot(...y);
  const yy: Vec3 = [y[0] / yl, y[1] / yl, y[2] / yl];
  const x: Vec3 = [yy[1] * z[2] - yy[2] * z[1], yy[2] * z[0] - yy[0] * z[2], yy[0] * z[1] - yy[1] * z[0]];
  return quatFromMat3([x[0], yy[0], z[0], x[1], yy[1], z[1], x[2], yy[2], z[2]]);
}
