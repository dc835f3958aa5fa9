// A bf16 checkpoint with its matrices kept 16-bit on the device (loadModel weights 'keep', the
// default for a model that does not train) against PyTorch: tools/make_half_model_fixture.py
// rounds a Qwen2-shaped model (tied head, q/k/v bias, grouped-query attention) to bf16 and
// computes token log-probs in float64 from the same bf16 values; they must agree within 2e-3 on
// every backend. Then: LoRA trains on the frozen 16-bit base (gradients equal those over the
// f32-widened base), full training refuses 16-bit weights until widenParams() makes the f32
// master copy, saving writes BF16 again bit for bit, and on wasm the frozen 16-bit model takes
// about half the bytes of the f32 one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import { loadModel, saveModel } from '../../src/model/load.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import type { Batch } from '../../src/model/transformer.js';
import { generate } from '../../src/model/generate.js';
import { backendNames, expectClose, getBackend, SEED } from '../kernels/harness.js';
import { allTargets, B, dir, exp, fx, T } from './bf16-fixture.js';

/** the labelled response tokens only (the sequence log-probs) */
function labelled(): Batch {
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) if (fx.labels[b][t + 1] !== -100) targets[b * T + t] = fx.labels[b][t + 1];
  return { ...allTargets(), targets };
}

for (const beName of backendNames()) {
  const s = suite(`bf16 weights kept 16-bit [${beName}]`);

  s('token log-probs match PyTorch float64 from the same bf16 weights (≤ 2e-3)', async () => {
    const be = await getBackend(beName);
    const { model, dtype } = loadModel(be, dir);
    try {
      if (dtype !== 'BF16' || model.sourceDtype !== 'BF16') throw new Error(`file dtype ${dtype}`);
      for (const n of ['embed', 'l0.q.w', 'l1.down.w']) if (model.p(n).dtype !== 'bf16') throw new Error(`${n} is ${model.p(n).dtype}, expected bf16`);
      for (const n of ['l0.ln1.w', 'l0.q.b', 'norm.w']) if (model.p(n).dtype !== 'f32') throw new Error(`${n} is ${model.p(n).dtype}, expected f32`);
      // the fused LM head over the 16-bit tied embedding: all of V in one chunk, then chunks of
      // 16 columns (93 = 5·16 + 13: the head copies 16-bit slices of the table)
      let worst = 0, count = 0;
      for (const chunk of [undefined, 16]) {
        model.lmHeadOptions = chunk ? { chunk } : {};
        const lp = await be.read(model.forward(allTargets()).logp);
        // positions where both the token and the next one are real (padding rows carry no loss)
        for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) {
          if (!fx.attention_mask[b][t] || !fx.attention_mask[b][t + 1]) continue;
          const got = lp[b * T + t], want = exp.token_logprobs[b][t];
          if (!Number.isFinite(got)) throw new Error(`token (${b}, ${t}), chunk ${chunk}: ${got}`);
          worst = Math.max(worst, Math.abs(got - want)); count++;
        }
      }
      model.lmHeadOptions = {};
      if (count < 40 || !(worst <= 2e-3)) throw new Error(`token log-probs: max |diff| ${worst} over ${count} tokens (> 2e-3; seed ${SEED})`);
      const lpS = await be.read(model.forward(labelled()).logp);
      const seq = Array.from({ length: B }, (_, b) => { let x = 0; for (let t = 0; t < T; t++) x += lpS[b * T + t]; return x; });
      expectClose(seq, exp.seq_logprobs, 2e-4, 'seq log-probs');
      console.log(`    bf16 [${beName}] token log-prob max |diff| vs PyTorch ${worst.toExponential(2)} over ${count} tokens`);
    } finally { model.dispose(); }
  });

  s('KV-cache decoding on 16-bit weights: the same greedy tokens as on the f32-widened weights', async () => {
    const be = await getBackend(beName);
    const prompts = [fx.input_ids[2].slice(0, 5), fx.input_ids[0].slice(0, 2)];
    const runs = [];
    for (const weights of ['keep', 'f32'] as const) {
      const { model } = loadModel(be, dir, { weights });
      try { runs.push(await generate(model, prompts, { maxNewTokens: 6 })); } finally { model.dispose(); }
    }
    for (let b = 0; b < prompts.length; b++) {
      if (runs[0].tokens[b].join() !== runs[1].tokens[b].join()) throw new Error(`row ${b}: bf16 ${runs[0].tokens[b]} vs f32 ${runs[1].tokens[b]}`);
      if (runs[0].tokens[b].length !== 6) throw new Error(`row ${b}: ${runs[0].tokens[b].length} tokens`);
    }
  });

  s('LoRA trains on the frozen 16-bit base: gradients equal those over the f32-widened base', async () => {
    const be = await getBackend(beName);
    const grads: Map<string, Float32Array>[] = [];
    for (const weights of ['keep', 'f32'] as const) {
      const { model } = loadModel(be, dir, { training: true, weights });
      try {
        if ((model.p('l0.q.w').dtype === 'bf16') !== (weights === 'keep')) throw new Error(`weights ${weights}: q.w is ${model.p('l0.q.w').dtype}`);
        model.enableLoRA({ rank: 3, alpha: 6, targets: ['q', 'v', 'down'], seed: 5 });
        model.lmHeadOptions = { chunk: 16 }; // backward through 16-bit slices of the tied head
        // B starts at zero: give it values so every adapter gradient is non-trivial
        for (const [, l] of model.lora) be.write(l.b, Float32Array.from({ length: l.b.size }, (_, i) => Math.sin(i + 1) * 0.1));
        model.zeroGrad();
        const batch = labelled();
        const { logp } = model.forward(batch);
        const dl = be.fromArray(Float32Array.from(batch.targets, (t) => (t >= 0 ? -1 : 0)), [B * T]);
        await be.read(logp);
        model.backward(dl);
        const g = new Map<string, Float32Array>();
        for (const [n, t] of model.grads!) g.set(n, (await be.read(t)) as Float32Array);
        grads.push(g);
        be.dispose(dl);
      } finally { model.dispose(); }
    }
    if (grads[0].size !== 6 * 2) throw new Error(`${grads[0].size} adapter gradients`);
    for (const [n, g] of grads[0]) expectClose(g, grads[1].get(n)!, 1e-4, `LoRA grad ${n}`);
  });

  s('full training needs the f32 master copy: zeroGrad refuses 16-bit weights, widenParams makes it', async () => {
    const be = await getBackend(beName);
    const { model } = loadModel(be, dir, { weights: 'keep' });
    try {
      const before = await be.read(model.p('l0.up.w'));
      let msg = '';
      try { model.zeroGrad(); } catch (e) { msg = (e as Error).message; }
      if (!/16-bit.*widenParams/.test(msg)) throw new Error(`zeroGrad on 16-bit weights: "${msg}"`);
      await model.widenParams();
      if (model.halfParams().length) throw new Error(`still half: ${model.halfParams().join(', ')}`);
      expectClose(await be.read(model.p('l0.up.w')), before, 0, 'widened weight (exact)');
      model.zeroGrad();
    } finally { model.dispose(); }
  });

  s('saving a 16-bit model writes BF16 again, bit for bit (torch_dtype bfloat16)', async () => {
    const be = await getBackend(beName);
    const { model, config } = loadModel(be, dir);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-half-'));
    try {
      await saveModel(model, config, path.join(out, 'm'));
      const cfg = JSON.parse(fs.readFileSync(path.join(out, 'm', 'config.json'), 'utf8'));
      if (cfg.torch_dtype !== 'bfloat16') throw new Error(`torch_dtype ${cfg.torch_dtype}`);
      const a = SafetensorsFile.open(path.join(dir, 'model.safetensors')), b = SafetensorsFile.open(path.join(out, 'm', 'model.safetensors'));
      for (const n of a.names()) {
        if (b.info(n)?.dtype !== 'BF16') throw new Error(`${n} written as ${b.info(n)?.dtype}`);
        expectClose(b.readFloat32(n), a.readFloat32(n), 0, `saved ${n}`);
      }
      if (a.names().length !== b.names().length) throw new Error('tensor count differs');
    } finally { model.dispose(); fs.rmSync(out, { recursive: true, force: true }); }
  });

  if (beName === 'wasm') {
    s('wasm memory: the frozen bf16 model takes about half the bytes of the f32 one', async () => {
      const be = await getBackend(beName);
      const used = () => be.memoryStats().bytesInUse;
      const bytes: number[] = [];
      for (const weights of ['keep', 'f32'] as const) {
        const u0 = used();
        const { model } = loadModel(be, dir, { weights });
        bytes.push(used() - u0);
        model.dispose();
        for (const t of model.params.values()) be.dispose(t);
      }
      const ratio = bytes[0] / bytes[1];
      console.log(`    wasm: bf16 model ${bytes[0]} bytes, f32 ${bytes[1]} bytes (ratio ${ratio.toFixed(3)})`);
      if (!(ratio > 0.45 && ratio < 0.56)) throw new Error(`bytes: bf16 ${bytes[0]}, f32 ${bytes[1]} (ratio ${ratio})`);
    });
  }
  s.run();
}
