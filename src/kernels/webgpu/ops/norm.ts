// RMSNorm and LayerNorm, forward and backward (shaders/norm.wgsl, shaders/norm_serial.wgsl).
// Row kernels run one workgroup per row or one thread per row (ops/variants.ts); the weight/
// bias gradients are column sums over chunks of rows, added into dw/db in a fixed order
// (deterministic, no atomics), in one dispatch when N ≤ 127 rows.
import type { Tensor } from '../../backend.js';
import { checkEps, checkNorm, noAlias } from '../../validate.js';
import { Params, type GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { colChunks, scratch } from './reduce.js';
import { rowPlan } from './variants.js';

const COL_WG = 64;

function rowDispatch(be: WebGPUBackend, entry: string, rows: number, cols: number, eps: number, tensors: Tensor[]): void {
  const plan = rowPlan(be, 'norm', rows, cols, { FINAL: 0 });
  be.ctx.dispatch(plan.shader, entry, plan.defines, new Params().u(rows).u(cols).f(eps).u(0), tensors.map((t) => be.t(t)), plan.grid);
}

export function rmsnorm(be: WebGPUBackend, out: Tensor, rstd: Tensor, x: Tensor, w: Tensor, eps: number): void {
  const { rows, cols } = checkNorm('rmsnorm', x, w, [['out', out]], [['rstd', rstd]]);
  checkEps('rmsnorm', eps);
  noAlias('rmsnorm', [['out', out], ['rstd', rstd]], [['x', x], ['w', w]]);
  rowDispatch(be, 'rmsnorm', rows, cols, eps, [out, x, w, rstd]);
}

export function layernorm(be: WebGPUBackend, out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void {
  const { rows, cols } = checkNorm('layernorm', x, w, [['out', out]], [['mean', mean], ['rstd', rstd]], [['b', b]]);
  checkEps('layernorm', eps);
  noAlias('layernorm', [['out', out], ['mean', mean], ['rstd', rstd]], [['x', x], ['w', w], ['b', b]]);
  rowDispatch(be, 'layernorm', rows, cols, eps, [out, x, w, rstd, b, mean]);
}

export function rmsnormBackward(be: WebGPUBackend, dx: Tensor, dw: Tensor, dout: Tensor, x: Tensor, w: Tensor, rstd: Tensor): void {
  const { rows, cols } = checkNorm('rmsnormBackward', x, w, [['dx', dx], ['dout', dout]], [['rstd', rstd]], [['dw', dw]]);
  noAlias('rmsnormBackward', [['dx', dx], ['dw', dw]], [['dout', dout], ['x', x], ['w', w], ['rstd', rstd]]);
  rowDispatch(be, 'rmsnorm_backward', rows, cols, 0, [dx, x, w, rstd, dout]);
  columnGrads(be, 'rms_dw_partial', rows, cols, [be.t(dw)], (outs) => [outs[0], be.t(x), be.t(rstd), be.t(dout)]);
}

export function layernormBackward(be: WebGPUBackend, dx: Tensor, dw: Tensor, db: Tensor, dout: Tensor, x: Tensor, w: Tensor, mean: Tensor, rstd: Tensor): void {
  const { rows, cols } = checkNorm('layernormBackward', x, w, [['dx', dx], ['dout', dout]], [['mean', mean], ['rstd', rstd]], [['dw', dw], ['db', db]]);
  noAlias('layernormBackward', [['dx', dx], ['dw', dw], ['db', db]], [['dout', dout], ['x', x], ['w', w], ['mean', mean], ['rstd', rstd]]);
  rowDispatch(be, 'layernorm_backward', rows, cols, 0, [dx, x, w, rstd, dout, mean]);
  columnGrads(be, 'ln_dwdb_partial', rows, cols, [be.t(dw), be.t(db)],
    (outs) => [outs[0], be.t(x), be.t(rstd), be.t(dout), be.t(mean), outs[1]]);
}

/** Column sums of the weight (and bias) gradient terms, added into `accs` (dw[, db]).
 *  `bind` orders the tensors for the entry (bindings 1..): outputs first are dw-like at 1. */
function columnGrads(be: WebGPUBackend, entry: string, rows: number, cols: number, accs: GPUTensor[], bind: (outs: GPUTensor[]) => GPUTensor[]): void {
  if (rows === 0) return;
  const { rowsPerChunk, chunks } = colChunks(rows);
  const gx = Math.ceil(cols / COL_WG);
  const p = new Params().u(rows).u(cols).f(0).u(rowsPerChunk);
  if (chunks === 1) {
    be.ctx.dispatch('norm', entry, { WG: COL_WG, FINAL: 1 }, p, bind(accs), [gx, 1]);
    return;
  }
  const parts = accs.map((_, i) => scratch(be, chunks * cols, `${entry}.partial${i}`));
  be.ctx.dispatch('norm', entry, { WG: COL_WG, FINAL: 0 }, p, bind(parts), [gx, chunks]);
  // reduce.wgsl's col_sum_final: out[c] += Σ_k part[k, c], k in order
  const pf = new Params().u(rows).u(cols).u(rowsPerChunk).u(chunks);
  accs.forEach((acc, i) => be.ctx.dispatch('reduce', 'col_sum_final', { WG: COL_WG, FINAL: 1, ACC: 1 }, pf, [acc, parts[i]], [gx]));
  for (const t of parts) be.ctx.release(t);
}
