/**
 * SDF (1.2–1.9, root `<sdf>` or 1.2's `<gazebo>`) → scene. A world's models and `<include>`s,
 * or a file's top-level models; nested models are flattened. One object per link with
 * geometry; `<static>` models are static. Frames: model pose in its parent (world or model),
 * link pose in its model, visual/collision/inertial poses in their link (the pre-1.7 meaning,
 * which also holds in 1.7+ when `relative_to` is absent; other `relative_to`/`frame` values
 * are reported and read as the default).
 * URIs: `model://<name>/…` against the search path (and the folders around the file),
 * relative paths against the including file. COLLADA meshes are reported as unsupported; a
 * link whose only geometry is COLLADA is skipped, and a file that yields no object at all
 * throws `UNSUPPORTED` saying so.
 */
import { dirname, join } from 'node:path';
import type { Scene, SceneObject } from '../../model/scene.ts';
import { composePoses, identityPose, quatFromRpy, quatNormalize, type Pose, type Quat, type Vec3 } from '../../model/pose.ts';
import { Real2SimError } from '../../model/errors.ts';
import { boxMesh, cylinderMesh, sphereMesh, capsuleMesh } from '../../geometry/primitives.ts';
import { attr, child, childNumbers, children, numbers, parseXml, text, type Element } from './xml.ts';
import { ImportSession, linkToObject, placeMesh, resolveUri, rotateInertia, uniqueIds, type ImportContext, type Part } from './common.ts';

function poseOf(el: Element | undefined, where: string, session: ImportSession): Pose {
  const p = el ? child(el, 'pose') : undefined;
  if (!p) return identityPose();
  const rel = attr(p, 'relative_to') ?? attr(p, 'frame');
  if (rel) session.warn(`${where}: <pose ${attr(p, 'relative_to') !== undefined ? 'relative_to' : 'frame'}="${rel}"> is read relative to the parent frame`);
  const xs = numbers(p.textContent ?? '', `${where}/<pose>`) ?? [];
  const deg = attr(p, 'degrees') === 'true' ? Math.PI / 180 : 1;
  if (xs.length === 7 && attr(p, 'rotation_format') === 'quat_xyzw') {
    return { position: [xs[0]!, xs[1]!, xs[2]!], orientation: quatNormalize([xs[3]!, xs[4]!, xs[5]!, xs[6]!] as Quat) };
  }
  if (xs.length !== 6) throw new Real2SimError('BAD_FILE', `${where}: <pose> needs 6 numbers (x y z roll pitch yaw), got ${xs.length}`, { where });
  return { position: [xs[0]!, xs[1]!, xs[2]!], orientation: quatFromRpy(xs[3]! * deg, xs[4]! * deg, xs[5]! * deg) };
}

function isTrue(el: Element | undefined): boolean {
  const t = text(el);
  return t === 'true' || t === '1';
}

interface Walk {
  session: ImportSession;
  objects: SceneObject[];
  daeSkips: string[];
  depth: number;
}

async function geometryPart(w: Walk, el: Element, where: string, fileDir: string, visualOnly: boolean): Promise<Part | null> {
  const g = child(el, 'geometry');
  const shape = g ? children(g)[0] : undefined;
  const pose = poseOf(el, where, w.session);
  if (!shape) {
    w.session.warn(`${where}: no <geometry>; skipped`);
    return null;
  }
  let color: Vec3 | undefined;
  const diffuse = childNumbers(child(el, 'material'), 'diffuse', `${where}/material`);
  if (diffuse && diffuse.length >= 3) color = [diffuse[0]!, diffuse[1]!, diffuse[2]!];
  const prim = (m: ReturnType<typeof boxMesh>): Part => {
    const placed = placeMesh(m, pose);
    return { mesh: placed, pieces: [placed], ...(color ? { color } : {}) };
  };
  const num = (tag: string) => childNumbers(shape, tag, `${where}/<${shape.tagName}>`, 1)?.[0];
  switch (shape.tagName) {
    case 'box': {
      const s = childNumbers(shape, 'size', `${where}/<box>`, 3);
      if (!s) throw new Real2SimError('BAD_FILE', `${where}: <box> needs <size>`, { where });
      return prim(boxMesh(s[0]!, s[1]!, s[2]!));
    }
    case 'cylinder': {
      const r = num('radius'),
        l = num('length');
      if (!(r! > 0) || !(l! > 0)) throw new Real2SimError('BAD_FILE', `${where}: <cylinder> needs <radius> and <length> > 0`, { where });
      return prim(cylinderMesh(r!, l!, 32));
    }
    case 'sphere': {
      const r = num('radius');
      if (!(r! > 0)) throw new Real2SimError('BAD_FILE', `${where}: <sphere> needs <radius> > 0`, { where });
      return prim(sphereMesh(r!, 32, 16));
    }
    case 'capsule': {
      const r = num('radius'),
        l = num('length');
      if (!(r! > 0) || !(l! >= 0)) throw new Real2SimError('BAD_FILE', `${where}: <capsule> needs <radius> > 0 and <length>`, { where });
      return prim(capsuleMesh(r!, l! + 2 * r!, 32, 8));
    }
    case 'plane':
      // Ground planes are the world's floor, not an object.
      return null;
    case 'mesh': {
      const uri = text(child(shape, 'uri'));
      if (!uri) throw new Real2SimError('BAD_FILE', `${where}: <mesh> has no <uri>`, { where });
      const sc = childNumbers(shape, 'scale', `${where}/<mesh>`, 3) ?? [1, 1, 1];
      try {
        const parsed = await w.session.mesh(await resolveUri(w.session, uri, fileDir));
        const s = sc as Vec3;
        return { mesh: placeMesh(parsed.mesh, pose, s), pieces: parsed.groups.map((m) => placeMesh(m, pose, s)), ...(color ? { color } : {}) };
      } catch (e) {
        if (!(e instanceof Real2SimError)) throw e;
        if (e.code === 'UNSUPPORTED') {
          w.daeSkips.push(e.message);
          w.session.warn(`${where}: ${e.message}`);
          return null;
        }
        if (visualOnly) {
          w.session.warn(`${where}: ${e.message}; using the collision geometry as the visual`);
          return null;
        }
        throw e;
      }
    }
    default:
      w.session.warn(`${where}: geometry <${shape.tagName}> is not supported; skipped`);
      return null;
  }
}

async function readModel(w: Walk, model: Element, parent: Pose, parentStatic: boolean, fileDir: string, prefix: string): Promise<void> {
  const name = attr(model, 'name') ?? 'model';
  const where = `model '${prefix}${name}'`;
  const pose = composePoses(parent, poseOf(model, where, w.session));
  const isStatic = parentStatic || isTrue(child(model, 'static'));
  const links = children(model, 'link');
  for (const link of links) {
    const ln = attr(link, 'name') ?? 'link';
    const lw = `${where} link '${ln}'`;
    const linkPose = composePoses(pose, poseOf(link, lw, w.session));
    const visual: Part[] = [];
    const collision: Part[] = [];
    for (const v of children(link, 'visual')) {
      const p = await geometryPart(w, v, `${lw} visual '${attr(v, 'name') ?? ''}'`, fileDir, true);
      if (p) visual.push(p);
    }
    for (const c of children(link, 'collision')) {
      const p = await geometryPart(w, c, `${lw} collision '${attr(c, 'name') ?? ''}'`, fileDir, false);
      if (p) collision.push(p);
    }
    if (!visual.length && !collision.length) continue;
    const inertial = child(link, 'inertial');
    let mass: number | undefined, com: Vec3 | undefined, inertia;
    if (inertial) {
      mass = childNumbers(inertial, 'mass', `${lw}/inertial`, 1)?.[0];
      const ip = poseOf(inertial, `${lw}/inertial`, w.session);
      com = ip.position;
      const ie = child(inertial, 'inertia');
      if (ie) {
        const v = (k: string) => childNumbers(ie, k, `${lw}/inertia`, 1)?.[0] ?? 0;
        inertia = rotateInertia({ ixx: v('ixx'), ixy: v('ixy'), ixz: v('ixz'), iyy: v('iyy'), iyz: v('iyz'), izz: v('izz') }, ip.orientation);
      }
    } else if (!isStatic) {
      w.session.warn(`${lw}: no <inertial> (SDF would assume 1 kg and unit inertia); computing it from the geometry`);
    }
    const id = links.length === 1 ? `${prefix}${name}` : `${prefix}${name}_${ln}`;
    const ob = linkToObject(w.session, {
      id,
      label: name,
      pose: linkPose,
      visual,
      collision,
      ...(mass !== undefined ? { mass } : {}),
      ...(com ? { centerOfMass: com } : {}),
      ...(inertia ? { inertia } : {}),
      isStatic,
    });
    if (ob) w.objects.push(ob);
  }
  if (children(model, 'joint').length > 0) w.session.warn(`${where}: joints are not represented; links become separate rigid objects`);
  for (const nested of children(model, 'model')) await readModel(w, nested, pose, isStatic, fileDir, `${prefix}${name}_`);
  for (const inc of children(model, 'include')) await readInclude(w, inc, pose, isStatic, fileDir, `${prefix}${name}_`);
}

/** `<include><uri>model://name</uri>`: the model folder's model.config names the SDF file. */
async function readInclude(w: Walk, inc: Element, parent: Pose, parentStatic: boolean, fileDir: string, prefix: string): Promise<void> {
  const uri = text(child(inc, 'uri'));
  if (!uri) throw new Real2SimError('BAD_FILE', `an <include> has no <uri>`, {});
  if (w.depth > 16) throw new Real2SimError('BAD_FILE', `<include> of '${uri}' nests more than 16 levels: a loop?`, { uri });
  const folder = await resolveUri(w.session, uri.replace(/\/?$/, '/model.config'), fileDir).then(dirname, async () => resolveUri(w.session, uri, fileDir));
  let sdfFile = join(folder, 'model.sdf');
  if (await w.session.exists(join(folder, 'model.config'))) {
    const cfg = parseXml(new TextDecoder().decode(await w.session.read(join(folder, 'model.config'))), join(folder, 'model.config'));
    const entries = children(cfg, 'sdf')
      .map((e) => ({ version: Number(attr(e, 'version') ?? '0'), file: text(e) ?? '' }))
      .filter((e) => e.file && e.version <= 1.9);
    entries.sort((a, b) => b.version - a.version);
    if (entries[0]) sdfFile = join(folder, entries[0].file);
  } else if (!(await w.session.exists(sdfFile)) && /\.sdf$/i.test(folder)) {
    sdfFile = folder;
  }
  const root = parseXml(new TextDecoder().decode(await w.session.read(sdfFile)), sdfFile);
  const models = children(root, 'model');
  if (models.length === 0) throw new Real2SimError('BAD_FILE', `${sdfFile} (included as '${uri}') holds no <model>`, { uri });
  const pose = child(inc, 'pose') ? poseOf(inc, `include '${uri}'`, w.session) : null;
  const staticOverride = child(inc, 'static') ? isTrue(child(inc, 'static')) : null;
  const nameOverride = text(child(inc, 'name'));
  for (const m of models) {
    // The include's pose replaces the model's own pose; its name replaces the model's name.
    const clone = m.cloneNode(true) as Element;
    if (nameOverride) clone.setAttribute('name', nameOverride);
    if (pose) for (const p of children(clone, 'pose')) clone.removeChild(p);
    if (staticOverride !== null) {
      for (const s of children(clone, 'static')) clone.removeChild(s);
    }
    const base = pose ? composePoses(parent, pose) : parent;
    w.depth++;
    await readModel(w, clone, base, parentStatic || staticOverride === true || (staticOverride === null && isTrue(child(m, 'static'))), dirname(sdfFile), prefix);
    w.depth--;
  }
}

export async function fromSdf(xml: string, ctx: ImportContext): Promise<Scene> {
  const name = ctx.fileName ?? 'SDF';
  const session = new ImportSession({ ...ctx, fileName: name }, 'sdf');
  const root = parseXml(xml, name);
  if (root.tagName !== 'sdf' && root.tagName !== 'gazebo') throw new Real2SimError('BAD_FILE', `${name}: root element is <${root.tagName}>, an SDF file has <sdf>`, { name });
  const version = Number(attr(root, 'version') ?? 'NaN');
  if (!(version >= 1 && version <= 1.9 + 1e-9)) session.warn(`${name}: SDF version '${attr(root, 'version')}' is outside 1.0–1.9; reading it as 1.9`);
  const w: Walk = { session, objects: [], daeSkips: [], depth: 0 };
  const worlds = children(root, 'world');
  const containers = worlds.length ? worlds : [root];
  for (const c of containers) {
    for (const m of children(c, 'model')) await readModel(w, m, identityPose(), false, ctx.baseDir, '');
    for (const inc of children(c, 'include')) await readInclude(w, inc, identityPose(), false, ctx.baseDir, '');
  }
  if (w.objects.length === 0 && w.daeSkips.length > 0) {
    throw new Real2SimError('UNSUPPORTED', `${name}: no object could be imported because its meshes are COLLADA (.dae), which this importer does not read. ${w.daeSkips[0]}`, { name });
  }
  return session.scene(uniqueIds(w.objects), { sdfVersion: attr(root, 'version') });
}
