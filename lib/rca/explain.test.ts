import { describe, expect, it } from 'vitest';
import { explainCube, MISSING, RcaInputError, type Leaf } from './index';
import { rng } from './generate';

type Dims = Record<string, string>;

/** Every combination of the given dimension values, with expected and actual from callbacks. */
function cube(
  values: Record<string, string[]>,
  expected: (dims: Dims) => number,
  actual: (dims: Dims, expected: number) => number,
): Leaf[] {
  let combos: Dims[] = [{}];
  for (const [dim, list] of Object.entries(values)) {
    combos = combos.flatMap((c) => list.map((v) => ({ ...c, [dim]: v })));
  }
  return combos.map((dims) => {
    const f = expected(dims);
    return { dims, expected: f, actual: actual(dims, f) };
  });
}

const DIMS = {
  region: ['eu', 'us', 'apac', 'latam'],
  device: ['ios', 'android', 'web'],
  plan: ['free', 'pro'],
};
const SIZE: Record<string, number> = {
  eu: 3,
  us: 4,
  apac: 2,
  latam: 1,
  ios: 3,
  android: 4,
  web: 2,
  free: 5,
  pro: 1,
};
const volume = (d: Dims) => 40 * Object.values(d).reduce((p, v) => p * (SIZE[v] ?? 1), 1);

/** Actual = expected × change × (1 ± 2% deterministic noise), rounded like a count. */
function noisy(seed: number, change: (d: Dims) => number) {
  const random = rng(seed);
  return (d: Dims, f: number) => Math.round(f * change(d) * (1 + 0.04 * (random() - 0.5)));
}

describe('explainCube', () => {
  it('names a single dimension value that carries a drop', () => {
    const leaves = cube(
      DIMS,
      volume,
      noisy(1, (d) => (d.region === 'eu' ? 0.5 : 1)),
    );
    const result = explainCube(leaves, { metricName: 'purchases' });
    expect(result.rootCause).toEqual([{ region: 'eu' }]);
    expect(result.candidates[0]!.elements).toEqual({ region: 'eu' });
    expect(result.candidates[0]!.explains).toBeGreaterThan(0.9);
    expect(result.candidates[0]!.z).toBeLessThan(-10);
    expect(result.sentence).toMatch(
      /^Purchases in region=eu fell 5\d%, [\d,]+ instead of about [\d,]+: that is (all|9\d%) of the drop/,
    );
  });

  it('names a conjunction when no single value explains the change', () => {
    const change = (d: Dims) => (d.region === 'eu' && d.device === 'android' ? 0.3 : 1);
    const result = explainCube(cube(DIMS, volume, noisy(2, change)));
    expect(result.rootCause).toEqual([{ region: 'eu', device: 'android' }]);
    expect(result.sentence).toMatch(
      /^The total in device=android AND region=eu fell 7\d%, .*: that is (all|\d+%) of the drop/,
    );
    // Its parents explain part of it; the conjunction ranks first and explains it all.
    const parent = result.candidates.find((c) => JSON.stringify(c.elements) === '{"region":"eu"}');
    expect(parent?.score ?? 0).toBeLessThan(result.candidates[0]!.score);
  });

  it('names a three-dimension conjunction, and several causes at once', () => {
    const three = (d: Dims) =>
      d.region === 'us' && d.device === 'web' && d.plan === 'free' ? 2 : 1;
    expect(explainCube(cube(DIMS, volume, noisy(3, three))).rootCause).toEqual([
      { region: 'us', device: 'web', plan: 'free' },
    ]);
    const two = (d: Dims) =>
      d.region === 'apac' ? 0.4 : d.device === 'ios' && d.plan === 'pro' ? 0.2 : 1;
    const result = explainCube(cube(DIMS, volume, noisy(4, two)));
    expect(result.rootCause).toHaveLength(2);
    expect(result.rootCause).toContainEqual({ region: 'apac' });
    expect(result.rootCause).toContainEqual({ device: 'ios', plan: 'pro' });
    expect(result.sentence).toMatch(
      /^The total fell \d+%, .*; .* \(fell \d+%\) and .* \(fell \d+%\) together make up (all|\d+%) of the drop/,
    );
  });

  it('says a change in proportion to size is spread, and names no cause', () => {
    const result = explainCube(
      cube(
        DIMS,
        volume,
        noisy(5, () => 0.8),
      ),
      { metricName: 'signups' },
    );
    expect(result.rootCause).toEqual([]);
    expect(result.sentence).toMatch(
      /^Signups fell 20%, [\d,]+ instead of about [\d,]+; the drop is spread across slices in proportion to their size, and no combination of up to 3 dimension values explains it\.$/,
    );
    // The biggest slices carry most of the drop but none of them disproportionately.
    for (const c of result.candidates) expect(Math.abs(c.excess)).toBeLessThan(0.1);
  });

  it('keeps a spread part apart from the slice that moved more', () => {
    const change = (d: Dims) => (d.region === 'us' ? 0.5 : 0.9);
    const result = explainCube(cube(DIMS, volume, noisy(6, change)));
    expect(result.rootCause).toEqual([{ region: 'us' }]);
    expect(result.sentence).toMatch(
      /: that is \d+% of the drop; the other \d+% is spread over the remaining slices, which fell 1\d%\.$/,
    );
  });

  it('names nothing when nothing changed or the change is within noise', () => {
    const same = explainCube(cube(DIMS, volume, (_, f) => f));
    expect(same.rootCause).toEqual([]);
    expect(same.sentence).toBe('The total did not change: every slice is as expected.');
    expect(same.totals).toMatchObject({ deviation: 0, z: 0 });

    const random = rng(7);
    const poisson = (f: number) => Math.max(0, Math.round(f + Math.sqrt(f) * (random() * 2 - 1)));
    const quiet = explainCube(cube(DIMS, volume, (_, f) => poisson(f)));
    expect(quiet.rootCause).toEqual([]);
    expect(quiet.sentence).toMatch(/within its normal variation|spread across slices/);
  });

  it('reports every dimension value with the fields of a Contributor', () => {
    const leaves = cube(
      DIMS,
      volume,
      noisy(8, (d) => (d.device === 'web' ? 0.6 : 1)),
    );
    const { dimensions, totals } = explainCube(leaves);
    expect(Object.keys(dimensions).sort()).toEqual(['device', 'plan', 'region']);
    expect(dimensions.device!.map((s) => s.value)).toHaveLength(3);
    const web = dimensions.device![0]!;
    expect(web).toMatchObject({ dim: 'device', value: 'web' });
    expect(web.deviation).toBeCloseTo(web.actual - web.expected);
    expect(web.volume).toBe(web.actual);
    expect(web.share).toBeGreaterThan(0.9);
    expect(web.expectedShare).toBeCloseTo(2 / 9);
    expect(web.excess).toBeCloseTo(web.share - web.expectedShare);
    expect(web.surprise).toBeGreaterThan(0);
    expect(web.z).toBeLessThan(-3);
    // Each dimension's values add up to the total.
    for (const list of Object.values(dimensions)) {
      expect(list.reduce((s, x) => s + x.actual, 0)).toBe(totals.actual);
      expect(list.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1);
    }
  });

  it('treats a dimension a row does not name as the value (none)', () => {
    const leaves: Leaf[] = [
      { dims: { region: 'eu', device: 'ios' }, actual: 100, expected: 400 },
      { dims: { region: 'eu' }, actual: 300, expected: 300 },
      { dims: { region: 'us', device: 'ios' }, actual: 500, expected: 500 },
      { dims: { region: 'us' }, actual: 600, expected: 600 },
    ];
    const { dimensions, rootCause } = explainCube(leaves);
    expect(dimensions.device!.map((s) => s.value).sort()).toEqual([MISSING, 'ios'].sort());
    expect(rootCause).toEqual([{ region: 'eu', device: 'ios' }]);
  });

  it('follows its options', () => {
    const change = (d: Dims) => (d.region === 'eu' && d.device === 'android' ? 0.3 : 1);
    const leaves = cube(DIMS, volume, noisy(9, change));
    const shallow = explainCube(leaves, { maxDepth: 1, maxCandidates: 3 });
    expect(shallow.candidates.length).toBeLessThanOrEqual(3);
    for (const c of shallow.candidates) expect(Object.keys(c.elements)).toHaveLength(1);
    const given = explainCube(leaves, { relativeNoise: 0.01, sigma: () => 2 });
    expect(given.noise.leaf).toBe(0.01);
    const eu = given.dimensions.region!.find((s) => s.value === 'eu')!;
    const euLeaves = leaves.filter((l) => l.dims.region === 'eu');
    const variance = euLeaves.reduce((s, l) => s + 4 + (0.01 * l.expected) ** 2, 0);
    const sigma = Math.sqrt(variance + (given.noise.slice * eu.expected) ** 2);
    expect(eu.z).toBeCloseTo((eu.actual - eu.expected) / sigma);
    expect(explainCube(leaves, { maxCauses: 0 }).rootCause).toEqual([]);
    const formatted = explainCube(leaves, { format: (x) => `<${Math.round(x)}>` });
    expect(formatted.sentence).toMatch(/, <\d+> instead of about <\d+>/);
  });

  it('refuses values that are not finite numbers ≥ 0, and says nothing of no data', () => {
    const bad = (actual: number): Leaf[] => [{ dims: { a: 'x' }, actual, expected: 1 }];
    expect(() => explainCube(bad(Number.NaN))).toThrow(RcaInputError);
    expect(() => explainCube(bad(-1))).toThrow(/leaf 0: actual must be a finite number ≥ 0/);
    expect(() => explainCube(bad(Infinity))).toThrow(RcaInputError);
    expect(explainCube([])).toMatchObject({ rootCause: [], candidates: [], sentence: 'No data.' });
  });

  it('names slices that moved against each other when the total barely moved', () => {
    const change = (d: Dims) => (d.region === 'us' ? 1.5 : d.region === 'eu' ? 1 / 3 : 1);
    const result = explainCube(cube(DIMS, volume, noisy(11, change)));
    expect(result.rootCause).toHaveLength(2);
    expect(result.rootCause).toContainEqual({ region: 'us' });
    expect(result.rootCause).toContainEqual({ region: 'eu' });
    expect(result.sentence).toMatch(
      /^The total (rose|fell) [\d.]+%, [\d,]+ instead of about [\d,]+: slices moved in opposite directions and partly cancelled out \(region=(us|eu) (rose|fell) \d+% and region=(us|eu) (rose|fell) \d+%\)\.$/,
    );
  });

  it('says why a cause carries more than the whole drop: the rest moved the other way', () => {
    const change = (d: Dims) => (d.region === 'eu' ? 0.3 : 1.06);
    const result = explainCube(cube(DIMS, volume, noisy(12, change)), { metricName: 'orders' });
    expect(result.rootCause).toEqual([{ region: 'eu' }]);
    expect(result.sentence).toMatch(
      /^Orders in region=eu fell 7\d%, [\d,]+ instead of about [\d,]+: that is more than the whole drop, because the remaining slices moved the other way \(they rose [\d.]+%\)\.$/,
    );
  });

  it('says when the cube cannot be broken down', () => {
    const one = explainCube([{ dims: { region: 'eu' }, actual: 10, expected: 100 }]);
    expect(one.rootCause).toEqual([]);
    expect(one.sentence).toMatch(
      /^The total fell 90%, 10 instead of about 100; it cannot be broken down, since no dimension has more than one value\.$/,
    );
  });

  it('explains a slice that appears from nothing', () => {
    const leaves = cube(
      DIMS,
      volume,
      noisy(10, () => 1),
    ).map((l) =>
      l.dims.region === 'latam' && l.dims.device === 'web' ? { ...l, expected: 0 } : l,
    );
    const result = explainCube(leaves);
    expect(result.rootCause).toEqual([{ region: 'latam', device: 'web' }]);
    expect(result.sentence).toMatch(
      /^The total in device=web AND region=latam appeared: [\d,]+ where none was expected: that is/,
    );
  });
});
