/**
 * `real2sim reconstruct --rgb C --depth D --camera K [--masks M] [--depth-scale S] --out DIR`:
 * one RGB-D frame → a simulator bundle. Runs stages 1–6, then physics validation and repair
 * (`--no-validate` skips it), with a progress display on stderr, and writes the bundle
 * atomically with debug products (mask overlay, depth preview, per-object PLY clouds in the
 * world frame, CPU snapshots) and report.html.
 */
import { parseCommandArgs } from './args.ts';
import { Real2SimError } from '../model/errors.ts';
import { loadFrame } from '../io/frame.ts';
import { frameToBundle, objectTable } from '../app/frameToBundle.ts';

const USAGE = `--rgb COLOR.png --depth DEPTH.png --camera CAMERA.json [--masks LABELS.png] [--depth-scale 0.001]
       [--segmentation auto|given|geometric] [--density KG_M3] [--seed N] [--no-validate] [--quiet] --out DIR

  --rgb            colour image (PNG or JPEG)
  --depth          16-bit depth PNG aligned to the colour image
  --camera         intrinsics (JSON: fx/fy/cx/cy, CameraInfo, Open3D, BOP; or ROS calibration YAML)
  --masks          instance label PNG (0 = background); without it objects are segmented geometrically
  --depth-scale    metres per depth unit (default 0.001 = millimetres; TUM 0.0002; BOP 0.1 mm = 0.0001)
  --segmentation   auto (default: given when --masks, else geometric), given, geometric
  --density        default density for labels not in the table, kg/m³ (default 600)
  --seed           RANSAC seed (default 1)
  --no-validate    skip physics validation and repair (on by default; the bundle is written as reconstructed)
  --quiet          no progress display
  --out            bundle folder (replaced atomically)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'reconstruct',
    argv,
    {
      rgb: { type: 'string' },
      depth: { type: 'string' },
      camera: { type: 'string' },
      masks: { type: 'string' },
      'depth-scale': { type: 'string' },
      segmentation: { type: 'string' },
      density: { type: 'string' },
      seed: { type: 'string' },
      'no-validate': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(`usage: real2sim reconstruct ${USAGE}`);
    return 0;
  }
  const missing = (['rgb', 'depth', 'camera', 'out'] as const).filter((k) => !values[k]);
  if (missing.length) {
    throw new Real2SimError('BAD_INPUT', `reconstruct needs ${missing.map((m) => `--${m}`).join(', ')}\n\nusage: real2sim reconstruct ${USAGE}`);
  }
  const num = (name: string, v: string | undefined, positive = true): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x) || (positive && !(x > 0))) throw new Real2SimError('BAD_INPUT', `--${name} must be a ${positive ? 'positive ' : ''}number, got '${v}'`);
    return x;
  };
  const depthScale = num('depth-scale', values['depth-scale']);
  const density = num('density', values.density);
  const seed = num('seed', values.seed, false);
  const seg = values.segmentation ?? 'auto';
  if (!['auto', 'given', 'geometric'].includes(seg)) throw new Real2SimError('BAD_INPUT', `--segmentation must be auto, given or geometric, got '${seg}'`);

  const quiet = values.quiet === true;
  const log = (s: string) => {
    if (!quiet) process.stderr.write(s);
  };
  const t0 = performance.now();
  log(`loading ${values.rgb} …\n`);
  const frame = await loadFrame({
    rgb: values.rgb!,
    depth: values.depth!,
    camera: values.camera!,
    ...(values.masks ? { masks: values.masks } : {}),
    ...(depthScale !== undefined ? { depthScale } : {}),
  });
  const { scene, manifest } = await frameToBundle(frame, {
    out: values.out!,
    title: `real2sim · ${values.rgb}`,
    validate: values['no-validate'] !== true,
    log,
    pipeline: {
      segmentation: seg as 'auto' | 'given' | 'geometric',
      ...(density !== undefined ? { compose: { defaultDensity: density } } : {}),
      ...(seed !== undefined ? { ground: { seed } } : {}),
    },
    meta: { rgb: values.rgb, depth: values.depth, camera: values.camera, ...(values.masks ? { masks: values.masks } : {}) },
  });
  const ground = scene.reports.find((r) => r.stage === 'ground');
  console.log(
    `${scene.objects.length} object${scene.objects.length === 1 ? '' : 's'} reconstructed` +
      (ground ? `, support plane inliers ${(100 * (ground.counts['inlierRatio'] ?? 0)).toFixed(1)}%` : '') +
      `; physics: ${scene.physics?.verdict ?? 'not validated'}` +
      `; ${manifest.files.length} files written to ${manifest.dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(objectTable(scene));
  return 0;
}
