// Elementwise ops (shaders/elementwise.wgsl). One thread per element.
import { ShapeError, type Tensor } from '../../backend.js';
import { sameSize } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { isHalf } from '../../half.js';

const WG = 256;

export function fill(be: WebGPUBackend, t: Tensor, value: number): void {
  const o = be.t(t);
  be.ctx.dispatch('elementwise', 'fill', {}, new Params().u(o.size).f(value), [o], grid1d(o.size, WG));
}

export function copy(be: WebGPUBackend, dst: Tensor, src: Tensor, o: { srcOffset?: number; dstOffset?: number; count?: number } = {}): void {
  const d = be.th(dst), s = be.th(src);
  const so = o.srcOffset ?? 0, dof = o.dstOffset ?? 0;
  const n = o.count ?? Math.min(s.size - so, d.size - dof);
  if (so < 0 || dof < 0 || n < 0 || so + n > s.size || dof + n > d.size) {
    throw new ShapeError(`copy: ${n} elements from offset ${so} of [${s.shape}] to offset ${dof} of [${d.shape}] is out of range`);
  }
  if (o.count === undefined && s.size !== d.size) throw new ShapeError(`copy: sizes differ (${s.size} vs ${d.size}); give count`);
  // a tensor past one storage binding (a large embedding the fused LM head slices): copy by
  // copyBufferToBuffer, which binds nothing (it ends the compute pass, so only then)
  const big = Math.max(s.buffer.size, d.buffer.size) > be.ctx.maxBinding;
  if (big && !isHalf(s.dtype) && s.dtype === d.dtype) { be.ctx.copyBytes(s, so * 4, d, dof * 4, n * 4); return; }
  if (isHalf(s.dtype) || isHalf(d.dtype)) {
    // 16-bit tensors are packed two per u32 word: whole words, copied as u32 (copy_words; through
    // f32 a pair could be flushed as a subnormal), in the step's compute pass; a whole tensor of
    // odd size copies its last, half-used word too
    if (s.dtype !== d.dtype) throw new ShapeError(`copy: ${s.dtype} into ${d.dtype}: a 16-bit copy needs the same dtype (dtypes differ; copy converts nothing)`);
    const whole = so === 0 && dof === 0 && n === s.size && n === d.size;
    if (!whole && (so % 2 || dof % 2 || n % 2)) throw new ShapeError(`copy: ${s.dtype} tensors are packed two per word on WebGPU: offsets (${so}, ${dof}) and count (${n}) must be even`);
    const words = Math.ceil(n / 2);
    if (big) { be.ctx.copyBytes(s, so * 2, d, dof * 2, words * 4); return; }
    be.ctx.dispatch('elementwise', 'copy_words', {}, new Params().u(words).f(0).u(so / 2).u(dof / 2), [d, s], grid1d(words, WG));
    return;
  }
  // copyBufferToBuffer wants 4-byte aligned offsets (always true for 32-bit elements) but a
  // copy ends the compute pass; a shader copy keeps the step in one pass.
  be.ctx.dispatch('elementwise', 'copy', {}, new Params().u(n).f(0).u(so).u(dof), [d, s], grid1d(n, WG));
}


function binary(be: WebGPUBackend, entry: 'add' | 'mul', out: Tensor, a: Tensor, b: Tensor): void {
  const n = sameSize(entry, ['out', out], ['a', a], ['b', b]);
  be.ctx.dispatch('elementwise', entry, {}, new Params().u(n).f(0), [be.t(out), be.t(a), be.t(b)], grid1d(n, WG));
}
export const add = (be: WebGPUBackend, out: Tensor, a: Tensor, b: Tensor) => binary(be, 'add', out, a, b);
export const mul = (be: WebGPUBackend, out: Tensor, a: Tensor, b: Tensor) => binary(be, 'mul', out, a, b);

export function scale(be: WebGPUBackend, out: Tensor, x: Tensor, s: number): void {
  const n = sameSize('scale', ['out', out], ['x', x]);
  be.ctx.dispatch('elementwise', 'scale', {}, new Params().u(n).f(s), [be.t(out), be.t(x)], grid1d(n, WG));
}

export function axpy(be: WebGPUBackend, y: Tensor, x: Tensor, alpha: number): void {
  const n = sameSize('axpy', ['y', y], ['x', x]);
  be.ctx.dispatch('elementwise', 'axpy', {}, new Params().u(n).f(alpha), [be.t(y), be.t(x)], grid1d(n, WG));
}
