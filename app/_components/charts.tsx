'use client';
/**
 * Recharts views of a metric's scored windows. Every string drawn here (metric names,
 * dimension values) goes through React text, never markup.
 */
import type { ReactElement } from 'react';
import {
  Area,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
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
import type { Contributor, MetricKind, PointStatus, Severity } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import {
  CHART,
  STATUS_LABEL,
  formatClock,
  formatDateTime,
  formatShare,
  formatZ,
  revealControls,
} from '../_lib/format';
import { EventText } from './event-text';

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

/** The card's small chart: recent windows, the expected ± 3σ band, anomalous points marked. */
export function Sparkline({ points, label }: { points: BoardPoint[]; label: string }) {
  const data = toData(points, 3, null, markOfStatus);
  return (
    <div className="sparkline" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 6, right: 6, bottom: 6, left: 6 }}>
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} hide />
          <YAxis hide domain={['auto', 'auto']} />
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
            activeDot={false}
            isAnimationActive={false}
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

function truncate(text: string, max = 22): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * One dimension's values and their share of the deviation, as horizontal bars. Values that
 * drove the deviation are red; values that pulled the other way are grey.
 */
export function ContributionBars({
  dim,
  contributors,
}: {
  dim: string;
  contributors: Contributor[];
}) {
  const top = [...contributors]
    .sort((a, b) => Math.abs(b.share) - Math.abs(a.share))
    .slice(0, 8)
    .map((c) => ({ label: c.value, share: c.share * 100, raw: c }));
  const height = 40 + top.length * 30;
  return (
    <div
      className="contribution-chart"
      style={{ height }}
      role="img"
      aria-label={revealControls(`Share of the deviation by ${dim}`)}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={top} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 4 }}>
          <CartesianGrid stroke={CHART.grid} horizontal={false} />
          <XAxis
            type="number"
            unit="%"
            stroke={CHART.muted}
            fontSize={12}
            domain={[(min: number) => Math.min(0, Math.floor(min)), 'auto']}
          />
          <YAxis
            type="category"
            dataKey="label"
            width={140}
            stroke={CHART.muted}
            fontSize={12}
            // A tick is SVG text: no <bdi> there, but its overrides are made visible.
            tickFormatter={(v: string) => truncate(revealControls(String(v)))}
            interval={0}
          />
          <Tooltip
            cursor={{ fill: CHART.grid }}
            content={(props) => {
              const entry = props.payload?.[0]?.payload as (typeof top)[number] | undefined;
              if (!props.active || !entry) return null;
              return (
                <div className="chart-tooltip">
                  <div className="chart-tooltip-title">
                    <EventText value={dim} /> = <EventText value={entry.label} />
                  </div>
                  <dl>
                    <dt>Share</dt>
                    <dd>{formatShare(entry.raw.share)}</dd>
                    <dt>Slice z</dt>
                    <dd>{formatZ(entry.raw.z)}</dd>
                  </dl>
                </div>
              );
            }}
          />
          <Bar dataKey="share" isAnimationActive={false} radius={[0, 3, 3, 0]}>
            {top.map((entry) => (
              <Cell key={entry.label} fill={entry.share >= 0 ? CHART.critical : CHART.expected} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
