// DeBERTa disentangled self-attention, forward (assembly/kernels/attention_rel.ts): tasks
// (b, h, QB query rows); a row with no key to attend to gets out = 0, lse = EMPTY_LSE.
import type { DisentangledAttentionOptions, Tensor } from '../../backend.js';
import { checkDisentangled, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { EMPTY_LSE } from './attention.js';

export function disentangledAttention(be: WasmBackend, out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, o: DisentangledAttentionOptions): void {
  const op = 'disentangledAttention';
  checkDisentangled(op, q, k, v, out, lse, pos, relIdx, o);
  noAlias(op, [['out', out], ['lse', lse]], [['q', q], ['k', k], ['v', v], ['pos', pos], ['relIdx', relIdx], ['keyMask', o.keyMask]]);
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = o;
  const QB = be.k('QB');
  const stride = (T + D + 16) * 4;
  const scratch = be.scratch(be.threads * stride, 2);
  const work = B * H * T * T * D * 6 / 5; // ≈ ns: three dot products and an axpy per (i, j)
  be.run('att_rel_forward', B * H * Math.ceil(T / QB), work, [be.p(out), be.p(lse), be.p(q), be.p(k), be.p(v), be.p(pos), be.p(relIdx), be.p(o.keyMask),
    B, T, H, D, R, o.c2p ? 1 : 0, o.p2c ? 1 : 0, o.scale, EMPTY_LSE, scratch, stride]);
}

/** Backward of disentangledAttention: dq, dk, dv (B,T,H,D), dpos (R,2,H,D) written; P and dS
 *  (B,H,T,T) live in tensors held for the op */
export function disentangledAttentionBackward(be: WasmBackend, dq: Tensor, dk: Tensor, dv: Tensor, dpos: Tensor, dout: Tensor,
  q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, out: Tensor, lse: Tensor, o: DisentangledAttentionOptions): void {
  const op = 'disentangledAttentionBackward';
  checkDisentangled(op, q, k, v, out, lse, pos, relIdx, o);
  checkDisentangled(op, dq, dk, dv, dout, lse, dpos, relIdx, o);
  noAlias(op, [['dq', dq], ['dk', dk], ['dv', dv], ['dpos', dpos]], [['dout', dout], ['q', q], ['k', k], ['v', v], ['pos', pos], ['relIdx', relIdx], ['out', out], ['lse', lse], ['keyMask', o.keyMask]]);
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = o;
  const QB = be.k('QB');
  const c2p = o.c2p ? 1 : 0, p2c = o.p2c ? 1 : 0;
  const Pm = be.tensor([B * H * T * T], 'f32', 'relattn-P'), dS = be.tensor([B * H * T * T], 'f32', 'relattn-dS');
  try {
    const tasks = B * H * Math.ceil(T / QB), work = B * H * T * T * D * 5 / 5;
    const rel = be.p(relIdx);
    be.run('att_rel_bwd_probs', tasks, work, [be.p(Pm), be.p(dS), be.p(dout), be.p(out), be.p(lse), be.p(q), be.p(k), be.p(v), be.p(pos), rel, be.p(o.keyMask), B, T, H, D, R, c2p, p2c, o.scale]);
    be.run('att_rel_bwd_dq', tasks, work, [be.p(dq), be.p(dS), be.p(k), be.p(pos), rel, B, T, H, D, R, c2p, o.scale]);
    be.run('att_rel_bwd_dkv', tasks, work, [be.p(dk), be.p(dv), be.p(dS), be.p(Pm), be.p(q), be.p(dout), be.p(pos), rel, B, T, H, D, R, p2c, o.scale]);
    be.run('att_rel_bwd_dpos', H, work, [be.p(dpos), be.p(dS), be.p(q), be.p(k), rel, B, T, H, D, R, c2p, p2c, o.scale]);
  } finally {
    be.dispose(Pm); be.dispose(dS);
  }
}
