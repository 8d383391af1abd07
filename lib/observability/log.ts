/** Structured logging (pino) to stderr, so stdout stays free for data pipes. */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * A logger writing JSON lines to stderr; with `pretty`, lines rendered for a terminal
 * (used by the supervisor, whose output a person reads).
 */
export function createLogger(
  name: string,
  level: string,
  options: { pretty?: boolean } = {},
): Logger {
  return pino(
    {
      name,
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log secrets, whatever object a caller passes.
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'databaseUrl',
          'adminPassword',
          'cookie',
        ],
        censor: '[redacted]',
      },
    },
    options.pretty
      ? { write: (line: string) => process.stderr.write(`${formatLogLine(line.trimEnd())}\n`) }
      : pino.destination({ fd: 2, sync: false }),
  );
}

/** Renders one pino JSON line for a terminal ("12:00:01 worker  info  flushed rows=120"). */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || !('msg' in entry)) return line;
  const { time, level, name, msg, err, ...rest } = entry;
  const levels: Record<number, string> = {
    10: 'trace',
    20: 'debug',
    30: 'info',
    40: 'WARN',
    50: 'ERROR',
    60: 'FATAL',
  };
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  // An error is an object with a message (pino's serializer) or, where a caller kept only the
  // message, a string: either way its text follows the message.
  const error =
    err && typeof err === 'object' && 'message' in err
      ? ` — ${String((err as { message: unknown }).message)}`
      : typeof err === 'string' && err !== ''
        ? ` — ${err}`
        : '';
  return [
    clock,
    String(name ?? ''),
    levels[Number(level)] ?? String(level),
    `${String(msg)}${error}`,
    fields,
  ]
    .filter(Boolean)
    .join('  ');
}
