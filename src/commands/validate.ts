/**
 * `real2sim validate BUNDLE [--engine cannon|rapier] [--repair] [--no-reference] [--json]`
 *
 * Physics-checks a bundle's scene (penetration, support, stability; MuJoCo cross-check unless
 * `--no-reference`), prints a table per object and the findings, and writes `physics.json` into
 * the bundle (temp file + rename: a failed run leaves any previous physics.json intact; nothing
 * else in the bundle is touched). `--repair` also runs the repair and reports its moves; the
 * bundle's scene files are not rewritten (re-export the repaired scene to apply them).
 * Exit status: 0 valid or repaired, 3 any other verdict (EXIT.PHYSICS), 2 bad input.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseCommandArgs } from './args.ts';
import { physicsExitCode } from './verdict.ts';
import { Real2SimError } from '../model/errors.ts';
import type { PhysicsReport } from '../model/physics.ts';
import { readBundleScene } from '../export/bundle.ts';
import { addToMarker } from '../export/outDir.ts';
import { validateAndRepair, validateScene, ENGINE_NAMES, type EngineName } from '../../sim/index.ts';

const USAGE = 'BUNDLE [--engine cannon|rapier] [--repair] [--no-reference] [--json]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'validate',
    argv,
    {
      engine: { type: 'string' },
      repair: { type: 'boolean' },
      'no-reference': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    true,
  );
  if (values.help) {
    console.log(`usage: real2sim validate ${USAGE}`);
    return 0;
  }
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new Real2SimError('BAD_INPUT', `validate needs one bundle folder\n\nusage: real2sim validate ${USAGE}`);
  const engine = (values.engine ?? undefined) as EngineName | undefined;
  if (engine !== undefined && !ENGINE_NAMES.includes(engine)) {
    throw new Real2SimError('BAD_INPUT', `Unknown engine '${engine}': use one of ${ENGINE_NAMES.join(', ')}`);
  }
  const root = resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new Real2SimError('BAD_FILE', `'${root}' is not a folder: give the bundle folder written by 'real2sim export' or 'reconstruct'`, { dir: root });
  const scene = await readBundleScene(root);
  const options = { ...(engine ? { engine } : {}), reference: values['no-reference'] ? (false as const) : ('mujoco' as const) };
  const report = values.repair ? (await validateAndRepair(scene, options)).report : await validateScene(scene, options);
  await writeAtomic(join(root, 'physics.json'), JSON.stringify(report, null, 2) + '\n');
  // physics.json is the tool's own file: a later --out into this bundle may replace it
  await addToMarker(root, ['physics.json']).catch(() => undefined);
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report, root));
  return physicsExitCode(report.verdict, true);
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temp, text, { flag: 'w' });
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new Real2SimError('BAD_FILE', `Could not write '${path}' (${(cause as Error).message}); any previous physics.json is unchanged`, { path }, cause);
  }
}

/** A fixed-width table per object, then findings and repairs, for a terminal. */
export function formatReport(r: PhysicsReport, where = ''): string {
  const objects = new Set<string>([...r.stability.map((s) => s.object), ...r.support.map((s) => s.object)]);
  const mm = (m: number | undefined) => (m === undefined || m < 0 ? '—' : (m * 1000).toFixed(1));
  const rows: string[][] = [['object', 'rests on', 'gap mm', 'moved mm', 'turned °', 'stable', ...(r.reference ? ['mujoco mm', 'mujoco'] : []), 'findings']];
  for (const id of objects) {
    const sup = r.support.filter((e) => e.object === id);
    const st = r.stability.find((s) => s.object === id);
    const ref = r.reference?.stability.find((s) => s.object === id);
    const kinds = r.findings.filter((f) => f.objects[0] === id).map((f) => f.kind);
    rows.push([
      id,
      sup.map((e) => e.restsOn ?? 'nothing').join(', ') || '—',
      sup.length ? sup.map((e) => mm(Math.max(0, e.gap))).join(', ') : '—',
      mm(st?.displacement),
      st && st.rotation >= 0 ? ((st.rotation * 180) / Math.PI).toFixed(1) : '—',
      st ? (st.stable ? 'yes' : 'NO') : '—',
      ...(r.reference ? [mm(ref?.displacement), ref ? (ref.stable ? 'yes' : 'NO') : '—'] : []),
      [...new Set(kinds)].join(', '),
    ]);
  }
  const w = rows[0]!.map((_, k) => Math.max(...rows.map((row) => row[k]!.length)));
  const line = (row: string[]) =>
    row
      .map((c, k) => c.padEnd(w[k]!))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  out.push(
    `physics: ${r.verdict.toUpperCase()} (${r.engine}${r.reference ? `, MuJoCo verdict agreement ${(r.reference.agreement * 100).toFixed(0)} %` : ''}, ${r.timeMs.toFixed(0)} ms)${where ? ` — ${where}` : ''}`,
  );
  out.push('');
  out.push(line(rows[0]!));
  out.push(w.map((x) => '-'.repeat(x)).join('  '));
  for (const row of rows.slice(1)) out.push(line(row));
  const general = r.findings.filter((f) => f.objects.length === 0 || !objects.has(f.objects[0]!));
  if (r.findings.length) {
    out.push('');
    out.push('findings:');
    for (const f of [...r.findings.filter((f) => !general.includes(f)), ...general]) out.push(`  ${f.severity.padEnd(7)} ${f.kind.padEnd(19)} ${f.message}`);
  }
  if (r.initialFindings?.length) {
    out.push('');
    out.push('found before repair:');
    for (const f of r.initialFindings) out.push(`  ${f.severity.padEnd(7)} ${f.kind.padEnd(19)} ${f.message}`);
  }
  if (r.repairs.length) {
    out.push('');
    out.push('repairs:');
    for (const rep of r.repairs) {
      const d = Math.hypot(...rep.after.position.map((v, k) => v - rep.before.position[k]!));
      out.push(`  ${rep.object}: ${rep.why} (${(d * 1000).toFixed(1)} mm)${rep.flagged ? '  FLAGGED: larger than allowed' : ''}`);
    }
  }
  return out.join('\n');
}
