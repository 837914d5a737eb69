// Child process of `npm run bench -- real`: the same reconstruct jobs run by the compiled program
// (dist/, what `real2sim` and the ROS node run once built), in a process without tsx, so that its
// peak RSS is the program's own. Under `node --import tsx` (the bench's process) the loader's
// threads, the transformed sources and their source maps add ~100 MB that no installed run has.
// Plain JavaScript: this process must not need tsx. Arguments: frames.json, dist folder, out folder.
// Prints one JSON line per frame: { name, rssMb } (the process's peak RSS after that frame).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [specFile, dist, out] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
const { frameToBundle } = await load('src/app/frameToBundle.js');
const { decodeColorImage, decodeDepthPng } = await load('src/io/image.js');
const { sharedPool } = await load('src/app/pool.js');

const frames = JSON.parse(readFileSync(specFile, 'utf8'));
const frame = (f) => ({
  color: decodeColorImage(new Uint8Array(readFileSync(f.rgb)), f.rgb),
  depth: decodeDepthPng(new Uint8Array(readFileSync(f.depth)), f.depthScale, f.depth),
  camera: f.camera,
});
const job = (f, dir) => frameToBundle(frame(f), { out: join(out, dir), title: `real2sim · ${f.name}`, validate: true, pipeline: { segmentation: 'geometric' }, meta: { rgb: f.name } });
// MuJoCo loaded as in the bench's own process (and the ROS node): optimised
await (await load('sim/mujoco/reference.js')).loadMujoco({ optimise: true });
// the warm-up job of the bench's own process, then each frame once
await job(frames[0], 'warm');
for (const f of frames) {
  await job(f, 'out');
  console.log(JSON.stringify({ name: f.name, rssMb: process.resourceUsage().maxRSS / 1024 }));
}
await sharedPool()?.close();
