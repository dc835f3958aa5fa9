// Reductions (assembly/kernels/reduce.ts), two phases with fixed chunk sizes so results do
// not depend on the thread count.
import { expectDtype, expectSize, ShapeError, type Tensor } from '../../backend.js';
import { noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

/** out (1) = Σ x² (accumulate: +=): f64 partials per RED_CHUNK, summed in order */
export function sumSquares(be: WasmBackend, out: Tensor, x: Tensor, o: { accumulate?: boolean } = {}): void {
  expectSize('sumSquares', 'out', out, 1);
  expectDtype('sumSquares', 'out', out, 'f32');
  expectDtype('sumSquares', 'x', x, 'f32');
  noAlias('sumSquares', [['out', out]], [['x', x]]);
  const n = x.size;
  const nparts = Math.max(1, Math.ceil(n / be.k('RED_CHUNK')));
  const part = be.scratch(nparts * 8);
  if (n === 0) { be.f32.fill(0, part / 4, part / 4 + 2); }
  else be.run('red_sumsq_partial', nparts, n / 2, [part, be.p(x), n]);
  be.run('red_sumsq_final', 1, 0, [be.p(out), part, nparts, o.accumulate ? 1 : 0]);
}

/** out (C) (+)= Σ_rows x (N,C): per-ROW_CHUNK partials, then column sums in chunk order */
export function sumRows(be: WasmBackend, out: Tensor, x: Tensor, o: { accumulate?: boolean } = {}): void {
  expectDtype('sumRows', 'out', out, 'f32');
  expectDtype('sumRows', 'x', x, 'f32');
  const C = out.size;
  if (C < 1 || x.size % C !== 0) throw new ShapeError(`sumRows: x has ${x.size} elements, not a whole number of rows of out's ${C}: x must be (N, C) with out (C)`);
  const N = x.size / C;
  noAlias('sumRows', [['out', out]], [['x', x]]);
  colSums(be, be.p(out), be.p(x), N, C, o.accumulate ?? false);
}

/** out (C) (+)= Σ of the N rows of x (N,C), fixed chunking (shared with the norm backward) */
export function colSums(be: WasmBackend, out: number, x: number, N: number, C: number, accumulate: boolean): void {
  const RC = be.k('ROW_CHUNK'), CB = be.k('COL_BLOCK');
  const colTasks = Math.ceil(C / CB);
  if (N <= RC) { be.run('red_colsum', colTasks, N * C, [out, x, N, C, accumulate ? 1 : 0]); return; }
  const nchunks = Math.ceil(N / RC);
  const part = be.scratch(nchunks * C * 4, 1);
  be.run('red_colsum_chunks', nchunks, N * C, [part, x, N, C]);
  be.run('red_colsum', colTasks, nchunks * C, [out, part, nchunks, C, accumulate ? 1 : 0]);
}

function checkSeq(op: string, per: Tensor, full: Tensor, mask: Tensor, perName: string, fullName: string): { B: number; T: number } {
  expectDtype(op, perName, per, 'f32'); expectDtype(op, fullName, full, 'f32'); expectDtype(op, 'mask', mask, 'f32');
  const B = per.size;
  if (B < 1 || full.size % B !== 0) throw new ShapeError(`${op}: ${fullName} has ${full.size} elements, not a whole number of rows for ${perName} (${B}): ${fullName} must be (B, T) with ${perName} (B)`);
  expectSize(op, 'mask', mask, full.size);
  return { B, T: full.size / B };
}

export function seqSum(be: WasmBackend, out: Tensor, x: Tensor, mask: Tensor): void {
  const { B, T } = checkSeq('seqSum', out, x, mask, 'out', 'x');
  noAlias('seqSum', [['out', out]], [['x', x], ['mask', mask]]);
  be.run('red_seqsum', Math.ceil(B / be.k('SEQ_ROWS')), B * T, [be.p(out), be.p(x), be.p(mask), B, T]);
}

export function seqSumBackward(be: WasmBackend, dx: Tensor, dout: Tensor, mask: Tensor): void {
  const { B, T } = checkSeq('seqSumBackward', dout, dx, mask, 'dout', 'dx');
  noAlias('seqSumBackward', [['dx', dx]], [['dout', dout], ['mask', mask]]);
  be.run('red_seqsum_backward', Math.ceil(B / be.k('SEQ_ROWS')), B * T, [be.p(dx), be.p(dout), be.p(mask), B, T]);
}
