// matmul (assembly/kernels/matmul.ts): out (M,N) = alpha·op(a)@op(b) (+ bias) (+ out).
// M ≥ SMALL_M: pack B into 8-column panels (one task per PANELS_PER_TASK panels per batch
// entry), then compute tasks over (batch, row block, column block) with the 5×8 micro-kernel.
// M < SMALL_M: mm_small, no packing. Block sizes only change which task computes an output,
// never how: results are the same for any thread count.
import { expectDtype, type MatmulOptions, type Tensor } from '../../backend.js';
import { checkMatmul } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

const SMALL_M = 4;

export function matmul(be: WasmBackend, out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void {
  const { batch, bStride } = checkMatmul(out, a, b, o);
  for (const [name, t] of [['out', out], ['a', a], ['b', b]] as const) expectDtype('matmul', name, t, 'f32');
  if (o.bias) expectDtype('matmul', 'bias', o.bias, 'f32');
  const { m: M, n: N, k: K } = o;
  const alpha = o.alpha ?? 1;
  const acc = o.accumulate ? 1 : 0;
  const transA = o.transA ? 1 : 0, transB = o.transB ? 1 : 0;
  const pOut = be.p(out), pA = be.p(a), pB = be.p(b), pBias = be.p(o.bias);
  const flops = 2 * batch * M * N * K;
  const MR = be.k('MR'), NR = be.k('NR');
  const nPanels = Math.ceil(N / NR);
  if (M < SMALL_M) {
    const scratch = be.scratch(be.threads * 64, 2);
    be.run('mm_small', batch * nPanels, flops / 8, [pOut, pA, pB, pBias, M, N, K, transA, transB, bStride, alpha, acc, scratch]);
    return;
  }
  // 1. pack B
  const bBatches = o.broadcastB ? 1 : batch;
  const PPT = be.k('PANELS_PER_TASK');
  const groups = Math.ceil(nPanels / PPT);
  const packed = be.scratch(bBatches * nPanels * K * NR * 4, 3);
  be.run('mm_pack_b', bBatches * groups, K * N * bBatches, [packed, pB, K, N, transB, bStride, groups]);
  // 2. compute. Row blocks of ≤ 60 rows (their packed K-slice, ≤ 60 KiB, stays in L2) and
  //    column blocks of ≤ 128 columns; then split further until there are about 4 tasks per thread (dynamic
  //    scheduling balances the rest).
  const threads = be.threads;
  const target = threads > 1 ? threads * 4 : 1;
  let rowsPerTask = Math.min(Math.ceil(M / MR), 12) * MR;
  let panelsPerTask = Math.min(nPanels, 16);
  const tasks = () => batch * Math.ceil(M / rowsPerTask) * Math.ceil(nPanels / panelsPerTask);
  while (tasks() < target && panelsPerTask > 2) panelsPerTask = Math.ceil(panelsPerTask / 2);
  while (tasks() < target && rowsPerTask > MR) rowsPerTask = Math.ceil(rowsPerTask / 2 / MR) * MR;
  const perThread = be.exports.mm_scratch_floats(K, rowsPerTask, panelsPerTask) * 4;
  const scratch = be.scratch(threads * perThread, 2);
  be.run('mm_compute', tasks(), flops / 8, [pOut, pA, packed, pBias, M, N, K, transA, o.broadcastB ? 1 : 0, alpha, acc, rowsPerTask, panelsPerTask, scratch]);
}
