/**
 * URDF → scene. One object per link that has geometry; link world poses from the joint tree at
 * zero joint positions. A link is static when it hangs from the root through fixed joints only
 * and the root is a `world` link or has no mass (pybullet's convention: mass 0 = static);
 * otherwise movable. Joints other than fixed/floating are reported: articulation is not part
 * of the scene model, links become separate rigid objects.
 * Quirks handled: `<?xml version="0.0"?>` (pybullet), mass 0, missing `<inertial>`, `scale`
 * on meshes, `package://` and relative mesh paths, materials defined once at robot level.
 */
import type { Scene } from '../../model/scene.ts';
import { composePoses, identityPose, quatFromRpy, type Pose, type Vec3 } from '../../model/pose.ts';
import { Real2SimError } from '../../model/errors.ts';
import { boxMesh, cylinderMesh, sphereMesh, capsuleMesh } from '../../geometry/primitives.ts';
import { attr, child, children, numAttr, parseXml, type Element } from './xml.ts';
import { ImportSession, linkToObject, placeMesh, resolveUri, rotateInertia, uniqueIds, type ImportContext, type Part } from './common.ts';

function originPose(el: Element | undefined, where: string): Pose {
  const o = el ? child(el, 'origin') : undefined;
  if (!o) return identityPose();
  const xyz = numAttr(o, 'xyz', where, 3) ?? [0, 0, 0];
  const rpy = numAttr(o, 'rpy', where, 3) ?? [0, 0, 0];
  return { position: xyz as Vec3, orientation: quatFromRpy(rpy[0]!, rpy[1]!, rpy[2]!) };
}

async function geometryPart(session: ImportSession, el: Element, where: string, colors: Map<string, Vec3>, visualOnly = false): Promise<Part | null> {
  const g = child(el, 'geometry');
  const pose = originPose(el, where);
  const shape = g ? children(g)[0] : undefined;
  if (!shape) {
    session.warn(`${where}: no <geometry>; skipped`);
    return null;
  }
  let color: Vec3 | undefined;
  const mat = child(el, 'material');
  if (mat) {
    const rgba = numAttr(child(mat, 'color'), 'rgba', `${where}/material`);
    if (rgba && rgba.length >= 3) color = [rgba[0]!, rgba[1]!, rgba[2]!];
    else if (attr(mat, 'name')) color = colors.get(attr(mat, 'name')!);
  }
  const prim = (m: ReturnType<typeof boxMesh>): Part => {
    const placed = placeMesh(m, pose);
    return { mesh: placed, pieces: [placed], ...(color ? { color } : {}) };
  };
  switch (shape.tagName) {
    case 'box': {
      const s = numAttr(shape, 'size', `${where}/box`, 3);
      if (!s) throw new Real2SimError('BAD_FILE', `${where}: <box> needs size="x y z"`, { where });
      return prim(boxMesh(s[0]!, s[1]!, s[2]!));
    }
    case 'cylinder': {
      const r = numAttr(shape, 'radius', `${where}/cylinder`, 1)?.[0];
      const l = numAttr(shape, 'length', `${where}/cylinder`, 1)?.[0];
      if (!(r! > 0) || !(l! > 0)) throw new Real2SimError('BAD_FILE', `${where}: <cylinder> needs radius and length > 0`, { where });
      return prim(cylinderMesh(r!, l!, 32));
    }
    case 'sphere': {
      const r = numAttr(shape, 'radius', `${where}/sphere`, 1)?.[0];
      if (!(r! > 0)) throw new Real2SimError('BAD_FILE', `${where}: <sphere> needs radius > 0`, { where });
      return prim(sphereMesh(r!, 32, 16));
    }
    case 'capsule': {
      const r = numAttr(shape, 'radius', `${where}/capsule`, 1)?.[0];
      const l = numAttr(shape, 'length', `${where}/capsule`, 1)?.[0];
      if (!(r! > 0) || !(l! >= 0)) throw new Real2SimError('BAD_FILE', `${where}: <capsule> needs radius > 0 and length`, { where });
      return prim(capsuleMesh(r!, l! + 2 * r!, 32, 8));
    }
    case 'mesh': {
      const filename = attr(shape, 'filename');
      if (!filename) throw new Real2SimError('BAD_FILE', `${where}: <mesh> has no filename`, { where });
      const scale = numAttr(shape, 'scale', `${where}/mesh`) ?? [1, 1, 1];
      const s: Vec3 = scale.length === 1 ? [scale[0]!, scale[0]!, scale[0]!] : [scale[0]!, scale[1]!, scale[2]!];
      let parsed;
      try {
        parsed = await session.mesh(await resolveUri(session, filename, session.ctx.baseDir));
      } catch (e) {
        // A missing or unreadable visual mesh is survivable (collision geometry stands in);
        // a missing collision mesh is not.
        if (!visualOnly || !(e instanceof Real2SimError)) throw e;
        session.warn(`${where}: ${e.message}; using the collision geometry as the visual`);
        return null;
      }
      return { mesh: placeMesh(parsed.mesh, pose, s), pieces: parsed.groups.map((gm) => placeMesh(gm, pose, s)), ...(color ? { color } : {}) };
    }
    default:
      session.warn(`${where}: geometry <${shape.tagName}> is not supported; skipped`);
      return null;
  }
}

export async function fromUrdf(xml: string, ctx: ImportContext): Promise<Scene> {
  const name = ctx.fileName ?? 'URDF';
  const session = new ImportSession({ ...ctx, fileName: name }, 'urdf');
  const robot = parseXml(xml, name);
  if (robot.tagName !== 'robot') throw new Real2SimError('BAD_FILE', `${name}: root element is <${robot.tagName}>, a URDF has <robot>`, { name });
  const colors = new Map<string, Vec3>();
  for (const m of children(robot, 'material')) {
    const rgba = numAttr(child(m, 'color'), 'rgba', `${name}/material`);
    if (attr(m, 'name') && rgba && rgba.length >= 3) colors.set(attr(m, 'name')!, [rgba[0]!, rgba[1]!, rgba[2]!]);
  }
  const links = new Map<string, Element>();
  for (const l of children(robot, 'link')) {
    const n = attr(l, 'name');
    if (!n) throw new Real2SimError('BAD_FILE', `${name}: a <link> has no name`, { name });
    if (links.has(n)) throw new Real2SimError('BAD_FILE', `${name}: link '${n}' is defined twice`, { name, link: n });
    links.set(n, l);
  }
  if (links.size === 0) throw new Real2SimError('BAD_FILE', `${name}: the robot has no <link>`, { name });
  interface J {
    type: string;
    parent: string;
    origin: Pose;
  }
  const parentJoint = new Map<string, J>();
  for (const j of children(robot, 'joint')) {
    const jn = attr(j, 'name') ?? '(unnamed)';
    const p = attr(child(j, 'parent'), 'link');
    const c = attr(child(j, 'child'), 'link');
    if (!p || !c || !links.has(p) || !links.has(c)) throw new Real2SimError('BAD_FILE', `${name}: joint '${jn}' names a missing parent or child link`, { name, joint: jn });
    if (parentJoint.has(c)) throw new Real2SimError('BAD_FILE', `${name}: link '${c}' has two parent joints`, { name, link: c });
    const type = attr(j, 'type') ?? 'fixed';
    if (type !== 'fixed' && type !== 'floating') session.warn(`joint '${jn}' (${type}) is not represented: links become separate rigid objects at zero joint position`);
    parentJoint.set(c, { type, parent: p, origin: originPose(j, `${name} joint '${jn}'`) });
  }
  const worldPose = new Map<string, Pose>();
  const fixedToRoot = new Map<string, { root: string; fixed: boolean }>();
  const resolveLink = (ln: string, depth = 0): Pose => {
    const known = worldPose.get(ln);
    if (known) return known;
    if (depth > links.size) throw new Real2SimError('BAD_FILE', `${name}: the joints form a loop through link '${ln}'`, { name });
    const j = parentJoint.get(ln);
    let pose: Pose;
    if (!j) {
      pose = identityPose();
      fixedToRoot.set(ln, { root: ln, fixed: true });
    } else {
      pose = composePoses(resolveLink(j.parent, depth + 1), j.origin);
      const up = fixedToRoot.get(j.parent)!;
      fixedToRoot.set(ln, { root: up.root, fixed: up.fixed && j.type === 'fixed' });
    }
    worldPose.set(ln, pose);
    return pose;
  };
  const objects = [];
  for (const [ln, el] of links) {
    const pose = resolveLink(ln);
    const where = `${name} link '${ln}'`;
    const visual: Part[] = [];
    const collision: Part[] = [];
    for (const v of children(el, 'visual')) {
      const p = await geometryPart(session, v, `${where} visual`, colors, true);
      if (p) visual.push(p);
    }
    for (const c of children(el, 'collision')) {
      const p = await geometryPart(session, c, `${where} collision`, colors);
      if (p) collision.push(p);
    }
    const inertial = child(el, 'inertial');
    let mass: number | undefined, com: Vec3 | undefined, inertia;
    if (inertial) {
      mass = numAttr(child(inertial, 'mass'), 'value', `${where} mass`, 1)?.[0];
      const o = originPose(inertial, `${where} inertial`);
      com = o.position;
      const ie = child(inertial, 'inertia');
      if (ie) {
        const v = (k: string) => numAttr(ie, k, `${where} inertia`, 1)?.[0] ?? 0;
        inertia = rotateInertia({ ixx: v('ixx'), ixy: v('ixy'), ixz: v('ixz'), iyy: v('iyy'), iyz: v('iyz'), izz: v('izz') }, o.orientation);
      }
    }
    const chain = fixedToRoot.get(ln)!;
    const rootEl = links.get(chain.root)!;
    const rootMass = numAttr(child(child(rootEl, 'inertial') ?? rootEl, 'mass'), 'value', `${name} link '${chain.root}' mass`, 1)?.[0];
    const rootIsWorld = chain.root === 'world' || (children(rootEl, 'visual').length === 0 && children(rootEl, 'collision').length === 0 && parentJoint.size > 0);
    const isStatic = chain.fixed && (rootIsWorld || !(rootMass! > 0));
    if (!visual.length && !collision.length) {
      if (ln !== 'world' && !rootIsWorld) session.warn(`link '${ln}' has no geometry; skipped`);
      continue;
    }
    const ob = linkToObject(session, {
      id: ln,
      label: ln,
      pose,
      visual,
      collision,
      ...(mass !== undefined ? { mass } : {}),
      ...(com ? { centerOfMass: com } : {}),
      ...(inertia ? { inertia } : {}),
      isStatic,
    });
    if (ob) objects.push(ob);
  }
  return session.scene(uniqueIds(objects), { robot: attr(robot, 'name') });
}
