import type { Mesh } from '../model/geometry.ts';

/**
 * Closed, outward-oriented triangle meshes of primitive solids, centred on their own box centre,
 * z up. Used by the synthetic scene generator, tests and importers of URDF/SDF/MJCF primitives.
 */

export function boxMesh(sx: number, sy: number, sz: number): Mesh {
  const hx = sx / 2,
    hy = sy / 2,
    hz = sz / 2;
  // 24 vertices (4 per face) so each face can carry its own normal.
  const faces: [number[], number[]][] = [
    [
      [1, 0, 0],
      [hx, -hy, -hz, hx, hy, -hz, hx, hy, hz, hx, -hy, hz],
    ],
    [
      [-1, 0, 0],
      [-hx, hy, -hz, -hx, -hy, -hz, -hx, -hy, hz, -hx, hy, hz],
    ],
    [
      [0, 1, 0],
      [hx, hy, -hz, -hx, hy, -hz, -hx, hy, hz, hx, hy, hz],
    ],
    [
      [0, -1, 0],
      [-hx, -hy, -hz, hx, -hy, -hz, hx, -hy, hz, -hx, -hy, hz],
    ],
    [
      [0, 0, 1],
      [-hx, -hy, hz, hx, -hy, hz, hx, hy, hz, -hx, hy, hz],
    ],
    [
      [0, 0, -1],
      [-hx, hy, -hz, hx, hy, -hz, hx, -hy, -hz, -hx, -hy, -hz],
    ],
  ];
  const positions = new Float32Array(72);
  const normals = new Float32Array(72);
  const indices = new Uint32Array(36);
  faces.forEach(([n, v], f) => {
    positions.set(v, f * 12);
    for (let k = 0; k < 4; k++) normals.set(n, f * 12 + k * 3);
    indices.set([f * 4, f * 4 + 1, f * 4 + 2, f * 4, f * 4 + 2, f * 4 + 3], f * 6);
  });
  return { positions, indices, normals };
}

/**
 * Surface of revolution about z from a profile of (radius, z) pairs listed bottom to top.
 * A profile point with radius 0 becomes a single pole vertex; otherwise the ends are capped.
 */
export function latheMesh(profile: readonly (readonly [number, number])[], segments = 32): Mesh {
  const pos: number[] = [];
  const idx: number[] = [];
  const rings: number[][] = [];
  for (const [r, z] of profile) {
    if (r <= 0) {
      rings.push([pos.length / 3]);
      pos.push(0, 0, z);
      continue;
    }
    const ring: number[] = [];
    for (let s = 0; s < segments; s++) {
      const a = (2 * Math.PI * s) / segments;
      ring.push(pos.length / 3);
      pos.push(r * Math.cos(a), r * Math.sin(a), z);
    }
    rings.push(ring);
  }
  const cap = (ring: number[], up: boolean) => {
    if (ring.length === 1) return;
    const c = pos.length / 3;
    const z = pos[ring[0]! * 3 + 2]!;
    pos.push(0, 0, z);
    for (let s = 0; s < segments; s++) {
      const a = ring[s]!,
        b = ring[(s + 1) % segments]!;
      if (up) idx.push(c, a, b);
      else idx.push(c, b, a);
    }
  };
  cap(rings[0]!, false);
  for (let k = 0; k + 1 < rings.length; k++) {
    const lo = rings[k]!,
      hi = rings[k + 1]!;
    for (let s = 0; s < segments; s++) {
      const s1 = (s + 1) % segments;
      if (lo.length === 1)
        idx.push(lo[0]!, hi[s1]!, hi[s]!); // bottom pole: fan faces down
      else if (hi.length === 1) idx.push(lo[s]!, lo[s1]!, hi[0]!);
      else idx.push(lo[s]!, lo[s1]!, hi[s1]!, lo[s]!, hi[s1]!, hi[s]!);
    }
  }
  cap(rings[rings.length - 1]!, true);
  return { positions: new Float32Array(pos), indices: new Uint32Array(idx) };
}

export function cylinderMesh(radius: number, height: number, segments = 32): Mesh {
  return latheMesh(
    [
      [radius, -height / 2],
      [radius, height / 2],
    ],
    segments,
  );
}

export function coneMesh(radius: number, height: number, segments = 32): Mesh {
  return latheMesh(
    [
      [radius, -height / 2],
      [0, height / 2],
    ],
    segments,
  );
}

export function sphereMesh(radius: number, segments = 32, rings = 16): Mesh {
  const profile: [number, number][] = [];
  for (let k = 0; k <= rings; k++) {
    const t = -Math.PI / 2 + (Math.PI * k) / rings;
    profile.push([k === 0 || k === rings ? 0 : radius * Math.cos(t), radius * Math.sin(t)]);
  }
  return latheMesh(profile, segments);
}

/** Capsule along z: total height includes both hemispherical ends. */
export function capsuleMesh(radius: number, height: number, segments = 32, capRings = 8): Mesh {
  const half = Math.max(0, height / 2 - radius);
  const profile: [number, number][] = [];
  for (let k = 0; k <= capRings; k++) {
    const t = -Math.PI / 2 + ((Math.PI / 2) * k) / capRings;
    profile.push([k === 0 ? 0 : radius * Math.cos(t), -half + radius * Math.sin(t)]);
  }
  for (let k = 0; k <= capRings; k++) {
    const t = ((Math.PI / 2) * k) / capRings;
    profile.push([k === capRings ? 0 : radius * Math.cos(t), half + radius * Math.sin(t)]);
  }
  return latheMesh(profile, segments);
}

/** Concatenates meshes (no welding); each part must itself be closed. */
export function mergeMeshes(parts: readonly Mesh[]): Mesh {
  let nv = 0,
    ni = 0;
  for (const p of parts) {
    nv += p.positions.length;
    ni += p.indices.length;
  }
  const positions = new Float32Array(nv);
  const indices = new Uint32Array(ni);
  let ov = 0,
    oi = 0;
  for (const p of parts) {
    positions.set(p.positions, ov);
    const base = ov / 3;
    for (let i = 0; i < p.indices.length; i++) indices[oi + i] = p.indices[i]! + base;
    ov += p.positions.length;
    oi += p.indices.length;
  }
  return { positions, indices };
}

/** Translates a mesh's positions; returns a new mesh. */
export function translateMesh(m: Mesh, dx: number, dy: number, dz: number): Mesh {
  const positions = new Float32Array(m.positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    positions[i] = m.positions[i]! + dx;
    positions[i + 1] = m.positions[i + 1]! + dy;
    positions[i + 2] = m.positions[i + 2]! + dz;
  }
  return { ...m, positions };
}
