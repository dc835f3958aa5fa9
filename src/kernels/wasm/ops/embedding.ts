// Embedding lookup and scatter-add backward (assembly/kernels/embedding.ts). Ids live in wasm
// memory, so the host checks them: an id outside [0, V) throws (the interface's rule where
// ids are known on the host), except -1, the padding id, which gives zeros and is skipped.
import { ShapeError, type Tensor } from '../../backend.js';
import { checkEmbedding, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

function checkIds(be: WasmBackend, op: string, ids: Tensor, V: number): void {
  const p = be.p(ids) / 4;
  const a = be.i32;
  for (let i = 0; i < ids.size; i++) {
    const id = a[p + i];
    if ((id < 0 && id !== -1) || id >= V) throw new ShapeError(`${op}: ids[${i}] = ${id} is outside the table's rows [0, ${V}); check the tokenizer's vocabulary size against the model's`);
  }
}

export function embedding(be: WasmBackend, out: Tensor, table: Tensor, ids: Tensor): void {
  const { vocab: V, cols: C, n: N } = checkEmbedding('embedding', table, ids, out);
  noAlias('embedding', [['out', out]], [['table', table], ['ids', ids]]);
  checkIds(be, 'embedding', ids, V);
  const rows = Math.max(1, Math.floor(16384 / Math.max(C, 1)));
  if (table.dtype !== 'f32') {
    be.run('emb_forward_half', Math.ceil(N / rows), N * C, [be.p(out), be.ph(table), be.p(ids), N, V, C, rows, table.dtype === 'bf16' ? 1 : 2]);
    return;
  }
  be.run('emb_forward', Math.ceil(N / rows), N * C, [be.p(out), be.p(table), be.p(ids), N, V, C, rows]);
}

export function embeddingBackward(be: WasmBackend, dtable: Tensor, dout: Tensor, ids: Tensor): void {
  const { vocab: V, cols: C, n: N } = checkEmbedding('embeddingBackward', dtable, ids, dout, 'dtable', 'dout');
  noAlias('embeddingBackward', [['dtable', dtable]], [['dout', dout], ['ids', ids]]);
  checkIds(be, 'embeddingBackward', ids, V);
  be.run('emb_backward', Math.ceil(C / be.k('COL_BLOCK')), N * C, [be.p(dtable), be.p(dout), be.p(ids), N, V, C]);
}
