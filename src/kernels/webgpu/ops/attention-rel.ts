// DeBERTa disentangled self-attention, forward (shaders/attention_rel.wgsl): one thread per
// query row, online softmax, c2p and p2c terms gathered by a (T,T) index table.
import { ShapeError, type DisentangledAttentionOptions, type Tensor } from '../../backend.js';
import { checkDisentangled, noAlias } from '../../validate.js';
import { Params, type GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';

const ones = new WeakMap<WebGPUBackend, GPUTensor>();
/** an all-ones i32 mask of at least n elements, reused */
function onesMask(be: WebGPUBackend, n: number): GPUTensor {
  let t = ones.get(be);
  if (!t || t.size < n) {
    if (t) be.dispose(t);
    t = be.t(be.fromArray(new Int32Array(n).fill(1), [n], 'i32', 'ones-mask'));
    ones.set(be, t);
  }
  return t;
}

export function disentangledAttention(be: WebGPUBackend, out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, o: DisentangledAttentionOptions): void {
  const op = 'disentangledAttention';
  checkDisentangled(op, q, k, v, out, lse, pos, relIdx, o);
  noAlias(op, [['out', out], ['lse', lse]], [['q', q], ['k', k], ['v', v], ['pos', pos], ['relIdx', relIdx], ['keyMask', o.keyMask]]);
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = o;
  const MAXD = D <= 32 ? 32 : D <= 64 ? 64 : D <= 128 ? 128 : D <= 256 ? 256 : 0;
  if (!MAXD) throw new ShapeError(`${op}: headDim ${D} over the supported 256`);
  const mask = o.keyMask ? be.t(o.keyMask) : onesMask(be, B * T);
  const p = new Params().u(B).u(T).u(H).u(D).u(R).f(o.c2p ? 1 : 0).f(o.p2c ? 1 : 0).f(o.scale);
  const rows = B * H * T;
  be.ctx.dispatch('attention_rel', 'main', { MAXD }, p, [be.t(out), be.t(lse), be.t(q), be.t(k), be.t(v), be.t(pos), be.t(relIdx), mask], [Math.ceil(rows / 64)]);
}
