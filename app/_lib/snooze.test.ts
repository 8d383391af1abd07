import { describe, expect, it } from 'vitest';
import { SNOOZE_PRESETS } from '@/lib/alerts/workflow';
import { PICK_UNTIL, SNOOZE_MENU_PRESETS, snoozeUntil } from './snooze';

describe('snoozeUntil', () => {
  it('reads a datetime-local value as local time and sends it as an ISO instant', () => {
    expect(snoozeUntil('2030-01-02T03:04')).toEqual({
      until: new Date(2030, 0, 2, 3, 4).toISOString(),
    });
  });

  it('asks for a time when the field is empty or holds no time', () => {
    expect(snoozeUntil('')).toEqual({ error: PICK_UNTIL });
    expect(snoozeUntil('not a time')).toEqual({ error: PICK_UNTIL });
    expect(snoozeUntil('2030-13-45T99:99')).toEqual({ error: PICK_UNTIL });
  });
});

describe('SNOOZE_MENU_PRESETS', () => {
  it('offers each preset the server accepts, once, in order of length', () => {
    expect(SNOOZE_MENU_PRESETS.map((p) => p.preset)).toEqual(Object.keys(SNOOZE_PRESETS));
  });
});
