/** Structured logging (pino) to stderr, so stdout stays free for data pipes. */
import { pino, type Logger } from 'pino';
import { escapeControls } from '@/lib/text/output';

export type { Logger };

/**
 * A logger writing JSON lines to stderr; with `pretty`, lines rendered for a terminal
 * (used by the supervisor, whose output a person reads). `write` replaces stderr (tests).
 */
export function createLogger(
  name: string,
  level: string,
  options: { pretty?: boolean; write?: (text: string) => void } = {},
): Logger {
  const write = options.write;
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
      ? {
          write: (line: string) => {
            const text = `${formatLogLine(line.trimEnd())}\n`;
            if (write) write(text);
            else process.stderr.write(text);
          },
        }
      : write
        ? { write }
        : pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * Renders one pino JSON line for a terminal ("12:00:01 worker  info  flushed rows=120"); any
 * other line as it is. Either way as one line with its control characters escaped
 * (lib/text/output.ts): a message, field or error that holds a line feed, a carriage return or
 * an ESC sequence (a username someone typed) must not start a forged line or rewrite the
 * terminal. pino's JSON escapes the C0 controls; the values it decodes to do not.
 */
export function formatLogLine(line: string): string {
  return escapeControls(renderLogLine(line));
}

function renderLogLine(line: string): string {
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
