/**
 * cannon-es behind `PhysicsEngine`. Its traps are avoided on purpose: every piece is a
 * `ConvexPolyhedron` (a `Trimesh` collides only with spheres and planes, so a dynamic pair would
 * pass through silently), and time advances only through `world.step(dt)` (`fixedStep()` reads
 * the wall clock). cannon-es wants the body origin at the centre of mass with a diagonal inertia,
 * so a body lives in the principal frame and the adapter converts poses to the object frame.
 */
import * as CANNON from 'cannon-es';
import { Real2SimError } from '../../src/model/errors.ts';
import type { Plane } from '../../src/model/scene.ts';
import { composePoses, invertPose, rotateVec, type Pose, type Vec3 } from '../../src/model/pose.ts';
import { ENGINE_DEFAULTS, type BodySpec, type EngineContact, type EngineOptions, type PhysicsEngine } from '../engine.ts';
import { principalAxes } from '../mathx.ts';
import { engineHull, type CleanHull } from '../hull.ts';
import { indexEdges, installPrunedSat } from './cannonSat.ts';
import { ballCentre } from '../../src/geometry/ball.ts';
import { rotationZTo } from './rapier.ts';

export interface CannonOptions extends EngineOptions {
  /** Contact stiffness (N/m per unit mass scale in cannon's SPOOK solver). */
  contactStiffness?: number;
  /** Steps of relaxation for contact equations. */
  contactRelaxation?: number;
  /** Below this speed (m/s) a body may fall asleep. */
  sleepSpeed?: number;
}

export const CANNON_DEFAULTS: Required<CannonOptions> = {
  ...ENGINE_DEFAULTS,
  solverIterations: 20,
  contactStiffness: 1e6,
  contactRelaxation: 3,
  sleepSpeed: 0.005,
};

export function createCannonEngine(options: CannonOptions = {}): Promise<PhysicsEngine> {
  installPrunedSat();
  const o = { ...CANNON_DEFAULTS } as Required<CannonOptions>;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  return Promise.resolve(new CannonEngine(o));
}

interface Entry {
  body: CANNON.Body;
  id: string;
  /** principal frame (body frame) expressed in the object frame */
  principal: Pose;
  principalInv: Pose;
}

class CannonEngine implements PhysicsEngine {
  readonly name = 'cannon';
  private world: CANNON.World;
  private entries: Entry[] = [];
  private byBody = new Map<CANNON.Body, number>();
  private groundBody: CANNON.Body | null = null;

  constructor(private readonly opts: Required<CannonOptions>) {
    this.world = new CANNON.World({ gravity: new CANNON.Vec3(0, 0, -opts.gravity), allowSleep: true });
    this.world.broadphase = new CANNON.SAPBroadphase(this.world);
    const solver = new CANNON.GSSolver();
    solver.iterations = opts.solverIterations;
    solver.tolerance = 1e-7;
    this.world.solver = solver;
    const cm = this.world.defaultContactMaterial;
    cm.friction = opts.friction;
    cm.restitution = opts.restitution;
    cm.contactEquationStiffness = opts.contactStiffness;
    cm.contactEquationRelaxation = opts.contactRelaxation;
    cm.frictionEquationStiffness = opts.contactStiffness;
    cm.frictionEquationRelaxation = opts.contactRelaxation;
  }

  addBody(spec: BodySpec): number {
    const { moments, rotation } = spec.isStatic ? { moments: [0, 0, 0] as Vec3, rotation: [0, 0, 0, 1] as Pose['orientation'] } : principalAxes(spec.inertia);
    const principal: Pose = { position: spec.isStatic ? [0, 0, 0] : [...spec.centerOfMass], orientation: rotation };
    const principalInv = invertPose(principal);
    const body = new CANNON.Body({
      mass: spec.isStatic ? 0 : spec.mass,
      type: spec.isStatic ? CANNON.Body.STATIC : CANNON.Body.DYNAMIC,
      linearDamping: this.opts.linearDamping,
      angularDamping: this.opts.angularDamping,
      allowSleep: true,
      sleepSpeedLimit: this.opts.sleepSpeed,
      sleepTimeLimit: 0.5,
    });
    spec.pieces.forEach((piece, k) => {
      const { shape, centre } = cachedShape(piece, principalInv, spec.id, k);
      // the body frame is the mass centre (origin here): a near-perfect ball goes on it (src/geometry/ball.ts)
      const at = shape instanceof CANNON.Sphere && !spec.isStatic ? ballCentre({ centre, radius: shape.radius }, spec.pieces.length, [0, 0, 0]) : centre;
      body.addShape(shape, new CANNON.Vec3(at[0], at[1], at[2]));
    });
    if (!spec.isStatic) {
      // addShape recomputed inertia from the shapes: replace it with the scene's exact one
      body.inertia.set(moments[0], moments[1], moments[2]);
      body.invInertia.set(1 / moments[0], 1 / moments[1], 1 / moments[2]);
    }
    const bp = composePoses(spec.pose, principal);
    body.position.set(...bp.position);
    body.quaternion.set(...bp.orientation);
    // the world inertia of the pose just set: cannon-es recomputes it only when integrating, so
    // the first step's contacts would otherwise be solved with the unrotated body's
    if (!spec.isStatic) body.updateInertiaWorld(true);
    body.aabbNeedsUpdate = true;
    this.world.addBody(body);
    const index = this.entries.length;
    this.entries.push({ body, id: spec.id, principal, principalInv });
    this.byBody.set(body, index);
    return index;
  }

  setGround(plane?: Plane): void {
    const n: Vec3 = plane ? plane.normal : [0, 0, 1];
    const d = plane ? plane.d : 0;
    const body = new CANNON.Body({ mass: 0, type: CANNON.Body.STATIC });
    body.addShape(new CANNON.Plane());
    body.quaternion.set(...rotationZTo(n));
    body.position.set(-d * n[0], -d * n[1], -d * n[2]);
    this.world.addBody(body);
    this.groundBody = body;
  }

  step(dt: number): void {
    if (!(dt > 0) || !Number.isFinite(dt)) throw new Real2SimError('BAD_INPUT', `step(dt) needs a positive finite dt, got ${dt}`);
    this.world.step(dt);
  }

  pose(handle: number): Pose {
    const e = this.entry(handle);
    const b = e.body;
    const bp: Pose = { position: [b.position.x, b.position.y, b.position.z], orientation: [b.quaternion.x, b.quaternion.y, b.quaternion.z, b.quaternion.w] };
    return composePoses(bp, e.principalInv);
  }

  linearVelocity(handle: number): Vec3 {
    const e = this.entry(handle);
    // velocity of the object-frame origin = v_com + ω × (origin − com)
    const v = e.body.velocity,
      w = e.body.angularVelocity;
    const r = rotateVec([e.body.quaternion.x, e.body.quaternion.y, e.body.quaternion.z, e.body.quaternion.w], e.principalInv.position);
    return [v.x + w.y * r[2] - w.z * r[1], v.y + w.z * r[0] - w.x * r[2], v.z + w.x * r[1] - w.y * r[0]];
  }

  angularVelocity(handle: number): Vec3 {
    const w = this.entry(handle).body.angularVelocity;
    return [w.x, w.y, w.z];
  }

  contacts(): EngineContact[] {
    // cannon-es computes contacts only inside a step: take a vanishing step and read them.
    const saved = this.entries.map(({ body: b }) => ({
      p: b.position.clone(),
      q: b.quaternion.clone(),
      v: b.velocity.clone(),
      w: b.angularVelocity.clone(),
      pp: b.previousPosition.clone(),
      pq: b.previousQuaternion.clone(),
      inertia: [...b.invInertiaWorld.elements],
      sleepState: b.sleepState,
      timeLastSleepy: b.timeLastSleepy,
    }));
    const { time, stepnumber, dt, hasActiveBodies } = this.world;
    const g = this.world.gravity.clone();
    this.world.gravity.set(0, 0, 0);
    this.world.step(1e-9);
    this.world.gravity.copy(g);
    const out = new Map<string, EngineContact>();
    for (const c of this.world.contacts) {
      const xi = c.bi.position.vadd(c.ri),
        xj = c.bj.position.vadd(c.rj);
      const sep = xj.vsub(xi).dot(c.ni); // ni points from bi to bj
      if (sep >= 0) continue;
      let ia = this.byBody.get(c.bi),
        ib = this.byBody.get(c.bj);
      let sign = -1; // normal from b to a: a = bi ⇒ −ni
      if (ia === undefined) {
        [ia, ib] = [ib, ia];
        sign = 1;
      }
      if (ia === undefined) continue;
      const contact: EngineContact = {
        a: this.entries[ia]!.id,
        b: ib === undefined ? 'ground' : this.entries[ib]!.id,
        depth: -sep,
        normal: [sign * c.ni.x, sign * c.ni.y, sign * c.ni.z],
      };
      const key = `${contact.a}\u0000${contact.b}`;
      const prev = out.get(key);
      if (!prev || prev.depth < contact.depth) out.set(key, contact);
    }
    // Put back everything the step changed that a later step reads, so that reading contacts
    // leaves the run exactly as it would have been without: the pose and velocities, the world
    // inertia the solver uses (cannon-es updates it only when integrating), the sleep state
    // (the vanishing step makes every body at rest sleepy) and the world's clock.
    this.entries.forEach(({ body: b }, i) => {
      const s = saved[i]!;
      b.position.copy(s.p);
      b.quaternion.copy(s.q);
      b.velocity.copy(s.v);
      b.angularVelocity.copy(s.w);
      b.previousPosition.copy(s.pp);
      b.previousQuaternion.copy(s.pq);
      b.invInertiaWorld.elements = s.inertia;
      b.sleepState = s.sleepState;
      b.timeLastSleepy = s.timeLastSleepy;
      b.aabbNeedsUpdate = true;
    });
    Object.assign(this.world, { time, stepnumber, dt, hasActiveBodies });
    return [...out.values()];
  }

  dispose(): void {
    for (const e of this.entries) this.world.removeBody(e.body);
    if (this.groundBody) this.world.removeBody(this.groundBody);
    this.entries = [];
  }

  private entry(handle: number): Entry {
    const e = this.entries[handle];
    if (!e) throw new Real2SimError('BAD_INPUT', `No body with handle ${handle}`);
    return e;
  }
}

/**
 * Building a ConvexPolyhedron (normals, unique edges and axes) is a good part of a short run's
 * cost, and the same object is simulated several times per repair: shapes are kept per piece and
 * body frame. A cannon-es shape is only a description (its body link is reset by `addShape`),
 * and worlds here run one after another, so reusing it is safe.
 */
const shapeCache = new WeakMap<CleanHull, { key: string; value: { shape: CANNON.Shape; centre: Vec3 } }>();
function cachedShape(piece: Float32Array, toBody: Pose, id: string, k: number): { shape: CANNON.Shape; centre: Vec3 } {
  // keyed on the clean hull, which `engineHull` keeps per geometry: new arrays with the same
  // vertices (a merged piece rebuilt for each run) find their shape too
  const hull = engineHull(piece);
  if (!hull) {
    throw new Real2SimError('BAD_MESH', `Object '${id}': collision piece ${k} is degenerate (flat or fewer than 4 points); recompute its convex pieces`, { object: id, piece: k });
  }
  const key = [...toBody.position, ...toBody.orientation].join(',');
  const hit = shapeCache.get(hull);
  if (hit && hit.key === key) return hit.value;
  const value = cannonShape(hull, toBody);
  shapeCache.set(hull, { key, value });
  return value;
}

/** A cannon-es shape of a piece's clean hull, in the body frame: a sphere when the hull is one, else a convex polyhedron (polygon faces, outward). */
function cannonShape(hull: CleanHull, toBody: Pose): { shape: CANNON.Shape; centre: Vec3 } {
  if (hull.sphere) {
    const p = rotateVec(toBody.orientation, hull.sphere.centre);
    return { shape: new CANNON.Sphere(hull.sphere.radius), centre: [p[0] + toBody.position[0], p[1] + toBody.position[1], p[2] + toBody.position[2]] };
  }
  const v = hull.vertices;
  const pts: Vec3[] = [];
  for (let i = 0; i < v.length; i += 3) {
    const p = rotateVec(toBody.orientation, [v[i]!, v[i + 1]!, v[i + 2]!]);
    pts.push([p[0] + toBody.position[0], p[1] + toBody.position[1], p[2] + toBody.position[2]]);
  }
  // cannon-es assumes a shape's origin lies inside it: centre each piece and offset the shape
  const centre: Vec3 = [0, 0, 0];
  for (const p of pts) for (let a = 0; a < 3; a++) centre[a]! += p[a]! / pts.length;
  const vertices = pts.map((p) => new CANNON.Vec3(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]));
  // The hull's own plane normals, rotated into the body frame. Left to itself, cannon-es derives
  // each normal from a face's first three vertices (noise on a long thin polygon) and prints a
  // "points into the shape" warning for some real hulls.
  const normals = hull.normals.map((n) => {
    const r = rotateVec(toBody.orientation, n);
    return new CANNON.Vec3(r[0], r[1], r[2]);
  });
  const shape = new CANNON.ConvexPolyhedron({ vertices, faces: hull.faces.map((f) => startWhereNormalIsSound(f, vertices)), normals });
  // only the edge pairs that can separate or carry a contact are tested (`cannonSat.ts`)
  indexEdges(shape);
  return { shape, centre };
}

/**
 * cannon-es takes a face's normal from its first three vertices. A merged coplanar polygon can
 * start with a nearly collinear run, whose normal is noise (cannon then warns that the face
 * "points into the shape" and collides against a wrong plane). Rotating the cyclic vertex order
 * keeps the winding and starts where the first three vertices span the largest triangle.
 */
function startWhereNormalIsSound(face: readonly number[], v: readonly CANNON.Vec3[]): number[] {
  const n = face.length;
  let best = 0;
  let bestArea = -1;
  for (let k = 0; k < n; k++) {
    const a = v[face[k]!]!,
      b = v[face[(k + 1) % n]!]!,
      c = v[face[(k + 2) % n]!]!;
    const area = b.vsub(a).cross(c.vsub(b)).lengthSquared();
    if (area > bestArea) {
      bestArea = area;
      best = k;
    }
  }
  return [...face.slice(best), ...face.slice(0, best)];
}
