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
  for (const leaf of leaves) for (const dim in leaf.dims) dimSet.add(dim);
  const dims = [...dimSet].sort(compare);
  const d = dims.length;

  // Intern each dimension's values in order of appearance, then renumber them in sorted order.
  const m = leaves.length;
  const raw = new Int32Array(m * d);
  const seen = dims.map(() => new Map<string, number>());
  const width = 2 + extra.length;
  const nums = new Float64Array(m * width);
  for (let row = 0; row < m; row++) {
    const leaf = leaves[row]!;
    const own = leaf.dims;
    for (let k = 0; k < d; k++) {
      const value = own[dims[k]!] ?? MISSING;
      const map = seen[k]!;
      let code = map.get(value);
      if (code === undefined) map.set(value, (code = map.size));
      raw[row * d + k] = code;
    }
    nums[row * width] = checkValue('actual', leaf.actual, row);
    nums[row * width + 1] = checkValue('expected', leaf.expected, row);
    for (let j = 0; j < extra.length; j++) {
      const column = extra[j]!;
      nums[row * width + 2 + j] = checkValue(column.name, column.read(leaf), row);
    }
  }
  const values = seen.map((map) => [...map.keys()].sort(compare));
  const rank = seen.map((map, k) => {
    const sorted = new Int32Array(map.size);
    values[k]!.forEach((v, i) => (sorted[map.get(v)!] = i));
    return sorted;
  });
  for (let row = 0; row < m; row++) {
    for (let k = 0; k < d; k++) raw[row * d + k] = rank[k]![raw[row * d + k]!]!;
  }

  // Rows in the order of their values (first dimension first, then input order); rows with the
  // same dims are one leaf: the leaf is the combination of values, not the row. A stable
  // counting sort per dimension, last dimension first (LSD radix sort): O(rows × dimensions).
  let order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  let next = new Int32Array(m);
  for (let k = d - 1; k >= 0; k--) {
    const start = new Int32Array(values[k]!.length + 1);
    for (let row = 0; row < m; row++) start[raw[row * d + k]! + 1]!++;
    for (let v = 1; v < start.length; v++) start[v]! += start[v - 1]!;
    for (let j = 0; j < m; j++) {
      const row = order[j]!;
      next[start[raw[row * d + k]!]!++] = row;
    }
    [order, next] = [next, order];
  }
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
      for (let k = 0; k < d; k++) codes[i * d + k] = raw[row * d + k]!;
    }
    actual[i]! += nums[row * width]!;
    expected[i]! += nums[row * width + 1]!;
    for (let x = 0; x < extras.length; x++) extras[x]![i]! += nums[row * width + 2 + x]!;
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
 * The leaves in order of their code in one cuboid (mixed-radix code of their values there), by
 * a counting sort; `start[c]…start[c + 1]` are the positions of code c in `order`.
 */
function countingSort(
  codes: Int32Array,
  n: number,
  product: number,
  order: Int32Array,
): Int32Array {
  const start = new Int32Array(product + 1);
  for (let i = 0; i < n; i++) start[codes[i]! + 1]!++;
  for (let c = 0; c < product; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, product);
  for (let i = 0; i < n; i++) order[fill[codes[i]!]!++] = i;
  return start;
}

/** Each leaf's code in the cuboid of dimensions `at` (mult: the radix weights). */
function cuboidCodes(
  leafCodes: Int32Array,
  n: number,
  d: number,
  at: Int32Array,
  mult: Int32Array,
  out: Int32Array,
): void {
  const depth = at.length;
  for (let i = 0, o = 0; i < n; i++, o += d) {
    let code = 0;
    for (let j = 0; j < depth; j++) code += leafCodes[o + at[j]!]! * mult[j]!;
    out[i] = code;
  }
}

/** The cuboid's conjunctions, for a cuboid with more codes than a counting sort can afford. */
function sortedByCode(cube: Cube, at: Int32Array, order: Int32Array): Float64Array {
  const d = cube.dims.length;
  const n = cube.n;
  const codes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let code = 0;
    for (let j = 0; j < at.length; j++) {
      code = code * cube.values[at[j]!]!.length + cube.codes[i * d + at[j]!]!;
    }
    codes[i] = code;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => codes[x]! - codes[y]! || x - y);
  const sorted = new Float64Array(n);
  for (let j = 0; j < n; j++) sorted[j] = codes[order[j]!]!;
  return sorted;
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
  const leafCodes = cube.codes;
  const out: Element[] = [];
  /** Per cuboid (key: its dimensions joined by ','): its radix weights and leaves per code. */
  const cuboids = new Map<string, { mult: Float64Array; size: (code: number) => number }>();
  const codes = new Int32Array(n);
  for (let depth = 1; depth <= Math.min(maxDepth, d); depth++) {
    for (const cuboid of combinations(d, depth)) {
      // The parents of this cuboid's conjunctions (drop one dimension): their size lookup and,
      // per parent, the weights that turn this cuboid's values into the parent's code.
      const parents = cuboid.map((_, j) => {
        const parent = cuboids.get(cuboid.filter((__, x) => x !== j).join(','));
        const weights = new Float64Array(depth);
        if (parent)
          for (let x = 0; x < depth; x++) if (x !== j) weights[x] = parent.mult[x < j ? x : x - 1]!;
        return parent ? { size: parent.size, weights } : null;
      });
      const at = Int32Array.from(cuboid);
      let product = 1;
      const mult = new Float64Array(depth);
      for (let j = depth - 1; j >= 0; j--) {
        mult[j] = product;
        product *= radix[cuboid[j]!]!;
      }
      // Group the leaves by their values in the cuboid, in code order: a counting sort over the
      // codes when they are few (a cuboid of 3 dimensions of 40 values has 64 000), else a sort
      // of the codes present.
      const order = new Int32Array(n);
      let sorted: Int32Array | Float64Array;
      let size: (code: number) => number;
      if (product <= Math.max(1 << 16, 4 * n)) {
        cuboidCodes(leafCodes, n, d, at, Int32Array.from(mult), codes);
        const start = countingSort(codes, n, product, order);
        const list = new Int32Array(n);
        for (let j = 0; j < n; j++) list[j] = codes[order[j]!]!;
        sorted = list;
        size = (code) => start[code + 1]! - start[code]!;
      } else {
        const list = sortedByCode(cube, at, order);
        sorted = list;
        const count = new Map<number, number>();
        for (let j = 0; j < n;) {
          let k = j;
          while (k < n && list[k] === list[j]) k++;
          count.set(list[j]!, k - j);
          j = k;
        }
        size = (code) => count.get(code) ?? 0;
      }
      // Runs of one code are the cuboid's conjunctions.
      for (let from = 0; from < n;) {
        let to = from + 1;
        while (to < n && sorted[to] === sorted[from]) to++;
        const count = to - from;
        const first = order[from]!;
        const leaves = from;
        from = to;
        if (count === n) continue;
        const values: number[] = [];
        for (let j = 0; j < depth; j++) values.push(leafCodes[first * d + at[j]!]!);
        // Exactly the leaves of a parent: the parent names them with fewer values.
        let parentSame = false;
        for (let j = 0; j < depth && !parentSame; j++) {
          const parent = parents[j];
          if (!parent) continue;
          let code = 0;
          for (let x = 0; x < depth; x++) code += values[x]! * parent.weights[x]!;
          parentSame = parent.size(code) === count;
        }
        if (parentSame) continue;
        out.push({ dims: cuboid, values, leaves: order.subarray(leaves, to) });
      }
      cuboids.set(cuboid.join(','), { mult, size });
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
