/**
 * The standard normal distribution's tail and quantile: what the split thresholds
 * (./split-rule.ts), interim verdicts (./interim.ts) and the series score (./series-score.ts)
 * compute their budgets with; and Student's t quantile, which widens a young baseline's σ
 * (./zscore.ts). Pure.
 */

/** erfc(x) for x ≥ 0 (Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(poly);
}

/** Q(x) = P(Z > x) for a standard normal, to about 1e-7 relative error. */
export function normalTail(x: number): number {
  const upper = erfc(Math.abs(x) / Math.SQRT2) / 2;
  return x >= 0 ? upper : 1 - upper;
}

/**
 * The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation, relative
 * error under 1.2e-9: far finer than a threshold needs).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, not ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Fewest degrees of freedom {@link studentQuantile} takes: its expansion holds from 3 up. */
export const STUDENT_MIN_DF = 3;

/**
 * Student's t quantile t_ν(p) for 0.5 ≤ p < 1 and ν ≥ 3 (smaller ν is taken as 3): the
 * Cornish–Fisher expansion in 1/ν around the normal quantile (Abramowitz & Stegun 26.7.5, four
 * terms). Within 3% at ν = 3 and p = 0.999, within 0.3% from ν = 6: enough for a ratio of
 * thresholds.
 */
export function studentQuantile(p: number, df: number): number {
  if (!(p >= 0.5 && p < 1)) throw new RangeError(`studentQuantile needs 0.5 ≤ p < 1, not ${p}`);
  const v = Math.max(STUDENT_MIN_DF, df);
  const z = normalQuantile(p);
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
  return z + g1 / v + g2 / v ** 2 + g3 / v ** 3 + g4 / v ** 4;
}
