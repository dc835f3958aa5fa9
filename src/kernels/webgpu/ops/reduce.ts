// Reductions (shaders/reduce.wgsl, shaders/reduce_serial.wgsl): sum of squares (global
// gradient norm), column sums (bias gradients), per-sequence masked sums and their backward.
// All deterministic: a two-stage reduction into a scratch tensor whose size depends only on
// the input size (and the variant, ops/variants.ts), no atomics.
import { expectDtype, expectSize, ShapeError, type Tensor } from '../../backend.js';
import { checkRows, noAlias } from '../../validate.js';
import { grid1d, Params, type GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit, rowPlan, rowVariant, SERIAL_WG } from './variants.js';

const WG = 256;
/** at most this many partial sums for sumSquares (stage 2 is one workgroup) */
const MAX_PARTS = 256;
/** each sumSquares thread sums at least this many elements before the workgroup reduction */
const PER_THREAD = 8;
/** 'serial' sumSquares: at most this many chunks, each of at least SERIAL_MIN_CHUNK elements */
const SERIAL_MAX_PARTS = 4096;
const SERIAL_MIN_CHUNK = 256;
/** threads per workgroup of the column sums (one thread per column) */
const COL_WG = 64;

/** a scratch tensor for one recorded step: released at once, which is safe because dispatches
 *  in a pass run in order, so a later reuse of the buffer cannot overtake this one */
export function scratch(be: WebGPUBackend, n: number, label: string): GPUTensor {
  return be.ctx.createTensor([n], 'f32', label);
}

export function sumSquares(be: WebGPUBackend, out: Tensor, x: Tensor, o: { accumulate?: boolean } = {}): void {
  expectSize('sumSquares', 'out', out, 1);
  expectDtype('sumSquares', 'out', out, 'f32');
  expectDtype('sumSquares', 'x', x, 'f32');
  noAlias('sumSquares', [['out', out]], [['x', x]]);
  const n = x.size, acc = o.accumulate ? 1 : 0;
  const to = be.t(out), tx = be.t(x);
  if (rowVariant(be) === 'serial') {
    // K threads each square-sum a contiguous chunk of L ≥ 256 elements; one thread adds the K
    const L = Math.max(SERIAL_MIN_CHUNK, Math.ceil(n / SERIAL_MAX_PARTS));
    const K = Math.max(1, Math.ceil(n / L));
    const p = new Params().u(n).u(0).u(L).u(K);
    if (K === 1) {
      be.ctx.dispatch('reduce_serial', 'sum_squares_partial', { FINAL: 1, ACC: acc }, p, [to, tx], [1]);
      return;
    }
    const part = scratch(be, K, 'sumSquares.partial');
    be.ctx.dispatch('reduce_serial', 'sum_squares_partial', { FINAL: 0, ACC: 0 }, p, [part, tx], grid1d(K, SERIAL_WG, gridLimit(be)));
    be.ctx.dispatch('reduce_serial', 'sum_squares_final', { FINAL: 1, ACC: acc }, new Params().u(K), [to, part], [1]);
    be.ctx.release(part);
    return;
  }
  const parts = Math.max(1, Math.min(MAX_PARTS, Math.ceil(n / (WG * PER_THREAD))));
  if (parts === 1) {
    be.ctx.dispatch('reduce', 'sum_squares_partial', { WG, FINAL: 1, ACC: acc }, new Params().u(n), [to, tx], [1]);
    return;
  }
  const part = scratch(be, parts, 'sumSquares.partial');
  be.ctx.dispatch('reduce', 'sum_squares_partial', { WG, FINAL: 0, ACC: 0 }, new Params().u(n), [part, tx], [parts]);
  be.ctx.dispatch('reduce', 'sum_squares_final', { WG, FINAL: 1, ACC: acc }, new Params().u(parts), [to, part], [1]);
  be.ctx.release(part);
}

/** rows per chunk of a two-stage column sum over N rows: at most 64 chunks, at least 64 rows each */
export function colChunks(rows: number): { rowsPerChunk: number; chunks: number } {
  const chunks = Math.max(1, Math.min(64, Math.floor(rows / 64)));
  const rowsPerChunk = Math.ceil(rows / chunks);
  return { rowsPerChunk, chunks: Math.ceil(rows / rowsPerChunk) };
}

export function sumRows(be: WebGPUBackend, out: Tensor, x: Tensor, o: { accumulate?: boolean } = {}): void {
  expectDtype('sumRows', 'out', out, 'f32');
  expectDtype('sumRows', 'x', x, 'f32');
  const { rows, cols } = checkRows('sumRows', x, out.size);
  noAlias('sumRows', [['out', out]], [['x', x]]);
  const acc = o.accumulate ? 1 : 0;
  if (rows === 0) { if (!acc) be.fill(out, 0); return; }
  const { rowsPerChunk, chunks } = colChunks(rows);
  const to = be.t(out), tx = be.t(x);
  const gx = Math.ceil(cols / COL_WG);
  const p = new Params().u(rows).u(cols).u(rowsPerChunk).u(chunks);
  if (chunks === 1) {
    be.ctx.dispatch('reduce', 'col_sum_partial', { WG: COL_WG, FINAL: 1, ACC: acc }, p, [to, tx], [gx, 1]);
    return;
  }
  const part = scratch(be, chunks * cols, 'sumRows.partial');
  be.ctx.dispatch('reduce', 'col_sum_partial', { WG: COL_WG, FINAL: 0, ACC: 0 }, p, [part, tx], [gx, chunks]);
  be.ctx.dispatch('reduce', 'col_sum_final', { WG: COL_WG, FINAL: 1, ACC: acc }, p, [to, part], [gx]);
  be.ctx.release(part);
}

function checkSeq(op: string, bt: Tensor, mask: Tensor, perSeq: Tensor, perSeqName: string): { B: number; T: number } {
  for (const [name, t] of [['x', bt], ['mask', mask], [perSeqName, perSeq]] as const) expectDtype(op, name, t, 'f32');
  expectSize(op, 'mask', mask, bt.size);
  const B = perSeq.size;
  if (B < 1 || bt.size % B !== 0) throw new ShapeError(`${op}: ${bt.size} elements are not ${B} sequences of equal length: x and mask must be (B,T), ${perSeqName} (B)`);
  return { B, T: bt.size / B };
}

export function seqSum(be: WebGPUBackend, out: Tensor, x: Tensor, mask: Tensor): void {
  const { B, T } = checkSeq('seqSum', x, mask, out, 'out');
  noAlias('seqSum', [['out', out]], [['x', x], ['mask', mask]]);
  if (T === 0) { be.fill(out, 0); return; }
  const plan = rowPlan(be, 'reduce', B, T, { FINAL: 0, ACC: 0 });
  be.ctx.dispatch(plan.shader, 'seq_sum', plan.defines, new Params().u(B).u(T), [be.t(out), be.t(x), be.t(mask)], plan.grid);
}

export function seqSumBackward(be: WebGPUBackend, dx: Tensor, dout: Tensor, mask: Tensor): void {
  const { B, T } = checkSeq('seqSumBackward', dx, mask, dout, 'dout');
  noAlias('seqSumBackward', [['dx', dx]], [['dout', dout], ['mask', mask]]);
  const n = B * T;
  be.ctx.dispatch('reduce', 'seq_sum_backward', { WG, FINAL: 0, ACC: 0 }, new Params().u(n).u(T), [be.t(dx), be.t(dout), be.t(mask)], grid1d(n, WG, gridLimit(be)));
}
