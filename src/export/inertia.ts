/**
 * Mass and inertia rules for everything that reaches a simulator file. Simulators reject or
 * explode on tiny masses, singular or non-physical tensors (MuJoCo: "mass and inertia of
 * moving bodies must be larger than mjMINVAL", "inertia must satisfy A + B >= C"), and these
 * come from small, thin or open meshes. So every exported tensor is made positive definite and
 * triangle-valid here, and every change is reported, never silent.
 */
import type { Inertia } from '../model/scene.ts';
import type { Vec3 } from '../model/pose.ts';
import { jacobiDiagonalize } from '../geometry/linalg.ts';

export interface InertiaRules {
  /** kg. Lighter objects are raised to this mass (inertia scaled with it). */
  minMass: number;
  /** kg·m². Smaller principal moments are raised to this value. */
  minMoment: number;
  /** Relative slack kept in the triangle inequality so rounding in text cannot break it. */
  triangleSlack: number;
}

export const INERTIA_RULES_DEFAULTS: Readonly<InertiaRules> = Object.freeze({ minMass: 1e-3, minMoment: 1e-9, triangleSlack: 1e-6 });

/** Symmetric 3×3 eigen-decomposition by cyclic Jacobi rotations: A = V diag(λ) Vᵀ, V's columns
 * are the eigenvectors (row-major storage). Values stay in diagonal order (not sorted). */
export function symmetricEigen3(I: Inertia): { values: Vec3; vectors: number[] } {
  const a = Float64Array.from([I.ixx, I.ixy, I.ixz, I.ixy, I.iyy, I.iyz, I.ixz, I.iyz, I.izz]);
  const v = new Float64Array(9);
  jacobiDiagonalize(a, 3, v);
  return { values: [a[0]!, a[4]!, a[8]!], vectors: Array.from(v) };
}

/** V diag(λ) Vᵀ back to the stored upper triangle. */
function compose(values: Vec3, v: number[]): Inertia {
  const m = (r: number, c: number) => values[0] * v[r * 3]! * v[c * 3]! + values[1] * v[r * 3 + 1]! * v[c * 3 + 1]! + values[2] * v[r * 3 + 2]! * v[c * 3 + 2]!;
  return { ixx: m(0, 0), ixy: m(0, 1), ixz: m(0, 2), iyy: m(1, 1), iyz: m(1, 2), izz: m(2, 2) };
}

/** Solid box inertia about its centre (used when a tensor is unusable). */
export function boxInertia(mass: number, size: Vec3): Inertia {
  const [x, y, z] = size.map((s) => Math.max(Math.abs(s), 1e-3)) as Vec3;
  return { ixx: (mass * (y * y + z * z)) / 12, ixy: 0, ixz: 0, iyy: (mass * (x * x + z * z)) / 12, iyz: 0, izz: (mass * (x * x + y * y)) / 12 };
}

export interface SafeMass {
  mass: number;
  inertia: Inertia;
  /** What was changed and why; empty when the input was already fine. */
  warnings: string[];
}

/**
 * The mass and inertia that may be written for one object: mass ≥ `minMass`, principal moments
 * ≥ `minMoment`, largest moment ≤ (sum of the other two)·(1 − slack). A non-finite mass or
 * tensor falls back to a solid box of the object's size. Pure: returns new values.
 */
export function safeMassProperties(what: string, mass: number, inertia: Inertia, size: Vec3, rules: InertiaRules = INERTIA_RULES_DEFAULTS): SafeMass {
  const warnings: string[] = [];
  let m = mass;
  let I: Inertia = { ...inertia };
  if (!Number.isFinite(m) || m <= 0) {
    warnings.push(`${what}: mass ${m} is not a positive number; using ${rules.minMass} kg`);
    m = rules.minMass;
    I = boxInertia(m, size);
  } else if (m < rules.minMass) {
    warnings.push(`${what}: mass ${m.toPrecision(3)} kg is below ${rules.minMass} kg; raised to ${rules.minMass} kg (inertia scaled with it)`);
    const k = rules.minMass / m;
    I = { ixx: I.ixx * k, ixy: I.ixy * k, ixz: I.ixz * k, iyy: I.iyy * k, iyz: I.iyz * k, izz: I.izz * k };
    m = rules.minMass;
  }
  if (![I.ixx, I.ixy, I.ixz, I.iyy, I.iyz, I.izz].every(Number.isFinite)) {
    warnings.push(`${what}: inertia tensor has non-finite entries; replaced by a solid box of the object's size`);
    I = boxInertia(m, size);
  }
  const { values, vectors } = symmetricEigen3(I);
  const lam: Vec3 = [...values];
  let changed = false;
  for (let k = 0; k < 3; k++) {
    if (!(lam[k]! >= rules.minMoment)) {
      lam[k] = rules.minMoment;
      changed = true;
    }
  }
  // Triangle inequality: the largest moment may not exceed the sum of the other two.
  const order = [0, 1, 2].sort((p, q) => lam[p]! - lam[q]!);
  const [i0, i1, i2] = order as [number, number, number];
  const limit = (lam[i0]! + lam[i1]!) * (1 - rules.triangleSlack);
  if (lam[i2]! > limit) {
    // Raise the two smaller moments (a flat object gains a little thickness) rather than
    // lowering the largest one, so the object does not spin more easily than it should.
    const need = lam[i2]! / (1 - rules.triangleSlack) - (lam[i0]! + lam[i1]!);
    lam[i0] = lam[i0]! + need / 2 + lam[i2]! * 1e-9;
    lam[i1] = lam[i1]! + need / 2 + lam[i2]! * 1e-9;
    changed = true;
  }
  if (changed) {
    const [a, b, c] = values.map((x) => x.toPrecision(3));
    warnings.push(`${what}: inertia principal moments (${a}, ${b}, ${c}) kg·m² are not physical (minimum ${rules.minMoment}, triangle inequality); clamped`);
    I = compose(lam, vectors);
  }
  return { mass: m, inertia: I, warnings };
}
