// Float64 re-implementations of torch.optim's AdamW, RMSprop and SGD steps (torch 1.13/2.x
// _single_tensor_* code paths), one parameter tensor, in place on Float64Array state.
// Clipping follows the op contract: g·min(1, maxNorm / sqrt(normSq)).

export interface Clip { normSq: number; maxNorm: number }
const clipScale = (c?: Clip) => (c ? Math.min(1, c.maxNorm / Math.sqrt(c.normSq)) : 1);

export function adamwRef(p: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number }, clip?: Clip): void {
  const s = clipScale(clip);
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i] * s;
    p[i] *= 1 - o.lr * o.weightDecay;                       // decoupled weight decay
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps;
    p[i] -= (o.lr / bc1) * (m[i] / denom);
  }
}

export function rmspropRef(p: Float64Array, grad: ArrayLike<number>, sq: Float64Array, buf: Float64Array | null,
  o: { lr: number; alpha: number; eps: number; weightDecay: number; momentum?: number }, clip?: Clip): void {
  const s = clipScale(clip);
  for (let i = 0; i < p.length; i++) {
    let g = grad[i] * s;
    if (o.weightDecay) g += o.weightDecay * p[i];            // L2, added to the gradient
    sq[i] = o.alpha * sq[i] + (1 - o.alpha) * g * g;
    const avg = Math.sqrt(sq[i]) + o.eps;
    if ((o.momentum ?? 0) > 0) {
      buf![i] = o.momentum! * buf![i] + g / avg;
      p[i] -= o.lr * buf![i];
    } else {
      p[i] -= o.lr * g / avg;
    }
  }
}

export function sgdRef(p: Float64Array, grad: ArrayLike<number>, buf: Float64Array | null,
  o: { lr: number; momentum: number; weightDecay: number; dampening?: number; nesterov?: boolean; step: number }, clip?: Clip): void {
  const s = clipScale(clip);
  const damp = o.dampening ?? 0;
  for (let i = 0; i < p.length; i++) {
    let d = grad[i] * s;
    if (o.weightDecay) d += o.weightDecay * p[i];
    if (o.momentum) {
      buf![i] = o.step === 1 ? d : o.momentum * buf![i] + (1 - damp) * d;
      d = o.nesterov ? d + o.momentum * buf![i] : buf![i];
    }
    p[i] -= o.lr * d;
  }
}
