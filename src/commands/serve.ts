import { Real2SimError } from '../model/errors.ts';

export async function run(_argv: string[]): Promise<number> {
  throw new Real2SimError('UNSUPPORTED', "'serve' is not built yet");
}
