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

  // Intern each dimension's values in order of appearance, then renumber them in sorted order.
  const m = leaves.length;
  const raw = new Int32Array(m * d);
  const seen = dims.map(() => new Map<string, number>());
  leaves.forEach((leaf, row) => {
    for (let k = 0; k < d; k++) {
      const value = leaf.dims[dims[k]!] ?? MISSING;
      const map = seen[k]!;
      let code = map.get(value);
      if (code === undefined) map.set(value, (code = map.size));
      raw[row * d + k] = code;
    }
  });
  const values = seen.map((map) => [...map.keys()].sort(compare));
  const rank = seen.map((map, k) => {
    const sorted = new Int32Array(map.size);
    values[k]!.forEach((v, i) => (sorted[map.get(v)!] = i));
    return sorted;
  });
  for (let row = 0; row < m; row++) {
    for (let k = 0; k < d; k++) raw[row * d + k] = rank[k]![raw[row * d + k]!]!;
  }
  const width = 2 + extra.length;
  const nums = new Float64Array(m * width);
  leaves.forEach((leaf, row) => {
    nums[row * width] = checkValue('actual', leaf.actual, row);
    nums[row * width + 1] = checkValue('expected', leaf.expected, row);
    extra.forEach(
      (column, j) => (nums[row * width + 2 + j] = checkValue(column.name, column.read(leaf), row)),
    );
  });

  // Rows in the order of their values (first dimension first); rows with the same dims are one
  // leaf: the leaf is the combination of values, not the row.
  const byValues = (x: number, y: number) => {
    for (let k = 0; k < d; k++) {
      const diff = raw[x * d + k]! - raw[y * d + k]!;
      if (diff !== 0) return diff;
    }
    return x - y;
  };
  const order = Int32Array.from({ length: m }, (_, i) => i).sort(byValues);
  const same = (x: number, y: number) => {
    for (let k = 0; k < d; k++) if (raw[x * d + k] !== raw[y * d + k]) return false;
    return true;
  };
  let n = 0;
  for (let j = 0; j < m; j++) if (j === 0 || !same(order[j - 1]!, order[j]!)) n++;
  const codes = new Int32Array(n * d);
  const actual = new Float64Array(n);
  const expected = new Float64Array(n);
  const extras = extra.map(() => new Float64Array(n));
  let i = -1;
  for (let j = 0; j < m; j++) {
    const row = order[j]!;
    if (j === 0 || !same(order[j - 1]!, row)) {
      i++;
      codes.set(raw.subarray(row * d, row * d + d), i * d);
    }
    actual[i]! += nums[row * width]!;
    expected[i]! += nums[row * width + 1]!;
    extras.forEach((column, x) => (column[i]! += nums[row * width + 2 + x]!));
  }
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
  const n = cube.n;
  const radix = cube.values.map((list) => list.length);
  const out: Element[] = [];
  /** Leaves per code, per cuboid (key: its dimensions joined by ','). */
  const sizes = new Map<string, (code: number) => number>();
  const codes = new Float64Array(n);
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
      // Group the leaves by their values in the cuboid (mixed-radix code), in code order: a
      // counting sort over the codes when they are few (a cuboid of 3 dimensions of 40 values
      // has 64 000), else a sort of the codes present.
      let product = 1;
      const mult = new Float64Array(depth);
      for (let j = depth - 1; j >= 0; j--) {
        mult[j] = product;
        product *= radix[cuboid[j]!]!;
      }
      const at = Int32Array.from(cuboid);
      const leafCodes = cube.codes;
      for (let i = 0, o = 0; i < n; i++, o += d) {
        let code = 0;
        for (let j = 0; j < depth; j++) code += leafCodes[o + at[j]!]! * mult[j]!;
        codes[i] = code;
      }
      const order = new Int32Array(n);
      const groups: { code: number; from: number; to: number }[] = [];
      let size: (code: number) => number;
      if (product <= Math.max(1 << 16, 4 * n)) {
        const start = new Int32Array(product + 1);
        for (let i = 0; i < n; i++) start[codes[i]! + 1]!++;
        for (let c = 0; c < product; c++) start[c + 1]! += start[c]!;
        const fill = start.slice(0, product);
        for (let i = 0; i < n; i++) order[fill[codes[i]!]!++] = i;
        for (let c = 0; c < product; c++) {
          if (start[c + 1]! > start[c]!)
            groups.push({ code: c, from: start[c]!, to: start[c + 1]! });
        }
        size = (code) => start[code + 1]! - start[code]!;
      } else {
        order.forEach((_, i) => (order[i] = i));
        order.sort((x, y) => codes[x]! - codes[y]! || x - y);
        const count = new Map<number, number>();
        for (let j = 0; j < n;) {
          let k = j;
          while (k < n && codes[order[k]!] === codes[order[j]!]) k++;
          groups.push({ code: codes[order[j]!]!, from: j, to: k });
          count.set(codes[order[j]!]!, k - j);
          j = k;
        }
        size = (code) => count.get(code) ?? 0;
      }
      for (const { from, to } of groups) {
        const count = to - from;
        if (count === n) continue;
        const first = order[from]!;
        const values = cuboid.map((k) => cube.codes[first * d + k]!);
        // Exactly the leaves of a parent: the parent names them with fewer values.
        if (parents.some((p) => p.size(parentCode(values, p.skip)) === count)) continue;
        out.push({ dims: cuboid, values, leaves: order.subarray(from, to) });
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
