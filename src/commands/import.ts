/**
 * `real2sim import --from scenemaker|midi|sam3d INPUT --out DIR [reference]`: a research model's
 * generated scene → a metric, physics-checked simulator bundle. The scale and placement come
 * from sensor depth (--depth + --rgb + --camera: scaled registration to the observed points) or
 * from a reference: --camera-height (SAM 3D) or --object-size NAME=METRES (any format).
 */
import { parseCommandArgs } from './args.ts';
import { physicsExitCode } from './verdict.ts';
import { Real2SimError } from '../model/errors.ts';
import type { MetricReference } from '../import/metric.ts';
import type { GeneratedScene } from '../import/common.ts';

const USAGE = `--from scenemaker|midi|sam3d INPUT --out DIR [--force]
       (--rgb C.png --depth D.png --camera K.json [--depth-scale 0.001] | --camera-height M | --object-size NAME=M)
       [--labels a,b,c] [--pitch-deg D] [--camera-convention pytorch3d|opencv] [--no-validate]

  --from               scenemaker: output folder (pose.json + meshes); midi: the scene GLB;
                       sam3d: folder of <name>.json (rotation, translation, scale) + <name>.glb
  --rgb/--depth/--camera  the frame the scene was generated from, with sensor depth
  --camera-height      camera height above the ground in metres (SAM 3D; give --pitch-deg too)
  --object-size        one object's largest box extent in metres, e.g. chair_1=0.85 (or an index)
  --labels             MIDI: one label per object, in the order of the sorted segment ids
  --pitch-deg          SAM 3D without depth: camera pitch below the horizon (default 0)
  --camera-convention  SAM 3D camera frame (default pytorch3d)
  --no-validate        write the bundle without physics validation and repair
  --force              replace an --out folder that is not only an earlier bundle (kept beside it)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'import',
    argv,
    {
      from: { type: 'string' },
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
      rgb: { type: 'string' },
      depth: { type: 'string' },
      camera: { type: 'string' },
      'depth-scale': { type: 'string' },
      'camera-height': { type: 'string' },
      'object-size': { type: 'string' },
      labels: { type: 'string' },
      'pitch-deg': { type: 'string' },
      'camera-convention': { type: 'string' },
      'no-validate': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    true,
  );
  if (values.help) {
    console.log(`usage: real2sim import ${USAGE}`);
    return 0;
  }
  const input = positionals[0];
  const bad = (m: string) => new Real2SimError('BAD_INPUT', `${m}\n\nusage: real2sim import ${USAGE}`);
  if (!values.from || !['scenemaker', 'midi', 'sam3d'].includes(values.from)) throw bad('--from must be scenemaker, midi or sam3d');
  if (!input) throw bad('give the research model output (folder or GLB) as the argument');
  if (!values.out) throw bad('--out is required');
  const number = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw bad(`--${name} must be a number, got "${v}"`);
    return n;
  };

  await (await import('../export/outDir.ts')).checkOutDir(values.out, { force: values.force === true });

  let gen: GeneratedScene;
  if (values.from === 'scenemaker') gen = await (await import('../import/scenemaker.ts')).readSceneMaker(input);
  else if (values.from === 'midi') {
    const labels = values.labels?.split(',').map((s) => s.trim());
    gen = await (await import('../import/midi.ts')).readMidiFile(input, labels ? { labels } : {});
  } else {
    const conv = values['camera-convention'];
    if (conv !== undefined && conv !== 'pytorch3d' && conv !== 'opencv') throw bad('--camera-convention must be pytorch3d or opencv');
    gen = await (
      await import('../import/sam3d.ts')
    ).readSam3d(input, {
      ...(conv ? { cameraConvention: conv } : {}),
      ...(values['pitch-deg'] !== undefined ? { pitchRad: (number('pitch-deg', values['pitch-deg']) * Math.PI) / 180 } : {}),
    });
  }

  const refs = [values.depth ? 'depth' : '', values['camera-height'] ? 'camera-height' : '', values['object-size'] ? 'object-size' : ''].filter(Boolean);
  if (refs.length !== 1) throw bad(`give exactly one scale reference (depth, --camera-height or --object-size); got ${refs.length ? refs.join(', ') : 'none'}`);
  let reference: MetricReference;
  if (values.depth) {
    if (!values.rgb || !values.camera) throw bad('--depth needs --rgb and --camera too');
    const { loadFrame } = await import('../io/frame.ts');
    const frame = await loadFrame({ rgb: values.rgb, depth: values.depth, camera: values.camera, ...(values['depth-scale'] ? { depthScale: number('depth-scale', values['depth-scale']) } : {}) });
    reference = { kind: 'depth', frame };
  } else if (values['camera-height']) reference = { kind: 'cameraHeight', metres: number('camera-height', values['camera-height']) };
  else {
    const m = /^(.+)=([0-9.eE+-]+)$/.exec(values['object-size']!);
    if (!m) throw bad('--object-size must look like NAME=METRES, e.g. chair_1=0.85');
    const key = /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!;
    reference = { kind: 'objectSize', object: key, metres: number('object-size', m[2]!) };
  }

  const { toMetricScene } = await import('../import/metric.ts');
  const metric = await toMetricScene(gen, { reference });
  // the tail every bundle shares: validation + repair, physics.json, debug/ (snapshots, report,
  // the frame's depth when it was the reference), one atomic write
  const { sceneToBundle } = await import('../app/frameToBundle.ts');
  const frame = reference.kind === 'depth' ? reference.frame : undefined;
  const { scene, warnings } = await sceneToBundle(metric, {
    out: values.out,
    ...(values.force ? { force: true } : {}),
    validate: !values['no-validate'],
    title: `real2sim import (${values.from})`,
    meta: { importedFrom: values.from },
    ...(frame ? { color: frame.color, ...(frame.depth ? { depth: frame.depth } : {}) } : {}),
  });
  if (scene.physics) console.log(`physics: ${scene.physics.verdict} (${scene.physics.findings.length} findings, ${scene.physics.repairs.length} repairs)`);
  for (const w of warnings) console.log(`  warning: ${w}`);
  const verdict = scene.physics?.verdict;
  const rep = scene.reports.find((r) => r.stage === 'import')!;
  console.log(`imported ${scene.objects.length} objects from ${values.from} (${reference.kind}; scale ${rep.counts['scale']?.toPrecision(4)}) → ${values.out}`);
  for (const w of rep.warnings) console.log(`  warning: ${w}`);
  return physicsExitCode(verdict, !values['no-validate'] && scene.objects.length > 0);
}
