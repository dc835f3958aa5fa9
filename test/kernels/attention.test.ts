// Attention kernels on every backend (cases/attention.ts), and the float64 reference gradient
// itself checked against central finite differences in float64.
import { suite } from 'uvu';
import { runCases, Rng, SEED } from './harness.js';
import { cases } from './cases/attention.js';
import { attentionBackwardRef, attentionRef, type AttnShape } from './ref/attention.js';

const ref = suite('attention reference gradient vs finite differences');
ref('analytic float64 backward matches central differences (GQA, mask, scale)', () => {
  const rng = new Rng(SEED ^ 0x5eed);
  const o: AttnShape = { batch: 2, seq: 4, heads: 2, kvHeads: 1, headDim: 3, scale: 0.7 };
  const mask = Int32Array.from([1, 0, 1, 1, 0, 1, 1, 1]);   // a hole; batch 1 starts with padding
  const nq = 2 * 4 * 2 * 3, nk = 2 * 4 * 1 * 3;
  const q = Array.from(rng.f32(nq)), k = Array.from(rng.f32(nk)), v = Array.from(rng.f32(nk)), w = Array.from(rng.f32(nq));
  const loss = () => attentionRef(q, k, v, mask, o).out.reduce((s, x, i) => s + x * w[i], 0);
  const g = attentionBackwardRef(w, q, k, v, mask, o);
  const h = 1e-6;
  for (const [name, x, gx] of [['q', q, g.dq], ['k', k, g.dk], ['v', v, g.dv]] as const) {
    let worst = 0, scale = 0;
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      x[i] = x0 + h; const lp = loss();
      x[i] = x0 - h; const lm = loss();
      x[i] = x0;
      worst = Math.max(worst, Math.abs((lp - lm) / (2 * h) - gx[i]));
      scale = Math.max(scale, Math.abs(gx[i]));
    }
    if (!(scale > 0.01) || !(worst / scale < 1e-6)) throw new Error(`reference d${name}: max |fd - analytic| = ${worst} (scale ${scale}, seed ${SEED})`);
  }
});
ref.run();

runCases('attention', cases);
