'use client';
/**
 * The time range picker of every page with a time axis (the board, a metric's page, a
 * drill-down): relative presets, an absolute range typed as expressions (now-6h, epoch ms,
 * ISO 8601), zoom out and step back or forward, and the time zone the page shows; and the
 * keyboard shortcuts that do the same.
 */
import { useEffect, useRef, useState } from 'react';
import {
  PRESETS,
  describeRange,
  resolveRange,
  shiftRange,
  zoneLabel,
  zoomOut,
  type RangeSpec,
  type TimeZoneMode,
} from '@/lib/explore/time-range';
import { useShortcuts } from './shortcuts';

/**
 * The range shortcuts, listed under `?` in `group`: z zooms out, [ and ] step, t h / t 6 / t d
 * / t w / t m pick the last hour … 30 days, u switches local time and UTC.
 */
export function useRangeShortcuts(
  range: RangeSpec,
  tz: TimeZoneMode,
  onRange: (range: RangeSpec) => void,
  onTz: (tz: TimeZoneMode) => void,
  group: string,
) {
  const preset = (from: string) => () => onRange({ from, to: 'now' });
  useShortcuts(
    [
      {
        keys: 'z',
        description: 'Zoom out: twice as long',
        run: () => onRange(zoomOut(range, Date.now())),
      },
      {
        keys: '[',
        description: 'Move the range earlier',
        run: () => onRange(shiftRange(range, Date.now(), -1)),
      },
      {
        keys: ']',
        description: 'Move the range later',
        run: () => onRange(shiftRange(range, Date.now(), 1)),
      },
      { keys: 't h', description: 'Time range: last hour', run: preset('now-1h') },
      { keys: 't 6', description: 'Time range: last 6 hours', run: preset('now-6h') },
      { keys: 't d', description: 'Time range: last 24 hours', run: preset('now-24h') },
      { keys: 't w', description: 'Time range: last 7 days', run: preset('now-7d') },
      { keys: 't m', description: 'Time range: last 30 days', run: preset('now-30d') },
      {
        keys: 'u',
        description: 'Switch between local time and UTC',
        run: () => onTz(tz === 'utc' ? 'local' : 'utc'),
      },
    ],
    { group },
  );
}

export function RangePicker({
  range,
  tz,
  now,
  onRange,
  onTz,
}: {
  /** The range shown: the URL's, or the page's default written out. */
  range: RangeSpec;
  tz: TimeZoneMode;
  now: number;
  onRange: (range: RangeSpec) => void;
  onTz: (tz: TimeZoneMode) => void;
}) {
  const onShift = (direction: -1 | 1) => onRange(shiftRange(range, Date.now(), direction));
  const onZoomOut = () => onRange(zoomOut(range, Date.now()));
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<RangeSpec>(range);
  const [error, setError] = useState<{ field: 'from' | 'to'; message: string } | null>(null);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (open) panel.current?.querySelector<HTMLElement>('button, input')?.focus();
  }, [open]);

  const apply = () => {
    const resolved = resolveRange(draft, Date.now());
    if (!resolved.ok) {
      setError({ field: resolved.field, message: resolved.error });
      document.getElementById(`range-${resolved.field}`)?.focus();
      return;
    }
    setOpen(false);
    onRange({ from: draft.from.trim(), to: draft.to.trim() });
  };

  return (
    <div className="range-picker">
      <div className="range-buttons" role="group" aria-label="Time range">
        <button
          type="button"
          className="button"
          onClick={() => onShift(-1)}
          aria-label="Earlier: move the range back by half its length"
          title="Earlier ([)"
        >
          ‹
        </button>
        <button
          type="button"
          className="button range-toggle"
          aria-expanded={open}
          aria-controls="range-panel"
          onClick={() => setOpen(!open)}
          data-testid="range-toggle"
        >
          {describeRange(range, now, tz)}
        </button>
        <button
          type="button"
          className="button"
          onClick={() => onShift(1)}
          aria-label="Later: move the range forward by half its length"
          title="Later (])"
        >
          ›
        </button>
        <button
          type="button"
          className="button"
          onClick={onZoomOut}
          aria-label="Zoom out: twice as long"
          title="Zoom out (z)"
        >
          −
        </button>
      </div>
      <div className="segmented tz-switch" role="group" aria-label="Time zone">
        {(['local', 'utc'] as const).map((mode) => (
          <button
            key={mode}
            type="button"
            className={tz === mode ? 'segment selected' : 'segment'}
            aria-pressed={tz === mode}
            onClick={() => onTz(mode)}
          >
            {mode === 'utc' ? 'UTC' : `Local (${zoneLabel('local', now)})`}
          </button>
        ))}
      </div>
      {open ? (
        <div
          id="range-panel"
          className="range-panel card"
          ref={panel}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(false);
          }}
        >
          <div className="range-presets">
            <h3>Relative</h3>
            <ul>
              {PRESETS.map((p) => (
                <li key={p.key}>
                  <button
                    type="button"
                    className={
                      range.from === p.from && range.to === p.to ? 'preset selected' : 'preset'
                    }
                    onClick={() => {
                      setOpen(false);
                      onRange({ from: p.from, to: p.to });
                    }}
                  >
                    {p.label}
                  </button>
                </li>
              ))}
            </ul>
          </div>
          <form
            method="post"
            className="range-absolute"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              apply();
            }}
          >
            <h3>Absolute</h3>
            {(['from', 'to'] as const).map((field) => (
              <div className="field" key={field}>
                <label htmlFor={`range-${field}`}>{field === 'from' ? 'From' : 'To'}</label>
                <input
                  id={`range-${field}`}
                  value={draft[field]}
                  onChange={(e) => {
                    setDraft({ ...draft, [field]: e.target.value });
                    setError(null);
                  }}
                  aria-invalid={error?.field === field ? true : undefined}
                  aria-describedby={`range-${field}-hint${error?.field === field ? ` range-${field}-error` : ''}`}
                  autoComplete="off"
                  spellCheck={false}
                />
                <p id={`range-${field}-hint`} className="hint">
                  {field === 'from' ? 'now-6h, 2026-12-05T10:00:00Z or epoch ms' : 'now, or a time'}
                </p>
                {error?.field === field ? (
                  <p id={`range-${field}-error`} role="alert" className="field-error">
                    {error.message}
                  </p>
                ) : null}
              </div>
            ))}
            <button type="submit" className="button button-primary">
              Apply range
            </button>
          </form>
        </div>
      ) : null}
    </div>
  );
}
