// rmsnorm / layernorm and their backward passes (assembly/kernels/norm.ts). The weight (and
// bias) gradients are accumulated from per-ROW_CHUNK partials summed in chunk order.
import type { Tensor } from '../../backend.js';
import { checkEps, checkNorm, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { colSums } from './reduce.js';

/** rows per forward task: about 16K elements */
function rowsPerTask(C: number): number { return Math.max(1, Math.floor(16384 / C)); }

export function rmsnorm(be: WasmBackend, out: Tensor, rstd: Tensor, x: Tensor, w: Tensor, eps: number): void {
  const { rows: N, cols: C } = checkNorm('rmsnorm', x, w, [['out', out]], [['rstd', rstd]]);
  checkEps('rmsnorm', eps);
  noAlias('rmsnorm', [['out', out], ['rstd', rstd]], [['x', x], ['w', w]]);
  const r = rowsPerTask(C);
  be.run('norm_rms', Math.ceil(N / r), N * C, [be.p(out), be.p(rstd), be.p(x), be.p(w), N, C, eps, r]);
}

export function rmsnormBackward(be: WasmBackend, dx: Tensor, dw: Tensor, dout: Tensor, x: Tensor, w: Tensor, rstd: Tensor): void {
  const { rows: N, cols: C } = checkNorm('rmsnormBackward', x, w, [['dx', dx], ['dout', dout]], [['rstd', rstd]], [['dw', dw]]);
  noAlias('rmsnormBackward', [['dx', dx], ['dw', dw]], [['dout', dout], ['x', x], ['w', w], ['rstd', rstd]]);
  const nchunks = Math.ceil(N / be.k('ROW_CHUNK'));
  const part = be.scratch(nchunks * C * 4, 0);
  be.run('norm_rms_backward', nchunks, N * C * 2, [be.p(dx), part, be.p(dout), be.p(x), be.p(w), be.p(rstd), N, C]);
  colSums(be, be.p(dw), part, nchunks, C, true);
}

export function layernorm(be: WasmBackend, out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void {
  const { rows: N, cols: C } = checkNorm('layernorm', x, w, [['out', out]], [['mean', mean], ['rstd', rstd]], [['b', b]]);
  checkEps('layernorm', eps);
  noAlias('layernorm', [['out', out], ['mean', mean], ['rstd', rstd]], [['x', x], ['w', w], ['b', b]]);
  const r = rowsPerTask(C);
  be.run('norm_layer', Math.ceil(N / r), N * C, [be.p(out), be.p(mean), be.p(rstd), be.p(x), be.p(w), be.p(b), N, C, eps, r]);
}

export function layernormBackward(be: WasmBackend, dx: Tensor, dw: Tensor, db: Tensor, dout: Tensor, x: Tensor, w: Tensor, mean: Tensor, rstd: Tensor): void {
  const { rows: N, cols: C } = checkNorm('layernormBackward', x, w, [['dx', dx], ['dout', dout]], [['mean', mean], ['rstd', rstd]], [['dw', dw], ['db', db]]);
  noAlias('layernormBackward', [['dx', dx], ['dw', dw], ['db', db]], [['dout', dout], ['x', x], ['w', w], ['mean', mean], ['rstd', rstd]]);
  const nchunks = Math.ceil(N / be.k('ROW_CHUNK'));
  const part = be.scratch(2 * nchunks * C * 4, 0);
  be.run('norm_layer_backward', nchunks, N * C * 2, [be.p(dx), part, be.p(dout), be.p(x), be.p(w), be.p(mean), be.p(rstd), N, C]);
  colSums(be, be.p(dw), part, nchunks, C, true);
  colSums(be, be.p(db), part + nchunks * C * 4, nchunks, C, true);
}
