/**
 * kill -9 trials: `real2sim reconstruct` into an existing bundle folder, killed with SIGKILL at a
 * random moment. After each kill the folder must hold the previous bundle or a complete new one
 * (a marker whose every listed file exists), never part of one; if the kill fell between the
 * writer's two renames, the previous bundle waits as `.<name>.old-<pid>-<hex>` and the next run
 * puts it back. The next run (its `--out` check, the first thing every command does) must leave
 * no temporary folder behind.
 *
 * Shared by the test (a few trials) and `npm run bench -- kill` (50 trials).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkOutDir, readMarker, verifyOutDir } from '../../src/export/outDir.ts';
import { generateSynthScene } from '../../src/synth/synth.ts';
import { synthFiles } from '../../src/commands/synth.ts';
import { createRng } from '../../src/geometry/random.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

export interface KillWorkspace {
  root: string;
  out: string;
  args: string[];
  /** Wall time of one uninterrupted run (ms). */
  fullRunMs: number;
  /** When its bundle write began: the temporary folder appeared (ms after start). */
  writeAtMs: number;
}

export interface KillTrial {
  /** 'run': ms after the start; 'write': ms after the bundle write began. */
  phase: 'run' | 'write';
  killAtMs: number;
  /** What the folder held right after the kill. */
  after: 'previous' | 'new' | 'previous-aside' | 'partial' | 'missing';
  /** Temporary folders beside it right after the kill, and after the next run's check. */
  tempsAfterKill: number;
  tempsAfterNext: number;
  /** The folder after the next run's check: complete? */
  completeAfterNext: boolean;
  exited: boolean;
}

/** When to kill: `atMs` after the start, or `afterWriteMs` after the bundle writer created its
 * temporary folder (seen through an inotify watch on the parent folder). */
type KillAt = { atMs: number } | { afterWriteMs: number };

function runCli(args: string[], parent: string, when?: KillAt): Promise<{ code: number | null; ms: number; writeAtMs?: number; killed: boolean; stderr: string }> {
  return new Promise((done) => {
    const t0 = performance.now();
    let writeAtMs: number | undefined;
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      killed = child.kill('SIGKILL');
    };
    const watcher = watch(parent, (_e, name) => {
      if (writeAtMs === undefined && name && /\.tmp-\d+/.test(String(name))) {
        writeAtMs = performance.now() - t0;
        if (when && 'afterWriteMs' in when) timer = setTimeout(kill, when.afterWriteMs);
      }
    });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (when && 'atMs' in when) timer = setTimeout(kill, when.atMs);
    child.on('close', (code) => {
      watcher.close();
      if (timer) clearTimeout(timer);
      done({ code, ms: performance.now() - t0, ...(writeAtMs !== undefined ? { writeAtMs } : {}), killed, stderr });
    });
  });
}

/** A synthetic frame on disk and one complete bundle written from it (the "previous" bundle). */
export async function prepareKillWorkspace(root: string, size: { width: number; height: number } = { width: 320, height: 240 }, extraArgs: string[] = []): Promise<KillWorkspace> {
  mkdirSync(root, { recursive: true });
  const { scene, frame } = generateSynthScene({ seed: 5, sharedMeshesDir: null, minObjects: 3, maxObjects: 3, ...size });
  const frameDir = join(root, 'frame');
  mkdirSync(frameDir, { recursive: true });
  for (const [name, data] of Object.entries(await synthFiles(scene, frame))) writeFileSync(join(frameDir, name), data);
  const out = join(root, 'out', 'scene');
  const args = [
    'reconstruct',
    '--rgb',
    join(frameDir, 'rgb.png'),
    '--depth',
    join(frameDir, 'depth.png'),
    '--camera',
    join(frameDir, 'camera.json'),
    '--masks',
    join(frameDir, 'masks.png'),
    '--out',
    out,
    ...extraArgs,
  ];
  mkdirSync(join(root, 'out'), { recursive: true });
  const first = await runCli(args, join(root, 'out'));
  if (first.code !== 0 && first.code !== 3) throw new Error(`the uninterrupted run failed (${first.code}): ${first.stderr}`);
  // the first run creates the folder: time the write on a second, replacing run
  const second = await runCli(args, join(root, 'out'));
  if (second.writeAtMs === undefined) throw new Error('the bundle write was not seen (no temporary folder appeared)');
  return { root, out, args, fullRunMs: second.ms, writeAtMs: second.writeAtMs };
}

const temps = (parent: string) => readdirSync(parent).filter((n) => /^\..+\.(tmp|old)-\d+/.test(n));

/** One trial: kill at `killAtMs`, classify, then the next run's check. */
export async function killTrial(ws: KillWorkspace, phase: 'run' | 'write', killAtMs: number): Promise<KillTrial> {
  const parent = resolve(ws.out, '..');
  const before = (await readMarker(ws.out))?.written;
  const run = await runCli(ws.args, parent, phase === 'run' ? { atMs: killAtMs } : { afterWriteMs: killAtMs });
  const tempsAfterKill = temps(parent).length;
  let after: KillTrial['after'];
  const marker = await readMarker(ws.out);
  if (!marker) {
    const aside = readdirSync(parent).filter((n) => n.startsWith(`.${'scene'}.old-`));
    after = aside.length > 0 ? 'previous-aside' : readdirSync(parent).includes('scene') ? 'partial' : 'missing';
    if (after === 'previous-aside' && !(await verifyOutDir(join(parent, aside[0]!))).complete) after = 'partial';
  } else {
    const v = await verifyOutDir(ws.out);
    after = !v.complete ? 'partial' : marker.written === before ? 'previous' : 'new';
  }
  // the next run: every command checks --out first, which sweeps what dead runs left
  await checkOutDir(ws.out);
  return {
    phase,
    killAtMs,
    after,
    tempsAfterKill,
    tempsAfterNext: temps(parent).length,
    completeAfterNext: (await verifyOutDir(ws.out)).complete,
    exited: !run.killed,
  };
}

/**
 * `n` trials, kill moments drawn (seeded): even trials uniformly over the whole run, odd ones
 * uniformly over the bundle write (from the moment its temporary folder appears to 1.2 × the
 * time the write and exit took in the uninterrupted run), where a kill can leave something
 * half-written. `writeOnly` draws every trial there.
 */
export async function killTrials(ws: KillWorkspace, n: number, seed = 1, options: { writeOnly?: boolean; onTrial?: (t: KillTrial, i: number) => void } = {}): Promise<KillTrial[]> {
  const rng = createRng(seed);
  const writeMs = Math.max(20, ws.fullRunMs - ws.writeAtMs);
  const out: KillTrial[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const t = options.writeOnly || i % 2 === 1 ? await killTrial(ws, 'write', Math.round(u * 1.2 * writeMs)) : await killTrial(ws, 'run', Math.round(u * ws.fullRunMs));
    out.push(t);
    options.onTrial?.(t, i);
  }
  return out;
}

export function summarise(trials: KillTrial[]): {
  previous: number;
  new: number;
  restored: number;
  partial: number;
  missing: number;
  tempsLeftAfterKill: number;
  tempsLeftAfterNext: number;
  incompleteAfterNext: number;
  finishedBeforeKill: number;
} {
  return {
    previous: trials.filter((t) => t.after === 'previous').length,
    new: trials.filter((t) => t.after === 'new').length,
    restored: trials.filter((t) => t.after === 'previous-aside').length,
    partial: trials.filter((t) => t.after === 'partial').length,
    missing: trials.filter((t) => t.after === 'missing').length,
    tempsLeftAfterKill: trials.reduce((s, t) => s + t.tempsAfterKill, 0),
    tempsLeftAfterNext: trials.reduce((s, t) => s + t.tempsAfterNext, 0),
    incompleteAfterNext: trials.filter((t) => !t.completeAfterNext).length,
    finishedBeforeKill: trials.filter((t) => t.exited).length,
  };
}
