'use client';
/**
 * Recharts views of a metric's scored windows. Every string drawn here (metric names) goes
 * through React text, never markup. The drill-down's breakdown by dimension is HTML, beside its
 * page (app/anomalies/[id]/breakdown.tsx): its values are links.
 */
import type { ReactElement } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type DotItemDotProps,
  type TooltipContentProps,
} from 'recharts';
import { formatMetricValue } from '@/lib/metrics/units';
import type { MetricKind, PointStatus, Severity } from '@/lib/types';
import type { AnnotationView, BoardPoint } from '@/lib/views';
import { annotationMarks } from './time-chart';
import { CHART, STATUS_LABEL, formatClock, formatDateTime, formatZ } from '../_lib/format';
import { breakGaps, gapThreshold } from '@/lib/explore/downsample';
import { sparklineDomain, sparklinePoints } from '../_lib/sparkline';

export interface MetricFormat {
  kind: MetricKind;
  unit: string;
}

export type Mark = Severity | null;

interface Datum {
  t: number;
  value: number | null;
  expected: number | null;
  /** expected ± inner·σ */
  band: [number, number] | null;
  /** expected ± outer·σ (optional second band) */
  outer: [number, number] | null;
  z: number | null;
  status: PointStatus;
  volume: number;
  mark: Mark;
}

function band(p: BoardPoint, k: number): [number, number] | null {
  if (p.expected === null || p.sigma === null || !Number.isFinite(k)) return null;
  return [p.expected - k * p.sigma, p.expected + k * p.sigma];
}

function markOfStatus(p: BoardPoint): Mark {
  return p.status === 'warn' || p.status === 'critical' ? p.status : null;
}

function toData(
  points: BoardPoint[],
  inner: number,
  outer: number | null,
  markOf: (p: BoardPoint) => Mark,
): Datum[] {
  return points.map((p) => ({
    t: p.windowStart,
    value: p.value,
    expected: p.expected,
    band: band(p, inner),
    outer: outer === null ? null : band(p, outer),
    z: p.z,
    status: p.status,
    volume: p.volume,
    mark: markOf(p),
  }));
}

/** Draws a red/amber dot on anomalous windows and nothing elsewhere. */
function renderMarkDot(props: DotItemDotProps): ReactElement<SVGElement> {
  const datum = props.payload as Datum | undefined;
  const { cx, cy } = props;
  if (!datum?.mark || cx === undefined || cy === undefined) {
    return <g key={`dot-${props.index}`} />;
  }
  return (
    <circle
      key={`dot-${props.index}`}
      cx={cx}
      cy={cy}
      r={3.5}
      fill={datum.mark === 'critical' ? CHART.critical : CHART.warn}
      stroke="var(--surface, #fff)"
      strokeWidth={1}
    />
  );
}

/**
 * The card's small chart: the scored windows (the learning ramp left out, lib in
 * app/_lib/sparkline.ts), the expected ± 3σ band, anomalous points marked, a value on hover.
 * One image to assistive technology, named by `label`, and no tab stop: the card's link is the
 * keyboard target (Recharts' accessibility layer would make every card an application).
 */
export function Sparkline({
  points,
  label,
  metric,
  windowMs,
}: {
  points: BoardPoint[];
  label: string;
  metric: MetricFormat;
  windowMs: number;
}) {
  const shown = sparklinePoints(points);
  const data = toData(breakGaps(shown, gapThreshold(shown, windowMs)), 3, null, markOfStatus);
  const domain = sparklineDomain(shown, 3);
  const seconds = windowMs < 60_000;
  return (
    <div className="sparkline" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart
          data={data}
          margin={{ top: 6, right: 6, bottom: 6, left: 6 }}
          accessibilityLayer={false}
        >
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} hide />
          <YAxis hide domain={domain ?? ['auto', 'auto']} allowDataOverflow />
          <Area
            dataKey="band"
            stroke="none"
            fill={CHART.band}
            fillOpacity={0.14}
            isAnimationActive={false}
            activeDot={false}
          />
          <Line
            dataKey="value"
            stroke={CHART.value}
            strokeWidth={1.75}
            dot={renderMarkDot}
            activeDot={{ r: 3, fill: CHART.value, stroke: 'var(--surface, #fff)', strokeWidth: 1 }}
            isAnimationActive={false}
          />
          <Tooltip
            cursor={{ stroke: CHART.muted, strokeWidth: 1, strokeDasharray: '2 2' }}
            isAnimationActive={false}
            // Above the line, over the card's "expected" row, so it hides no part of the chart.
            position={{ y: -30 }}
            allowEscapeViewBox={{ x: false, y: true }}
            offset={8}
            content={(props) => {
              const datum = props.payload?.[0]?.payload as Datum | undefined;
              if (!props.active || !datum) return null;
              return (
                <div className="chart-tooltip sparkline-tooltip">
                  <span className="muted">{formatClock(datum.t, seconds)}</span>{' '}
                  <strong>{formatMetricValue(metric, datum.value)}</strong>
                  {datum.expected !== null ? (
                    <span className="muted">
                      {' '}
                      · exp. {formatMetricValue(metric, datum.expected)}
                    </span>
                  ) : null}
                </div>
              );
            }}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

function PointTooltip({
  active,
  payload,
  metric,
  windowMs,
  details,
}: Pick<TooltipContentProps, 'active' | 'payload'> & {
  metric: MetricFormat;
  windowMs: number;
  details: 'score' | 'volume';
}) {
  const datum = payload?.[0]?.payload as Datum | undefined;
  if (!active || !datum) return null;
  const fmt = (v: number | null) => (v === null ? '—' : formatMetricValue(metric, v));
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">
        {formatDateTime(datum.t)} · {formatClock(datum.t + windowMs, windowMs < 60_000)}
      </div>
      <dl>
        <dt>Value</dt>
        <dd>{fmt(datum.value)}</dd>
        {details === 'volume' ? (
          <>
            <dt>Volume</dt>
            <dd>{datum.volume.toLocaleString('en-US')}</dd>
          </>
        ) : (
          <>
            <dt>Expected</dt>
            <dd>{fmt(datum.expected)}</dd>
            <dt>z</dt>
            <dd>{formatZ(datum.z)}</dd>
            <dt>Status</dt>
            <dd>{STATUS_LABEL[datum.status]}</dd>
          </>
        )}
      </dl>
    </div>
  );
}

export interface MetricChartProps {
  points: BoardPoint[];
  metric: MetricFormat;
  windowMs: number;
  label: string;
  height?: number;
  /** Band half-width in σ (default 3). */
  inner?: number;
  innerLabel?: string;
  /** Optional second, wider band in σ. */
  outer?: number | null;
  /** Windows to highlight, [first window start, last window start]. */
  highlight?: { from: number; to: number } | null;
  /** Annotations (deploys, campaigns) drawn across the chart where they fall in its windows. */
  annotations?: readonly AnnotationView[];
  /** More highlighted spans, drawn like `highlight` (e.g. the anomalies a rule would open). */
  highlights?: readonly { from: number; to: number }[];
  /** Which windows get a red/amber dot (default: their stored status). */
  markOf?: (p: BoardPoint) => Mark;
  /**
   * What the tooltip lists beside the value: the score (expected, z, status; the default), or
   * the event volume, for windows nobody scored (a draft definition's preview).
   */
  details?: 'score' | 'volume';
}

/** The full chart: value line, expected line, expected ± kσ band(s), highlighted windows. */
export function MetricChart({
  points,
  metric,
  windowMs,
  label,
  height = 280,
  inner = 3,
  outer = null,
  highlight = null,
  highlights = [],
  annotations = [],
  markOf = markOfStatus,
  details = 'score',
}: MetricChartProps) {
  const data = toData(points, inner, outer, markOf);
  const seconds = windowMs < 60_000;
  return (
    <div className="metric-chart" style={{ height }} role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 10, right: 16, bottom: 4, left: 4 }}>
          <CartesianGrid stroke={CHART.grid} vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => formatClock(t, seconds)}
            stroke={CHART.muted}
            fontSize={12}
            minTickGap={24}
          />
          <YAxis
            domain={['auto', 'auto']}
            tickFormatter={(v: number) => formatMetricValue(metric, v)}
            stroke={CHART.muted}
            fontSize={12}
            width={72}
          />
          {data.length > 0
            ? annotationMarks(annotations, data[0]!.t, data[data.length - 1]!.t + windowMs)
            : null}
          {[...(highlight ? [highlight] : []), ...highlights].map((span, i) => (
            <ReferenceArea
              key={`${i}-${span.from}`}
              x1={span.from - windowMs / 2}
              x2={span.to + windowMs / 2}
              fill={CHART.critical}
              fillOpacity={0.1}
              stroke={CHART.critical}
              strokeOpacity={0.35}
              ifOverflow="extendDomain"
            />
          ))}
          {outer !== null ? (
            <Area
              dataKey="outer"
              stroke="none"
              fill={CHART.band}
              fillOpacity={0.08}
              isAnimationActive={false}
              activeDot={false}
              name={`expected ± ${outer}σ`}
            />
          ) : null}
          <Area
            dataKey="band"
            stroke="none"
            fill={CHART.band}
            fillOpacity={0.16}
            isAnimationActive={false}
            activeDot={false}
            name={`expected ± ${inner}σ`}
          />
          <Line
            dataKey="expected"
            stroke={CHART.expected}
            strokeDasharray="4 4"
            strokeWidth={1.5}
            dot={false}
            activeDot={false}
            isAnimationActive={false}
            name="expected"
          />
          <Line
            dataKey="value"
            stroke={CHART.value}
            strokeWidth={2}
            dot={renderMarkDot}
            isAnimationActive={false}
            name="value"
          />
          <Tooltip
            content={(props) => (
              <PointTooltip
                active={props.active}
                payload={props.payload}
                metric={metric}
                windowMs={windowMs}
                details={details}
              />
            )}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
