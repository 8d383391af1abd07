/**
 * What the explore page (app/metrics/[key]/) shows, as it travels from the server component to
 * the browser. Times are epoch ms.
 */
import type { MetricKind, WindowPoint } from '@/lib/types';
import type { AnnotationView } from '@/lib/views';

export interface ExploreAnomaly {
  id: number;
  severity: 'warn' | 'critical';
  status: 'open' | 'resolved' | 'withdrawn';
  direction: 'up' | 'down';
  firstWindow: number;
  end: number;
  incidentId: number | null;
  sentence: string;
}

/** One line of a split chart; `values` are aligned with {@link ExploreSplit.times}. */
export interface ExploreSplitLine {
  value: string;
  volume: number;
  values: (number | null)[];
}

export interface ExploreSplit {
  dim: string;
  times: number[];
  lines: ExploreSplitLine[];
  /** The rest added up: how many values it holds. */
  other: (ExploreSplitLine & { valueCount: number }) | null;
}

export interface ExploreData {
  metric: {
    id: number;
    key: string;
    name: string;
    kind: MetricKind;
    unit: string;
    enabled: boolean;
    filters: Record<string, string[]>;
  };
  /** The metric's window length. */
  windowMs: number;
  /** The range resolved at `now`. */
  from: number;
  to: number;
  now: number;
  /** The metric (or the slice) over the range with its expected band, downsampled. */
  points: WindowPoint[];
  /** True when `points` were picked per bucket (min and max) out of more windows. */
  downsampled: boolean;
  /** The same range a day or a week earlier, moved onto this range's times. */
  compare: { offsetMs: number; points: WindowPoint[] } | null;
  split: ExploreSplit | null;
  anomalies: ExploreAnomaly[];
  annotations: AnnotationView[];
  /** Dimensions and their values seen lately, for the split and filter pickers. */
  dimensions: { dim: string; values: string[] }[];
  /** Why the view differs from what the URL asked for, in plain sentences. */
  problems: string[];
}
