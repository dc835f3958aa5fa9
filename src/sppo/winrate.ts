// Evaluation statistics: win rate against a baseline, its 95% interval, and a
// length-controlled win rate. (SPPO's P̂ from a K×K matrix is winRates in src/judge/matrix.ts.)

export interface EvalStats {
  /** mean P(model ≻ baseline) over prompts */
  winRate: number;
  /** 95% interval of the mean (t-distribution over per-prompt probabilities) */
  ci95: [number, number];
  /** win rate at zero length difference (see lengthControlled) */
  lcWinRate: number;
  avgLength: number;
  avgBaselineLength: number;
  n: number;
}

/** two-sided 97.5% quantile of Student's t with df degrees of freedom (table + normal limit) */
function t975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
  if (df < 1) return NaN;
  if (df <= 20) return table[df - 1];
  return 1.96 + 2.4 / df; // close to the exact value for df > 20
}

/**
 * Length-controlled win rate, in the spirit of AlpacaEval 2.0's: fit the per-prompt win
 * probabilities p_i with a logistic model p = σ(θ₀ + θ₁·tanh(Δ_i / s)), Δ_i = length difference
 * (model − baseline, tokens), s its standard deviation; report σ(θ₀), the predicted win rate
 * when both responses have the same length. Fitted by Newton's method on the (fractional)
 * binomial log-likelihood with a small ridge on θ₁.
 */
export function lengthControlled(p: number[], lenA: number[], lenB: number[]): number {
  const n = p.length;
  if (n === 0) return NaN;
  const d = lenA.map((a, i) => a - lenB[i]);
  const mean = d.reduce((x, y) => x + y, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, n - 1)) || 1;
  const x = d.map((v) => Math.tanh(v / sd));
  let a = 0, b = 0;
  const ridge = 1e-3;
  for (let it = 0; it < 50; it++) {
    let ga = 0, gb = -ridge * b, haa = 0, hab = 0, hbb = ridge;
    for (let i = 0; i < n; i++) {
      const q = 1 / (1 + Math.exp(-(a + b * x[i])));
      const r = p[i] - q, w = Math.max(q * (1 - q), 1e-9);
      ga += r; gb += r * x[i];
      haa += w; hab += w * x[i]; hbb += w * x[i] * x[i];
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) { a += ga / haa; break; }
    const da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    a += da; b += db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return 1 / (1 + Math.exp(-a));
}

export function evalStats(p: number[], lenA: number[], lenB: number[]): EvalStats {
  const n = p.length;
  const mean = p.reduce((x, y) => x + y, 0) / Math.max(1, n);
  const sd = Math.sqrt(p.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, n - 1));
  const half = n > 1 ? t975(n - 1) * sd / Math.sqrt(n) : NaN;
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  return {
    winRate: mean,
    ci95: [Math.max(0, mean - half), Math.min(1, mean + half)],
    lcWinRate: lengthControlled(p, lenA, lenB),
    avgLength: avg(lenA), avgBaselineLength: avg(lenB), n,
  };
}
