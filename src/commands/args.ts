import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Real2SimError } from '../model/errors.ts';

/**
 * Parses a command's flags with Node's `parseArgs`, turning its errors into a `BAD_INPUT`
 * error that names the command and shows its usage.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (cause) {
    throw new Real2SimError('BAD_INPUT', `${(cause as Error).message}\n\nusage: real2sim ${command} ${usage}`, { command }, cause);
  }
}
