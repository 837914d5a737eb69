/**
 * `real2sim <command> [options]` — the entry shared by `bin/real2sim.js`, `src/cli.ts` and the
 * tests. Each command lives in `src/commands/<name>.ts` and exports `run(argv): Promise<number>`
 * (the exit code); it is imported only when called so that, e.g., `real2sim validate` never
 * loads ONNX Runtime.
 *
 * Every failure ends here as one line `real2sim <command>: <message> [CODE]` and an exit code of
 * `EXIT` (exitCodes.ts): no stack trace reaches a user unless `--debug` (or REAL2SIM_DEBUG=1)
 * is given.
 */
import { Real2SimError, type ErrorCode } from '../model/errors.ts';
import { EXIT } from './exitCodes.ts';

export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
  /** Runs until stopped (handles SIGINT/SIGTERM itself and exits 0 when stopped). */
  server?: boolean;
}

export const COMMANDS: Record<string, CommandEntry> = {
  demo: { summary: 'reconstruct the built-in sample scene into out/demo (no GPU, no network)', load: () => import('./demo.ts') },
  reconstruct: { summary: 'RGB-D frame → validated simulator bundle', load: () => import('./reconstruct.ts') },
  validate: { summary: 'physics-check a bundle, print a table, write physics.json', load: () => import('./validate.ts') },
  export: { summary: 'write URDF / SDF / MJCF / GLB from a scene.json', load: () => import('./export.ts') },
  view: { summary: 'serve a bundle in the browser viewer', load: () => import('./view.ts'), server: true },
  serve: { summary: 'run the GPU-host HTTP server with ONNX models', load: () => import('./serve.ts'), server: true },
  import: { summary: 'import SceneMaker / MIDI / SAM 3D outputs as a metric scene', load: () => import('./import.ts') },
  ros: { summary: 'run the ROS 2 node (rclnodejs or rosbridge)', load: () => import('./ros.ts'), server: true },
  batch: { summary: 'many frames (folders, manifests, recordings) → bundles, here or on a BullMQ queue', load: () => import('./batch.ts') },
  worker: { summary: 'process batch frames from a Redis (BullMQ) queue', load: () => import('./worker.ts'), server: true },
  synth: { summary: 'generate a synthetic RGB-D scene with ground truth', load: () => import('./synth.ts') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return (
    `usage: real2sim <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    `real2sim <command> --help for a command's options; --debug (any command) prints stack traces.\n` +
    `exit status: 0 ok, 1 internal error, 2 bad input, 3 physics invalid/needs review/failed, 4 low confidence (--strict), 130 interrupted.`
  );
}

/** Error codes that mean the run itself was fine but the physics verdict was not. */
const PHYSICS_CODES: ReadonlySet<ErrorCode> = new Set(['PHYSICS']);

/** Exit code for an error: a bug is INTERNAL; everything coded from outside input is BAD_INPUT. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof Real2SimError) {
    if (err.code === 'INTERNAL') return EXIT.INTERNAL;
    if (PHYSICS_CODES.has(err.code)) return EXIT.PHYSICS;
    return EXIT.BAD_INPUT;
  }
  return systemError(err) ? EXIT.BAD_INPUT : EXIT.INTERNAL;
}

const SYSTEM_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTEMPTY: 'folder not empty',
  EXDEV: 'cannot move across file systems',
};

/** A Node system error from outside (a missing file, a full disk): the user can act on it. */
function systemError(err: unknown): { code: string; message: string } | undefined {
  const e = err as (NodeJS.ErrnoException & { dest?: string; address?: string; port?: number }) | undefined;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !(e.code in SYSTEM_REASONS)) return undefined;
  const where = e.path ? ` '${e.path}'${e.dest ? ` → '${e.dest}'` : ''}` : e.address ? ` ${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : '';
  return { code: 'BAD_FILE', message: `cannot ${e.syscall ?? 'access'}${where}: ${SYSTEM_REASONS[e.code]} (${e.code}). Check the path, its permissions and free space.` };
}

/** One line (or a few, for lists of problems) for the user: the message and its code; the stack only when debugging. */
export function formatError(command: string, err: unknown, debug = false): string {
  const prefix = command ? `real2sim ${command}` : 'real2sim';
  let text: string;
  if (err instanceof Real2SimError) {
    text = `${prefix}: ${err.message} [${err.code}]`;
  } else {
    const sys = systemError(err);
    if (sys) text = `${prefix}: ${sys.message} [${sys.code}]`;
    else {
      const msg = err instanceof Error ? err.message : String(err);
      text = `${prefix}: internal error (a bug in real2sim, not in your input): ${firstLine(msg)}. Run again with --debug for the details and report it. [INTERNAL]`;
    }
  }
  if (debug) text += `\n${stackOf(err)}`;
  return text;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function stackOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    // a thrown non-Error is printed as JavaScript prints it, whatever it is
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e) parts.push('caused by:');
  }
  return parts.join('\n');
}

export interface MainIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: MainIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

/** Removes the global `--debug` flag (anywhere before a `--`) and says whether it was there. */
export function takeDebugFlag(argv: string[]): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  const debug = head.includes('--debug') || /^(1|true|yes)$/i.test(process.env['REAL2SIM_DEBUG'] ?? '');
  return { argv: [...head.filter((a) => a !== '--debug'), ...tail], debug };
}

/** Runs one command and returns its exit code; never throws. */
export async function main(rawArgv: string[], io: MainIo = consoleIo): Promise<number> {
  const { argv, debug } = takeDebugFlag(rawArgv);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name) io.out(usage());
    else io.err(`real2sim: no command given [BAD_INPUT]\n\n${usage()}`);
    return name ? EXIT.OK : EXIT.BAD_INPUT;
  }
  if (name === '--version' || name === '-V') {
    const { TOOL_VERSION } = await import('../export/outDir.ts');
    io.out(`real2sim ${TOOL_VERSION}`);
    return EXIT.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`real2sim: unknown command '${name}' [BAD_INPUT]\n\n${usage()}`);
    return EXIT.BAD_INPUT;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    io.err(formatError(name, err, debug));
    return exitCodeOf(err);
  }
}

/**
 * The process around `main`: exit code, interruption (SIGINT/SIGTERM → temporary folders
 * removed, exit 130) and a last-resort handler so that even an error thrown from a callback
 * prints one coded line, not a stack trace.
 */
export async function runCli(rawArgv: string[]): Promise<void> {
  const { debug } = takeDebugFlag(rawArgv);
  const command = rawArgv.find((a) => !a.startsWith('-')) ?? '';
  const fatal = (err: unknown) => {
    process.stderr.write(`${formatError(command, err, debug)}\n`);
    process.exit(exitCodeOf(err));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const server = Object.hasOwn(COMMANDS, command) && COMMANDS[command]!.server === true;
  if (!server) {
    const { runInterruptCleanups } = await import('../export/outDir.ts');
    const interrupted = (signal: string) => {
      runInterruptCleanups();
      process.stderr.write(`real2sim ${command}: interrupted by ${signal}; nothing half-written was left behind [INTERRUPTED]\n`);
      process.exit(EXIT.INTERRUPTED);
    };
    process.once('SIGINT', () => interrupted('SIGINT'));
    process.once('SIGTERM', () => interrupted('SIGTERM'));
  }
  process.exitCode = await main(rawArgv);
}
