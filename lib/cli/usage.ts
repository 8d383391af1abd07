/**
 * A command line that cannot run as given. Every command-line tool's flag parser throws it with a
 * message naming the flag and what it expected; the entry point prints it with the tool's usage
 * and exits with status 2.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
