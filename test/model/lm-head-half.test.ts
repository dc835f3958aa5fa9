// The fused LM head over a 16-bit head: the bf16 Qwen2-shaped fixture (tied embedding kept
// bf16, V = 93, C = 40) with LoRA adapters, the head cut into chunks of 10 vocabulary rows (the
// bf16 weight slices are copied out 16-bit), against the full-logits head and one whole chunk:
// token log-probs, their agreement with PyTorch's float64 from the same bf16 weights (≤ 2e-3),
// and every adapter gradient (the head's dH flows through the 16-bit slices); chunks of 10 also
// with the logits kept from forward to backward.
import { suite } from 'uvu';
import { loadModel } from '../../src/model/load.js';
import { backendNames, expectClose, getBackend, SEED } from '../kernels/harness.js';
import { allTargets, B, dir, exp, fx, T } from './bf16-fixture.js';


for (const beName of backendNames()) {
  const s = suite(`fused LM head on a bf16 head [${beName}]`);
  s('chunks of 10 vs one chunk vs full logits: log-probs (and vs PyTorch), LoRA gradients', async () => {
    const be = await getBackend(beName);
    const { model } = loadModel(be, dir, { training: true, weights: 'keep' });
    try {
      if (model.p('embed').dtype !== 'bf16') throw new Error(`the tied head is ${model.p('embed').dtype}, expected bf16`);
      model.enableLoRA({ rank: 3, alpha: 6, targets: ['q', 'v', 'down'], seed: 7 });
      // adapters start at B = 0, so the model is still PyTorch's: log-probs in chunks of 10
      model.lmHeadOptions = { chunk: 10 };
      const lp0 = await be.read(model.forward(allTargets()).logp);
      let worst = 0;
      for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) {
        if (!fx.attention_mask[b][t] || !fx.attention_mask[b][t + 1]) continue;
        if (!Number.isFinite(lp0[b * T + t])) throw new Error(`token (${b}, ${t}): ${lp0[b * T + t]}`);
        worst = Math.max(worst, Math.abs(lp0[b * T + t] - exp.token_logprobs[b][t]));
      }
      if (!(worst <= 2e-3)) throw new Error(`fused bf16 token log-probs vs PyTorch: max |diff| ${worst} (> 2e-3; seed ${SEED})`);
      console.log(`    bf16 fused head in chunks of 10 [${beName}] token log-prob max |diff| vs PyTorch ${worst.toExponential(2)}`);
      // then adapters with values, so that every adapter gradient is non-trivial
      for (const [, l] of model.lora) be.write(l.b, Float32Array.from({ length: l.b.size }, (_, i) => Math.cos(i + 2) * 0.1));
      const batch = allTargets();
      const dl = be.fromArray(Float32Array.from(batch.targets, (t, i) => (t >= 0 ? -(1 + (i % 3)) / 3 : 0)), [B * T]);
      const run = async (mode: 'full' | 'fused', chunk?: number, keepLogits = false) => {
        model.lmHeadMode = mode;
        model.lmHeadOptions = { chunk };
        model.zeroGrad();
        const lp = Float64Array.from(await be.read(model.forward(batch, { keepLogits }).logp));
        model.backward(dl);
        const g = new Map<string, Float64Array>();
        for (const [n, t] of model.grads!) g.set(n, Float64Array.from(await be.read(t)));
        return { lp, g };
      };
      const full = await run('full');
      // and chunks of 10 with every chunk's logits kept for backward (no recomputation)
      for (const [chunk, keep] of [[10, false], [93, false], [10, true]] as const) {
        const f = await run('fused', chunk, keep);
        expectClose(f.lp, full.lp, 1e-5, `bf16 fused logp (chunk ${chunk}${keep ? ', logits kept' : ''})`);
        for (const [n, g] of full.g) expectClose(f.g.get(n)!, g, 1e-4, `bf16 fused LoRA grad ${n} (chunk ${chunk}${keep ? ', logits kept' : ''})`);
      }
      be.dispose(dl);
    } finally { model.lmHeadMode = 'fused'; model.dispose(); }
  });
  s.run();
}
