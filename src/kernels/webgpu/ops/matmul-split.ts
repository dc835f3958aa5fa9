// Matmul whose b is past one storage binding (a large vocabulary's head in generation or in the
// full-logits head, on an adapter with a small maxStorageBufferBindingSize): b is cut into
// blocks of its rows that each fit one binding, each copied out by copyBufferToBuffer (which
// binds nothing) and multiplied by the ordinary kernels:
//   transB, b (N, K): rows [n0, n0+nb) of b are columns [n0, n0+nb) of out:
//       outBlock (batch·M, nb) = alpha · op(a) · blockᵀ (+ bias[n0:]), then scattered into out's
//       columns (copy_block, adding when accumulate)
//   b (K, N):         rows [k0, k0+kb) of b meet columns [k0, k0+kb) of op(a):
//       out (+)= alpha · op(a)[:, k0:k0+kb] · block   (the first block writes, with the bias,
//       unless accumulate; the rest add); op(a)'s columns gathered by copy_block (a (M,K)) or
//       copied as rows (transA: a (K,M))
// One b for the whole batch (batch 1 or broadcastB); a batched b past the binding is refused.
import type { MatmulOptions, Tensor } from '../../backend.js';
import { bytesPerElement } from '../../half.js';
import { grid1d, Params, type GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit } from './variants.js';

const WG = 64;

/** dst[r·dstStride + dstOff + j] (+)= src[r·srcStride + srcOff + j] */
function copyBlock(be: WebGPUBackend, dst: GPUTensor, src: GPUTensor, rows: number, cols: number, srcStride: number, srcOff: number, dstStride: number, dstOff: number, add: boolean): void {
  be.ctx.dispatch('copy_block', 'copy_block', {}, new Params().u(rows).u(cols).u(srcStride).u(srcOff).u(dstStride).u(dstOff).u(add ? 1 : 0), [dst, src], grid1d(rows * cols, WG, gridLimit(be)));
}

/** rows [r0, r0+count) of a row-major tensor with `width` elements per row, as a tensor of its own */
function rowsOf(be: WebGPUBackend, t: GPUTensor, r0: number, count: number, width: number): GPUTensor {
  const bpe = bytesPerElement(t.dtype);
  const out = be.tensor([count, width], t.dtype, `${t.label ?? 'b'} rows`) as GPUTensor;
  // whole 4-byte words (the caller keeps r0·width·bpe a multiple of 4); the source's padding
  // covers a last half-used word
  be.ctx.copyBytes(t, r0 * width * bpe, out, 0, Math.ceil((count * width * bpe) / 4) * 4);
  return out;
}

export function matmulSplitB(be: WebGPUBackend, out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions, kernel: (out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions) => void): void {
  const tb = be.th(b), to = be.t(out), ta = be.t(a);
  const batch = o.batch ?? 1, M = o.m, N = o.n, K = o.k;
  if (batch > 1 && !o.broadcastB) throw be.ctx.bindingError('matmul (a batched b)', tb);
  if (o.transA && batch > 1) throw be.ctx.bindingError('matmul (batched transposed a)', tb);
  const bpe = bytesPerElement(b.dtype);
  const width = o.transB ? K : N; // b's row width
  // rows per block: fit one binding, start 4-byte aligned (an even count of 16-bit rows of odd width)
  const limit = Math.floor(be.ctx.maxBinding / 4) * 4;
  let per = Math.floor(limit / (width * bpe));
  if ((width * bpe) % 4 !== 0) per -= per % 2;
  if (per < 1) throw be.ctx.bindingError('matmul (one row of b is past the binding)', tb);
  const total = o.transB ? N : K;
  const temps: Tensor[] = [];
  const keep = <T extends Tensor>(t: T) => { temps.push(t); return t; };
  try {
    for (let r0 = 0; r0 < total; r0 += per) {
      const nb = Math.min(per, total - r0);
      const block = keep(rowsOf(be, tb, r0, nb, width));
      if (o.transB) {
        let bias: Tensor | undefined;
        if (o.bias) { bias = keep(be.tensor([nb])); be.ctx.copyBytes(be.t(o.bias), r0 * 4, bias as GPUTensor, 0, nb * 4); }
        const ob = keep(be.tensor([batch * M, nb]));
        kernel(ob, a, block, { ...o, n: nb, bias, accumulate: false, broadcastB: batch > 1 ? true : o.broadcastB });
        copyBlock(be, to, be.t(ob), batch * M, nb, nb, 0, N, r0, !!o.accumulate);
      } else {
        // op(a)'s columns [r0, r0+nb)
        let ab: Tensor;
        if (o.transA) ab = keep(rowsOf(be, ta, r0, nb, M));
        else { ab = keep(be.tensor([batch * M, nb])); copyBlock(be, be.t(ab), ta, batch * M, nb, K, r0, nb, 0, false); }
        const first = r0 === 0;
        kernel(out, ab, block, { ...o, k: nb, bias: first ? o.bias : undefined, accumulate: first ? o.accumulate : true });
      }
    }
  } finally {
    be.flush();
    for (const t of temps) be.dispose(t);
  }
}
