/**
 * Importers on small inline files: each quirk and each kind of bad input, with a coded error
 * that names the problem (never a crash or a hang).
 */
import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { transformPositions } from '../../src/model/pose.ts';
import { boundsOf } from '../../src/model/geometry.ts';
import { mujoco } from './mujocoSim.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromUrdf, fromSdf, fromMjcf, importFile } from '../../src/io/readers/index.ts';
import { parseMsh, parseObj } from '../../src/io/readers/meshes.ts';
import { Real2SimError } from '../../src/model/errors.ts';
import { quatAngle, quatFromRpy, quatFromAxisAngle } from '../../src/model/pose.ts';

const work = mkdtempSync(join(tmpdir(), 'r2s-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const ctx = (fileName: string) => ({ baseDir: work, fileName });

async function rejects(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, 'should have thrown').toBeInstanceOf(Real2SimError);
  expect((e as Real2SimError).code).toBe(code);
  expect((e as Error).message).toMatch(pattern);
}

describe('URDF importer', () => {
  it('reads pybullet\'s version="0.0" declaration, mass-0 static links and primitive geometry', async () => {
    const xml = `<?xml version="0.0" ?>
<robot name="t">
  <link name="base"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial>
    <collision><origin xyz="0 0 0.5" rpy="0 0 0"/><geometry><box size="1 2 1"/></geometry></collision></link>
</robot>`;
    const s = await fromUrdf(xml, ctx('t.urdf'));
    expect(s.objects).toHaveLength(1);
    const o = s.objects[0]!;
    expect(o.isStatic).toBe(true);
    expect(o.size.map((v) => +v.toFixed(6))).toEqual([1, 2, 1]);
    // object frame moved to the box centre
    expect(o.pose.position.map((v) => +v.toFixed(6))).toEqual([0, 0, 0.5]);
    expect(s.reports[0]!.warnings.join()).toMatch(/static with mass 0/);
  });

  it('chains joint origins, rotates inertial frames and reports articulation', async () => {
    const xml = `<robot name="arm">
  <link name="a"><inertial><origin xyz="0 0 0" rpy="0 0 1.5707963267948966"/><mass value="2"/><inertia ixx="1" ixy="0" ixz="0" iyy="2" iyz="0" izz="2.5"/></inertial>
    <visual><geometry><box size="0.2 0.2 0.2"/></geometry></visual></link>
  <link name="b"><inertial><mass value="1"/><inertia ixx="0.1" ixy="0" ixz="0" iyy="0.1" iyz="0" izz="0.1"/></inertial>
    <visual><geometry><sphere radius="0.1"/></geometry></visual></link>
  <joint name="j" type="revolute"><parent link="a"/><child link="b"/><origin xyz="1 0 0" rpy="0 0 1.5707963267948966"/></joint>
</robot>`;
    const s = await fromUrdf(xml, ctx('arm.urdf'));
    const [a, b] = s.objects;
    // yaw 90°: the tensor's x and y swap
    expect(a!.inertia.ixx).toBeCloseTo(2, 12);
    expect(a!.inertia.iyy).toBeCloseTo(1, 12);
    expect(b!.pose.position[0]).toBeCloseTo(1, 12);
    expect(quatAngle(b!.pose.orientation, quatFromRpy(0, 0, Math.PI / 2))).toBeLessThan(1e-7); // acos near 1 resolves ~2e-8 rad
    expect(s.reports[0]!.warnings.join()).toMatch(/revolute/);
  });

  it('rejects bad files with coded errors naming the problem', async () => {
    await rejects(fromUrdf('<robot><link name="a">', ctx('cut.urdf')), 'BAD_FILE', /cut\.urdf is not well-formed XML/);
    await rejects(fromUrdf('<sdf/>', ctx('x.urdf')), 'BAD_FILE', /root element is <sdf>/);
    await rejects(fromUrdf('<robot name="r"/>', ctx('e.urdf')), 'BAD_FILE', /no <link>/);
    await rejects(fromUrdf('<robot><link name="a"><visual><geometry><box size="1 x 1"/></geometry></visual></link></robot>', ctx('n.urdf')), 'BAD_FILE', /expected 3 numbers, got '1 x 1'/);
    await rejects(
      fromUrdf(
        '<robot><link name="a"/><link name="b"/><joint name="j1" type="fixed"><parent link="a"/><child link="b"/></joint><joint name="j2" type="fixed"><parent link="b"/><child link="a"/></joint></robot>',
        ctx('loop.urdf'),
      ),
      'BAD_FILE',
      /loop|two parent/,
    );
    await rejects(fromUrdf('<robot><link name="a"><collision><geometry><mesh filename="missing.obj"/></geometry></collision></link></robot>', ctx('m.urdf')), 'BAD_FILE', /Cannot read .*missing\.obj/);
    await rejects(
      fromUrdf('<robot><link name="a"><collision><geometry><mesh filename="package://nopkg/x.obj"/></geometry></collision></link></robot>', ctx('p.urdf')),
      'BAD_FILE',
      /Cannot resolve 'package:\/\/nopkg\/x\.obj'.*searchPath/,
    );
  });

  it('splits a V-HACD OBJ into one convex piece per group', async () => {
    const cube = (o: number) => [
      `o piece${o}`,
      ...[
        [0, 0, 0],
        [1, 0, 0],
        [1, 1, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 0, 1],
        [1, 1, 1],
        [0, 1, 1],
      ].map(([x, y, z]) => `v ${x! * 0.1 + o * 0.2} ${y! * 0.1} ${z! * 0.1}`),
      ...[
        [1, 3, 2],
        [1, 4, 3],
        [5, 6, 7],
        [5, 7, 8],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 4, 8],
        [3, 8, 7],
        [4, 1, 5],
        [4, 5, 8],
      ].map((f) => `f ${f.map((i) => i + o * 8).join(' ')}`),
    ];
    writeFileSync(join(work, 'two.obj'), [...cube(0), ...cube(1)].join('\n'));
    const s = await fromUrdf('<robot><link name="a"><inertial><mass value="1"/></inertial><collision><geometry><mesh filename="two.obj"/></geometry></collision></link></robot>', ctx('v.urdf'));
    expect(s.objects[0]!.collision).toHaveLength(2);
    expect(() => parseObj('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9', 'bad.obj')).toThrow(/bad\.obj:4: face index '9' is out of range/);
  });
});

describe('SDF importer', () => {
  it('resolves model:// includes through the search path, applies include pose and static', async () => {
    const models = join(work, 'models');
    mkdirSync(join(models, 'crate'), { recursive: true });
    writeFileSync(join(models, 'crate', 'model.config'), '<model><name>crate</name><sdf version="1.6">model.sdf</sdf></model>');
    writeFileSync(
      join(models, 'crate', 'model.sdf'),
      '<sdf version="1.6"><model name="crate"><link name="link"><inertial><mass>2</mass></inertial><collision name="c"><geometry><box><size>0.2 0.2 0.2</size></box></geometry></collision></link></model></sdf>',
    );
    const world = `<sdf version="1.9"><world name="w">
      <include><uri>model://crate</uri><name>crate_a</name><pose>1 2 0.1 0 0 0.5</pose><static>true</static></include>
      <model name="ground"><static>true</static><link name="l"><collision name="c"><geometry><plane><normal>0 0 1</normal></plane></geometry></collision></link></model>
    </world></sdf>`;
    const s = await fromSdf(world, { baseDir: work, fileName: 'w.sdf', searchPath: [models] });
    expect(s.objects.map((o) => o.id)).toEqual(['crate_a']);
    const o = s.objects[0]!;
    expect(o.isStatic).toBe(true);
    expect(o.mass).toBe(2);
    expect(o.pose.position.map((v) => +v.toFixed(9))).toEqual([1, 2, 0.1]);
    expect(quatAngle(o.pose.orientation, quatFromRpy(0, 0, 0.5))).toBeLessThan(1e-7); // acos near 1 resolves ~2e-8 rad
  });

  it("reads SDF 1.2's <gazebo> root and reports COLLADA-only models as UNSUPPORTED with what to do", async () => {
    mkdirSync(join(work, 'can', 'meshes'), { recursive: true });
    writeFileSync(join(work, 'can', 'meshes', 'can.dae'), '<COLLADA/>');
    const xml = '<gazebo version="1.2"><model name="can"><link name="link"><visual name="v"><geometry><mesh><uri>model://can/meshes/can.dae</uri></mesh></geometry></visual></link></model></gazebo>';
    await rejects(fromSdf(xml, { baseDir: join(work, 'can'), fileName: 'model-1_2.sdf' }), 'UNSUPPORTED', /COLLADA .*convert it to OBJ or STL/);
  });

  it('rejects bad poses', async () => {
    await rejects(fromSdf('<sdf version="1.6"><model name="m"><pose>1 2 3</pose></model></sdf>', ctx('p.sdf')), 'BAD_FILE', /<pose> needs 6 numbers/);
  });
});

describe('MJCF importer', () => {
  it('angles are degrees unless compiler says radian; euler sequences; includes and default classes', async () => {
    writeFileSync(join(work, 'defaults.xml'), '<mujocoinclude><default><default class="col"><geom type="box" size="0.1 0.2 0.3" mass="3"/></default></default></mujocoinclude>');
    const deg = `<mujoco><include file="defaults.xml"/><worldbody><body name="b" pos="1 0 0" euler="0 0 90"><freejoint/><geom class="col"/></body></worldbody></mujoco>`;
    const s = await fromMjcf(deg, ctx('deg.xml'));
    const o = s.objects[0]!;
    expect(o.isStatic).toBeFalsy();
    expect(o.mass).toBe(3);
    expect(o.size.map((v) => +v.toFixed(6))).toEqual([0.2, 0.4, 0.6]);
    expect(quatAngle(o.pose.orientation, quatFromAxisAngle([0, 0, 1], Math.PI / 2))).toBeLessThan(1e-7); // acos near 1 resolves ~2e-8 rad
    const rad = deg.replace('<worldbody>', '<compiler angle="radian"/><worldbody>').replace('euler="0 0 90"', 'euler="0 0 1.5707963267948966"');
    const r = await fromMjcf(rad, ctx('rad.xml'));
    expect(quatAngle(r.objects[0]!.pose.orientation, o.pose.orientation)).toBeLessThan(1e-7); // acos near 1 resolves ~2e-8 rad
  });

  it('capsule fromto, static world geoms, floor planes skipped, bad references rejected', async () => {
    const xml = `<mujoco><worldbody><geom type="plane" size="1 1 0.1"/><geom name="rail" type="capsule" fromto="0 0 0 1 0 0" size="0.02"/>
      <body name="m"><joint type="hinge"/><geom type="sphere" size="0.05"/></body></worldbody></mujoco>`;
    const s = await fromMjcf(xml, ctx('f.xml'));
    expect(s.objects.map((o) => [o.id, !!o.isStatic])).toEqual([
      ['rail', true],
      ['m', false],
    ]);
    expect(s.objects[0]!.size[0]).toBeCloseTo(1.04, 6);
    expect(s.reports[0]!.warnings.join()).toMatch(/not represented/);
    await rejects(fromMjcf('<mujoco><worldbody><body><geom type="mesh" mesh="nope"/></body></worldbody></mujoco>', ctx('r.xml')), 'BAD_FILE', /mesh 'nope' which no <asset><mesh> defines/);
    await rejects(fromMjcf('<mujoco><include file="missing.xml"/></mujoco>', ctx('i.xml')), 'BAD_FILE', /Cannot read .*missing\.xml/);
  });

  it('places an off-centre mesh geom with pos/quat where MuJoCo 3.14 (WASM) puts it', async () => {
    // an elongated box mesh, off-centre and turned 30° in its file
    const a = Math.PI / 6,
      c = [1, 0.5, 0.25];
    const vs: string[] = [];
    for (const x of [-0.4, 0.4])
      for (const y of [-0.1, 0.1]) for (const z of [-0.05, 0.05]) vs.push(`v ${x * Math.cos(a) - y * Math.sin(a) + c[0]!} ${x * Math.sin(a) + y * Math.cos(a) + c[1]!} ${z + c[2]!}`);
    const faces = [
      [1, 3, 2],
      [2, 3, 4],
      [5, 6, 7],
      [6, 8, 7],
      [1, 2, 5],
      [2, 6, 5],
      [3, 7, 4],
      [4, 7, 8],
      [1, 5, 3],
      [3, 5, 7],
      [2, 4, 6],
      [4, 8, 6],
    ];
    const dir = join(work, 'mjmesh');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'm.obj'), [...vs, ...faces.map((f) => `f ${f.join(' ')}`)].join('\n'));
    const xml =
      '<mujoco><compiler angle="radian"/><asset><mesh name="m" file="m.obj"/></asset><worldbody><body name="b" pos="0.3 -0.2 0.1" quat="0.9 0 0.1 0.3"><freejoint/><geom type="mesh" mesh="m" pos="0.1 0.2 0" quat="0.8 0.2 0 0.1"/></body></worldbody></mujoco>';
    writeFileSync(join(dir, 's.xml'), xml);
    const ours = (await fromMjcf(xml, { baseDir: dir, fileName: 's.xml' })).objects[0]!;
    const world = transformPositions(ours.pose, ours.mesh.positions);
    const mj = await mujoco();
    mj.FS.mkdir('/mjmesh');
    mj.FS.writeFile('/mjmesh/m.obj', readFileSync(join(dir, 'm.obj')));
    mj.FS.writeFile('/mjmesh/s.xml', xml);
    const model = mj.MjModel.from_xml_path('/mjmesh/s.xml');
    const data = new mj.MjData(model);
    try {
      mj.mj_forward(model, data);
      const p = data.geom_xpos as ArrayLike<number>,
        R = data.geom_xmat as ArrayLike<number>,
        v = model.mesh_vert as ArrayLike<number>;
      const theirs = new Float32Array(v.length);
      for (let i = 0; i < v.length; i += 3) for (let r = 0; r < 3; r++) theirs[i + r] = p[r]! + R[r * 3]! * v[i]! + R[r * 3 + 1]! * v[i + 1]! + R[r * 3 + 2]! * v[i + 2]!;
      const [b1, b2] = [boundsOf(world), boundsOf(theirs)];
      for (let k = 0; k < 3; k++) {
        expect(Math.abs(b1.min[k]! - b2.min[k]!)).toBeLessThan(1e-5);
        expect(Math.abs(b1.max[k]! - b2.max[k]!)).toBeLessThan(1e-5);
      }
    } finally {
      data.delete();
      model.delete();
    }
  });

  it('reads the legacy binary .msh and rejects a truncated one', () => {
    const nv = 4,
      nf = 4;
    const buf = new ArrayBuffer(16 + 4 * (3 * nv + 3 * nf));
    const dv = new DataView(buf);
    [nv, 0, 0, nf].forEach((v, i) => dv.setInt32(i * 4, v, true));
    [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => dv.setFloat32(16 + i * 4, v, true));
    [0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3].forEach((v, i) => dv.setInt32(16 + 48 + i * 4, v, true));
    const m = parseMsh(new Uint8Array(buf), 't.msh');
    expect(m.positions.length).toBe(12);
    expect(m.indices.length).toBe(12);
    expect(() => parseMsh(new Uint8Array(buf).subarray(0, 40), 'cut.msh')).toThrow(/cut\.msh is not a MuJoCo \.msh file/);
  });
});

const data = resolve(fileURLToPath(import.meta.url), '../../../../shared/data');
describe.skipIf(!existsSync(data))('known assets (../shared/data)', () => {
  it('YCB_sim: 10 objects with masses from the file, .msh meshes, includes', async () => {
    const s = await importFile(join(data, 'YCB_sim', 'ycb_objects.xml'));
    expect(s.objects).toHaveLength(10);
    expect(s.objects.find((o) => o.id === '006_mustard_bottle')!.mass).toBeCloseTo(0.431, 9);
    expect(s.objects.every((o) => !o.isStatic)).toBe(true);
  });
  it('gazebo coke_can: DAE reported as unsupported; cricket_ball imports with its inertial', async () => {
    await rejects(importFile(join(data, 'gazebo_models', 'coke_can', 'model.sdf')), 'UNSUPPORTED', /COLLADA/);
    const s = await importFile(join(data, 'gazebo_models', 'cricket_ball', 'model.sdf'));
    expect(s.objects).toHaveLength(1);
  });
  it('pybullet table.urdf: mass 0 → static', async () => {
    const s = await importFile(join(data, 'pybullet_data', 'table', 'table.urdf'));
    expect(s.objects[0]!.isStatic).toBe(true);
  });
});
if (!existsSync(data)) console.warn(`[export tests] ${data} is missing: skipping the known-asset import checks`);
