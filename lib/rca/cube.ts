/**
 * The cube in numbers: dimension values interned to small integers, duplicate leaves merged,
 * leaves in a canonical order (so results do not depend on the order of the input rows), and
 * every conjunction of up to 3 dimension values (an "element") with the leaves under it.
 */
import { MISSING, RcaInputError, type Elements, type Leaf } from './types';

export interface Cube {
  /** Dimension names, sorted. */
  dims: string[];
  /** Per dimension, its value names, sorted; a leaf stores indices into these. */
  values: string[][];
  /** Number of leaves. */
  n: number;
  /** Leaf i's value index in dimension k is codes[i * dims.length + k]. */
  codes: Int32Array;
  actual: Float64Array;
  expected: Float64Array;
  /** Extra additive columns merged like actual and expected (ratio denominators). */
  extra: Float64Array[];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function checkValue(what: string, value: unknown, row: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RcaInputError(
      `leaf ${row}: ${what} must be a finite number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Builds the cube from leaf rows. `extra` reads further additive columns of each row (checked
 * like actual and expected). Throws RcaInputError for a value that is not a finite number ≥ 0.
 */
export function buildCube<L extends Leaf>(
  leaves: readonly L[],
  extra: { name: string; read: (leaf: L) => number }[] = [],
): Cube {
  const dimSet = new Set<string>();
  for (const leaf of leaves) for (const dim of Object.keys(leaf.dims)) dimSet.add(dim);
  const dims = [...dimSet].sort(compare);
  const d = dims.length;

  const valueSets = dims.map(() => new Set<string>());
  leaves.forEach((leaf) => {
    dims.forEach((dim, k) => valueSets[k]!.add(leaf.dims[dim] ?? MISSING));
  });
  const values = valueSets.map((set) => [...set].sort(compare));
  const index = values.map((list) => new Map(list.map((v, i) => [v, i])));

  // Merge rows with the same dims: the leaf is the combination of values, not the row.
  const merged = new Map<string, { codes: number[]; sums: number[] }>();
  leaves.forEach((leaf, row) => {
    const codes = dims.map((dim, k) => index[k]!.get(leaf.dims[dim] ?? MISSING)!);
    const nums = [
      checkValue('actual', leaf.actual, row),
      checkValue('expected', leaf.expected, row),
      ...extra.map((column) => checkValue(column.name, column.read(leaf), row)),
    ];
    const key = codes.join(',');
    const found = merged.get(key);
    if (found) nums.forEach((x, j) => (found.sums[j]! += x));
    else merged.set(key, { codes, sums: nums });
  });

  const rows = [...merged.values()].sort((a, b) => {
    for (let k = 0; k < d; k++) {
      const diff = a.codes[k]! - b.codes[k]!;
      if (diff !== 0) return diff;
    }
    return 0;
  });
  const n = rows.length;
  const codes = new Int32Array(n * d);
  const actual = new Float64Array(n);
  const expected = new Float64Array(n);
  const extras = extra.map(() => new Float64Array(n));
  rows.forEach((row, i) => {
    codes.set(row.codes, i * d);
    actual[i] = row.sums[0]!;
    expected[i] = row.sums[1]!;
    extras.forEach((column, j) => (column[i] = row.sums[2 + j]!));
  });
  return { dims, values, n, codes, actual, expected, extra: extras };
}

/** A conjunction of values of 1–3 dimensions and the leaves under it. */
export interface Element {
  /** Dimension indices, ascending. */
  dims: number[];
  /** Value index per dimension in `dims`. */
  values: number[];
  /** Indices of the leaves under it, ascending. */
  leaves: Int32Array;
}

/** All subsets of {0…d−1} of the given size, in lexicographic order. */
function combinations(d: number, size: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === size) {
      out.push(chosen.slice());
      return;
    }
    for (let k = start; k < d; k++) {
      chosen.push(k);
      pick(k + 1, chosen);
      chosen.pop();
    }
  };
  pick(0, []);
  return out;
}

/**
 * Every conjunction of 1…maxDepth dimensions that has leaves, shallow cuboids first, in a fixed
 * order. Left out: conjunctions covering every leaf (a dimension with one value), which separate
 * nothing, and conjunctions with exactly the leaves of a shallower one inside them (in a sparse
 * cube most deep conjunctions are a single leaf already named by a shallower conjunction):
 * parsimony would name the shallower one anyway, and they would only cost time.
 */
export function enumerateElements(cube: Cube, maxDepth: number): Element[] {
  const d = cube.dims.length;
  const radix = cube.values.map((list) => list.length);
  const out: Element[] = [];
  /** Leaves per code, per cuboid (key: its dimensions joined by ','). */
  const sizes = new Map<string, Map<number, number>>();
  for (let depth = 1; depth <= Math.min(maxDepth, d); depth++) {
    for (const cuboid of combinations(d, depth)) {
      // The parents of this cuboid's conjunctions: drop one dimension.
      const parents =
        depth > 1
          ? cuboid.map((_, j) => ({
              skip: j,
              size: sizes.get(cuboid.filter((__, x) => x !== j).join(','))!,
            }))
          : [];
      const parentCode = (values: readonly number[], skip: number) => {
        let code = 0;
        for (let x = 0; x < cuboid.length; x++) {
          if (x !== skip) code = code * radix[cuboid[x]!]! + values[x]!;
        }
        return code;
      };
      // Group the leaves by their values in the cuboid (mixed-radix code), in code order.
      const codes = new Float64Array(cube.n);
      const groupOf = new Map<number, number>();
      const counts: number[] = [];
      for (let i = 0; i < cube.n; i++) {
        let code = 0;
        for (const k of cuboid) code = code * radix[k]! + cube.codes[i * d + k]!;
        codes[i] = code;
        const g = groupOf.get(code);
        if (g === undefined) {
          groupOf.set(code, counts.length);
          counts.push(1);
        } else counts[g]!++;
      }
      const sorted = [...groupOf.keys()].sort((a, b) => a - b);
      const lists = counts.map((c) => new Int32Array(c));
      const fill = new Int32Array(counts.length);
      for (let i = 0; i < cube.n; i++) {
        const g = groupOf.get(codes[i]!)!;
        lists[g]![fill[g]!++] = i;
      }
      const size = new Map<number, number>();
      for (const code of sorted) {
        const leaves = lists[groupOf.get(code)!]!;
        size.set(code, leaves.length);
        if (leaves.length === cube.n) continue;
        const first = leaves[0]!;
        const values = cuboid.map((k) => cube.codes[first * d + k]!);
        // Exactly the leaves of a parent: the parent names them with fewer values.
        if (parents.some((p) => p.size.get(parentCode(values, p.skip)) === leaves.length)) {
          continue;
        }
        out.push({ dims: cuboid, values, leaves });
      }
      sizes.set(cuboid.join(','), size);
    }
  }
  return out;
}

/** The element as `{ dim: value }`, keys in dimension order. */
export function elementsOf(cube: Cube, element: Element): Elements {
  const out: Elements = {};
  element.dims.forEach((k, j) => (out[cube.dims[k]!] = cube.values[k]![element.values[j]!]!));
  return out;
}

/** "region=eu-west AND device=android". */
export function describeElements(elements: Elements): string {
  return Object.entries(elements)
    .map(([dim, value]) => `${dim}=${value}`)
    .join(' AND ');
}
