/**
 * A cube exported as CSV, read into leaf rows: a header row, then one row per leaf; the value
 * columns are named by the caller and every other column is a dimension. Pure (the text is
 * given); every problem is a CubeFileError that names the column and the line.
 */
import { parse } from 'csv-parse/sync';
import type { Leaf, RatioLeaf } from './types';

export interface CubeColumns {
  actual: string;
  expected: string;
  /** Both or neither: the denominator columns of a ratio metric. */
  actualDen?: string;
  expectedDen?: string;
}

export interface CubeTable {
  dims: string[];
  /** RatioLeaf rows when the denominator columns are given. */
  leaves: Leaf[] | RatioLeaf[];
}

export class CubeFileError extends Error {
  override name = 'CubeFileError';
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface Parsed {
  record: string[];
  info: { lines: number };
}

const OPTIONS = { bom: true, skip_empty_lines: true } as const;

/**
 * The line of row `row` (0 = the header). csv-parse's per-record info costs about twice the
 * parse itself (110 ms of a 20,000-row cube's cold start), so the rows are read without it and
 * only a file with an error is read again to name the line.
 */
function lineOf(text: string, row: number): number {
  const rows = parse(text, { ...OPTIONS, info: true }) as unknown as Parsed[];
  return rows[row]?.info.lines ?? row + 1;
}

/** Reads the CSV text of a cube. Throws CubeFileError. */
export function parseCubeCsv(text: string, columns: CubeColumns): CubeTable {
  let rows: string[][];
  try {
    rows = parse(text, OPTIONS) as string[][];
  } catch (error) {
    throw new CubeFileError(
      `not readable as CSV: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (rows.length === 0) throw new CubeFileError('the file is empty: expected a header row');
  const header = rows[0]!.map((name) => name.trim());
  header.forEach((name, i) => {
    if (name === '') throw new CubeFileError(`header: column ${i + 1} has no name`);
    if (header.indexOf(name) !== i)
      throw new CubeFileError(`header: column "${name}" appears twice`);
  });

  const value = {
    actual: columns.actual,
    expected: columns.expected,
    ...(columns.actualDen !== undefined ? { actualDen: columns.actualDen } : {}),
    ...(columns.expectedDen !== undefined ? { expectedDen: columns.expectedDen } : {}),
  };
  const flags: Record<string, string> = {
    actual: '--actual',
    expected: '--expected',
    actualDen: '--actual-den',
    expectedDen: '--expected-den',
  };
  const index: Record<string, number> = {};
  for (const [field, name] of Object.entries(value)) {
    const at = header.indexOf(name);
    if (at === -1) {
      throw new CubeFileError(
        `no column "${name}" for the ${field} values (columns: ${header.join(', ')}); name it with ${flags[field]} COL`,
      );
    }
    index[field] = at;
  }
  const valueColumns = new Set(Object.values(index));
  const dimIndex = header.map((_, i) => i).filter((i) => !valueColumns.has(i));
  if (dimIndex.length === 0) {
    throw new CubeFileError(
      `no dimension columns: every column other than ${Object.values(value).join(', ')} is a dimension`,
    );
  }
  if (rows.length === 1) throw new CubeFileError('no rows after the header');

  const leaves = rows.slice(1).map((record, i) => {
    const line = () => lineOf(text, i + 1);
    const number = (field: string) => {
      const cell = record[index[field]!]!.trim();
      const x = Number(cell);
      if (!NUMBER.test(cell) || !Number.isFinite(x)) {
        throw new CubeFileError(
          `line ${line()}: column "${header[index[field]!]}": expected a number, got "${cell}"`,
        );
      }
      if (x < 0) {
        throw new CubeFileError(
          `line ${line()}: column "${header[index[field]!]}": expected a number ≥ 0, got ${cell}`,
        );
      }
      return x;
    };
    const dims: Record<string, string> = {};
    // An empty cell leaves the dimension out: the leaf has the value (none) there.
    for (const i of dimIndex) if (record[i] !== '') dims[header[i]!] = record[i]!;
    const leaf: Leaf = { dims, actual: number('actual'), expected: number('expected') };
    if (index.actualDen === undefined) return leaf;
    return { ...leaf, actualDen: number('actualDen'), expectedDen: number('expectedDen') };
  });
  return { dims: dimIndex.map((i) => header[i]!), leaves: leaves as Leaf[] | RatioLeaf[] };
}
