// Attention kernels on every backend (cases/attention.ts), and the float64 reference gradient
// itself checked against central finite differences in float64.
import { suite } from 'uvu';
import { backendNames, getBackend, runCases, Rng, SEED } from './harness.js';
import type { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { ATTENTION_VARIANTS, lastAttentionVariant, tuneAttention } from '../../src/kernels/webgpu/ops/attention.js';
import { ATTENTION_FAMILY, attentionSizeClass, measureAttention } from '../../src/kernels/webgpu/ops/attention-select.js';
import { Tuner } from '../../src/kernels/webgpu/tune.js';
import { cases } from './cases/attention.js';
import { attentionBackwardRef, attentionRef, type AttnShape } from './ref/attention.js';

const ref = suite('attention reference gradient vs finite differences');
for (const extra of [{}, { window: 2, softcap: 0.8 }] as const)
ref(`analytic float64 backward matches central differences (GQA, mask, scale${'window' in extra ? ', window, soft cap' : ''})`, () => {
  const rng = new Rng(SEED ^ 0x5eed);
  const o: AttnShape = { batch: 2, seq: 4, heads: 2, kvHeads: 1, headDim: 3, scale: 0.7, ...extra };
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

if (backendNames().includes('webgpu')) {
  const sel = suite('attention variant selection [webgpu]');
  sel('both variants are timed on this adapter; the op then runs the winner', async () => {
    const be = (await getBackend('webgpu')) as WebGPUBackend;
    const o = { batch: 1, seq: 128, heads: 2, kvHeads: 1, headDim: 64 };   // over MIN_TUNE_FLOPS
    const B = 1, T = 128, H = 2, KH = 1, D = 64;
    const mk = (shape: number[]) => be.fromArray(new Rng(SEED).f32(shape.reduce((a, b) => a * b, 1)), shape);
    const q = mk([B, T, H, D]), k = mk([B, T, KH, D]), v = mk([B, T, KH, D]), g = mk([B, T, H, D]);
    const out = be.tensor([B, T, H, D]), lse = be.tensor([B, H, T]);
    const dq = be.tensor([B, T, H, D]), dk = be.tensor([B, T, KH, D]), dv = be.tensor([B, T, KH, D]);
    for (const dir of ['forward', 'backward'] as const) {
      const m = await measureAttention(be.ctx, dir, o);
      for (const variant of ATTENTION_VARIANTS) {
        if (!(m.ms[variant] > 0 && Number.isFinite(m.ms[variant]))) throw new Error(`${dir} ${variant}: no timing (${JSON.stringify(m)})`);
      }
      const chosen = await tuneAttention(be.ctx, dir, o);
      if (!ATTENTION_VARIANTS.includes(chosen)) throw new Error(`tuneAttention chose "${chosen}"`);
      if (dir === 'forward') be.attention(out, lse, q, k, v, o);
      else be.attentionBackward(dq, dk, dv, g, q, k, v, out, lse, o);
      await be.sync();
      if (lastAttentionVariant[dir] !== chosen) throw new Error(`${dir}: ran ${lastAttentionVariant[dir]}, the tuner chose ${chosen}`);
      const decided = Tuner.for(be.gpu).lookup(ATTENTION_FAMILY, attentionSizeClass(dir, o));
      const fmt = (ms: Record<string, number> | undefined) => ATTENTION_VARIANTS.map((x) => `${x} ${ms?.[x]?.toFixed(1)} ms`).join(', ');
      console.log(`    ${dir} (${m.shape}) on ${be.description}: now ${fmt(m.ms)}; tuner chose ${chosen} (${fmt(decided?.ms)}, ${decided?.when ?? '?'})`);
    }
    for (const t of [q, k, v, g, out, lse, dq, dk, dv]) be.dispose(t);
  });
  sel.run();
}
