'use client';
/**
 * The time range picker: relative presets, an absolute range typed as expressions (now-6h,
 * epoch ms, ISO 8601), zoom out and step back or forward, and the time zone the page shows.
 */
import { useEffect, useRef, useState } from 'react';
import {
  PRESETS,
  describeRange,
  resolveRange,
  zoneLabel,
  type RangeSpec,
  type TimeZoneMode,
} from '@/lib/explore/time-range';

export function RangePicker({
  range,
  tz,
  now,
  onRange,
  onTz,
  onZoomOut,
  onShift,
}: {
  range: RangeSpec;
  tz: TimeZoneMode;
  now: number;
  onRange: (range: RangeSpec) => void;
  onTz: (tz: TimeZoneMode) => void;
  onZoomOut: () => void;
  onShift: (direction: -1 | 1) => void;
}) {
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
