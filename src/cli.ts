#!/usr/bin/env node
/**
 * `real2sim <command> [options]` — the command-line adapter. Each command lives in
 * `src/commands/<name>.ts` and exports `run(argv): Promise<number>` (the exit code); it is
 * imported only when called so that, e.g., `real2sim validate` never loads ONNX Runtime.
 */
import { Real2SimError } from './model/errors.ts';

interface CommandModule {
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  demo: { summary: 'reconstruct the built-in sample scene into out/demo (no GPU, no network)', load: () => import('./commands/demo.ts') },
  reconstruct: { summary: 'RGB-D frame → validated simulator bundle', load: () => import('./commands/reconstruct.ts') },
  validate: { summary: 'physics-check a bundle, print a table, write physics.json', load: () => import('./commands/validate.ts') },
  export: { summary: 'write URDF / SDF / MJCF / GLB from a scene.json', load: () => import('./commands/export.ts') },
  view: { summary: 'serve a bundle in the browser viewer', load: () => import('./commands/view.ts') },
  serve: { summary: 'run the GPU-host HTTP server with ONNX models', load: () => import('./commands/serve.ts') },
  import: { summary: 'import SceneMaker / MIDI / SAM 3D outputs as a metric scene', load: () => import('./commands/import.ts') },
  ros: { summary: 'run the ROS 2 node (rclnodejs or rosbridge)', load: () => import('./commands/ros.ts') },
  batch: { summary: 'many frames (folders, manifests, recordings) → bundles, here or on a BullMQ queue', load: () => import('./commands/batch.ts') },
  worker: { summary: 'process batch frames from a Redis (BullMQ) queue', load: () => import('./commands/worker.ts') },
  synth: { summary: 'generate a synthetic RGB-D scene with ground truth', load: () => import('./commands/synth.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: real2sim <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nreal2sim <command> --help for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`real2sim: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof Real2SimError) {
      console.error(`real2sim ${name}: ${err.message} [${err.code}]`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
