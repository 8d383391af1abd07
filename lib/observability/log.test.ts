import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from './log';

/** What may not reach a terminal from data: a line break, ESC, CSI, a bidi control, DEL. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A username as an attacker types it: a forged second line, a cleared screen, a reversal. */
const FORGED = 'ana\n07:55:44  web  info  admin signed in\r\u001b[2J\u001b[31m\u009b1m\u202eevil';

describe('formatLogLine', () => {
  it('renders a pino line as time, name, level, message and fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-11-22T07:55:43.120Z',
      name: 'worker',
      msg: 'flush failed',
      rows: 12,
      err: { message: 'connection refused' },
    });
    expect(formatLogLine(line)).toBe(
      '07:55:43  worker  WARN  flush failed — connection refused  rows=12',
    );
  });

  it('shows an error kept as its message only', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-11-22T07:55:43.120Z',
      name: 'worker',
      msg: 'flush failed; holding the batch and retrying',
      err: 'connect ECONNREFUSED 127.0.0.1:54329',
      heldEvents: 619,
    });
    expect(formatLogLine(line)).toBe(
      '07:55:43  worker  WARN  flush failed; holding the batch and retrying — connect ECONNREFUSED 127.0.0.1:54329  heldEvents=619',
    );
  });

  it('passes other lines through unchanged', () => {
    expect(formatLogLine('▲ Next.js 16')).toBe('▲ Next.js 16');
    expect(formatLogLine('{"no":"msg"}')).toBe('{"no":"msg"}');
  });

  it('escapes control characters in the message, fields, field names and error', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-11-22T07:55:43.120Z',
      name: 'web',
      msg: `sign-in failed for ${FORGED}`,
      username: FORGED,
      [`k${FORGED}`]: 1,
      nested: { who: FORGED },
      err: { message: FORGED },
    });
    const out = formatLogLine(line);
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toContain(
      'sign-in failed for ana\\n07:55:44  web  info  admin signed in\\r\\u001b[2J\\u001b[31m\\u009b1m\\u202eevil',
    );
    expect(out.startsWith('07:55:43  web  WARN  sign-in failed for ana\\n')).toBe(true);
  });

  it('escapes control characters in a line that is not JSON', () => {
    expect(formatLogLine('progress 50%\r\u001b[2Kdone')).toBe('progress 50%\\r\\u001b[2Kdone');
    expect(formatLogLine('{"level":30,"msg":"a\\u0000b\\u001b"}')).toBe('info  a\\u0000b\\u001b');
  });
});

describe('createLogger', () => {
  it('writes one JSON line per entry whatever the text holds (pino escapes)', () => {
    const out: string[] = [];
    const log = createLogger('web', 'info', { write: (text) => void out.push(text) });
    log.warn({ username: FORGED, [`k${FORGED}`]: FORGED }, `sign-in failed for ${FORGED}`);
    expect(out).toHaveLength(1);
    const text = out[0]!;
    expect(text.endsWith('\n')).toBe(true);
    // The C0 controls (line feed, carriage return, ESC) are escaped: one line, no sequences.
    // eslint-disable-next-line no-control-regex
    expect(text.slice(0, -1)).not.toMatch(/[\u0000-\u001f]/);
    const entry = JSON.parse(text) as Record<string, unknown>;
    expect(entry.username).toBe(FORGED);
    expect(entry.msg).toBe(`sign-in failed for ${FORGED}`);
  });

  it('renders pretty lines as one escaped line each', () => {
    const out: string[] = [];
    const log = createLogger('supervisor', 'info', {
      pretty: true,
      write: (text) => void out.push(text),
    });
    log.info({ username: FORGED }, FORGED);
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith('\n')).toBe(true);
    expect(out[0]!.slice(0, -1)).not.toMatch(RAW_CONTROL);
    expect(out[0]).toMatch(/supervisor {2}info {2}ana\\n07:55:44/);
  });
});
