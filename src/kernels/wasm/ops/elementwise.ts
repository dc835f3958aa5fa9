// Elementwise ops (assembly/kernels/elementwise.ts): tasks of EW_CHUNK elements. They are
// memory-bound and fast (~0.1 ns per element): work = n/4, so only ≥ 512K elements use threads.
import { ShapeError, type Tensor } from '../../backend.js';
import { sameSize } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { isHalf } from '../../half.js';

export function chunks(be: WasmBackend, n: number): number { return Math.ceil(n / be.k('EW_CHUNK')); }

export function fill(be: WasmBackend, t: Tensor, value: number): void {
  const p = be.p(t);
  if (t.dtype !== 'f32') throw new ShapeError(`fill: tensor${t.label ? ` "${t.label}"` : ''} must be f32, got ${t.dtype}; use write() for i32`);
  be.run('ew_fill', chunks(be, t.size), t.size / 4, [p, t.size, value]);
}

export function copy(be: WasmBackend, dst: Tensor, src: Tensor, o: { srcOffset?: number; dstOffset?: number; count?: number } = {}): void {
  const d = be.ph(dst), s = be.ph(src);
  const so = o.srcOffset ?? 0, dof = o.dstOffset ?? 0;
  const n = o.count ?? Math.min(src.size - so, dst.size - dof);
  if (![so, dof, n].every(Number.isInteger) || so < 0 || dof < 0 || n < 0 || so + n > src.size || dof + n > dst.size) {
    throw new ShapeError(`copy: ${n} elements from offset ${so} of [${src.shape}] to offset ${dof} of [${dst.shape}] is out of range`);
  }
  if (o.count === undefined && src.size !== dst.size) throw new ShapeError(`copy: sizes differ (${src.size} vs ${dst.size}); give count`);
  if (n === 0) return;
  if (isHalf(src.dtype) || isHalf(dst.dtype)) {
    // 16-bit tensors (e.g. a slice of a bf16 LM head): a bit copy of 2-byte elements, memmove semantics
    if (src.dtype !== dst.dtype) throw new ShapeError(`copy: ${src.dtype} into ${dst.dtype}: a 16-bit copy needs the same dtype (dtypes differ; copy converts nothing)`);
    be.u16.copyWithin(d / 2 + dof, s / 2 + so, s / 2 + so + n);
    return;
  }
  const dp = d + 4 * dof, sp = s + 4 * so;
  // overlapping ranges of one tensor: one task, memmove semantics
  const overlap = dst === src && sp < dp + 4 * n && dp < sp + 4 * n;
  if (overlap) be.run('ew_copy', 1, 0, [dp, sp, n]);
  else be.run('ew_copy', chunks(be, n), n / 4, [dp, sp, n]);
}


export function add(be: WasmBackend, out: Tensor, a: Tensor, b: Tensor): void {
  const n = sameSize('add', ['out', out], ['a', a], ['b', b]);
  be.run('ew_add', chunks(be, n), n / 4, [be.p(out), be.p(a), be.p(b), n]);
}

export function mul(be: WasmBackend, out: Tensor, a: Tensor, b: Tensor): void {
  const n = sameSize('mul', ['out', out], ['a', a], ['b', b]);
  be.run('ew_mul', chunks(be, n), n / 4, [be.p(out), be.p(a), be.p(b), n]);
}

export function scale(be: WasmBackend, out: Tensor, x: Tensor, s: number): void {
  const n = sameSize('scale', ['out', out], ['x', x]);
  be.run('ew_scale', chunks(be, n), n / 4, [be.p(out), be.p(x), n, s]);
}

export function axpy(be: WasmBackend, y: Tensor, x: Tensor, alpha: number): void {
  const n = sameSize('axpy', ['y', y], ['x', x]);
  be.run('ew_axpy', chunks(be, n), n / 4, [be.p(y), be.p(x), n, alpha]);
}
