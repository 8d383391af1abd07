/**
 * Share of the change by dimension: one card per dimension, one bar per value. A bar's length
 * is the value's share of its dimension's change; the tick on its track is its share of the
 * expected total — where a value that only followed its traffic would end. Colour says which
 * values moved beyond their share (lib/detection/breakdown.ts classifySlices): one hue for up,
 * another for down, grey for those that followed their traffic. Colour is never alone: each
 * row says its direction with an arrow and its verdict in words, and the legend says what the
 * colours mean.
 *
 * HTML rather than a chart library's SVG: the values are links (to the explore page filtered
 * to them), which an SVG image cannot offer to a keyboard or a screen reader.
 */
import { classifySlices, type SliceTone } from '@/lib/detection/breakdown';
import type { Contributor, MetricKind } from '@/lib/types';
import { EventText } from '../../_components/event-text';
import { formatShare, formatSliceChange, revealControls, shareNote } from '../../_lib/format';
import { PivotLink, type PivotContext } from './pivot-link';

/** Values shown per dimension, the largest shares of the change first. */
const SHOWN = 8;

const TONE_CLASS = (tone: SliceTone) =>
  tone.beyondShare ? `tone-${tone.direction}` : 'tone-neutral';

/** The row's verdict in words: what the colour says, for those who do not see it. */
function verdict(tone: SliceTone, share: number): string {
  switch (tone.reason) {
    case 'beyond':
      return `${tone.direction === 'up' ? 'rose' : 'fell'} more than its share`;
    case 'share':
      return share < 0 ? 'barely moved' : 'moved with its share';
    case 'noise':
      return 'within its normal variation';
    case 'flat':
      return tone.direction === 'flat' ? 'did not move' : "its dimension's changes cancel out";
  }
}

export function BreakdownSection({
  dimensions,
  kind,
  change,
  pivot,
}: {
  dimensions: [string, Contributor[]][];
  kind: MetricKind;
  change: 'drop' | 'rise';
  pivot: PivotContext;
}) {
  return (
    <section aria-labelledby="breakdown-heading">
      <h2 id="breakdown-heading" className="section-title">
        Share of the {change} by dimension
      </h2>
      <BreakdownLegend change={change} />
      <div className="breakdown-grid">
        {dimensions.map(([dim, list]) => (
          <div className="card" key={dim} data-testid={`dimension-${dim}`}>
            <h3 className="card-title">
              <EventText value={dim} />
            </h3>
            <DimensionBars
              dim={dim}
              contributors={list}
              kind={kind}
              change={change}
              pivot={pivot}
            />
          </div>
        ))}
      </div>
    </section>
  );
}

function BreakdownLegend({ change }: { change: 'drop' | 'rise' }) {
  return (
    <ul className="legend breakdown-legend" data-testid="breakdown-legend">
      <li>
        <span className="swatch swatch-tone-down" aria-hidden="true" />
        Orange ▼: fell by more than its usual share of the total explains
      </li>
      <li>
        <span className="swatch swatch-tone-up" aria-hidden="true" />
        Blue ▲: rose by more than its usual share of the total explains
      </li>
      <li>
        <span className="swatch swatch-tone-neutral" aria-hidden="true" />
        Grey: moved about as its usual share predicts; it only followed its traffic
      </li>
      <li>
        <span className="swatch swatch-marker" aria-hidden="true" />
        Tick: its usual share of the total, where its bar would end had it only followed its
        traffic. A bar left of zero moved against the {change}.
      </li>
    </ul>
  );
}

/** One dimension's values as bars on a shared scale, zero where the shares start. */
function DimensionBars({
  dim,
  contributors,
  kind,
  change,
  pivot,
}: {
  dim: string;
  contributors: Contributor[];
  kind: MetricKind;
  change: 'drop' | 'rise';
  pivot: PivotContext;
}) {
  // Classified over the whole dimension (expected shares need every value), then the top few.
  const tones = classifySlices(contributors, kind);
  const rows = contributors
    .map((c, i) => ({ c, tone: tones[i]! }))
    .sort((a, b) => Math.abs(b.c.share) - Math.abs(a.c.share))
    .slice(0, SHOWN);
  const lo = Math.min(0, ...rows.map((r) => r.c.share));
  const hi = Math.max(0.01, ...rows.map((r) => Math.max(r.c.share, r.tone.expectedShare)));
  const at = (x: number) => `${(((x - lo) / (hi - lo)) * 100).toFixed(2)}%`;
  const hidden = contributors.length - rows.length;
  return (
    <>
      <ul
        className="breakdown-bars"
        aria-label={revealControls(`Share of the ${change} by ${dim}`)}
      >
        {rows.map(({ c, tone }) => {
          // Above the whole only: a value against the change says so in its verdict.
          const note = c.share > 0 ? shareNote(c.share, change, `the other ${dim} values`) : null;
          const left = Math.min(0, c.share);
          const right = Math.max(0, c.share);
          return (
            <li
              key={c.value}
              className={`breakdown-row ${TONE_CLASS(tone)}`}
              data-tone={tone.beyondShare ? tone.direction : 'neutral'}
            >
              <PivotLink pivot={pivot} filter={{ [dim]: c.value }} className="breakdown-label">
                <EventText value={c.value} />
              </PivotLink>
              <span className="breakdown-track" aria-hidden="true">
                <span className="breakdown-zero" style={{ left: at(0) }} />
                <span
                  className="breakdown-bar"
                  style={{ left: at(left), width: `calc(${at(right)} - ${at(left)})` }}
                />
                <span className="breakdown-marker" style={{ left: at(tone.expectedShare) }} />
              </span>
              <span className="breakdown-share">{formatShare(c.share)}</span>
              <span className="breakdown-detail muted">
                {formatSliceChange(c.actual, c.expected)} against expected · usually{' '}
                {formatShare(tone.expectedShare)} of the total · {verdict(tone, c.share)}
                {note ? `; ${note}` : ''}
              </span>
            </li>
          );
        })}
      </ul>
      {hidden > 0 ? (
        <p className="muted footnote">
          {hidden} more {hidden === 1 ? 'value' : 'values'} with smaller shares not shown.
        </p>
      ) : null}
    </>
  );
}
