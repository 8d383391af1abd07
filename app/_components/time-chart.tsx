'use client';
/**
 * A metric over a chosen range (the explore page): its value with the expected band, the same
 * range a day or a week earlier, or one line per value of a split; anomalies and annotations
 * drawn across it; drag across it to zoom. Every string drawn here (names, dimension values,
 * annotation titles) goes through React text, never markup.
 */
import { useState } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type TooltipContentProps,
} from 'recharts';
import { formatMetricValue } from '@/lib/metrics/units';
import { axisFormatter, formatInZone, type TimeZoneMode } from '@/lib/explore/time-range';
import { breakGaps, gapThreshold } from '@/lib/explore/downsample';
import { timeTicks } from '@/lib/explore/ticks';
import type { ExploreSplit } from '@/lib/explore/view';
import type { WindowPoint } from '@/lib/types';
import type { AnnotationView } from '@/lib/views';
import { CHART } from '../_lib/format';
import type { MetricFormat } from './charts';

/** Colours of a split's lines, then grey for the rest. Distinct for common colour blindness. */
export const SPLIT_COLOURS = [
  '#4f8cff',
  '#f97316',
  '#10b981',
  '#e11d48',
  '#a855f7',
  '#eab308',
  '#06b6d4',
  '#84cc16',
  '#ec4899',
  '#64748b',
] as const;
export const OTHER_COLOUR = '#9ca3af';
export const ANNOTATION_COLOUR = '#a855f7';

export function splitColour(index: number): string {
  return SPLIT_COLOURS[index % SPLIT_COLOURS.length]!;
}

interface Datum {
  t: number;
  value?: number | null;
  expected?: number | null;
  band?: [number, number] | null;
  compare?: number | null;
  [line: `s${number}`]: number | null;
  other?: number | null;
}

/** One row per time drawn: the main series, the comparison and a split's lines merged by time. */
export function chartData(input: {
  points: readonly WindowPoint[];
  compare: readonly WindowPoint[] | null;
  split: ExploreSplit | null;
  bandSigma: number;
}): Datum[] {
  const rows = new Map<number, Datum>();
  const at = (t: number) => {
    let row = rows.get(t);
    if (!row) {
      row = { t };
      rows.set(t, row);
    }
    return row;
  };
  for (const p of input.points) {
    const row = at(p.windowStart);
    row.value = p.value;
    row.expected = p.expected;
    row.band =
      p.expected === null || p.sigma === null
        ? null
        : [p.expected - input.bandSigma * p.sigma, p.expected + input.bandSigma * p.sigma];
  }
  for (const p of input.compare ?? []) at(p.windowStart).compare = p.value;
  if (input.split) {
    const { times, lines, other } = input.split;
    times.forEach((t, i) => {
      const row = at(t);
      lines.forEach((line, j) => {
        row[`s${j}`] = line.values[i] ?? null;
      });
      if (other) row.other = other.values[i] ?? null;
    });
  }
  return [...rows.values()].sort((a, b) => a.t - b.t);
}

/**
 * The reference marks of annotations over [from, to]: a dashed line at an instant, a shaded
 * span for one with an end, labelled with the title. Called as a function (not a component)
 * so that Recharts sees the marks as the chart's own children.
 */
export function annotationMarks(annotations: readonly AnnotationView[], from: number, to: number) {
  return annotations.map((a) =>
    a.endsAt !== null && a.endsAt > a.startsAt ? (
      <ReferenceArea
        key={`annotation-${a.id}`}
        x1={Math.max(a.startsAt, from)}
        x2={Math.min(a.endsAt, to)}
        fill={ANNOTATION_COLOUR}
        fillOpacity={0.08}
        stroke={ANNOTATION_COLOUR}
        strokeOpacity={0.5}
        strokeDasharray="4 3"
        ifOverflow="hidden"
        label={{ value: a.title, position: 'insideTopLeft', fill: ANNOTATION_COLOUR, fontSize: 11 }}
      />
    ) : (
      <ReferenceLine
        key={`annotation-${a.id}`}
        x={a.startsAt}
        stroke={ANNOTATION_COLOUR}
        strokeDasharray="4 3"
        ifOverflow="hidden"
        label={{ value: a.title, position: 'insideTopLeft', fill: ANNOTATION_COLOUR, fontSize: 11 }}
      />
    ),
  );
}

export interface ChartSpan {
  id: number;
  from: number;
  to: number;
  severity: 'warn' | 'critical';
}

export interface TimeChartProps {
  from: number;
  to: number;
  windowMs: number;
  metric: MetricFormat;
  tz: TimeZoneMode;
  points: readonly WindowPoint[];
  compare?: { points: readonly WindowPoint[]; label: string } | null;
  split?: ExploreSplit | null;
  anomalies?: readonly ChartSpan[];
  annotations?: readonly AnnotationView[];
  /** The chart's accessible name: what it shows, in a sentence. */
  label: string;
  height?: number;
  /** Called with the range dragged across; without it the chart does not zoom. */
  onZoom?: (from: number, to: number) => void;
}

export function TimeChart({
  from,
  to,
  windowMs,
  metric,
  tz,
  points,
  compare = null,
  split = null,
  anomalies = [],
  annotations = [],
  label,
  height = 340,
  onZoom,
}: TimeChartProps) {
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);
  const data = chartData({
    points: breakGaps(points, gapThreshold(points, windowMs)),
    compare: compare?.points ?? null,
    split,
    bandSigma: 3,
  });
  const tick = axisFormatter(to - from, tz);
  const value = (v: number) => formatMetricValue(metric, v);
  const labelOf = (state: { activeLabel?: unknown }): number | null => {
    const t = Number(state.activeLabel);
    return Number.isFinite(t) ? t : null;
  };
  const finishDrag = () => {
    if (drag && onZoom) {
      const lo = Math.min(drag.start, drag.end);
      const hi = Math.max(drag.start, drag.end);
      // A click (or a drag narrower than a window) is not a zoom.
      if (hi - lo >= windowMs) onZoom(lo, hi + windowMs);
    }
    setDrag(null);
  };
  return (
    <div
      className="time-chart"
      style={{ height }}
      role="img"
      aria-label={label}
      data-testid="time-chart"
      data-zoomable={onZoom ? 'true' : undefined}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart
          data={data}
          margin={{ top: 18, right: 16, bottom: 4, left: 4 }}
          accessibilityLayer={false}
          onMouseDown={(state) => {
            const t = labelOf(state);
            if (onZoom && t !== null) setDrag({ start: t, end: t });
          }}
          onMouseMove={(state) => {
            const t = labelOf(state);
            if (drag && t !== null) setDrag({ ...drag, end: t });
          }}
          onMouseUp={finishDrag}
          onMouseLeave={() => setDrag(null)}
        >
          <CartesianGrid stroke={CHART.grid} vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[from, to]}
            ticks={timeTicks(from, to)}
            allowDataOverflow
            tickFormatter={tick}
            stroke={CHART.muted}
            fontSize={12}
            minTickGap={32}
          />
          <YAxis
            domain={['auto', 'auto']}
            tickFormatter={value}
            stroke={CHART.muted}
            fontSize={12}
            width={72}
          />
          {anomalies.map((a) => (
            <ReferenceArea
              key={`anomaly-${a.id}`}
              x1={Math.max(a.from, from)}
              x2={Math.min(a.to, to)}
              fill={a.severity === 'critical' ? CHART.critical : CHART.warn}
              fillOpacity={0.12}
              stroke={a.severity === 'critical' ? CHART.critical : CHART.warn}
              strokeOpacity={0.4}
              ifOverflow="hidden"
            />
          ))}
          {annotationMarks(annotations, from, to)}
          {split ? null : (
            <Area
              dataKey="band"
              stroke="none"
              fill={CHART.band}
              fillOpacity={0.14}
              isAnimationActive={false}
              activeDot={false}
              connectNulls={false}
              name="Expected ± 3σ"
            />
          )}
          {split ? null : (
            <Line
              dataKey="expected"
              stroke={CHART.expected}
              strokeDasharray="5 4"
              strokeWidth={1.25}
              dot={false}
              activeDot={false}
              isAnimationActive={false}
              name="Expected"
            />
          )}
          {compare ? (
            <Line
              dataKey="compare"
              stroke={CHART.muted}
              strokeWidth={1.5}
              strokeOpacity={0.8}
              dot={false}
              isAnimationActive={false}
              connectNulls
              name={compare.label}
            />
          ) : null}
          {split ? (
            <>
              {split.lines.map((line, i) => (
                <Line
                  key={`s${i}`}
                  dataKey={`s${i}`}
                  stroke={splitColour(i)}
                  strokeWidth={1.75}
                  dot={false}
                  isAnimationActive={false}
                  connectNulls
                  name={line.value}
                />
              ))}
              {split.other ? (
                <Line
                  dataKey="other"
                  stroke={OTHER_COLOUR}
                  strokeWidth={1.5}
                  strokeDasharray="2 3"
                  dot={false}
                  isAnimationActive={false}
                  connectNulls
                  name={`other (${split.other.valueCount})`}
                />
              ) : null}
            </>
          ) : (
            <Line
              dataKey="value"
              stroke={CHART.value}
              strokeWidth={1.75}
              dot={false}
              isAnimationActive={false}
              name="Value"
            />
          )}
          <Tooltip
            content={(props) => (
              <TimeTooltip {...props} metric={metric} tz={tz} windowMs={windowMs} split={split} />
            )}
            isAnimationActive={false}
          />
          {drag && drag.end !== drag.start ? (
            <ReferenceArea
              x1={Math.min(drag.start, drag.end)}
              x2={Math.max(drag.start, drag.end)}
              fill={CHART.value}
              fillOpacity={0.15}
              stroke={CHART.value}
              strokeOpacity={0.5}
            />
          ) : null}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function TimeTooltip({
  active,
  payload,
  metric,
  tz,
  windowMs,
  split,
}: Pick<TooltipContentProps, 'active' | 'payload'> & {
  metric: MetricFormat;
  tz: TimeZoneMode;
  windowMs: number;
  split: ExploreSplit | null;
}) {
  const datum = payload?.[0]?.payload as Datum | undefined;
  if (!active || !datum) return null;
  const fmt = (v: number | null | undefined) =>
    v === null || v === undefined ? '—' : formatMetricValue(metric, v);
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">
        {formatInZone(datum.t, tz, 'datetime', { seconds: windowMs < 60_000, zoneName: true })}
      </div>
      <dl>
        {split ? (
          <>
            {split.lines.map((line, i) => (
              <div key={i} className="chart-tooltip-row">
                <dt>
                  <span className="swatch" style={{ background: splitColour(i) }} aria-hidden />
                  {line.value}
                </dt>
                <dd>{fmt(datum[`s${i}`])}</dd>
              </div>
            ))}
            {split.other ? (
              <div className="chart-tooltip-row">
                <dt>other</dt>
                <dd>{fmt(datum.other)}</dd>
              </div>
            ) : null}
          </>
        ) : (
          <>
            <dt>Value</dt>
            <dd>{fmt(datum.value)}</dd>
            <dt>Expected</dt>
            <dd>{fmt(datum.expected)}</dd>
            {datum.compare !== undefined ? (
              <>
                <dt>Before</dt>
                <dd>{fmt(datum.compare)}</dd>
              </>
            ) : null}
          </>
        )}
      </dl>
    </div>
  );
}
