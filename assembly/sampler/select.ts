// Selection without sorting, for top-k and top-p over a whole vocabulary (V up to ~150k).
// Both run in expected O(n) with 3-way partitions (ties are common: masked -Infinity logits)
// around pivots drawn from a small internal xorshift32 that is reset before every row, so the
// work and every rounding inside are the same on every engine.
//   kthLargest(a, n, k):   a: f32[n] (scratch, reordered) → the k-th largest value counting
//                          multiplicity (k in 1..n). Keeping `x >= it` keeps exactly the
//                          tokens with fewer than k strictly larger logits (HF top-k; ties kept).
//   nucleusCut(v, w, n, need): v: f32[n] values, w: f32[n] their weights (> 0), both scratch,
//                          reordered together; need in (0, Σw] → the smallest value t in v such
//                          that Σ{w_j : v_j > t} < need. Keeping `x >= t` keeps exactly the tokens
//                          whose strictly-larger mass is below top_p (HF top-p; ties kept).

let pivotState: u32 = 0x9e3779b9;

export function resetPivots(): void { pivotState = 0x9e3779b9; }

// @ts-ignore: decorator
@inline
function pivotIndex(lo: i32, hi: i32): i32 {
  let x = pivotState;
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  pivotState = x;
  return lo + <i32>(x % <u32>(hi - lo));
}

// @ts-ignore: decorator
@inline
function swapF32(p: usize, i: i32, j: i32): void {
  const a = load<f32>(p + (<usize>i << 2));
  store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>j << 2)));
  store<f32>(p + (<usize>j << 2), a);
}

export function kthLargest(a: usize, n: i32, k: i32): f32 {
  let lo = 0, hi = n;
  const want = k - 1; // position in descending order
  while (true) {
    if (hi - lo == 1) return load<f32>(a + (<usize>lo << 2));
    const pivot = load<f32>(a + (<usize>pivotIndex(lo, hi) << 2));
    // descending 3-way partition: [lo, lt) > pivot, [lt, i) == pivot, [gt, hi) < pivot
    let lt = lo, i = lo, gt = hi;
    while (i < gt) {
      const v = load<f32>(a + (<usize>i << 2));
      if (v > pivot) { swapF32(a, lt, i); lt++; i++; }
      else if (v < pivot) { gt--; swapF32(a, i, gt); }
      else i++;
    }
    if (want < lt) hi = lt;
    else if (want < gt) return pivot;
    else lo = gt;
  }
}

export function nucleusCut(v: usize, w: usize, n: i32, need: f64): f32 {
  let lo = 0, hi = n;
  let above: f64 = 0; // mass of elements known to be larger than everything in [lo, hi)
  while (true) {
    const pivot = load<f32>(v + (<usize>pivotIndex(lo, hi) << 2));
    let lt = lo, i = lo, gt = hi;
    let wG: f64 = 0, wE: f64 = 0;
    while (i < gt) {
      const x = load<f32>(v + (<usize>i << 2));
      if (x > pivot) {
        wG += <f64>load<f32>(w + (<usize>i << 2));
        swapF32(v, lt, i); swapF32(w, lt, i); lt++; i++;
      } else if (x < pivot) {
        gt--; swapF32(v, i, gt); swapF32(w, i, gt);
      } else {
        wE += <f64>load<f32>(w + (<usize>i << 2));
        i++;
      }
    }
    if (above + wG >= need) {
      // the pivot's ties are cut; the threshold lies among the larger values
      if (lt == lo) return pivot; // cannot happen while above < need; guards rounding
      hi = lt;
    } else if (above + wG + wE >= need || gt == hi) {
      return pivot; // the ties are kept, nothing smaller is
    } else {
      above += wG + wE;
      lo = gt;
    }
  }
}
