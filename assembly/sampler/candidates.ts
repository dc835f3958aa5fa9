// Narrowing a whole vocabulary to the few tokens a cut can fall among, before exact selection.
// Weights e = exp(y − max y) lie in [0, 1]; their f32 bit patterns are ordered like the values,
// so bits >>> 20 (exponent and the top 3 mantissa bits) is a bin index 0..1016 with 8 bins per
// octave (bin 0: zero and subnormal weights). One scalar pass builds a histogram of counts (top-k)
// or of weight mass (top-p) per bin; walking the bins from the top finds the bin where the
// running count reaches k / the running mass reaches the nucleus target. Every token at or above
// the cut lies in that bin or above, so the candidates are the tokens with e ≥ the lower edge of
// the bin BELOW it (one bin of slack for last-ulp non-monotonicity of exp) — a few hundred tokens
// for model-like logits — and the exact cut is then selected among them (select.ts).
//   hist: f64[1024] scratch;  e, y: f32[Vp];  sv, se: f32[Vp] receive candidates (y, e).

// @ts-ignore: decorator
@inline const TOP_BIN: i32 = 1016; // bits of 1.0f >>> 20

// @ts-ignore: decorator
@inline
export function binEdge(b: i32): f32 { return reinterpret<f32>(<u32>max(b, 0) << 20); }

/** Lowest bin b such that at least k tokens have bin ≥ b; 0 if fewer than k tokens have e > 0's bins ≥ 1. */
export function countCutBin(hist: usize, e: usize, n: i32, k: i32): i32 {
  memory.fill(hist, 0, (TOP_BIN + 1) << 3);
  for (let i = 0; i < n; i++) {
    const p = hist + ((<usize>(reinterpret<u32>(load<f32>(e + (<usize>i << 2))) >>> 20)) << 3);
    store<f64>(p, load<f64>(p) + 1.0);
  }
  let cum: f64 = 0;
  for (let b = TOP_BIN; b >= 1; b--) {
    cum += load<f64>(hist + (<usize>b << 3));
    if (cum >= <f64>k) return b;
  }
  return 0;
}

/** Lowest bin b such that the weight in bins ≥ b reaches need; 1 if rounding leaves it short. */
export function massCutBin(hist: usize, e: usize, n: i32, need: f64): i32 {
  memory.fill(hist, 0, (TOP_BIN + 1) << 3);
  for (let i = 0; i < n; i++) {
    const w = load<f32>(e + (<usize>i << 2));
    const p = hist + ((<usize>(reinterpret<u32>(w) >>> 20)) << 3);
    store<f64>(p, load<f64>(p) + <f64>w);
  }
  let cum: f64 = 0;
  for (let b = TOP_BIN; b >= 1; b--) {
    cum += load<f64>(hist + (<usize>b << 3));
    if (cum >= need) return b;
  }
  return 1;
}

/** Copy (y, e) of tokens with e ≥ edge (and e > 0 when positive is set) into (sv, se), in index order; returns the count. */
export function compact(y: usize, e: usize, vp: i32, edge: f32, positive: bool, sv: usize, se: usize): i32 {
  const ev = f32x4.splat(edge);
  let n = 0;
  for (let i = 0; i < vp; i += 4) {
    const w = v128.load(e + (<usize>i << 2));
    let m = f32x4.ge(w, ev);
    if (positive) m = v128.and(m, f32x4.gt(w, f32x4.splat(0)));
    if (!v128.any_true(m)) continue;
    for (let j = i; j < i + 4; j++) {
      const x = load<f32>(e + (<usize>j << 2));
      if (x >= edge && (!positive || x > 0)) {
        store<f32>(sv + (<usize>n << 2), load<f32>(y + (<usize>j << 2)));
        store<f32>(se + (<usize>n << 2), x);
        n++;
      }
    }
  }
  return n;
}
