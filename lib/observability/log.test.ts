import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log';

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
});
