// Helpers shared by the kernel families: f32 pointer arithmetic and vector math.
//
// Calling convention of every exported kernel: (task: i32, tid: i32, ...args). The host
// splits an op into `ntasks` independent tasks; any thread may run any task (dynamic
// scheduling), so a task's result must depend on its index alone, never on `tid` or on the
// number of threads. `tid` (0 = the calling thread, 1.. = workers) only picks a private
// slice of scratch memory: scratch + tid * scratchStride. Reductions are split into chunks
// of a fixed size and combined in a fixed order by a second op, so results are bit-identical
// whatever the thread count.
//
// Pointers are byte addresses (usize) into the one shared memory; sizes are element counts.

/** address of element i of an f32/i32 array at p */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** the private scratch slice of thread tid */
// @ts-ignore: decorator
@inline export function scratchOf(scratch: usize, stride: usize, tid: i32): usize { return scratch + stride * <usize>tid; }

// @ts-ignore: decorator
@inline export function min32(a: i32, b: i32): i32 { return a < b ? a : b; }

/** Σ of the four lanes, in the fixed order ((l0 + l1) + (l2 + l3)) */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** max of the four lanes */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** acc + a·b on four lanes. In the FMA builds (asconfig targets *-fma, relaxed SIMD) one fused
 *  multiply-add (vfmadd on x64, fmla on arm64: half the arithmetic instructions of the
 *  compute-bound loops, and one rounding instead of two); elsewhere mul then add. A
 *  compile-time branch: each build holds one form only. */
// @ts-ignore: decorator
@inline export function madd4(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
/** acc + a·b on one value, fused in the FMA builds like madd4 (for the scalar tails of the
 *  loops that use madd4, so a build's outputs are all summed the same way) */
// @ts-ignore: decorator
@inline export function madd1(a: f32, b: f32, acc: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(acc)), 0);
  return acc + a * b;
}

/** Σ a[i]·b[i], i < n: four f32 lanes, lanes combined with hsum, then the scalar tail */
export function dot(a: usize, b: usize, n: i32): f32 {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = madd4(v128.load(at(a, i)), v128.load(at(b, i)), acc0);
    acc1 = madd4(v128.load(at(a, i + 4)), v128.load(at(b, i + 4)), acc1);
  }
  if (i + 4 <= n) { acc0 = madd4(v128.load(at(a, i)), v128.load(at(b, i)), acc0); i += 4; }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < n; i++) s = madd1(load<f32>(at(a, i)), load<f32>(at(b, i)), s);
  return s;
}

// exp on four lanes: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split hi/lo, Cody–Waite), e^r by a
// degree-7 Taylor polynomial in Horner form (relative error < 2e-7 on [-ln2/2, ln2/2]), then
// 2^n built in the exponent bits. x < -87.33 (incl. -inf) gives 0; x > 88.72 gives +inf;
// NaN gives NaN.
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_LO: f32 = -87.3365478515625;
const EXP_HI: f32 = 88.72283935546875;

// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 5040.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  // 2^n: n in [-126, 128]; split n = n1 + n2 so each factor stays a normal float
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  // below the range: exactly 0; above: +inf; NaN passes through (min/max keep NaN lanes)
  y = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(EXP_LO)));
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(EXP_HI)));
  return y;
}

/** scalar exp with the same arithmetic as exp4 (lane 0), so tails match vector bodies */
// @ts-ignore: decorator
@inline export function exp1(x: f32): f32 { return f32x4.extract_lane(exp4(f32x4.splat(x)), 0); }

// ---- 16-bit weights ----------------------------------------------------------------------
// A "kind" names how an operand is stored: 0 f32, 1 bfloat16, 2 IEEE half (src/kernels/half.ts).
// Half operands are widened to f32 in registers as they are loaded; the arithmetic is f32.
// Kernels pass `kind` as a literal to an @inline body, so each compiled variant holds one form.
export const KIND_F32: i32 = 0;
export const KIND_BF16: i32 = 1;
export const KIND_F16: i32 = 2;

/** address of element i of an array of `kind` at p */
// @ts-ignore: decorator
@inline export function atK(p: usize, i: i32, kind: i32): usize { return p + (<usize>i << (kind ? 1 : 2)); }

/** four IEEE halves, zero-extended in the i32 lanes of x → f32x4 (exact, incl. subnormals, ±Inf, NaN):
 *  the 15 magnitude bits shifted into an f32's exponent/mantissa give 2^-112 × the value, so one
 *  multiply by 2^112 rebiases (and normalises subnormals); Inf/NaN get the all-ones exponent. */
// @ts-ignore: decorator
@inline export function f16x4(x: v128): v128 {
  const e = v128.and(x, i32x4.splat(0x7fff));
  const sh = i32x4.shl(e, 13);
  const f = f32x4.mul(sh, f32x4.splat(reinterpret<f32>(<i32>0x77800000)));
  const special = i32x4.gt_s(e, i32x4.splat(0x7bff));
  const r = v128.bitselect(v128.or(sh, i32x4.splat(0x7f800000)), f, special);
  return v128.or(r, i32x4.shl(v128.and(x, i32x4.splat(0x8000)), 16));
}

/** the low four 16-bit lanes of v (kind 1 or 2) → f32x4 */
// @ts-ignore: decorator
@inline export function widenLo(v: v128, kind: i32): v128 {
  if (kind == KIND_BF16) return v128.shuffle<i16>(i32x4.splat(0), v, 0, 8, 1, 9, 2, 10, 3, 11);
  return f16x4(i32x4.extend_low_i16x8_u(v));
}
/** the high four 16-bit lanes of v → f32x4 */
// @ts-ignore: decorator
@inline export function widenHi(v: v128, kind: i32): v128 {
  if (kind == KIND_BF16) return v128.shuffle<i16>(i32x4.splat(0), v, 4, 12, 5, 13, 6, 14, 7, 15);
  return f16x4(i32x4.extend_high_i16x8_u(v));
}

/** four values of `kind` from byte address p → f32x4 */
// @ts-ignore: decorator
@inline export function load4(p: usize, kind: i32): v128 {
  if (kind == KIND_F32) return v128.load(p);
  return widenLo(v128.load64_zero(p), kind);
}

/** one value of `kind` from byte address p → f32 */
// @ts-ignore: decorator
@inline export function load1(p: usize, kind: i32): f32 {
  if (kind == KIND_F32) return load<f32>(p);
  const h = <u32>load<u16>(p);
  if (kind == KIND_BF16) return reinterpret<f32>(h << 16);
  const e = h & 0x7fff, sh = e << 13;
  let f = reinterpret<f32>(sh) * reinterpret<f32>(<i32>0x77800000);
  if (e > 0x7bff) f = reinterpret<f32>(sh | 0x7f800000);
  return reinterpret<f32>(reinterpret<u32>(f) | ((h & 0x8000) << 16));
}
