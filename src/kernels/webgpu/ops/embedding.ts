// Token embedding gather and its deterministic scatter-add backward (shaders/embedding.wgsl).
// A table past one storage binding (a large vocabulary's embedding) is gathered in passes over
// row ranges bound at aligned offsets; the backward (a trained embedding) binds dtable whole.
import type { Tensor } from '../../backend.js';
import { checkEmbedding, noAlias } from '../../validate.js';
import { ShapeError } from '../../backend.js';
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
  const half = table.dtype !== 'f32';
  const t = be.th(table);
  const [shader, defines] = half ? ['embedding_half', { HALF: table.dtype === 'bf16' ? 1 : 2 }] as const : ['embedding', {}] as const;
  const grid = grid1d(total, WG, gridLimit(be));
  if (t.buffer.size <= be.ctx.maxBinding) {
    be.ctx.dispatch(shader, shader, defines, new Params().u(total).u(cols).u(vocab).u(1).u(0).u(vocab), [be.t(out), t, be.t(ids)], grid);
    return;
  }
  // a table past one storage binding: passes over row ranges that each fit one, bound at offsets
  // the adapter accepts (a multiple of its alignment: rows per pass a multiple of `step`); each
  // pass writes the tokens whose rows it holds (and all of them the zeros of ids outside [0,V))
  const rowBytes = cols * (half ? 2 : 4), align = be.ctx.offsetAlign;
  const step = align / gcd(align, rowBytes);
  const rows = Math.floor(Math.floor(be.ctx.maxBinding / 4) * 4 / rowBytes / step) * step;
  if (rows < 1) throw new ShapeError(`embedding: the table [${table.shape.join(', ')}] (${table.dtype}) is past the maxStorageBufferBindingSize of ${be.ctx.maxBinding} bytes, and ${step} of its rows (the binding offset alignment of ${align} bytes) do not fit one binding: use the wasm backend`);
  for (let v0 = 0; v0 < vocab; v0 += rows) {
    const r = Math.min(rows, vocab - v0);
    const size = Math.min(Math.ceil((r * rowBytes) / 4) * 4, t.buffer.size - v0 * rowBytes);
    be.ctx.dispatch(shader, shader, defines, new Params().u(total).u(cols).u(vocab).u(1).u(v0).u(r), [be.t(out), { t, offset: v0 * rowBytes, size }, be.t(ids)], grid);
  }
}

function gcd(a: number, b: number): number { while (b) [a, b] = [b, a % b]; return a; }

export function embeddingBackward(be: WebGPUBackend, dtable: Tensor, dout: Tensor, ids: Tensor): void {
  const { vocab, cols, n } = checkEmbedding('embeddingBackward', dtable, ids, dout, 'dtable', 'dout');
  noAlias('embeddingBackward', [['dtable', dtable]], [['dout', dout]]);
  if (n === 0 || cols === 0 || vocab === 0) return;
  const parts = rowVariant(be) === 'serial' ? 1 : Math.min(vocab, MAX_PARTS);
  be.ctx.dispatch('embedding', 'embedding_backward', {}, new Params().u(n).u(cols).u(vocab).u(parts).u(0).u(vocab), [be.t(dtable), be.t(dout), be.t(ids)], [Math.ceil(cols / WG), parts]);
}
