/**
 * The real validators, run as processes, with their quirks (see ../shared/NOTES.md):
 * - `check_urdf f.urdf`: some errors print `Error:` yet exit 0 → any line starting with
 *   `Error` is a failure.
 * - `ign sdf -k f.sdf`: prints `Valid.` on success (a harmless backward-cpp line may appear on
 *   stderr).
 * - `mujoco-compile f.xml out.mjb`: always exits 0; success is stdout exactly `Done`.
 * A missing tool skips the check locally but FAILS under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

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
