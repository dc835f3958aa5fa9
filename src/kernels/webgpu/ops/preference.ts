// The preference-loss op (shaders/preference.wgsl): per-record losses and ∂loss/∂logp.
import type { PreferenceLossOptions, Tensor } from '../../backend.js';
import { checkPreference } from '../../validate.js';
import { Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';

const KIND = { square: 0, dpo: 1, ipo: 2, hinge: 3 } as const;

export function preferenceLoss(be: WebGPUBackend, loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, o: PreferenceLossOptions): void {
  const R = checkPreference(loss, dlogp, logp, refLogp, target, weight, o.kind, o.beta);
  const threads = o.kind === 'square' ? R : R / 2;
  be.ctx.dispatch('preference', 'main', { KIND: KIND[o.kind] }, new Params().u(R).f(o.beta).f(o.labelSmoothing ?? 0),
    [be.t(loss), be.t(dlogp), be.t(logp), be.t(refLogp), be.t(target), be.t(weight)], [Math.max(1, Math.ceil(threads / 64))]);
}
