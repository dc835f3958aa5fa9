// Optimizer updates (assembly/kernels/optim.ts), PyTorch semantics, in place; tasks of
// EW_CHUNK elements. Clipping reads clip.normSq on the device side (no host round-trip).
// The host folds the step-dependent scalars (bias corrections, decay) in float64.
import { type AdamWOptions, type RMSpropOptions, type SGDOptions, type Tensor } from '../../backend.js';
import { checkAdamW, checkRMSprop, checkSGD } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { chunks } from './elementwise.js';

export function adamw(be: WasmBackend, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  const n = checkAdamW(param, grad, m, v, o);
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  be.run('opt_adamw', chunks(be, n), n * 4, [be.p(param), be.p(grad), be.p(m), be.p(v), n,
    o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.eps, 1 - o.lr * o.weightDecay, o.lr / bc1, 1 / Math.sqrt(bc2), be.p(o.clip?.normSq), o.clip?.maxNorm ?? 0]);
}

export function rmsprop(be: WasmBackend, param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): void {
  const { n, momentum, buf: useBuf } = checkRMSprop(param, grad, sq, buf, o);
  be.run('opt_rmsprop', chunks(be, n), n * 4, [be.p(param), be.p(grad), be.p(sq), be.p(useBuf), n,
    o.lr, o.alpha, 1 - o.alpha, o.eps, o.weightDecay, momentum, be.p(o.clip?.normSq), o.clip?.maxNorm ?? 0]);
}

export function sgd(be: WasmBackend, param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): void {
  const { n, dampening, buf: useBuf } = checkSGD(param, grad, buf, o);
  be.run('opt_sgd', chunks(be, n), n * 4, [be.p(param), be.p(grad), be.p(useBuf), n,
    o.lr, o.momentum, o.weightDecay, 1 - dampening, o.nesterov ? 1 : 0, o.step === 1 ? 1 : 0, be.p(o.clip?.normSq), o.clip?.maxNorm ?? 0]);
}
