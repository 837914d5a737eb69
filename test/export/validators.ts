/**
 * The real validators, run as processes, with their quirks (see ../shared/NOTES.md):
 * - `check_urdf f.urdf`: some errors print `Error:` yet exit 0 → any line starting with
 *   `Error` is a failure.
 * - `ign sdf -k f.sdf`: prints `Valid.` on success (a harmless backward-cpp line may appear on
 *   stderr).
 * - `mujoco-compile f.xml out.mjb`: always exits 0; success is stdout exactly `Done`.
 * A missing tool skips the check locally but FAILS under CI=true.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ToolResult {
  ok: boolean;
  /** Combined output, for failure messages. */
  output: string;
}

const present = new Map<string, boolean>();

export function hasTool(tool: string): boolean {
  let p = present.get(tool);
  if (p === undefined) {
    p = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
    present.set(tool, p);
  }
  return p;
}

/** For `it.skipIf(...)`: true when the tool is missing and we are not in CI. Under CI a
 * missing tool makes `requireTool` throw instead. */
export function skipWithout(tool: string): boolean {
  if (hasTool(tool)) return false;
  if (process.env['CI'] === 'true') return false;
  console.warn(`[export tests] '${tool}' is not installed: skipping its checks (install it as .ci/run does)`);
  return true;
}

export function requireTool(tool: string): void {
  if (!hasTool(tool)) throw new Error(`'${tool}' is required under CI=true but is not installed (see .ci/run)`);
}

function run(cmd: string, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function checkUrdf(file: string): ToolResult {
  requireTool('check_urdf');
  const r = run('check_urdf', [file]);
  const output = `${r.stdout}\n${r.stderr}`;
  const errorLine = output.split('\n').some((l) => /^Error/.test(l.trim()));
  return { ok: r.status === 0 && !errorLine, output };
}

export function checkSdf(file: string): ToolResult {
  requireTool('ign');
  const r = run('ign', ['sdf', '-k', file]);
  const output = `${r.stdout}\n${r.stderr}`;
  return { ok: r.status === 0 && r.stdout.trim() === 'Valid.', output };
}

export function mujocoCompile(file: string, out: string): ToolResult {
  requireTool('mujoco-compile');
  // It asks "overwrite? (Y/n)" on stdin when `out` exists: never let it.
  rmSync(out, { force: true });
  const r = run('mujoco-compile', [file, out]);
  return { ok: r.stdout.trim() === 'Done', output: `${r.stdout}\n${r.stderr}` };
}

/** `ign sdf -k` on many files, a few processes at a time (each start costs ~0.3 s of CPU). */
export async function checkSdfMany(files: string[], parallel = 3): Promise<Map<string, ToolResult>> {
  requireTool('ign');
  const out = new Map<string, ToolResult>();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      out.set(
        f,
        await new Promise<ToolResult>((done) => {
          const p = spawn('ign', ['sdf', '-k', f]);
          let stdout = '',
            stderr = '';
          p.stdout.on('data', (d) => (stdout += d));
          p.stderr.on('data', (d) => (stderr += d));
          p.on('close', (code) => done({ ok: code === 0 && stdout.trim() === 'Valid.', output: `${stdout}\n${stderr}` }));
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
  return out;
}

/**
 * The stricter SDF check: `sdfcheck/sdfcheck.cc` against libsdformat12 (unknown elements and
 * warnings are errors, mesh files must exist, non-static links need mass > 0). Compiled once
 * per source version into the temp folder. Returns null (and says why) when g++ or
 * sdformat12's development files are missing: this check is extra, `ign sdf -k` is required.
 */
let strictBinary: string | null | undefined;
export function sdfStrictChecker(): string | null {
  if (strictBinary !== undefined) return strictBinary;
  const src = join(dirname(fileURLToPath(import.meta.url)), 'sdfcheck', 'sdfcheck.cc');
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'sdformat12'], { encoding: 'utf8' });
  if (!hasTool('g++') || flags.status !== 0) {
    console.warn('[export tests] g++ or libsdformat12 development files missing: skipping the strict libsdformat check');
    return (strictBinary = null);
  }
  const hash = createHash('sha256').update(readFileSync(src)).update(flags.stdout).digest('hex').slice(0, 12);
  const bin = join(tmpdir(), `real2sim-sdfcheck-${hash}`);
  if (!existsSync(bin)) {
    const tmp = `${bin}.${process.pid}`;
    const r = spawnSync('sh', ['-c', `g++ -O1 -o '${tmp}' '${src}' ${flags.stdout.trim()}`], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`compiling the strict SDF checker failed:\n${r.stderr}`);
    renameSync(tmp, bin);
  }
  return (strictBinary = bin);
}

/** Runs the strict checker on absolute paths; one result per file. */
export function checkSdfStrict(bin: string, files: string[], modelPaths: string[] = []): Map<string, ToolResult> {
  const args = [...modelPaths.flatMap((p) => ['-p', p]), ...files];
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 });
  const out = new Map<string, ToolResult>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^(OK|FAIL) (.+?)(?::(.*))?$/.exec(line);
    if (m) out.set(m[2]!, { ok: m[1] === 'OK', output: m[3] ?? '' });
  }
  for (const f of files) if (!out.has(f)) out.set(f, { ok: false, output: `no result (exit ${r.status}): ${r.stderr}` });
  return out;
}
