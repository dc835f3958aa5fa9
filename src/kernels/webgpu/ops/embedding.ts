// Token embedding gather and its deterministic scatter-add backward (shaders/embedding.wgsl).
import type { Tensor } from '../../backend.js';
import { checkEmbedding, noAlias } from '../../validate.js';
import { grid1d, Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit } from './variants.js';

const WG = 64;
/** vocabulary classes of the backward pass (each re-reads all ids; more = more parallel) */
const MAX_PARTS = 128;

export function embedding(be: WebGPUBackend, out: Tensor, table: Tensor, ids: Tensor): void {
  const { vocab, cols, n } = checkEmbedding('embedding', table, ids, out);
  noAlias('embedding', [['out', out]], [['table', table]]);
  const total = n * cols;
  be.ctx.dispatch('embedding', 'embedding', {}, new Params().u(total).u(cols).u(vocab).u(1), [be.t(out), be.t(table), be.t(ids)], grid1d(total, WG, gridLimit(be)));
}

export function embeddingBackward(be: WebGPUBackend, dtable: Tensor, dout: Tensor, ids: Tensor): void {
  const { vocab, cols, n } = checkEmbedding('embeddingBackward', dtable, ids, dout, 'dtable', 'dout');
  noAlias('embeddingBackward', [['dtable', dtable]], [['dout', dout]]);
  if (n === 0 || cols === 0 || vocab === 0) return;
  const parts = Math.min(vocab, MAX_PARTS);
  be.ctx.dispatch('embedding', 'embedding_backward', {}, new Params().u(n).u(cols).u(vocab).u(parts), [be.t(dtable), be.t(dout), be.t(ids)], [Math.ceil(cols / WG), parts]);
}
