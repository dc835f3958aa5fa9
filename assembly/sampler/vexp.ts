// Four-lane f32 exp for softmax weights, in plain IEEE ops (no FMA, no host Math), so every
// engine gives bit-identical results.
//   vexp(x) ≈ exp(x) lane-wise, relative error ~2e-7 for x in [-87.3, 88.3];
//   lanes below -87.33654 (ln of the smallest normal f32), including -Infinity, give 0.
// Method (Cephes expf): n = floor(x·log2e + ½), r = x − n·ln2 (ln2 split in two parts so
// n·C1 is exact), exp(r) by a degree-6 polynomial on |r| ≤ ½·ln2, times 2^n built in the
// exponent bits. Inputs here are logits minus their max, so x ≤ 0 and never NaN.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const C1: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const C2: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const LO: f32 = -87.33654;
// @ts-ignore: decorator
@inline const HI: f32 = 88.0;

// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  const under = f32x4.lt(x, f32x4.splat(LO));
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(LO)), f32x4.splat(HI));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(xc, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const scale = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  const y = f32x4.mul(p, scale);
  return v128.bitselect(f32x4.splat(0), y, under);
}

/** Sum of the four f32 lanes of v, in f64, in a fixed order (lanes 0+1, then 2+3). */
// @ts-ignore: decorator
@inline
export function promoteAdd(acc: v128, v: v128): v128 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f64x2.add(acc, f64x2.add(lo, hi));
}

// @ts-ignore: decorator
@inline
export function hsum64(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}
