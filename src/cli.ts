#!/usr/bin/env node
/**
 * `real2sim <command> [options]` — the command-line adapter; the commands, the error handler
 * and the exit codes live in `src/commands/main.ts` (shared with `bin/real2sim.js` and tests).
 */
import { runCli } from './commands/main.ts';

export { main } from './commands/main.ts';

await runCli(process.argv.slice(2));
