/**
 * A command line that cannot run as given. Every command-line tool's flag parser throws it with a
 * message naming the flag and what it expected; the entry point prints it with the tool's usage
 * and exits with status 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** node:util `parseArgs` (strict), its refusals (an unknown flag, a missing value) as UsageError. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
