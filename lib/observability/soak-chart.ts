/**
 * The chart of `npm run soak` (pure): RSS per kind of process and database size over the run,
 * as an SVG with two panels on a white background.
 */
import { MEMORY_SERIES, SERIES_LABELS, type MemorySeries, type SoakSample } from './soak-report';

const SERIES_COLORS: Record<MemorySeries, string> = {
  supervisor: '#6b7280',
  web: '#2563eb',
  worker: '#dc2626',
  simulator: '#16a34a',
  postgres: '#9333ea',
  pg_backends: '#d97706',
  other: '#0891b2',
};

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

const mb = (bytes: number) => bytes / 2 ** 20;

const esc = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  top: number;
  height: number;
  title: string;
  lines: { label: string; color: string; values: number[] }[];
}

/** RSS per process and database size over the run: two panels, white background. */
export function renderSoakSvg(samples: readonly SoakSample[]): string {
  const width = 760;
  const left = 56;
  const right = 190;
  const plotWidth = width - left - right;
  const memory = MEMORY_SERIES.filter((s) => samples.some((x) => x.memoryMb[s] > 0));
  const panels: Panel[] = [
    {
      top: 36,
      height: 220,
      title: 'RSS per process (MB)',
      lines: memory.map((s) => ({
        label: SERIES_LABELS[s],
        color: SERIES_COLORS[s],
        values: samples.map((x) => x.memoryMb[s]),
      })),
    },
    {
      top: 310,
      height: 110,
      title: 'Database size (MB)',
      lines: [
        { label: 'pg_database_size', color: '#111827', values: samples.map((x) => mb(x.dbBytes)) },
      ],
    },
  ];
  const height = 460;
  const minutes = samples.map((x) => x.elapsedMs / 60_000);
  const xMax = Math.max(1e-9, ...minutes);
  const xTicks = niceTicks(0, xMax, 6).filter((t) => t <= xMax + 1e-9);
  const x = (m: number) => left + (m / xMax) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  for (const panel of panels) {
    const values = panel.lines.flatMap((l) => l.values);
    const yMax = Math.max(1, ...values) * 1.05;
    const yTicks = niceTicks(0, yMax, 4).filter((t) => t <= yMax);
    const bottom = panel.top + panel.height;
    const y = (v: number) => bottom - (v / yMax) * panel.height;
    parts.push(
      `<text x="${left}" y="${panel.top - 12}" font-size="13" font-weight="600" fill="#111827">${esc(panel.title)}</text>`,
    );
    for (const t of yTicks) {
      parts.push(
        `<line x1="${left}" x2="${left + plotWidth}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e7eb"/>`,
        `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#374151">${t}</text>`,
      );
    }
    for (const t of xTicks) {
      parts.push(
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${panel.top}" y2="${bottom}" stroke="#f3f4f6"/>`,
        `<text x="${x(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle" fill="#374151">${t}</text>`,
      );
    }
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#9ca3af"/>`,
      `<line x1="${left}" x2="${left}" y1="${panel.top}" y2="${bottom}" stroke="#9ca3af"/>`,
    );
    panel.lines.forEach((line, i) => {
      const points = line.values.map((v, j) => `${x(minutes[j]!).toFixed(1)},${y(v).toFixed(1)}`);
      parts.push(
        `<polyline fill="none" stroke="${line.color}" stroke-width="1.8" points="${points.join(' ')}"/>`,
      );
      if (points.length === 1) {
        const [px, py] = points[0]!.split(',');
        parts.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${line.color}"/>`);
      }
      const ly = panel.top + 8 + i * 18;
      const last = line.values.at(-1);
      parts.push(
        `<line x1="${left + plotWidth + 14}" x2="${left + plotWidth + 32}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="3"/>`,
        `<text x="${left + plotWidth + 38}" y="${ly + 4}" fill="#111827">${esc(line.label)}${last === undefined ? '' : ` ${last.toFixed(0)}`}</text>`,
      );
    });
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" fill="#374151">minutes since the product was up</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}
