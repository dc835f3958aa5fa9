// Optimizer updates (assembly/kernels/optim.ts), PyTorch semantics, in place; tasks of
// EW_CHUNK elements. Clipping reads clip.normSq on the device side (no host round-trip).
import { ShapeError, type AdamWOptions, type RMSpropOptions, type SGDOptions, type Tensor } from '../../backend.js';
import { checkOptim } from '../../validate.js';
import type { WasmBackend } from '../backend.js';
import { chunks } from './elementwise.js';

export function adamw(be: WasmBackend, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  const n = checkOptim('adamw', [['param', param], ['grad', grad], ['m', m], ['v', v]], { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, step: o.step }, o.clip);
  if (!Number.isInteger(o.step) || o.step < 1) throw new ShapeError(`adamw: step=${o.step} must be an integer ≥ 1 (1-based, for bias correction)`);
  const bc1 = 1 - Math.pow(o.beta1, o.step), bc2 = 1 - Math.pow(o.beta2, o.step);
  be.run('opt_adamw', chunks(be, n), n * 4, [be.p(param), be.p(grad), be.p(m), be.p(v), n,
    o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, o.lr / bc1, 1 / Math.sqrt(bc2), be.p(o.clip?.normSq), o.clip?.maxNorm ?? 0]);
}

export function rmsprop(be: WasmBackend, param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): void {
  const mom = o.momentum ?? 0;
  const n = checkOptim('rmsprop', [['param', param], ['grad', grad], ['sq', sq], ['buf', buf]], { lr: o.lr, alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: mom }, o.clip);
  if (mom > 0 && !buf) throw new ShapeError(`rmsprop: momentum=${mom} needs a buf tensor (same size as param, zeros at the start)`);
  be.run('opt_rmsprop', chunks(be, n), n * 4, [be.p(param), be.p(grad), be.p(sq), mom > 0 ? be.p(buf) : 0, n,
    o.lr, o.alpha, o.eps, o.weightDecay, mom, be.p(o.clip?.normSq), o.clip?.maxNorm ?? 0]);
}

export function sgd(be: WasmBackend, param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): void {
  const n = checkOptim('sgd', [['param', param], ['grad', grad], ['buf', buf]], { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, dampening: o.dampening, step: o.step }, o.clip);
  if (o.momentum !== 0 && !buf) throw new ShapeError(`sgd: momentum=${o.momentum} needs a buf tensor (same size as param)`);
  if (o.nesterov && (o.momentum <= 0 || (o.dampening ?? 0) !== 0)) throw new ShapeError('sgd: nesterov needs momentum > 0 and dampening = 0 (as in PyTorch)');
  be.run('opt_sgd', chunks(be, n), n * 4, [be.p(param), be.p(grad), o.momentum !== 0 ? be.p(buf) : 0, n,
    o.lr, o.momentum, o.weightDecay, o.dampening ?? 0, o.nesterov ? 1 : 0, o.step <= 1 ? 1 : 0, be.p(o.clip?.normSq), o.clip?.maxNorm ?? 0]);
}
