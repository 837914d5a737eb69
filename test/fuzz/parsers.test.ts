/**
 * Property-based tests of every parser of outside input: whatever the bytes or values, a parser
 * returns a value or throws a coded `Real2SimError` — never a TypeError, RangeError or any other
 * uncaught exception. Inputs are generated (fast-check) both from scratch and by mutating valid
 * files (bit flips, cuts, splices), which reach deeper into each format.
 *
 * Seeded and small in `npm test` (FC_RUNS, default 300 per property); the nightly-sized run:
 *   FC_RUNS=10000 npx vitest run test/fuzz
 * A failure prints the seed and the shrunk counter-example; FC_SEED=<seed> replays it.
 */
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { encode } from 'cbor2';
import { Real2SimError } from '../../src/model/errors.ts';
import { parseCameraFile } from '../../src/io/frame.ts';
import { intrinsicsFromCameraInfo, intrinsicsFromJson } from '../../src/model/camera.ts';
import { decodeColorImage, decodeDepthPng, decodeLabelPng, encodeDepthPng, encodeLabelPng, encodePng } from '../../src/io/image.ts';
import { sceneFromJson, sceneToJson } from '../../src/io/sceneJson.ts';
import { decodeMesh, decodePlyCloud, encodeObj, encodePly, type MeshFormat } from '../../src/io/mesh.ts';
import { parseObj, parseStl } from '../../src/io/readers/meshes.ts';
import { meshToGlb } from '../../src/gpu/glb.ts';
import { decodeCbor } from '../../src/gpu/wire.ts';
import { REQUEST_PARSERS, TASKS } from '../../src/gpu/protocol.ts';
import { checkCameraInfo, checkImage, toLabelImage } from '../../ros/normalise.ts';
import { paramsFromYaml, resolveParams } from '../../ros/params.ts';
import { boxMesh } from '../../src/geometry/primitives.ts';
import { fixedScene } from '../export/fixtures.ts';
import { noise } from '../reliability/fixtures.ts';

const RUNS = Number(process.env['FC_RUNS'] ?? 300);
const SEED = Number(process.env['FC_SEED'] ?? 20261206);
const params = { numRuns: RUNS, seed: SEED };
/** Nightly-sized runs take minutes per property on a loaded machine. */
const TIMEOUT = Math.max(60_000, RUNS * 40);
vi.setConfig({ testTimeout: TIMEOUT });

/** Runs `f`; passes when it returns or throws a `Real2SimError`, fails (with the error) otherwise. */
async function onlyCoded(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof Real2SimError) {
      expect(e.code).toMatch(/^[A-Z_]+$/);
      expect(e.message).not.toMatch(/\[object Object\]|undefined is not|Cannot read propert/);
      return;
    }
    throw e;
  }
}

/** Mutations of a valid file: flip bits, cut it, splice random bytes in, overwrite a run. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = valid.length;
  return fc.oneof(
    fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const b = valid.slice();
      for (const [i, bit] of flips) b[i]! ^= 1 << bit;
      return b;
    }),
    fc.nat(n).map((cut) => valid.slice(0, cut)),
    fc.tuple(fc.nat(n), fc.uint8Array({ maxLength: 64 })).map(([at, ins]) => Uint8Array.from([...valid.subarray(0, at), ...ins, ...valid.subarray(at)])),
    fc.tuple(fc.nat(n - 1), fc.uint8Array({ minLength: 1, maxLength: 32 })).map(([at, over]) => {
      const b = valid.slice();
      b.set(over.subarray(0, n - at), at);
      return b;
    }),
  );
}

const bytesOrMutation = (valid: Uint8Array) => fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated(valid));

/** Any JSON-ish value, with numbers that matter (NaN, ±Infinity, -0, huge) mixed in. */
const anyValue = fc.anything({ withBigInt: false, withTypedArray: true, withNullPrototype: true, withObjectString: true, maxDepth: 3 });
const numberish = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e308, -1e-9, 640, 480), fc.string({ maxLength: 6 }), fc.constant(null));

describe('fuzz: camera files', () => {
  it('parseCameraFile: any text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })), (text) => onlyCoded(() => parseCameraFile(text, 'cam.json', { width: 64, height: 48 }))),
      params,
    );
  });
  it('intrinsicsFromJson: objects with the fields it reads, any values', async () => {
    const keys = ['width', 'height', 'fx', 'fy', 'cx', 'cy', 'k', 'K', 'intrinsic_matrix', 'resolution', 'x_offset', 'y_offset', 'cam_K'];
    const field = fc.oneof(numberish, fc.array(fc.oneof(numberish, fc.array(numberish, { maxLength: 4 })), { maxLength: 11 }), anyValue);
    const obj = fc.dictionary(fc.constantFrom(...keys), field, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(obj, anyValue), (o) => onlyCoded(() => intrinsicsFromJson(o))),
      params,
    );
    await fc.assert(
      fc.asyncProperty(obj, (o) => onlyCoded(() => parseCameraFile(JSON.stringify(o), 'cam.json', { width: 64, height: 48 }))),
      params,
    );
  });
  it('intrinsicsFromCameraInfo: any CameraInfo-like value', async () => {
    const info = fc.record(
      { width: numberish, height: numberish, k: fc.oneof(fc.array(numberish, { maxLength: 12 }), anyValue), header: fc.oneof(anyValue, fc.record({ frame_id: anyValue })) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(info, (i) => onlyCoded(() => intrinsicsFromCameraInfo(i as never))),
      params,
    );
  });
});

describe('fuzz: images (PNG, JPEG, 16-bit depth, label masks)', () => {
  const rgbPng = encodePng({ width: 8, height: 6, encoding: 'rgb8', data: noise(8 * 6 * 3, 2) });
  const monoPng = encodePng({ width: 8, height: 6, encoding: 'mono8', data: noise(8 * 6, 4) });
  const depthPng = encodeDepthPng({ width: 8, height: 6, data: new Float32Array(48).fill(0.7) });
  const labelPng = encodeLabelPng({ width: 8, height: 6, data: Uint16Array.from({ length: 48 }, (_, i) => i % 3), labels: new Map() });
  const jpeg = Uint8Array.from([
    0xff,
    0xd8,
    0xff,
    0xdb,
    0x00,
    0x43,
    0x00,
    ...noise(64, 8),
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    0x00,
    0x06,
    0x00,
    0x08,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
    0xff,
    0xd9,
  ]);
  it('decodeColorImage: random bytes and mutated PNG/JPEG', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytesOrMutation(rgbPng), mutated(monoPng), mutated(jpeg)), (b) => onlyCoded(() => decodeColorImage(b, 'rgb.png'))),
      params,
    );
  });
  it('decodeDepthPng: random bytes and mutated 16-bit PNG, any scale', async () => {
    await fc.assert(
      fc.asyncProperty(bytesOrMutation(depthPng), fc.oneof(fc.double(), fc.constant(0.001)), (b, s) => onlyCoded(() => decodeDepthPng(b, s, 'depth.png'))),
      params,
    );
  });
  it('decodeLabelPng: random bytes and mutated label/colour PNG', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytesOrMutation(labelPng), mutated(rgbPng)), (b) => onlyCoded(() => decodeLabelPng(b, 'masks.png'))),
      params,
    );
  });
});

describe('fuzz: scene.json', () => {
  const valid = sceneToJson(fixedScene());
  it('sceneFromJson: mutated text of a valid scene', async () => {
    const text = new TextEncoder().encode(valid);
    await fc.assert(
      fc.asyncProperty(mutated(text), (b) => onlyCoded(() => sceneFromJson(new TextDecoder().decode(b)))),
      params,
    );
  });
  it('sceneFromJson: a valid scene with one field replaced by anything', async () => {
    const base = JSON.parse(valid) as Record<string, unknown>;
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      if (p.length > 6) return;
      paths.push(p);
      if (Array.isArray(v)) v.slice(0, 3).forEach((x, i) => walk(x, [...p, String(i)]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(base, []);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.oneof(anyValue, numberish), (path, value) => {
        const copy = structuredClone(base);
        let at: Record<string, unknown> = copy;
        for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
        at[path[path.length - 1]!] = value;
        let text: string;
        try {
          text = JSON.stringify(copy);
        } catch {
          return;
        }
        return onlyCoded(() => sceneFromJson(text));
      }),
      params,
    );
  });
  it('sceneFromJson: any JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json({ maxDepth: 4 }), (t) => onlyCoded(() => sceneFromJson(t))),
      params,
    );
  });
});

describe('fuzz: meshes (OBJ, PLY, STL, GLB)', async () => {
  const box = boxMesh(0.1, 0.2, 0.3);
  const obj = new TextEncoder().encode(encodeObj(box, 'box'));
  const ply = encodePly({ positions: box.positions });
  const stlHeader = new Uint8Array(84);
  new DataView(stlHeader.buffer).setUint32(80, box.indices.length / 3, true);
  const stlBody = new Uint8Array((box.indices.length / 3) * 50);
  const stl = Uint8Array.from([...stlHeader, ...stlBody]);
  const asciiStl = new TextEncoder().encode('solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid x\n');
  const glb = await meshToGlb(box, 'box');
  const samples: Record<MeshFormat, Uint8Array> = { obj, ply, stl, glb };
  for (const format of Object.keys(samples) as MeshFormat[]) {
    it(
      `decodeMesh ${format}: random bytes and mutated files`,
      async () => {
        await fc.assert(
          fc.asyncProperty(bytesOrMutation(samples[format]), (b) => onlyCoded(() => decodeMesh(b, format, `m.${format}`))),
          params,
        );
      },
      TIMEOUT,
    );
  }
  it('decodePlyCloud: mutated PLY', async () => {
    await fc.assert(
      fc.asyncProperty(bytesOrMutation(ply), (b) => onlyCoded(() => decodePlyCloud(b, 'c.ply'))),
      params,
    );
  });
  it('parseObj / parseStl (asset import): mutated files', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(obj), (b) => onlyCoded(() => parseObj(new TextDecoder().decode(b), 'm.obj'))),
      params,
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(stl), mutated(asciiStl)), (b) => onlyCoded(() => parseStl(b, 'm.stl'))),
      params,
    );
  });
});

describe('fuzz: GPU-host request bodies (CBOR)', () => {
  const image = { width: 4, height: 3, encoding: 'rgb8', data: new Uint8Array(36) };
  const valid = encode({ image, model: 'x' });
  it('decodeCbor then every request parser: random and mutated bytes', async () => {
    await fc.assert(
      fc.asyncProperty(bytesOrMutation(valid), fc.constantFrom(...TASKS), (b, task) =>
        onlyCoded(() => {
          const v = decodeCbor(b);
          return REQUEST_PARSERS[task](v);
        }),
      ),
      params,
    );
  });
  it('every request parser: any value (as the CBOR decoder could produce)', async () => {
    const field = fc.oneof(
      anyValue,
      numberish,
      fc.uint8Array({ maxLength: 40 }),
      fc.record(
        { width: numberish, height: numberish, encoding: fc.oneof(fc.string(), fc.constantFrom('rgb8', 'mono8', '16UC1', '32FC1')), data: fc.oneof(fc.uint8Array({ maxLength: 64 }), anyValue) },
        { requiredKeys: [] },
      ),
    );
    const body = fc.dictionary(
      fc.constantFrom('image', 'mask', 'masks', 'depth', 'label', 'labels', 'model', 'objects', 'camera', 'mesh', 'points', 'id', 'prompt'),
      fc.oneof(field, fc.array(fc.dictionary(fc.constantFrom('id', 'mesh', 'points', 'mask', 'label'), field, { maxKeys: 4 }), { maxLength: 3 })),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, anyValue), fc.constantFrom(...TASKS), (v, task) => onlyCoded(() => REQUEST_PARSERS[task](v))),
      params,
    );
  });
});

describe('fuzz: ROS message normalisers and launch parameters', () => {
  const header = fc.oneof(
    anyValue,
    fc.record({ stamp: fc.oneof(anyValue, fc.record({ sec: numberish, nanosec: numberish, secs: numberish, nsecs: numberish }, { requiredKeys: [] })), frame_id: anyValue }, { requiredKeys: [] }),
  );
  const data = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer({ min: -5, max: 300 }), { maxLength: 64 }), fc.base64String({ maxLength: 64 }), anyValue);
  const image = fc.record(
    {
      header,
      height: numberish,
      width: numberish,
      encoding: fc.oneof(fc.constantFrom('rgb8', 'bgr8', 'rgba8', 'mono8', 'mono16', '16UC1', '32FC1', '32SC1'), fc.string({ maxLength: 8 })),
      is_bigendian: anyValue,
      step: numberish,
      data,
    },
    { requiredKeys: [] },
  );
  // some images whose sizes agree, so the checks past the size check run too
  const sized = fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(['rgb8', 3], ['mono8', 1], ['mono16', 2], ['16UC1', 2], ['32FC1', 4], ['32SC1', 4], ['bgra8', 4]))
    .chain(([w, h, [enc, bpp]]) =>
      fc.record({
        header: fc.constant({ stamp: { sec: 1, nanosec: 0 }, frame_id: 'c' }),
        width: fc.constant(w),
        height: fc.constant(h),
        encoding: fc.constant(enc as string),
        is_bigendian: fc.constantFrom(0, 1, false),
        step: fc.constantFrom(w * (bpp as number), w * (bpp as number) + 1, 0),
        data: fc.uint8Array({ minLength: 0, maxLength: w * h * (bpp as number) + 2 }),
      }),
    );
  it('checkImage (+ toLabelImage): any message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(image, sized, anyValue), fc.constantFrom<string[]>(['rgb8', 'bgr8', 'mono8'], ['16UC1', 'mono16', '32FC1'], ['mono8', 'mono16', '32SC1']), (msg, allowed) =>
        onlyCoded(() => {
          const r = checkImage(msg, 'image', allowed);
          if (r.ok && allowed.includes('32SC1')) toLabelImage(r.value);
        }),
      ),
      params,
    );
  });
  it('checkCameraInfo: any message', async () => {
    const info = fc.record(
      { header, width: numberish, height: numberish, k: fc.oneof(fc.array(numberish, { maxLength: 12 }), anyValue), K: anyValue, d: anyValue, distortion_model: anyValue },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(info, anyValue), (m) => onlyCoded(() => checkCameraInfo(m))),
      params,
    );
  });
  it('resolveParams / paramsFromYaml: any values and any YAML', async () => {
    const names = [
      'mode',
      'rate_hz',
      'sync_tolerance_s',
      'queue_when_busy',
      'use_depth',
      'use_masks',
      'depth_scale',
      'input_reliability',
      'scene_frame',
      'camera_frame',
      'camera_tf',
      'object_frame_prefix',
      'marker_mesh',
      'output_dir',
      'gpu_url',
      'spawn',
      'world',
      'spawn_invalid',
      'spawn_timeout_s',
      'bogus',
    ];
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...names), fc.oneof(anyValue, numberish, fc.boolean()), { maxKeys: 6 }), (given) => onlyCoded(() => resolveParams(given))),
      params,
    );
    const yamlish = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.dictionary(fc.constantFrom(...names), fc.oneof(numberish, fc.boolean(), fc.string({ maxLength: 10 })), { maxKeys: 5 }).map(
        (p) =>
          `real2sim:\n  ros__parameters:\n${Object.entries(p)
            .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
            .join('\n')}\n`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(yamlish, (text) => onlyCoded(() => resolveParams(paramsFromYaml(text)))),
      params,
    );
  });
});
