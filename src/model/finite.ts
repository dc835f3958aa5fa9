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

/** the tensors holding NaN/±Inf, with how many values */
export function nonFiniteTensors(tensors: Iterable<[string, ArrayLike<number>]>): NonFinite[] {
  const out: NonFinite[] = [];
  for (const [name, a] of tensors) {
    const count = countNonFinite(a);
    if (count) out.push({ name, count, size: a.length });
  }
  return out;
}

/** one warning line for weights read with NaN/±Inf (null when all are finite) */
export function nonFiniteWarning(tensors: Iterable<[string, ArrayLike<number>]>, source: string): string | null {
  const bad = nonFiniteTensors(tensors);
  if (!bad.length) return null;
  const list = bad.slice(0, 5).map((b) => `"${b.name}" (${b.count} of ${b.size} values)`).join(', ') + (bad.length > 5 ? `, ... (${bad.length} tensors in all)` : '');
  return `sppo: warning: ${source} holds NaN/Inf weights in ${list}; results that read them will be NaN`;
}
