/**
 * Batch inputs → jobs. An input is:
 * - a frame folder: `rgb.png` + `depth.png` + `camera.json` (+ `masks.png`), the layout
 *   `real2sim synth` writes; a folder without those files is searched for such folders below it;
 * - a folder with a `frames.json` manifest, either a list
 *   `{"frames": [{"name", "rgb", "depth", "camera", "masks"?}], "depthScale"?}` or patterns
 *   `{"rgb": "color/*.png", "depth": "depth/*.png", "camera": "camera.json", "masks"?: "…", "depthScale"?}`
 *   where `*` matches within one file name and the other patterns' `*` is the same stem;
 * - a ROS 2 recording: an `.mcap` file or a rosbag2 folder (metadata.yaml): one job per selected frame;
 * - a list file (any other file): one input per line, relative to the list file; `#` comments.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { Real2SimError } from '../model/errors.ts';
import { Recording } from '../recordings/mcap.ts';
import { detectTopics, frameFolderName, recordedFrames, type BagTopics, type FrameSelection } from '../recordings/frames.ts';
import { sourceKey, type FrameSource, type JobOptions, type JobSpec } from './job.ts';

export interface ExpandOptions {
  out: string;
  options: JobOptions;
  /** Recordings: topics, selection, sync. */
  topics?: Partial<BagTopics>;
  select?: FrameSelection;
  tolerance?: number;
  depthScale?: number;
}

const FRAME_FILES = { rgb: ['rgb.png', 'color.png', 'rgb.jpg', 'color.jpg'], depth: ['depth.png'], camera: ['camera.json', 'camera.yaml'], masks: ['masks.png'] };

async function kind(p: string): Promise<'file' | 'dir' | null> {
  const s = await stat(p).catch(() => null);
  return s?.isFile() ? 'file' : s?.isDirectory() ? 'dir' : null;
}

/** Safe folder names for the output tree. */
const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'input';

interface Pending {
  input: string;
  frame: string;
  out: string;
  source: FrameSource;
  contentHash?: string;
}

async function frameFolder(dir: string): Promise<FrameSource | null> {
  const names = new Set(await readdir(dir));
  const pick = (c: string[]) => c.find((n) => names.has(n));
  const rgb = pick(FRAME_FILES.rgb);
  const depth = pick(FRAME_FILES.depth);
  const camera = pick(FRAME_FILES.camera);
  if (!rgb || !depth || !camera) return null;
  const masks = pick(FRAME_FILES.masks);
  return { kind: 'files', rgb: join(dir, rgb), depth: join(dir, depth), camera: join(dir, camera), ...(masks ? { masks: join(dir, masks) } : {}) };
}

/** Frame folders at or below `dir` (sorted), stopping at the first level that is one. */
async function findFrameFolders(dir: string, depth = 0): Promise<string[]> {
  if (await frameFolder(dir)) return [dir];
  if (depth >= 4) return [];
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory() && !e.name.startsWith('.')) out.push(...(await findFrameFolders(join(dir, e.name), depth + 1)));
  }
  return out;
}

/** `dir/sub/*.png` → files matching within `sub`, with the stem `*` matched. */
async function globOne(root: string, pattern: string): Promise<{ path: string; stem: string }[]> {
  const full = join(root, pattern);
  const d = dirname(full);
  const name = basename(full);
  if (dirname(pattern).includes('*')) throw new Real2SimError('BAD_INPUT', `frames.json pattern '${pattern}': '*' may appear only in the file name, not in folders.`);
  const star = name.indexOf('*');
  if (star < 0 || name.indexOf('*', star + 1) >= 0) throw new Real2SimError('BAD_INPUT', `frames.json pattern '${pattern}' needs exactly one '*' in its file name.`);
  const [pre, post] = [name.slice(0, star), name.slice(star + 1)];
  const files = await readdir(d).catch(() => {
    throw new Real2SimError('BAD_FILE', `frames.json pattern '${pattern}': no folder '${d}'.`, { path: d });
  });
  return files
    .filter((f) => f.startsWith(pre) && f.endsWith(post) && f.length >= pre.length + post.length)
    .sort()
    .map((f) => ({ path: join(d, f), stem: f.slice(pre.length, f.length - post.length) }));
}

async function manifestFrames(dir: string, manifestPath: string): Promise<{ name: string; source: FrameSource }[]> {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new Real2SimError('BAD_FILE', `'${manifestPath}' is not valid JSON: ${(cause as Error).message}.`, { path: manifestPath }, cause);
  }
  const depthScale = typeof m['depthScale'] === 'number' ? m['depthScale'] : undefined;
  const withScale = (s: FrameSource & { kind: 'files' }) => (depthScale !== undefined ? { ...s, depthScale } : s);
  if (Array.isArray(m['frames'])) {
    return (m['frames'] as Record<string, unknown>[]).map((f, i) => {
      for (const k of ['rgb', 'depth', 'camera']) {
        if (typeof f[k] !== 'string') throw new Real2SimError('BAD_INPUT', `'${manifestPath}': frames[${i}].${k} must be a path (string).`, { path: manifestPath });
      }
      const r = (k: string) => resolve(dir, f[k] as string);
      return {
        name: typeof f['name'] === 'string' ? f['name'] : `frame_${String(i).padStart(5, '0')}`,
        source: withScale({ kind: 'files', rgb: r('rgb'), depth: r('depth'), camera: r('camera'), ...(typeof f['masks'] === 'string' ? { masks: r('masks') } : {}) }),
      };
    });
  }
  for (const k of ['rgb', 'depth', 'camera']) {
    if (typeof m[k] !== 'string') throw new Real2SimError('BAD_INPUT', `'${manifestPath}' needs "frames": [...] or the patterns "rgb", "depth" and "camera" (missing "${k}").`, { path: manifestPath });
  }
  const subst = (p: string, stem: string) => resolve(dir, p.replace('*', stem));
  return (await globOne(dir, m['rgb'] as string)).map(({ path, stem }) => ({
    name: stem,
    source: withScale({
      kind: 'files',
      rgb: path,
      depth: subst(m['depth'] as string, stem),
      camera: subst(m['camera'] as string, stem),
      ...(typeof m['masks'] === 'string' ? { masks: subst(m['masks'], stem) } : {}),
    }),
  }));
}

async function recordingJobs(path: string, o: ExpandOptions): Promise<Pending[]> {
  const rec = await Recording.open(path);
  try {
    const topics = await detectTopics(rec, o.topics ?? {});
    if (!topics.depth) throw new Real2SimError('BAD_INPUT', `The recording '${path}' has no depth image topic; name it with --topics IMAGE,DEPTH,CAMERA_INFO.`, { path });
    const out: Pending[] = [];
    for await (const f of recordedFrames(rec, {
      topics,
      ...(o.select ? { select: o.select } : {}),
      ...(o.tolerance !== undefined ? { tolerance: o.tolerance } : {}),
      ...(o.depthScale !== undefined ? { depthScale: o.depthScale } : {}),
    })) {
      const frame = frameFolderName(f.stampNs);
      out.push({
        input: path,
        frame,
        out: join(o.out, slug(rec.name), frame),
        contentHash: f.contentHash,
        source: {
          kind: 'bag',
          path: resolve(path),
          topics,
          stampNs: f.stampNs.toString(),
          logTimeNs: f.logTime.toString(),
          camera: f.camera,
          ...(o.depthScale !== undefined ? { depthScale: o.depthScale } : {}),
          ...(o.tolerance !== undefined ? { tolerance: o.tolerance } : {}),
        },
      });
    }
    return out;
  } finally {
    await rec.close();
  }
}

async function expandOne(input: string, o: ExpandOptions, seen: Set<string>): Promise<Pending[]> {
  const abs = resolve(input);
  if (seen.has(abs)) return [];
  seen.add(abs);
  const k = await kind(abs);
  if (!k) throw new Real2SimError('BAD_FILE', `Batch input '${input}' does not exist.`, { path: input });
  if (k === 'file') {
    if (/\.mcap$/i.test(abs)) return recordingJobs(abs, o);
    // a list file
    const lines = (await readFile(abs, 'utf8'))
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
    const out: Pending[] = [];
    for (const l of lines) out.push(...(await expandOne(resolve(dirname(abs), l), o, seen)));
    return out;
  }
  if (await kind(join(abs, 'metadata.yaml'))) return recordingJobs(abs, o);
  const manifest = join(abs, 'frames.json');
  if ((await kind(manifest)) === 'file') {
    return (await manifestFrames(abs, manifest)).map(({ name, source }) => ({ input: abs, frame: name, out: join(o.out, slug(basename(abs)), slug(name)), source }));
  }
  const folders = await findFrameFolders(abs);
  if (folders.length === 0) {
    throw new Real2SimError(
      'BAD_INPUT',
      `Batch input '${input}' holds no frames: expected rgb.png + depth.png + camera.json in it or in folders below it, a frames.json manifest, an .mcap file or a rosbag2 folder.`,
      { path: input },
    );
  }
  return Promise.all(
    folders.map(async (f) => {
      const rel = relative(abs, f);
      const source = (await frameFolder(f))!;
      return { input: abs, frame: rel || basename(f), out: join(o.out, slug(basename(abs)), ...(rel ? rel.split('/').map(slug) : [])), source };
    }),
  );
}

/** Every frame of every input, as jobs with their keys. Output folders are unique. */
export async function expandInputs(inputs: readonly string[], o: ExpandOptions): Promise<JobSpec[]> {
  if (inputs.length === 0) throw new Real2SimError('BAD_INPUT', 'batch needs at least one input (frame folder, frames.json folder, .mcap, rosbag2 folder or list file).');
  const seen = new Set<string>();
  const pending: Pending[] = [];
  for (const i of inputs) pending.push(...(await expandOne(i, o, seen)));
  const outs = new Map<string, number>();
  const jobs: JobSpec[] = [];
  for (const p of pending) {
    // two inputs with the same folder name: the second gets a suffix rather than one overwriting the other
    let out = resolve(p.out);
    const n = outs.get(out) ?? 0;
    outs.set(out, n + 1);
    if (n > 0) out = `${out}_${n + 1}`;
    jobs.push({ key: await sourceKey(p.source, o.options, out, p.contentHash), input: p.input, frame: p.frame, out, source: p.source, options: o.options });
  }
  return jobs;
}
