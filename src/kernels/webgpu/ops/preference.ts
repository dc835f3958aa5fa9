// The preference-loss op (shaders/preference.wgsl): per-record losses and ∂loss/∂logp.
import type { PreferenceLossOptions, Tensor } from '../../backend.js';
import { checkPreference } from '../../validate.js';
import { Params } from '../context.js';
import type { WebGPUBackend } from '../backend.js';

const KIND = { square: 0, dpo: 1, ipo: 2, hinge: 3, magnetic: 4 } as const;

export function preferenceLoss(be: WebGPUBackend, loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, o: PreferenceLossOptions): void {
  const R = checkPreference(loss, dlogp, logp, refLogp, target, weight, o.kind, o.beta, o.magnetLogp, o.magnet);
  const threads = o.kind === 'square' || o.kind === 'magnetic' ? R : R / 2;
  // binding 7 (μ's log-probs) is read only by 'magnetic'; other kinds bind refLogp there
  const mu = o.kind === 'magnetic' ? o.magnetLogp! : refLogp;
  be.ctx.dispatch('preference', 'main', { KIND: KIND[o.kind] }, new Params().u(R).f(o.beta).f(o.labelSmoothing ?? 0).f(o.kind === 'magnetic' ? o.magnet! : 0),
    [be.t(loss), be.t(dlogp), be.t(logp), be.t(refLogp), be.t(target), be.t(weight), be.t(mu)], [Math.max(1, Math.ceil(threads / 64))]);
}
