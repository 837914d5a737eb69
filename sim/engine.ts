/**
 * The physics-engine seam: every engine (Rapier, cannon-es) is a view of the same bodies, built
 * from the engine-neutral scene model and stepped with an explicit `dt` (never the wall clock),
 * so the same scene gives the same result on every run.
 *
 * Frames: a body's pose is the OBJECT frame → world (as `SceneObject.pose`), whatever frame the
 * engine uses internally (cannon-es needs its body origin at the centre of mass with principal
 * axes; the adapter converts). World z is up, gravity −z, metres, kilograms, seconds.
 */
import type { Inertia, Plane } from '../src/model/scene.ts';
import type { Pose, Vec3 } from '../src/model/pose.ts';

export interface BodySpec {
  id: string;
  /** Convex pieces as hull vertex positions (xyz interleaved, object frame). */
  pieces: Float32Array[];
  pose: Pose;
  mass: number;
  /** Object frame. */
  centerOfMass: Vec3;
  /** About the centre of mass, object axes. */
  inertia: Inertia;
  isStatic?: boolean;
}

export interface EngineOptions {
  gravity?: number;
  friction?: number;
  restitution?: number;
  /** Velocity damping per second (0 = physical; the settle pass of repair uses some). */
  linearDamping?: number;
  angularDamping?: number;
  solverIterations?: number;
}

export const ENGINE_DEFAULTS: Required<EngineOptions> = {
  gravity: 9.81,
  friction: 0.8,
  restitution: 0,
  linearDamping: 0,
  angularDamping: 0,
  solverIterations: 8,
};

/** One contact between two bodies (or a body and the ground) as the engine's narrow phase sees it. */
export interface EngineContact {
  a: string;
  /** Body id or 'ground'. */
  b: string;
  /** Positive = penetration depth, metres. */
  depth: number;
  /** Unit normal pointing from b to a. */
  normal: Vec3;
}

export interface PhysicsEngine {
  readonly name: string;
  /** Adds a body; returns its handle (index in insertion order). */
  addBody(spec: BodySpec): number;
  /** The support plane (z = 0 when omitted). Call once, before stepping. */
  setGround(plane?: Plane): void;
  step(dt: number): void;
  pose(handle: number): Pose;
  linearVelocity(handle: number): Vec3;
  angularVelocity(handle: number): Vec3;
  /** Contacts at the current poses (computed without advancing time). */
  contacts(): EngineContact[];
  dispose(): void;
}

export type EngineName = 'rapier' | 'cannon';
export type EngineFactory = (options?: EngineOptions) => Promise<PhysicsEngine>;
