// 16-bit floating-point storage: bfloat16 ('bf16': the top half of an f32 — 8 exponent bits,
// 7 mantissa bits) and IEEE half ('f16': 5 exponent bits, 10 mantissa bits). Tensors of these
// dtypes hold raw 16-bit patterns on the device (wasm: 2 bytes each; WebGPU: two per u32 word,
// element i in the low half of word i/2 when i is even); kernels widen them to f32 as they read.
// Here: host-side conversions, exact on the way up (every 16-bit value is an f32) and rounded to
// nearest even on the way down (NaN stays NaN, ±Inf stays ±Inf; f16 overflows to ±Inf as in IEEE
// and PyTorch's .half(); values below f16's normal range become f16 subnormals or ±0).
import type { DType } from './backend.js';

export type HalfDType = 'bf16' | 'f16';

export const isHalf = (d: DType): d is HalfDType => d === 'bf16' || d === 'f16';

/** bytes one element of `d` takes on the device */
export const bytesPerElement = (d: DType): number => (isHalf(d) ? 2 : 4);

const cvtF32 = new Float32Array(1);
const cvtU32 = new Uint32Array(cvtF32.buffer);

/** value → bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN */
export function floatToBf16Bits(x: number): number {
  cvtF32[0] = x;
  const b = cvtU32[0];
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff)) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits → value (exact) */
export function bf16BitsToFloat(h: number): number {
  cvtU32[0] = (h & 0xffff) << 16;
  return cvtF32[0];
}

/** value → half-precision bits, round to nearest even; overflow gives ±Inf bits (0x7c00) */
export function floatToF16Bits(x: number): number {
  cvtF32[0] = x;
  const b = cvtU32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) { // half subnormal (or zero): value = half · 2^-24
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // a carry into the exponent is right (up to Inf)
  return sign | h;
}

let f16Table: Float32Array | null = null;
/** all 65536 half-precision values, built on first use */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

/** half-precision bits → value (exact) */
export function f16BitsToFloat(h: number): number { return halfTable()[h & 0xffff]; }

/** f32 values → 16-bit patterns of `dtype` (round to nearest even), into `out` when given */
export function toHalfBits(x: ArrayLike<number>, dtype: HalfDType, out: Uint16Array = new Uint16Array(x.length)): Uint16Array {
  const n = x.length;
  if (dtype === 'bf16' && x instanceof Float32Array) {
    // the bit trick on the whole array: no per-value call
    const u = new Uint32Array(x.buffer, x.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const b = u[i];
      out[i] = (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
    }
    return out;
  }
  const f = dtype === 'bf16' ? floatToBf16Bits : floatToF16Bits;
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
  return out;
}

/** 16-bit patterns of `dtype` → f32 values (exact), into `out` when given */
export function fromHalfBits(h: Uint16Array, dtype: HalfDType, out: Float32Array = new Float32Array(h.length)): Float32Array {
  const n = h.length;
  if (dtype === 'bf16') {
    const u = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) u[i] = h[i] << 16;
  } else {
    const t = halfTable();
    for (let i = 0; i < n; i++) out[i] = t[h[i]];
  }
  return out;
}

/** f32 values rounded through `dtype` and back: what a half tensor holds for them */
export function roundToHalf(x: ArrayLike<number>, dtype: HalfDType): Float32Array {
  return fromHalfBits(toHalfBits(x, dtype), dtype);
}

/** A host-side 16-bit tensor: raw patterns and their dtype (what a bf16/f16 checkpoint tensor
 *  is read as when it will stay 16-bit on the device: no f32 copy is made). */
export class HalfArray {
  constructor(readonly bits: Uint16Array, readonly dtype: HalfDType) {}
  get length(): number { return this.bits.length; }
  /** the values as f32 (exact) */
  toFloat32(): Float32Array { return fromHalfBits(this.bits, this.dtype); }
}
