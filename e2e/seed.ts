/**
 * Data the e2e specs seed straight into the e2e server's database, so that they neither wait for
 * nor disturb the simulator: a paused metric of their own (the detector leaves paused metrics
 * alone) with 40 minutes of rollups and leaf cube in two regions and two devices, where
 * region=mars-1 falls to a tenth in the last minute, its scored windows, and an open anomaly
 * whose root cause is region=mars-1.
 */
import postgres from 'postgres';
import { embeddedUrl } from '../db/embedded';
import { E2E } from '../playwright.config';

/** The e2e server's window. */
export const W = 10_000;
const WINDOWS = 240;
const DROP_WINDOWS = 6;
const REGIONS = { 'mars-1': 40, 'venus-2': 20 } as const;

/** A connection to the e2e server's embedded PostgreSQL. */
export async function e2eDatabase(): Promise<postgres.Sql> {
  const url = await embeddedUrl({ dir: E2E.dataDir, port: E2E.pgPort });
  if (!url) throw new Error('the e2e server has not initialised its embedded PostgreSQL');
  return postgres(url, { max: 1, onnotice: () => undefined });
}

export interface SeededMetric {
  anomalyId: number;
  /** The anomaly's first window (epoch ms). */
  firstWindow: number;
}

/** Seeds the metric `key` (events of `type`) with its drop; see the module's comment. */
export async function seedSliceMetric(
  sql: postgres.Sql,
  { key, type, name }: { key: string; type: string; name: string },
): Promise<SeededMetric> {
  await removeSliceMetric(sql, { key, type });
  const [metric] = await sql<{ id: number }[]>`
    insert into metrics (key, name, kind, event_type, enabled)
    values (${key}, ${name}, 'count', ${type}, false)
    returning id`;
  const end = Math.floor(Date.now() / W) * W;
  const start = end - WINDOWS * W;
  const firstWindow = end - DROP_WINDOWS * W;
  const rows: {
    window_start: Date;
    event_type: string;
    dim: string;
    value: string;
    measure: string;
    count: number;
    sum: number;
    sumsq: number;
    min: number;
    max: number;
  }[] = [];
  const leaves: {
    window_start: Date;
    event_type: string;
    leaf: string;
    measure: string;
    count: number;
    sum: number;
    sumsq: number;
  }[] = [];
  const points: {
    metric_id: number;
    window_start: Date;
    value: number;
    expected: number;
    sigma: number;
    z: number;
    volume: number;
    status: string;
  }[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const at = start + w * W;
    const dropped = at >= firstWindow;
    const counts: Record<string, number> = {};
    for (const [region, base] of Object.entries(REGIONS)) {
      counts[region] = dropped && region === 'mars-1' ? 4 : base + ((w * 7) % 5);
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const cell = (dim: string, value: string, count: number) =>
      rows.push({
        window_start: new Date(at),
        event_type: type,
        dim,
        value,
        measure: '',
        count,
        sum: 0,
        sumsq: 0,
        min: 0,
        max: 0,
      });
    cell('*', '*', total);
    let ios = 0;
    for (const [region, n] of Object.entries(counts)) {
      cell('region', region, n);
      // The leaf cube too: a split of a slice (device=ios by region) reads it.
      const inIos = Math.round(n / 3);
      ios += inIos;
      for (const [device, count] of [
        ['ios', inIos],
        ['android', n - inIos],
      ] as const) {
        leaves.push({
          window_start: new Date(at),
          event_type: type,
          leaf: JSON.stringify({ device, region }),
          measure: '',
          count,
          sum: 0,
          sumsq: 0,
        });
      }
    }
    cell('device', 'ios', ios);
    cell('device', 'android', total - ios);
    points.push({
      metric_id: metric!.id,
      window_start: new Date(at),
      value: total,
      expected: 62,
      sigma: 3,
      z: (total - 62) / 3,
      volume: total,
      status: dropped ? 'critical' : 'ok',
    });
  }
  for (let i = 0; i < rows.length; i += 500)
    await sql`insert into rollups ${sql(rows.slice(i, i + 500))}`;
  for (let i = 0; i < leaves.length; i += 500)
    await sql`insert into leaf_rollups ${sql(leaves.slice(i, i + 500))}`;
  await sql`insert into metric_points ${sql(points)}`;
  const explanation = {
    dimensions: {},
    top: [],
    sentence: `region=mars-1 drives the drop of ${name}`,
    rootCause: { set: [{ region: 'mars-1' }], candidates: [], sentence: 'region=mars-1' },
  };
  const last = end - W;
  // Stamped at the end of its data, not when this insert runs: the drill-down's pivot range
  // reaches to the anomaly's last change, and a stamp past `end + W` (the seeding above crossing
  // a window boundary on a loaded machine) would take in a window with no events, a count of 0.
  const [anomaly] = await sql<{ id: number }[]>`
    insert into anomalies (metric_id, status, severity, direction, first_window, last_window,
      peak_window, value, expected, sigma, z, explanation, sentence, created_at, updated_at)
    values (${metric!.id}, 'open', 'critical', 'down', ${new Date(firstWindow)}, ${new Date(last)},
      ${new Date(last)}, 24, 62, 3, -12.7, ${sql.json(explanation)}, ${explanation.sentence},
      ${new Date(end)}, ${new Date(end)})
    returning id`;
  return { anomalyId: anomaly!.id, firstWindow };
}

/** Removes what {@link seedSliceMetric} wrote. */
export async function removeSliceMetric(
  sql: postgres.Sql,
  { key, type }: { key: string; type: string },
) {
  await sql`delete from metrics where key = ${key}`; // cascades to points and anomalies
  await sql`delete from rollups where event_type = ${type}`;
  await sql`delete from leaf_rollups where event_type = ${type}`;
}
