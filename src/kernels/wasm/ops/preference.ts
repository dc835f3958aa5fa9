// The preference-loss op (assembly/kernels/preference.ts): per-record losses and ∂loss/∂logp,
// computed in f64.
import type { PreferenceLossOptions, Tensor } from '../../backend.js';
import { ShapeError } from '../../backend.js';
import { checkPreference, noAlias } from '../../validate.js';
import type { WasmBackend } from '../backend.js';

const KIND = { square: 0, dpo: 1, ipo: 2, hinge: 3, magnetic: 4 } as const;

export function preferenceLoss(be: WasmBackend, loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, o: PreferenceLossOptions): void {
  const R = checkPreference(loss, dlogp, logp, refLogp, target, weight, o.kind, o.beta, o.magnetLogp, o.magnet);
  const mu = o.kind === 'magnetic' ? o.magnetLogp! : refLogp;
  noAlias('preferenceLoss', [['loss', loss], ['dlogp', dlogp]], [['logp', logp], ['refLogp', refLogp], ['target', target], ['weight', weight], ['magnetLogp', mu]]);
  const eps = o.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 0.5)) throw new ShapeError(`preferenceLoss: labelSmoothing=${eps} must be in [0, 0.5)`);
  const square = o.kind === 'square' || o.kind === 'magnetic';
  const units = square ? R : R / 2;
  be.run('pref_loss', Math.ceil(units / be.k('PREF_ROWS')), 0, [be.p(loss), be.p(dlogp), be.p(logp), be.p(refLogp), be.p(target), be.p(weight), R, KIND[o.kind], square ? 0 : o.beta, eps,
    be.p(mu), o.kind === 'magnetic' ? o.magnet! : 0]);
}
