/**
 * docs/benchmarks.md is written by several benchmarks: `npm run bench` writes its own sections
 * and must keep the others' (history, notifications, board, explore, sockets) as they are.
 */

/** The `## ` sections of a markdown document, each with its heading, in order. */
export function sectionsOf(doc: string): string[] {
  const starts: number[] = [];
  const re = /^## /gm;
  for (let m = re.exec(doc); m; m = re.exec(doc)) starts.push(m.index);
  return starts.map((start, i) => doc.slice(start, starts[i + 1]).trimEnd());
}

/** The sections of `doc` whose heading starts with none of `own` (the ones the caller writes). */
export function otherSections(doc: string, own: readonly string[]): string[] {
  return sectionsOf(doc).filter((s) => !own.some((heading) => s.startsWith(`## ${heading}`)));
}
