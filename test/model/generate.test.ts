// Greedy decoding with the KV cache equals argmax over a full recomputation at every step,
// for batched prompts of different lengths (left padding), on every backend (Llama, Qwen3, Phi-3
// with partial rotary, GPT-2).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { packBatch } from '../../src/model/batch.js';
import { Transformer } from '../../src/model/transformer.js';
import { generate } from '../../src/model/generate.js';
import { backendNames, getBackend, Rng, SEED } from '../kernels/harness.js';
import { refLogits } from './ref-model.js';

const archs: Record<string, Arch> = {
  llama: { family: 'llama', vocab: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, intermediate: 24, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: true, maxPositions: 64 },
  // Qwen3: per-head q/k norms, head_dim 6 ≠ hidden/heads
  qwen3: { family: 'llama', vocab: 21, hidden: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 6, intermediate: 24, normEps: 1e-6, ropeTheta: 10000, tied: true, qkvBias: false, qkNorm: true, maxPositions: 64 },
  // Phi-3: rotary on 6 of head_dim 10 (fused projections are a checkpoint matter: same block inside)
  phi3: { family: 'llama', vocab: 22, hidden: 20, layers: 2, heads: 2, kvHeads: 1, headDim: 10, rotaryDim: 6, intermediate: 24, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, fusedProj: true, maxPositions: 64 },
  // Phi-3.5-style LongRoPE (short factors, attention factor) on 4 of head_dim 8
  'phi3-longrope': { family: 'llama', vocab: 19, hidden: 16, layers: 2, heads: 2, kvHeads: 2, headDim: 8, rotaryDim: 4, ropeFactors: [1.2, 5.5], ropeScale: 1.19, ropeMaxPositions: 64, intermediate: 20, normEps: 1e-5, ropeTheta: 10000, tied: true, qkvBias: false, fusedProj: true, maxPositions: 256 },
  gpt2: { family: 'gpt2', vocab: 19, hidden: 16, layers: 2, heads: 2, kvHeads: 2, headDim: 8, intermediate: 32, normEps: 1e-5, ropeTheta: 10000, tied: true, qkvBias: true, maxPositions: 32 },
};

for (const beName of backendNames()) {
  for (const [name, arch] of Object.entries(archs)) {
    const s = suite(`generate ${name} [${beName}]`);
    s('greedy KV-cache decoding = argmax of a full recomputation at every step', async () => {
      const be = await getBackend(beName);
      const rng = new Rng(SEED ^ 0x99);
      const host = initParams(arch, rng.int(0, 1 << 30));
      // sharpen the model so argmax is decisive (no near-ties that f32 could flip)
      for (const [k, a] of host) if (k.endsWith('.w') && !/ln|norm|qn|kn/.test(k)) for (let i = 0; i < a.length; i++) a[i] *= 20;
      // Qwen3's q/k norm weights start at 1: make them differ per dimension so they are exercised
      for (const [k, a] of host) if (/\.(qn|kn)\.w$/.test(k)) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(0.5, 3);
      const model = new Transformer(be, arch, uploadParams(be, arch, host));
      const prompts = [rng.i32(5, 0, arch.vocab), rng.i32(2, 0, arch.vocab), rng.i32(1, 0, arch.vocab)].map((a) => Array.from(a));
      const steps = 6;
      const res = await generate(model, prompts, { maxNewTokens: steps });
      for (let b = 0; b < prompts.length; b++) {
        assert.is(res.tokens[b].length, steps, 'row length');
        // recompute from scratch: each prefix, float64 reference and our own full forward
        const seq = [...prompts[b]];
        for (let t = 0; t < steps; t++) {
          const batch = packBatch([{ prompt: seq, response: [] }]);
          const lg = refLogits(arch, (n) => host.get(n)!, batch);
          const V = arch.vocab, last = seq.length - 1;
          let best = 0;
          for (let v = 1; v < V; v++) if (lg[last * V + v] > lg[last * V + best]) best = v;
          const full = await be.read(model.forwardLogits(batch));
          let best2 = 0;
          for (let v = 1; v < V; v++) if (full[last * V + v] > full[last * V + best2]) best2 = v;
          assert.is(best2, best, `full forward argmax vs float64 at row ${b} step ${t} (seed ${SEED})`);
          assert.is(res.tokens[b][t], best, `KV-cache token at row ${b} step ${t} (seed ${SEED})`);
          seq.push(best);
        }
      }
      model.dispose();
    });
    s.run();
  }
}
