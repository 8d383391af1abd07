/** "10 s", "1 min", "1.5 min", "2 h": a window length for people. */
export function formatWindowLength(ms: number): string {
  const round = (x: number) => Number(x.toFixed(1)).toString();
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}
