// Token embedding gather and its deterministic scatter-add backward (shaders/embedding.wgsl).
import type { Tensor } from '../../backend.js';
import { checkEmbedding, noAlias } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit, rowVariant } from './variants.js';

const WG = 64;
/** vocabulary classes of the backward pass on GPUs: each class's workgroups re-read all N ids,
 *  which buys parallelism there; on a CPU emulation ('serial' variant, ops/variants.ts) the
 *  re-reading is the cost (SwiftShader: V=5000, C=256, N=1024 took 43 ms with 1 class, 347 ms
 *  with 8, 4.3 s with 128), so it uses one class: one thread per channel, tokens in order */
const MAX_PARTS = 128;

export function embedding(be: WebGPUBackend, out: Tensor, table: Tensor, ids: Tensor): void {
  const { vocab, cols, n } = checkEmbedding('embedding', table, ids, out);
  noAlias('embedding', [['out', out]], [['table', table]]);
  const total = n * cols;
  if (table.dtype !== 'f32') {
    be.ctx.dispatch('embedding_half', 'embedding_half', { HALF: table.dtype === 'bf16' ? 1 : 2 }, new Params().u(total).u(cols).u(vocab).u(1), [be.t(out), be.th(table), be.t(ids)], grid1d(total, WG, gridLimit(be)));
    return;
  }
  be.ctx.dispatch('embedding', 'embedding', {}, new Params().u(total).u(cols).u(vocab).u(1), [be.t(out), be.t(table), be.t(ids)], grid1d(total, WG, gridLimit(be)));
}

export function embeddingBackward(be: WebGPUBackend, dtable: Tensor, dout: Tensor, ids: Tensor): void {
  const { vocab, cols, n } = checkEmbedding('embeddingBackward', dtable, ids, dout, 'dtable', 'dout');
  noAlias('embeddingBackward', [['dtable', dtable]], [['dout', dout]]);
  if (n === 0 || cols === 0 || vocab === 0) return;
  const parts = rowVariant(be) === 'serial' ? 1 : Math.min(vocab, MAX_PARTS);
  be.ctx.dispatch('embedding', 'embedding_backward', {}, new Params().u(n).u(cols).u(vocab).u(parts), [be.t(dtable), be.t(dout), be.t(ids)], [Math.ceil(cols / WG), parts]);
}
