// matmul (assembly/kernels/matmul.ts): out (M,N) = alpha·op(a)@op(b) (+ bias) (+ out).
// M ≥ SMALL_M: pack B into 8-column panels (one task per PANELS_PER_TASK panels per batch
// entry), then compute tasks over (batch, row block, column block) with the 5×8 micro-kernel.
// M < SMALL_M: mm_small, no packing. x·Wᵀ (transB, no transA) with M < be.smallMTb (48) —
// every linear layer while decoding — takes mm_small's x·Wᵀ strip (stripTimesWt), which reads W once instead of
// packing it: 2–4× the packed path's GFLOP/s at M = 4–16, ahead at 32 except the widest W
// (`npm run bench -- decode-matmul`).
// Block sizes only change which task computes an output, never how: results are the same for
// any thread count.
import type { MatmulOptions, Tensor } from '../../backend.js';
import { checkMatmul, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

const SMALL_M = 4;

export function matmul(be: WasmBackend, out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void {
  // dtypes: out, a, bias f32; b f32, bf16 or f16 (checkMatmul)
  const { batch, bStride } = checkMatmul(out, a, b, o);
  noAlias('matmul', [['out', out]], [['a', a], ['b', b], ['bias', o.bias]]);
  const { m: M, n: N, k: K } = o;
  const alpha = o.alpha ?? 1;
  const acc = o.accumulate ? 1 : 0;
  const transA = o.transA ? 1 : 0, transB = o.transB ? 1 : 0;
  const pOut = be.p(out), pA = be.p(a), pB = be.ph(b), pBias = be.p(o.bias);
  const bKind = b.dtype === 'bf16' ? 1 : b.dtype === 'f16' ? 2 : 0;
  const flops = 2 * batch * M * N * K;
  const MR = be.k('MR'), NR = be.k('NR');
  const nPanels = Math.ceil(N / NR);
  if (M < SMALL_M || (transB && !transA && M < be.smallMTb)) {
    // per thread: a 16-float tile (+ the widened 8·K strip of an f16 W)
    const scratch = be.scratch(be.threads * be.exports.mm_small_scratch_floats(K, bKind) * 4, 2);
    be.run('mm_small', batch * nPanels, flops / 8, [pOut, pA, pB, pBias, M, N, K, transA, transB, bStride, alpha, acc, scratch, bKind]);
    return;
  }
  // 1. pack B
  const bBatches = o.broadcastB ? 1 : batch;
  const PPT = be.k('PANELS_PER_TASK');
  const groups = Math.ceil(nPanels / PPT);
  // 16-bit b packs into 16-bit panels: the micro-kernel widens them in registers
  const packed = be.scratch(bBatches * nPanels * K * NR * (bKind ? 2 : 4), 3);
  be.run('mm_pack_b', bBatches * groups, K * N * bBatches, [packed, pB, K, N, transB, bStride, groups, bKind]);
  // 2. compute. A task packs its rows of op(a) once per K block (≤ 60 rows × KC: stays in
  //    L2) and runs them against every panel of its column block, each panel's K slice
  //    staying in L1 while the task's micro-panels pass over it. So a task takes every
  //    column (packing A is the overhead worth saving; B is only streamed) and tasks split
  //    rows: first into blocks of 60, then smaller (down to 20) and only then columns, until
  //    there are about 4 tasks per thread (dynamic scheduling balances the rest).
  const threads = be.threads;
  const target = threads > 1 ? threads * 4 : 1;
  let rowsPerTask = Math.min(Math.ceil(M / MR), 12) * MR;
  // with several K blocks a task parks a 5×8 tile per (micro-panel, panel): keep them ≤ 256 KiB
  let panelsPerTask = K <= be.k('KC') ? nPanels : Math.max(4, Math.min(nPanels, Math.floor((256 * 1024) / (rowsPerTask * NR * 4))));
  const tasks = () => batch * Math.ceil(M / rowsPerTask) * Math.ceil(nPanels / panelsPerTask);
  while (tasks() < target && rowsPerTask > 4 * MR) rowsPerTask = Math.ceil(rowsPerTask / 2 / MR) * MR;
  while (tasks() < target && panelsPerTask > 4) panelsPerTask = Math.ceil(panelsPerTask / 2);
  const perThread = be.exports.mm_scratch_floats(K, rowsPerTask, panelsPerTask, bKind) * 4;
  const scratch = be.scratch(threads * perThread, 2);
  be.run('mm_compute', tasks(), flops / 8, [pOut, pA, packed, pBias, M, N, K, transA, o.broadcastB ? 1 : 0, alpha, acc, rowsPerTask, panelsPerTask, scratch, bKind]);
}
