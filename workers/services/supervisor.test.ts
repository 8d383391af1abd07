/**
 * What the supervisor prints of its children's output: one line per line, control characters
 * escaped, so a child's output (text a user sent, logged) cannot forge a line or drive the
 * terminal. The real relay of a running child is covered in supervisor.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { relayLine } from './supervisor';

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('relayLine', () => {
  it('renders a pino line, escaped', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-11-22T07:55:43.120Z',
      name: 'web',
      msg: 'sign-in failed',
      username: 'ana\n07:55:44  web  info  admin signed in\u001b[2J',
    });
    const out = relayLine('web', line);
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toBe(
      'web      │ 07:55:43  web  WARN  sign-in failed  username=ana\\n07:55:44  web  info  admin signed in\\u001b[2J',
    );
  });

  it('escapes ESC, CR and bidi controls in a line that is not JSON', () => {
    const out = relayLine('simulator', 'ready\u001b[1A\u001b[2K\r\u009b31m\u202eok');
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toBe('simulator│ ready\\u001b[1A\\u001b[2K\\r\\u009b31m\\u202eok');
  });

  it('keeps ordinary output as it is', () => {
    expect(relayLine('web', '▲ Next.js 16.4.6')).toBe('web      │ ▲ Next.js 16.4.6');
  });
});
