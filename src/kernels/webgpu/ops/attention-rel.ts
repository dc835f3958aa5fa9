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

/**
 * Backward of disentangledAttention (shaders/attention_rel_bwd.wgsl): dq, dk, dv (B,T,H,D) and
 * dpos (R,2,H,D) written. Works through P/dS (B,H,T,T) and stats (B,H,T,3) held for the op.
 */
export function disentangledAttentionBackward(be: WebGPUBackend, dq: Tensor, dk: Tensor, dv: Tensor, dpos: Tensor, dout: Tensor,
  q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, out: Tensor, lse: Tensor, o: DisentangledAttentionOptions): void {
  const op = 'disentangledAttentionBackward';
  checkDisentangled(op, q, k, v, out, lse, pos, relIdx, o);
  checkDisentangled(op, dq, dk, dv, dout, lse, dpos, relIdx, o);
  noAlias(op, [['dq', dq], ['dk', dk], ['dv', dv], ['dpos', dpos]], [['dout', dout], ['q', q], ['k', k], ['v', v], ['pos', pos], ['relIdx', relIdx], ['out', out], ['lse', lse], ['keyMask', o.keyMask]]);
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = o;
  const mask = o.keyMask ? be.t(o.keyMask) : onesMask(be, B * T);
  const p = new Params().u(B).u(T).u(H).u(D).u(R).f(o.c2p ? 1 : 0).f(o.p2c ? 1 : 0).f(o.scale);
  const st = be.tensor([B * H * T * 3], 'f32', 'relattn-stats'), P = be.tensor([B * H * T * T], 'f32', 'relattn-P');
  const rows: [number] = [Math.ceil((B * H * T) / 64)];
  const t = (x: Tensor) => be.t(x);
  const rel = t(relIdx);
  be.ctx.dispatch('attention_rel_bwd', 'stats', {}, p, [t(st), mask, t(out), t(dout), t(lse)], rows);
  be.ctx.dispatch('attention_rel_bwd', 'probs', {}, p, [t(P), rel, t(q), t(k), t(pos), t(st)], rows);
  be.ctx.dispatch('attention_rel_bwd', 'dv', {}, p, [t(dv), rel, t(P), t(dout)], rows);
  be.ctx.dispatch('attention_rel_bwd', 'dscores', {}, p, [t(P), rel, t(dout), t(v), t(st)], rows);
  be.ctx.dispatch('attention_rel_bwd', 'dq', {}, p, [t(dq), rel, t(P), t(k), t(pos)], rows);
  be.ctx.dispatch('attention_rel_bwd', 'dk', {}, p, [t(dk), rel, t(P), t(q), t(pos)], rows);
  be.ctx.dispatch('attention_rel_bwd', 'dpos', {}, p, [t(dpos), rel, t(P), t(q), t(k)], [Math.ceil((H * D) / 64)]);
  be.dispose(st); be.dispose(P);
}
