/**
 * MJCF (MuJoCo XML) → scene. `<include>` is expanded (paths relative to the main file, then
 * to the including file), `<compiler>` settings are merged (angle — degrees by default! —,
 * eulerseq, meshdir/assetdir), default classes are applied (nested classes, `childclass`).
 * One object per body that has geoms; a body is movable when it or a body above it has a
 * joint (`freejoint`, `joint type="free"`, or any other joint, reported as not represented),
 * static when welded to the world. Geoms directly in `<worldbody>` become static objects;
 * planes are the floor and are skipped.
 * Geoms with contype = conaffinity = 0 are visual; the others are collision (and visual when a
 * body has no visual geom). Mass: the body's `<inertial>` when present, else the sum of geom
 * `mass` or density (1000 kg/m³) × volume, with inertia from the collision pieces.
 * Meshes: OBJ, STL and MuJoCo's legacy binary `.msh`. MuJoCo stores a mesh re-centred on its
 * centre of mass and principal axes but folds that transform into the geom frame, so a vertex
 * ends up at (body ∘ geom pos/quat) applied to the file's vertex — which is what this importer
 * does (checked against MuJoCo 3.14 in test/export/import.test.ts).
 */
import { dirname, resolve } from 'node:path';
import type { Scene, SceneObject, Inertia } from '../../model/scene.ts';
import { composePoses, identityPose, quatFromAxisAngle, quatFromMat3, quatMultiply, quatNormalize, type Pose, type Quat, type Vec3 } from '../../model/pose.ts';
import { Real2SimError } from '../../model/errors.ts';
import { boxMesh, cylinderMesh, sphereMesh, capsuleMesh } from '../../geometry/primitives.ts';
import { massProperties } from '../../geometry/massProperties.ts';
import { attr, children, numbers, parseXml, type Element } from './xml.ts';
import { ImportSession, linkToObject, placeMesh, rotateInertia, uniqueIds, type ImportContext, type Part } from './common.ts';

interface Compiler {
  degrees: boolean;
  eulerseq: string;
  meshdir?: string;
  assetdir?: string;
}

type Attrs = Map<string, string>;

function attrsOf(el: Element): Attrs {
  const m: Attrs = new Map();
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    m.set(a.name, a.value);
  }
  return m;
}

/** Replaces every `<include file>` by the children of the included file's root. */
async function expandIncludes(session: ImportSession, el: Element, mainDir: string, fileDir: string, depth: number): Promise<void> {
  for (const inc of children(el)) {
    if (inc.tagName !== 'include') {
      await expandIncludes(session, inc, mainDir, fileDir, depth);
      continue;
    }
    const file = attr(inc, 'file');
    if (!file) throw new Real2SimError('BAD_FILE', `${session.ctx.fileName}: <include> without file`, {});
    if (depth > 16) throw new Real2SimError('BAD_FILE', `${session.ctx.fileName}: <include file="${file}"> nests more than 16 levels: a loop?`, { file });
    let path = resolve(mainDir, file);
    if (!(await session.exists(path))) path = resolve(fileDir, file);
    const root = parseXml(new TextDecoder().decode(await session.read(path)), path);
    await expandIncludes(session, root, mainDir, dirname(path), depth + 1);
    const parent = inc.parentNode!;
    for (const c of children(root)) parent.insertBefore(c.cloneNode(true), inc);
    parent.removeChild(inc);
  }
}

function collectDefaults(root: Element): Map<string, { geom: Attrs; parent?: string }> {
  const classes = new Map<string, { geom: Attrs; parent?: string }>();
  const visit = (d: Element, parent: string | undefined) => {
    const name = attr(d, 'class') ?? (parent === undefined ? 'main' : `anon_${classes.size}`);
    const entry = classes.get(name) ?? { geom: new Map(), ...(parent ? { parent } : {}) };
    for (const g of children(d, 'geom')) for (const [k, v] of attrsOf(g)) entry.geom.set(k, v);
    classes.set(name, entry);
    for (const c of children(d, 'default')) visit(c, name);
  };
  for (const d of children(root, 'default')) visit(d, undefined);
  return classes;
}

function classGeomAttrs(classes: Map<string, { geom: Attrs; parent?: string }>, name: string): Attrs {
  const chain: Attrs[] = [];
  let n: string | undefined = name;
  for (let guard = 0; n && guard < 64; guard++) {
    const c = classes.get(n);
    if (!c) break;
    chain.unshift(c.geom);
    n = c.parent;
  }
  const out: Attrs = new Map();
  for (const a of chain) for (const [k, v] of a) out.set(k, v);
  return out;
}

function orientation(a: Attrs, comp: Compiler, where: string): Quat {
  const nums = (k: string, n: number) => numbers(a.get(k), `${where} @${k}`, n);
  const angle = (x: number) => (comp.degrees ? (x * Math.PI) / 180 : x);
  if (a.has('quat')) {
    const q = nums('quat', 4)!;
    return quatNormalize([q[1]!, q[2]!, q[3]!, q[0]!]);
  }
  if (a.has('axisangle')) {
    const v = nums('axisangle', 4)!;
    return quatFromAxisAngle([v[0]!, v[1]!, v[2]!], angle(v[3]!));
  }
  if (a.has('euler')) {
    const e = nums('euler', 3)!;
    let q: Quat = [0, 0, 0, 1];
    for (let i = 0; i < 3; i++) {
      const ch = comp.eulerseq[i] ?? 'xyz'[i]!;
      const axis: Vec3 = ch.toLowerCase() === 'x' ? [1, 0, 0] : ch.toLowerCase() === 'y' ? [0, 1, 0] : [0, 0, 1];
      const qi = quatFromAxisAngle(axis, angle(e[i]!));
      // lowercase: axes move with the frame (intrinsic); uppercase: fixed axes (extrinsic)
      q = ch === ch.toLowerCase() ? quatMultiply(q, qi) : quatMultiply(qi, q);
    }
    return quatNormalize(q);
  }
  if (a.has('xyaxes')) {
    const v = nums('xyaxes', 6)!;
    const x = norm([v[0]!, v[1]!, v[2]!]);
    let y: Vec3 = [v[3]!, v[4]!, v[5]!];
    const d = x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
    y = norm([y[0] - d * x[0], y[1] - d * x[1], y[2] - d * x[2]]);
    const z = cross(x, y);
    return quatFromMat3([x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]]);
  }
  if (a.has('zaxis')) return quatFromTo([0, 0, 1], norm(nums('zaxis', 3)! as Vec3));
  return [0, 0, 0, 1];
}

function norm(v: Vec3): Vec3 {
  const n = Math.hypot(...v) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}
function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
/** Shortest rotation taking unit vector a to unit vector b. */
function quatFromTo(a: Vec3, b: Vec3): Quat {
  const d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  if (d < -1 + 1e-12) return Math.abs(a[0]) < 0.9 ? quatFromAxisAngle(cross(a, [1, 0, 0]), Math.PI) : quatFromAxisAngle(cross(a, [0, 1, 0]), Math.PI);
  const c = cross(a, b);
  return quatNormalize([c[0], c[1], c[2], 1 + d]);
}

function framePose(a: Attrs, comp: Compiler, where: string): Pose {
  const p = numbers(a.get('pos'), `${where} @pos`, 3) ?? [0, 0, 0];
  return { position: p as Vec3, orientation: orientation(a, comp, where) };
}

interface Ctx {
  session: ImportSession;
  comp: Compiler;
  classes: Map<string, { geom: Attrs; parent?: string }>;
  meshes: Map<string, { file: string; scale: Vec3 }>;
  baseDir: string;
  objects: SceneObject[];
  bodyCount: number;
}

async function geomPart(c: Ctx, g: Element, childclass: string, where: string): Promise<{ part: Part; visual: boolean; mass: number } | null> {
  const a = classGeomAttrs(c.classes, attr(g, 'class') ?? childclass);
  for (const [k, v] of attrsOf(g)) a.set(k, v);
  const type = a.get('type') ?? 'sphere';
  const size = numbers(a.get('size'), `${where} @size`) ?? [];
  let pose = framePose(a, c.comp, where);
  const fromto = a.has('fromto') ? numbers(a.get('fromto'), `${where} @fromto`, 6) : undefined;
  let half = size[1] ?? 0;
  if (fromto && (type === 'capsule' || type === 'cylinder' || type === 'box' || type === 'ellipsoid')) {
    const p0: Vec3 = [fromto[0]!, fromto[1]!, fromto[2]!],
      p1: Vec3 = [fromto[3]!, fromto[4]!, fromto[5]!];
    const d: Vec3 = [p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]];
    half = Math.hypot(...d) / 2;
    pose = { position: [(p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2, (p0[2] + p1[2]) / 2], orientation: quatFromTo([0, 0, 1], norm(d)) };
  }
  const contype = Number(a.get('contype') ?? '1'),
    conaffinity = Number(a.get('conaffinity') ?? '1');
  const visual = contype === 0 && conaffinity === 0;
  const rgba = numbers(a.get('rgba'), `${where} @rgba`);
  const color: Vec3 | undefined = rgba && rgba.length >= 3 ? [rgba[0]!, rgba[1]!, rgba[2]!] : undefined;
  let mesh;
  let pieces;
  const bad = (what: string) => new Real2SimError('BAD_FILE', `${where}: ${type} geom needs ${what}`, { where });
  switch (type) {
    case 'plane':
      return null;
    case 'box':
      if (size.length < 3 && !fromto) throw bad('size="hx hy hz"');
      mesh = fromto ? boxMesh(2 * size[0]!, 2 * size[1]!, 2 * half) : boxMesh(2 * size[0]!, 2 * size[1]!, 2 * size[2]!);
      break;
    case 'sphere':
      if (!(size[0]! > 0)) throw bad('size="radius"');
      mesh = sphereMesh(size[0]!, 32, 16);
      break;
    case 'ellipsoid': {
      if (size.length < 3) throw bad('size="rx ry rz"');
      mesh = placeMesh(sphereMesh(1, 32, 16), identityPose(), [size[0]!, size[1]!, size[2]!]);
      break;
    }
    case 'cylinder':
      if (!(size[0]! > 0) || !(half > 0)) throw bad('size="radius half-length"');
      mesh = cylinderMesh(size[0]!, 2 * half, 32);
      break;
    case 'capsule':
      if (!(size[0]! > 0)) throw bad('size="radius half-length"');
      mesh = capsuleMesh(size[0]!, 2 * half + 2 * size[0]!, 32, 8);
      break;
    case 'mesh': {
      const name = a.get('mesh');
      const asset = name ? c.meshes.get(name) : undefined;
      if (!asset) throw new Real2SimError('BAD_FILE', `${where}: mesh geom names mesh '${name}' which no <asset><mesh> defines`, { where });
      const parsed = await c.session.mesh(asset.file);
      const m = placeMesh(parsed.mesh, pose, asset.scale);
      pieces = parsed.groups.map((gm) => placeMesh(gm, pose, asset.scale));
      const massAttr = a.get('mass');
      const vol = Math.abs(massProperties(m, 1).volume);
      const mass = massAttr !== undefined ? Number(massAttr) : Number(a.get('density') ?? '1000') * vol;
      return { part: { mesh: m, pieces, ...(color ? { color } : {}) }, visual, mass };
    }
    default:
      c.session.warn(`${where}: geom type '${type}' is not supported; skipped`);
      return null;
  }
  const placed = placeMesh(mesh, pose);
  const massAttr = a.get('mass');
  const mass = massAttr !== undefined ? Number(massAttr) : Number(a.get('density') ?? '1000') * Math.abs(massProperties(placed, 1).volume);
  return { part: { mesh: placed, pieces: [placed], ...(color ? { color } : {}) }, visual, mass };
}

async function readBody(c: Ctx, body: Element, parent: Pose, childclass: string, movable: boolean, jointed: boolean): Promise<void> {
  const index = ++c.bodyCount;
  const a = attrsOf(body);
  const where = `${c.session.ctx.fileName} body '${a.get('name') ?? `#${index}`}'`;
  const pose = composePoses(parent, framePose(a, c.comp, where));
  const cls = a.get('childclass') ?? childclass;
  const joints = [...children(body, 'joint'), ...children(body, 'freejoint')];
  const hasFree = children(body, 'freejoint').length > 0 || children(body, 'joint').some((j) => attr(j, 'type') === 'free');
  const isMovable = movable || joints.length > 0;
  if (joints.length > 0 && (!hasFree || jointed)) c.session.warn(`${where}: joints other than a top-level free joint are not represented; the body becomes a separate rigid object`);
  const visual: Part[] = [];
  const collision: Part[] = [];
  let geomMass = 0;
  let meshName: string | undefined;
  for (const g of children(body, 'geom')) {
    const r = await geomPart(c, g, cls, `${where} geom '${attr(g, 'name') ?? ''}'`);
    if (!r) continue;
    meshName ??= attr(g, 'mesh');
    (r.visual ? visual : collision).push(r.part);
    geomMass += r.mass;
  }
  if (visual.length || collision.length) {
    const inertial = children(body, 'inertial')[0];
    let mass: number | undefined = geomMass > 0 ? geomMass : undefined;
    let com: Vec3 | undefined, inertia: Inertia | undefined;
    if (inertial) {
      const ia = attrsOf(inertial);
      mass = numbers(ia.get('mass'), `${where} inertial @mass`, 1)?.[0];
      const ip = framePose(ia, c.comp, `${where} inertial`);
      com = ip.position;
      const diag = numbers(ia.get('diaginertia'), `${where} inertial @diaginertia`, 3);
      const full = numbers(ia.get('fullinertia'), `${where} inertial @fullinertia`, 6);
      if (full) inertia = rotateInertia({ ixx: full[0]!, iyy: full[1]!, izz: full[2]!, ixy: full[3]!, ixz: full[4]!, iyz: full[5]! }, ip.orientation);
      else if (diag) inertia = rotateInertia({ ixx: diag[0]!, iyy: diag[1]!, izz: diag[2]!, ixy: 0, ixz: 0, iyz: 0 }, ip.orientation);
    }
    const id = a.get('name') ?? meshName ?? `body_${index}`;
    const ob = linkToObject(c.session, {
      id,
      label: meshName ?? a.get('name') ?? 'body',
      pose,
      visual,
      collision,
      ...(mass !== undefined ? { mass } : {}),
      ...(com ? { centerOfMass: com } : {}),
      ...(inertia ? { inertia } : {}),
      isStatic: !isMovable,
    });
    if (ob) c.objects.push(ob);
  }
  for (const b of children(body, 'body')) await readBody(c, b, pose, cls, isMovable, jointed || joints.length > 0);
}

export async function fromMjcf(xml: string, ctx: ImportContext): Promise<Scene> {
  const name = ctx.fileName ?? 'MJCF';
  const session = new ImportSession({ ...ctx, fileName: name }, 'mjcf');
  const root = parseXml(xml, name);
  if (root.tagName !== 'mujoco') throw new Real2SimError('BAD_FILE', `${name}: root element is <${root.tagName}>, an MJCF file has <mujoco>`, { name });
  await expandIncludes(session, root, ctx.baseDir, ctx.baseDir, 0);
  const comp: Compiler = { degrees: true, eulerseq: 'xyz' };
  for (const cel of children(root, 'compiler')) {
    const a = attrsOf(cel);
    if (a.has('angle')) comp.degrees = a.get('angle') !== 'radian';
    if (a.has('eulerseq')) comp.eulerseq = a.get('eulerseq')!;
    if (a.has('meshdir')) comp.meshdir = a.get('meshdir')!;
    if (a.has('assetdir')) comp.assetdir = a.get('assetdir')!;
  }
  const meshDir = resolve(ctx.baseDir, comp.meshdir ?? comp.assetdir ?? '.');
  const meshes = new Map<string, { file: string; scale: Vec3 }>();
  for (const asset of children(root, 'asset')) {
    for (const m of children(asset, 'mesh')) {
      const file = attr(m, 'file');
      if (!file) {
        session.warn(`${name}: mesh '${attr(m, 'name') ?? ''}' has no file (inline vertices are not read); skipped`);
        continue;
      }
      const meshName = attr(m, 'name') ?? file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
      const scale = (numbers(attr(m, 'scale'), `${name} mesh '${meshName}' @scale`, 3) ?? [1, 1, 1]) as Vec3;
      meshes.set(meshName, { file: resolve(meshDir, file), scale });
    }
  }
  const c: Ctx = { session, comp, classes: collectDefaults(root), meshes, baseDir: ctx.baseDir, objects: [], bodyCount: 0 };
  for (const wb of children(root, 'worldbody')) {
    const staticGeoms = children(wb, 'geom');
    let k = 0;
    for (const g of staticGeoms) {
      const r = await geomPart(c, g, 'main', `${name} worldbody geom '${attr(g, 'name') ?? ''}'`);
      if (!r) continue;
      const id = attr(g, 'name') ?? `world_geom_${k++}`;
      const ob = linkToObject(session, { id, label: id, pose: identityPose(), visual: r.visual ? [r.part] : [], collision: r.visual ? [] : [r.part], mass: r.mass > 0 ? r.mass : 1, isStatic: true });
      if (ob) c.objects.push(ob);
    }
    for (const b of children(wb, 'body')) await readBody(c, b, identityPose(), 'main', false, false);
  }
  return session.scene(uniqueIds(c.objects), { model: attr(root, 'model') });
}
