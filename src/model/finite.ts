// Finite-value checks on host tensors: every model or checkpoint write refuses NaN/±Inf
// (nothing written holds them), every load warns naming the tensor. No node: imports.

/** number of NaN/±Inf values in a (the sum trick: one pass, no branch per element) */
export function countNonFinite(a: ArrayLike<number>): number {
  // a chunk's sum is finite iff every value in it is finite (a sum of finite f32 values held
  // in f64 cannot overflow for chunks of 4096): count exactly only in chunks that are not
  let n = 0;
  for (let i = 0; i < a.length; i += 4096) {
    const end = Math.min(a.length, i + 4096);
    let s = 0;
    for (let j = i; j < end; j++) s += a[j];
    if (Number.isFinite(s)) continue;
    for (let j = i; j < end; j++) if (!Number.isFinite(a[j])) n++;
  }
  return n;
}

export interface NonFinite { name: string; count: number; size: number }

/** 16-bit weights kept as raw bits (src/kernels/half.ts HalfArray) */
interface HalfBits { bits: Uint16Array; dtype: 'bf16' | 'f16'; length: number }
const isHalf = (a: ArrayLike<number> | HalfBits): a is HalfBits => (a as HalfBits).bits instanceof Uint16Array;

/** number of NaN/±Inf values among 16-bit floats: the exponent field all ones */
export function countNonFiniteHalf(h: HalfBits): number {
  const mask = h.dtype === 'bf16' ? 0x7f80 : 0x7c00;
  let n = 0;
  for (let i = 0; i < h.bits.length; i++) if ((h.bits[i] & mask) === mask) n++;
  return n;
}

/** the tensors holding NaN/±Inf, with how many values */
export function nonFiniteTensors(tensors: Iterable<[string, ArrayLike<number> | HalfBits]>): NonFinite[] {
  const out: NonFinite[] = [];
  for (const [name, a] of tensors) {
    const count = isHalf(a) ? countNonFiniteHalf(a) : countNonFinite(a);
    if (count) out.push({ name, count, size: a.length });
  }
  return out;
}

/** one warning line for weights read with NaN/±Inf (null when all are finite) */
export function nonFiniteWarning(tensors: Iterable<[string, ArrayLike<number> | HalfBits]>, source: string): string | null {
  const bad = nonFiniteTensors(tensors);
  if (!bad.length) return null;
  const list = bad.slice(0, 5).map((b) => `"${b.name}" (${b.count} of ${b.size} values)`).join(', ') + (bad.length > 5 ? `, ... (${bad.length} tensors in all)` : '');
  return `sppo: warning: ${source} holds NaN/Inf weights in ${list}; results that read them will be NaN`;
}
