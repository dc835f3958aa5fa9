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
