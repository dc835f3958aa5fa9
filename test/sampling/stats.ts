// Chi-square goodness of fit for the sampler's distribution tests, written from the textbook
// definitions: Pearson's statistic over bins (cells with expected count < 5 pooled into one),
// and its p-value as the regularized upper incomplete gamma Q(df/2, x/2) (series below a+1,
// Lentz continued fraction above), with ln Γ from the Lanczos approximation (g=7, n=9).

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPre = a * Math.log(x) - x - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, term = 1 / a;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b; if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPre) * h;
}

/** P(X ≥ x) for X ~ χ²(df). */
export function chiSquarePValue(x: number, df: number): number { return x === Infinity ? 0 : gammaQ(df / 2, x / 2); }

export interface ChiSquare { stat: number; df: number; p: number }

/** Pearson's test of observed counts against probabilities q (Σq = 1). Bins with q = 0 are
 *  not tested here (the caller checks they are empty); cells with expected < 5 are pooled. */
export function chiSquareTest(counts: ArrayLike<number>, q: ArrayLike<number>): ChiSquare {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  let stat = 0, bins = 0, poolO = 0, poolE = 0;
  for (let i = 0; i < q.length; i++) {
    if (q[i] === 0) { poolO += counts[i]; continue; } // observed outside the support: lands in the pool
    const e = n * q[i];
    if (e < 5) { poolO += counts[i]; poolE += e; continue; }
    stat += (counts[i] - e) ** 2 / e;
    bins++;
  }
  if (poolE > 0) { stat += (poolO - poolE) ** 2 / poolE; bins++; }
  else if (poolO > 0) stat = Infinity; // draws where the distribution has no mass at all
  const df = Math.max(1, bins - 1);
  return { stat, df, p: chiSquarePValue(stat, df) };
}
