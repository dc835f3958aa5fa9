// The preference-loss op vs closed-form float64 losses and derivatives (and the derivatives
// themselves vs central differences of the float64 loss).
import { expectClose, type KernelCase } from '../harness.js';

type Kind = 'square' | 'dpo' | 'ipo' | 'hinge' | 'magnetic';
const logSig = (x: number) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));

/** float64 per-record loss (pairwise: on the winner slot); magnetic: mu = Σ log μ, c = ηα, written
 *  as in the issue, w (logp − [ref + c·mu]/(1+c) − t)² (the kernels use ref + λ(mu − ref)) */
export function refPrefLoss(kind: Kind, logp: ArrayLike<number>, ref: ArrayLike<number>, t: ArrayLike<number>, w: ArrayLike<number>, beta: number, eps: number, mu?: ArrayLike<number>, c = 0): Float64Array {
  const R = logp.length, out = new Float64Array(R);
  if (kind === 'magnetic') { for (let i = 0; i < R; i++) out[i] = w[i] * (logp[i] - (ref[i] + c * mu![i]) / (1 + c) - t[i]) ** 2; return out; }
  if (kind === 'square') { for (let i = 0; i < R; i++) out[i] = w[i] * (logp[i] - ref[i] - t[i]) ** 2; return out; }
  for (let j = 0; j < R / 2; j++) {
    const z = logp[2 * j] - ref[2 * j] - (logp[2 * j + 1] - ref[2 * j + 1]);
    const v = kind === 'dpo' ? -(1 - eps) * logSig(beta * z) - eps * logSig(-beta * z)
      : kind === 'ipo' ? (z - 1 / (2 * beta)) ** 2 : Math.max(0, 1 - beta * z);
    out[2 * j] = w[2 * j] * v;
  }
  return out;
}

/** closed-form ∂Σloss/∂logp */
function refPrefGrad(kind: Kind, logp: ArrayLike<number>, ref: ArrayLike<number>, t: ArrayLike<number>, w: ArrayLike<number>, beta: number, eps: number, mu?: ArrayLike<number>, c = 0): Float64Array {
  const R = logp.length, g = new Float64Array(R);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  if (kind === 'magnetic') { for (let i = 0; i < R; i++) g[i] = 2 * w[i] * (logp[i] - (ref[i] + c * mu![i]) / (1 + c) - t[i]); return g; }
  if (kind === 'square') { for (let i = 0; i < R; i++) g[i] = 2 * w[i] * (logp[i] - ref[i] - t[i]); return g; }
  for (let j = 0; j < R / 2; j++) {
    const z = logp[2 * j] - ref[2 * j] - (logp[2 * j + 1] - ref[2 * j + 1]);
    const d = kind === 'dpo' ? -(1 - eps) * beta * sig(-beta * z) + eps * beta * sig(beta * z)
      : kind === 'ipo' ? 2 * (z - 1 / (2 * beta)) : (1 - beta * z > 0 ? -beta : 0);
    g[2 * j] = w[2 * j] * d; g[2 * j + 1] = -w[2 * j] * d;
  }
  return g;
}

// [kind, R, beta, eps, c = ηα (magnetic)]; the magnetic case with c = 0 must equal the square loss
const cases0: [Kind, number, number, number, number?][] = [['square', 1, 0, 0], ['square', 65, 0, 0], ['dpo', 2, 0.1, 0], ['dpo', 34, 2.5, 0.1], ['ipo', 18, 0.5, 0], ['hinge', 66, 0.7, 0],
  ['magnetic', 1, 0, 0, 0.5], ['magnetic', 17, 0, 0, 3], ['magnetic', 63, 0, 0, 0], ['magnetic', 65, 0, 0, 40]];

export const cases: KernelCase[] = cases0.map(([kind, R, beta, eps, c = 0]): KernelCase => ({
  name: `preferenceLoss ${kind} R=${R} beta=${beta} eps=${eps}${kind === 'magnetic' ? ` c=${c}` : ''}`,
  async run({ rng, input, out, read, be }) {
    const logp = rng.f32(R, { std: 20 }), ref = rng.f32(R, { std: 20 }), t = rng.f32(R, { std: 2 }), w = rng.f32(R, { lo: 0.1, hi: 1 });
    // μ's log-probs near π_t's (as after a few iterations), one record with μ = π_t exactly
    const mu = Float32Array.from(ref, (x) => x + rng.f32(1, { std: 3 })[0]);
    if (R > 2) mu[2] = ref[2];
    // DPO without smoothing: the first pair far on the winning side (βz = 10, loss 4.5e-5), where
    // log(1 + e^−βz) in f32 loses the loss's digits unless computed as log1p
    if (kind === 'dpo' && eps === 0) { logp[0] = ref[0] + 5 / beta; logp[1] = ref[1] - 5 / beta; }
    const loss = out([R]), dl = out([R]);
    const magnetic = kind === 'magnetic' ? { magnetLogp: input(mu, [R]), magnet: c } : {};
    be.preferenceLoss(loss, dl, input(logp, [R]), input(ref, [R]), input(t, [R]), input(w, [R]), { kind, beta, labelSmoothing: eps, ...magnetic });
    const wantL = refPrefLoss(kind, logp, ref, t, w, beta, eps, mu, c);
    const wantG = refPrefGrad(kind, logp, ref, t, w, beta, eps, mu, c);
    // the closed form itself vs central differences (in float64)
    const lp = Float64Array.from(logp);
    for (let i = 0; i < Math.min(R, 6); i++) {
      const h = 1e-6, o = lp[i];
      lp[i] = o + h; const a = refPrefLoss(kind, lp, ref, t, w, beta, eps, mu, c).reduce((x, y) => x + y, 0);
      lp[i] = o - h; const b = refPrefLoss(kind, lp, ref, t, w, beta, eps, mu, c).reduce((x, y) => x + y, 0);
      lp[i] = o;
      const fd = (a - b) / (2 * h);
      if (Math.abs(fd - wantG[i]) > 1e-4 * Math.max(1, Math.abs(fd))) throw new Error(`closed-form gradient ${wantG[i]} vs finite difference ${fd} at ${i}`);
    }
    expectClose(await read(loss), wantL, 1e-5, `${kind} loss`);
    expectClose(await read(dl), wantG, 1e-5, `${kind} dlogp`);
  },
}));
