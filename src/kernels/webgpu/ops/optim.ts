// Optimizer steps (shaders/optim.wgsl): AdamW, RMSprop and SGD with torch.optim's formulas,
// in place on param and state, with optional global-norm clipping read on the device. The
// host folds the step-dependent scalars (bias corrections) into the uniform, in float64.
import { type AdamWOptions, type RMSpropOptions, type SGDOptions, type Tensor } from '../../backend.js';
import { checkAdamW, checkRMSprop, checkSGD } from '../../validate.js';
import { grid1d, Params, type GPUTensor } from '../context.js';
import type { WebGPUBackend } from '../backend.js';
import { gridLimit, vec4Count } from './variants.js';

const WG = 256;

/** Params start with the vec4 count, ceil(n/4) (see optim.wgsl) */
function run(be: WebGPUBackend, entry: string, clip: { normSq: Tensor } | undefined, p: Params, tensors: Tensor[]): void {
  const ts: GPUTensor[] = tensors.map((t) => be.t(t));
  const n4 = vec4Count(ts[0].size, ts);
  if (clip) ts.push(be.t(clip.normSq));
  be.ctx.dispatch('optim', clip ? `${entry}_clip` : entry, {}, p, ts, grid1d(n4, WG, gridLimit(be)));
}

export function adamw(be: WebGPUBackend, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  const n = checkAdamW(param, grad, m, v, o);
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  const p = new Params().u(Math.ceil(n / 4)).f(o.lr).f(o.weightDecay).f(o.clip?.maxNorm ?? 0)
    .f(o.beta1).f(o.beta2).f(o.eps).f(o.lr / bc1).f(Math.sqrt(bc2)).f(1 - o.lr * o.weightDecay).f(1 - o.beta1).f(1 - o.beta2);
  run(be, 'adamw', o.clip, p, [param, grad, m, v]);
}

export function rmsprop(be: WebGPUBackend, param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): void {
  const { n, momentum, buf: useBuf } = checkRMSprop(param, grad, sq, buf, o);
  const p = new Params().u(Math.ceil(n / 4)).f(o.lr).f(o.weightDecay).f(o.clip?.maxNorm ?? 0)
    .f(o.alpha).f(1 - o.alpha).f(o.eps).f(momentum).f(0).f(0).f(0).f(0);
  if (useBuf) run(be, 'rmsprop_momentum', o.clip, p, [param, grad, sq, useBuf]);
  else run(be, 'rmsprop', o.clip, p, [param, grad, sq]);
}

export function sgd(be: WebGPUBackend, param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): void {
  const { n, dampening, buf: useBuf } = checkSGD(param, grad, buf, o);
  const p = new Params().u(Math.ceil(n / 4)).f(o.lr).f(o.weightDecay).f(o.clip?.maxNorm ?? 0)
    .f(o.momentum).f(1 - dampening).f(o.step === 1 ? 1 : 0).f(o.nesterov ? 1 : 0).f(0).f(0).f(0).f(0);
  if (useBuf) run(be, 'sgd_momentum', o.clip, p, [param, grad, useBuf]);
  else run(be, 'sgd', o.clip, p, [param, grad]);
}
