// The transformer against PyTorch: fixtures written by tools/make_model_fixtures.py (float64
// reference models following Hugging Face's modeling code) for Llama with GQA, Qwen2-style
// tied embeddings with q/k/v bias, GPT-2, and Qwen3 (per-head q/k RMSNorm; head_dim ≠ hidden/heads,
// GQA + untied head, and tied with attention bias), and Phi-3 (tools/fixture_phi3.py: fused qkv_proj and
// gate_up_proj, partial rotary; GQA + untied + a sliding window, tied, and LongRoPE). Logits, token and sequence log-probs, the mean
// cross-entropy loss, and the gradient of EVERY parameter, on every backend, with the largest
// relative error printed. Log-probs and gradients go through the fused, vocab-chunked LM head.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../src/model/load.js';
import { toHF } from '../../src/model/hf-names.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import type { Batch } from '../../src/model/transformer.js';
import { backendNames, expectClose, getBackend } from '../kernels/harness.js';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/models');

for (const beName of backendNames()) {
  for (const name of ['llama-gqa', 'qwen2-tied', 'gpt2', 'qwen3-gqa', 'qwen3-tied', 'phi3-gqa', 'phi3-tied', 'phi3-longrope', 'gemma2-gqa', 'gemma2-bias']) {
    const s = suite(`pytorch fixture ${name} [${beName}]`);
    s('logits, log-probs, loss and every gradient match PyTorch', async () => {
      const be = await getBackend(beName);
      const dir = path.join(root, name);
      const fx = JSON.parse(fs.readFileSync(path.join(dir, 'batch.json'), 'utf8'));
      const exp = SafetensorsFile.open(path.join(dir, 'expected.safetensors'));
      const { model, arch } = loadModel(be, dir, { training: true });
      const B = fx.input_ids.length, T = fx.input_ids[0].length;
      const flat = (a: number[][]) => Int32Array.from(a.flat());
      const labels: number[][] = fx.labels;
      const targets = new Int32Array(B * T).fill(-1);
      let count = 0;
      for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) if (labels[b][t + 1] !== -100) { targets[b * T + t] = labels[b][t + 1]; count++; }
      const batch: Batch = { B, T, ids: flat(fx.input_ids), positions: flat(fx.position_ids), keyMask: flat(fx.attention_mask), targets };
      model.zeroGrad();
      const errs: string[] = [];
      const rel = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => errs.push(`${what} ${expectClose(got, want, tol, `${name} ${what}`).toExponential(1)}`);
      // the full logits, on their own path (the only one that forms (N,V))
      rel(await be.read(model.forwardLogits(batch)), exp.readFloat32('logits'), 1e-4, 'logits');
      // log-probs, loss and gradients through the default fused head, logits-free, in chunks of
      // 13 vocabulary columns (the fixtures' V = 67, 83, 89, 97, 101 are not multiples of 13)
      assert.is(model.lmHeadMode, 'fused');
      model.lmHeadOptions = { chunk: 13 };
      const { logp } = model.forward(batch);
      const lp = await be.read(logp);
      // token_logprobs (B, T-1) = log p(input_ids[t+1] | ..t) at every position: a second forward
      // with every next token as the target
      const all = new Int32Array(B * T).fill(-1);
      for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) all[b * T + t] = fx.input_ids[b][t + 1];
      const lpAll = await be.read(model.forward({ ...batch, targets: all }).logp);
      const tokGot = new Float64Array(B * (T - 1));
      for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) tokGot[b * (T - 1) + t] = lpAll[b * T + t];
      rel(tokGot, exp.readFloat32('token_logprobs'), 1e-4, 'token logprobs');
      model.forward(batch); // the labelled batch again: backward needs its activations
      const seqGot = Array.from({ length: B }, (_, b) => { let x = 0; for (let t = 0; t < T; t++) x += lp[b * T + t]; return x; });
      rel(seqGot, exp.readFloat32('seq_logprobs'), 1e-4, 'seq logprobs');
      let loss = 0;
      for (let i = 0; i < B * T; i++) loss -= lp[i];
      rel([loss / count], exp.readFloat32('loss'), 1e-5, 'loss');
      // backward of the mean cross-entropy: dlogp = -1/count at every labelled position
      const dl = new Float32Array(B * T);
      for (let i = 0; i < B * T; i++) if (targets[i] >= 0) dl[i] = -1 / count;
      const dlT = be.fromArray(dl, [B * T]);
      model.backward(dlT);
      const grads = new Map<string, Float32Array>();
      for (const [n, g] of model.grads!) grads.set(n, (await be.read(g)) as Float32Array);
      let worst = 0, worstName = '';
      for (const [hfName, g] of toHF(arch, grads)) {
        const want = exp.readFloat32('grad.' + hfName);
        const e = expectClose(g, want, 2e-4, `${name} grad ${hfName}`);
        if (e > worst) { worst = e; worstName = hfName; }
      }
      errs.push(`grads (all ${grads.size}) worst ${worst.toExponential(1)} at ${worstName}`);
      console.log(`    ${name} [${beName}] rel err: ${errs.join(', ')}`);
      be.dispose(dlT);
      model.dispose();
    });
    s.run();
  }
}
