/**
 * Ratio metrics (conversion, error rate): a rate = Σ numerator / Σ denominator can change because
 * rates changed inside slices, or because the traffic moved between slices with different rates
 * (the mix). The change is split exactly by a Kitagawa (shift-share) decomposition over the
 * leaves, with wᵢ = a leaf's share of the denominator and rᵢ its rate:
 *
 *   R_a − R_e = Σ (r_aᵢ − r_eᵢ)·(w_aᵢ + w_eᵢ)/2            rate effect
 *             + Σ (w_aᵢ − w_eᵢ)·((r_aᵢ + r_eᵢ)/2 − R̄)      mix effect,  R̄ = (R_a + R_e)/2
 *
 * (centring on R̄ changes no total, since Σ(w_a − w_e) = 0, but makes a slice's mix effect
 * readable: more traffic to a slice below the average rate lowers the rate). Then two searches
 * over the cube say where each effect sits: numerators against the expected rate at the actual
 * traffic (rate changes inside slices) and denominators against the expected traffic rescaled to
 * the actual total (shifts of the mix).
 */
import { buildCube, describeElements, type Cube } from './cube';
import { explainBuiltCube } from './explain';
import type { Candidate, Elements, RatioLeaf, RcaOptions, RcaResult } from './types';
import { MINUS, capitalize, moved, percentWords, portionWords } from './words';

export interface RatioCandidate extends Candidate {
  /** The slice's rate, actual and expected (its own numerator / denominator). */
  rate: { actual: number; expected: number };
  /** The slice's share of the denominator, actual and expected. */
  traffic: { actual: number; expected: number };
  /** Its part of the rate change from its own rate changing (rate units). */
  rateEffect: number;
  /** Its part of the rate change from its share of the traffic changing (rate units). */
  mixEffect: number;
}

export interface RatioResult {
  /** The root cause of the effect in `located`; [] when both effects are spread. */
  rootCause: Elements[];
  /** Which effect carries most of the change: rates inside slices, or the mix of slices. */
  dominant: 'rate' | 'mix' | 'none';
  /**
   * The effect the root cause and candidates describe: the dominant one, or the other when the
   * dominant one is spread across slices but the other sits in a few (a session surge in one
   * slice lowers conversion both ways).
   */
  located: 'rate' | 'mix' | 'none';
  rate: { actual: number; expected: number; change: number };
  /** Kitagawa decomposition of rate.change (rate units): rate + mix = change exactly. */
  effects: { rate: number; mix: number };
  /**
   * Candidates of the located effect, with each slice's rates, traffic shares and effects;
   * `explains` is its share of the rate change (rate effect + mix effect) / change.
   */
  candidates: RatioCandidate[];
  /** Where rates changed: numerators against the expected rate × actual denominator. */
  within: RcaResult;
  /** Where the traffic moved: denominators against the expected ones scaled to the actual total. */
  mix: RcaResult;
  sentence: string;
}

export interface RatioOptions extends RcaOptions {
  /** Name of the denominator in the sentence, e.g. "sessions" (default "traffic"). */
  denominatorName?: string;
  /** Formats a rate in the sentence (default: a percent with 2 decimals, see rateFormat). */
  formatRate?: (rate: number) => string;
  /** Formats a signed change of the rate (default: "−0.62 percentage points", see rateFormat). */
  formatRateChange?: (change: number) => string;
}

/** Indices of the leaves under a conjunction. */
function leavesUnder(cube: Cube, elements: Elements): number[] {
  const d = cube.dims.length;
  const wanted = Object.entries(elements).map(([dim, value]) => {
    const k = cube.dims.indexOf(dim);
    return [k, cube.values[k]!.indexOf(value)] as const;
  });
  const out: number[] = [];
  for (let i = 0; i < cube.n; i++) {
    if (wanted.every(([k, v]) => cube.codes[i * d + k] === v)) out.push(i);
  }
  return out;
}

/**
 * How rates and their change read: the options' formatters, else percentages with 2 decimals
 * and the change in percentage points when both rates are in [0, 1] (a conversion from 4.12% to
 * 3.50% fell 0.62 percentage points, not 15%), else plain numbers.
 */
function rateFormat(
  a: number,
  b: number,
  options: RatioOptions,
): { rate: (x: number) => string; delta: (x: number) => string } {
  const signed = (text: string, x: number) =>
    x > 0 ? `+${text}` : x < 0 ? `${MINUS}${text}` : text;
  const fraction = a >= 0 && a <= 1 && b >= 0 && b <= 1;
  const plain = (x: number) => String(Number(x.toPrecision(3)));
  const rate = options.formatRate ?? (fraction ? (x: number) => `${(x * 100).toFixed(2)}%` : plain);
  const delta =
    options.formatRateChange ??
    (fraction
      ? (x: number) => signed(`${Math.abs(x * 100).toFixed(2)} percentage points`, x)
      : (x: number) => signed(plain(Math.abs(x)), x));
  return { rate, delta };
}

/**
 * Explains the change of a ratio metric from its leaves (numerator in actual/expected,
 * denominator in actualDen/expectedDen): the Kitagawa split of the change into rate and mix
 * effects, where each sits in the cube, and a sentence that says which one dominates.
 * Pure and deterministic; throws RcaInputError for a value that is not a finite number ≥ 0.
 */
export function explainRatio(
  leaves: readonly RatioLeaf[],
  options: RatioOptions = {},
): RatioResult {
  const cube = buildCube(leaves, [
    { name: 'actualDen', read: (leaf) => leaf.actualDen },
    { name: 'expectedDen', read: (leaf) => leaf.expectedDen },
  ]);
  const [actualDen, expectedDen] = cube.extra as [Float64Array, Float64Array];
  let An = 0;
  let En = 0;
  let Ad = 0;
  let Ed = 0;
  for (let i = 0; i < cube.n; i++) {
    An += cube.actual[i]!;
    En += cube.expected[i]!;
    Ad += actualDen[i]!;
    Ed += expectedDen[i]!;
  }
  // Without a denominator a rate is undefined: it is taken as the other side's (no change).
  const Ra = Ad > 0 ? An / Ad : Ed > 0 ? En / Ed : 0;
  const Re = Ed > 0 ? En / Ed : Ra;
  const mean = (Ra + Re) / 2;

  // Per leaf: expected rate (the overall one for a leaf nothing was expected of), actual rate
  // (the expected one for a leaf without traffic), and its two effects.
  const expectedRate = new Float64Array(cube.n);
  const rateEffect = new Float64Array(cube.n);
  const mixEffect = new Float64Array(cube.n);
  for (let i = 0; i < cube.n; i++) {
    const re = expectedDen[i]! > 0 ? cube.expected[i]! / expectedDen[i]! : Re;
    const ra = actualDen[i]! > 0 ? cube.actual[i]! / actualDen[i]! : re;
    const wa = Ad > 0 ? actualDen[i]! / Ad : 0;
    const we = Ed > 0 ? expectedDen[i]! / Ed : 0;
    expectedRate[i] = re;
    rateEffect[i] = ((ra - re) * (wa + we)) / 2;
    mixEffect[i] = (wa - we) * ((ra + re) / 2 - mean);
    // A numerator without a denominator still counts in the total rate: as a rate effect.
    if (actualDen[i]! === 0 && Ad > 0) rateEffect[i]! += cube.actual[i]! / Ad;
    if (expectedDen[i]! === 0 && Ed > 0) rateEffect[i]! -= cube.expected[i]! / Ed;
  }
  const effects = { rate: 0, mix: 0 };
  for (let i = 0; i < cube.n; i++) {
    effects.rate += rateEffect[i]!;
    effects.mix += mixEffect[i]!;
  }
  const change = Ra - Re;

  const within = explainBuiltCube(
    { ...cube, expected: expectedRate.map((r, i) => r * actualDen[i]!), extra: [] },
    options,
  );
  const scale = Ed > 0 ? Ad / Ed : 1;
  const mix = explainBuiltCube(
    { ...cube, actual: actualDen, expected: expectedDen.map((x) => x * scale), extra: [] },
    { ...options, metricName: options.denominatorName ?? 'traffic' },
  );

  const dominant: RatioResult['dominant'] =
    Ad === 0 || (change === 0 && effects.rate === 0 && effects.mix === 0)
      ? 'none'
      : Math.abs(effects.rate) >= Math.abs(effects.mix)
        ? 'rate'
        : 'mix';
  const other = dominant === 'mix' ? 'rate' : 'mix';
  const searchOf = (effect: 'rate' | 'mix') => (effect === 'mix' ? mix : within);
  const located: RatioResult['located'] =
    dominant === 'none'
      ? 'none'
      : searchOf(dominant).rootCause.length === 0 && searchOf(other).rootCause.length > 0
        ? other
        : dominant;
  const search = searchOf(located === 'none' ? 'rate' : located);

  const candidates = search.candidates.map((c): RatioCandidate => {
    let an = 0;
    let en = 0;
    let ad = 0;
    let ed = 0;
    let rateE = 0;
    let mixE = 0;
    for (const i of leavesUnder(cube, c.elements)) {
      an += cube.actual[i]!;
      en += cube.expected[i]!;
      ad += actualDen[i]!;
      ed += expectedDen[i]!;
      rateE += rateEffect[i]!;
      mixE += mixEffect[i]!;
    }
    return {
      ...c,
      explains: change !== 0 ? (rateE + mixE) / change : 0,
      rate: { actual: ad > 0 ? an / ad : 0, expected: ed > 0 ? en / ed : 0 },
      traffic: { actual: Ad > 0 ? ad / Ad : 0, expected: Ed > 0 ? ed / Ed : 0 },
      rateEffect: rateE,
      mixEffect: mixE,
    };
  });

  const result: RatioResult = {
    rootCause: located === 'none' ? [] : search.rootCause,
    dominant,
    located,
    rate: { actual: Ra, expected: Re, change },
    effects,
    candidates,
    within,
    mix,
    sentence: '',
  };
  result.sentence = ratioSentence(result, options);
  return result;
}

function ratioSentence(result: RatioResult, options: RatioOptions): string {
  const { rate, effects, dominant, located, rootCause, candidates } = result;
  const name = options.metricName ?? 'the rate';
  const traffic = options.denominatorName ?? 'traffic';
  const f = rateFormat(rate.actual, rate.expected, options);
  if (result.mix.totals.actual === 0) {
    return capitalize(`no ${traffic}, so ${name} cannot be computed.`);
  }
  if (dominant === 'none') return capitalize(`${name} is unchanged at ${f.rate(rate.actual)}.`);
  const verb = moved(rate.change);
  const head = `${name} ${verb} from ${f.rate(rate.expected)} to ${f.rate(rate.actual)} (${f.delta(rate.change)})`;
  const causes = candidates.slice(0, rootCause.length);
  /** "region=eu (2.10% instead of about 4.00%)": a slice's own rate. */
  const ownRate = (c: RatioCandidate) =>
    `${describeElements(c.elements)} (${f.rate(c.rate.actual)} instead of about ${f.rate(c.rate.expected)})`;
  /** "region=apac went from 10% to 30% of the sessions". */
  const trafficShift = (c: RatioCandidate) =>
    `${describeElements(c.elements)} went from ${percentWords(c.traffic.expected)} to ${percentWords(c.traffic.actual)} of the ${traffic}`;
  /** The rate effect's direction: it may differ from the total's when the mix moved more. */
  const rateVerb = moved(effects.rate);
  if (located !== dominant) {
    // The larger effect is spread; the smaller one sits in the named slices.
    const spread =
      dominant === 'rate'
        ? `mostly because it ${rateVerb} inside every slice alike, with no slice standing out`
        : `mostly because the mix of ${traffic} shifted between all slices, with no slice standing out`;
    const rest =
      located === 'rate'
        ? `the rest comes from it changing inside ${causes.map(ownRate).join(' and ')}`
        : `the rest comes from a shift in the mix of ${traffic}: ${causes.map(trafficShift).join('; ')}`;
    return capitalize(`${head}, ${spread}; ${rest}.`);
  }
  if (dominant === 'rate') {
    const notMix = `not because the mix of ${traffic} changed`;
    if (causes.length === 0) {
      return capitalize(
        `${head}, mostly because it ${rateVerb} inside every slice alike, ${notMix}; no combination of dimension values explains it.`,
      );
    }
    const share = causes.reduce((s, c) => s + c.rateEffect, 0) / (rate.change || 1);
    const change = rate.change < 0 ? 'drop' : 'rise';
    return capitalize(
      `${head}, mostly because it ${rateVerb} inside ${causes.map(ownRate).join(' and ')}, which makes up ${portionWords(share, change)}, ${notMix}.`,
    );
  }
  const notRates = `not because ${name} changed inside slices`;
  if (causes.length === 0) {
    return capitalize(
      `${head}, mostly because the mix of ${traffic} shifted between slices with different rates, ${notRates}; the shift is spread across slices.`,
    );
  }
  const named = causes
    .map(
      (c) =>
        `${trafficShift(c)}, where ${name} is ${f.rate(c.rate.actual)} against ${f.rate(rate.actual)} overall`,
    )
    .join('; ');
  return capitalize(
    `${head}, mostly because the mix of ${traffic} changed, ${notRates}: ${named}.`,
  );
}
