// LoRA: only the adapters train; their gradients match central finite differences of the
// float64 reference with the merged weights W + (α/r)·B A (Llama, and GPT-2 whose frozen
// LayerNorms have a weight and a bias of one size); the KV decoder applies them; saved merged,
// the model reloads with the same logits; saved apart, a PEFT adapter is written; saved tensor
// by tensor (streamed), the file is byte for byte the whole-model writer's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Arch } from '../../src/model/arch.js';
import { parseConfig } from '../../src/model/config.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { packBatch } from '../../src/model/batch.js';
import { Transformer } from '../../src/model/transformer.js';
import { generate } from '../../src/model/generate.js';
import { loadModel, saveModel } from '../../src/model/load.js';
import { writeModelDir, writeModelDirStreamed } from '../../src/model/modeldir.js';
import { llamaName, toHF } from '../../src/model/hf-names.js';
import { paramSpecs } from '../../src/model/arch.js';
import { dir as bf16Dir } from './bf16-fixture.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';
import { refLogits, refTokenLogprobs } from './ref-model.js';

const arch: Arch = { family: 'llama', vocab: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, intermediate: 24, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 64 };
const gpt2: Arch = { family: 'gpt2', vocab: 19, hidden: 12, layers: 2, heads: 3, kvHeads: 3, headDim: 4, intermediate: 20, normEps: 1e-5, ropeTheta: 10000, tied: true, qkvBias: true, maxPositions: 16 };
const cases: { arch: Arch; targets: string[] }[] = [{ arch, targets: ['q', 'v', 'down'] }, { arch: gpt2, targets: ['k', 'o', 'fc', 'proj'] }];

async function setup(beName: 'webgpu' | 'wasm', seed: number, c = cases[0]) {
  const be = await getBackend(beName);
  const rng = new Rng(SEED ^ seed);
  const host = initParams(c.arch, rng.int(0, 1 << 30));
  for (const [k, a] of host) if (k.endsWith('.w') && !/ln|norm/.test(k)) for (let i = 0; i < a.length; i++) a[i] *= 10;
  const model = new Transformer(be, c.arch, uploadParams(be, c.arch, host));
  model.enableLoRA({ rank: 3, alpha: 6, targets: c.targets, seed: 5 });
  // B starts at zero; give it values so the adapters matter
  for (const l of model.lora.values()) be.write(l.b, rng.f32(l.b.size, { std: 0.5 }));
  return { be, rng, host, model };
}

/** float64 merged weights */
async function merged(model: Transformer, host: Map<string, Float32Array>, over?: Map<string, Float64Array>): Promise<Map<string, Float64Array>> {
  const out = new Map<string, Float64Array>([...host].map(([k, v]) => [k, Float64Array.from(v)]));
  for (const [name, l] of model.lora) {
    const A = over?.get(name + '.lora_a') ?? Float64Array.from(await model.be.read(l.a));
    const B = over?.get(name + '.lora_b') ?? Float64Array.from(await model.be.read(l.b));
    const w = out.get(name + '.w')!;
    const inF = w.length / l.b.shape[0];
    for (let o = 0; o < l.b.shape[0]; o++) for (let r = 0; r < l.rank; r++) for (let i = 0; i < inF; i++) w[o * inF + i] += l.scale * B[o * l.rank + r] * A[r * inF + i];
  }
  return out;
}

for (const beName of backendNames()) {
  const s = suite(`lora [${beName}]`);
  for (const c of cases) s(`${c.arch.family}: adapter gradients match finite differences; frozen weights get none`, async () => {
    const { be, rng, host, model } = await setup(beName, 0x10a, c);
    const arch = c.arch;
    const batch = packBatch([{ prompt: [1, 2, 3], response: [4, 5, 6] }, { prompt: [7], response: [8, 9] }]);
    model.zeroGrad();
    assert.equal([...model.grads!.keys()].sort(), [...model.lora.keys()].flatMap((n) => [n + '.lora_a', n + '.lora_b']).sort(), 'only adapters have gradients');
    const w0 = await merged(model, host);
    const want = refLogits(arch, (n) => w0.get(n)!, batch);
    const got = await be.read(model.forwardLogits(batch));
    const g: number[] = [], w: number[] = [];
    for (let n = 0; n < batch.B * batch.T; n++) if (batch.keyMask[n]) for (let v = 0; v < arch.vocab; v++) { g.push(got[n * arch.vocab + v]); w.push(want[n * arch.vocab + v]); }
    expectClose(g, w, 1e-4, 'logits with adapters');
    const dl = new Float32Array(batch.B * batch.T).map((_, i) => (batch.targets[i] >= 0 ? -1 : 0));
    const dT = be.fromArray(dl, [dl.length]);
    model.forward(batch); // log-probs through the fused head, whose backward follows
    model.backward(dT);
    be.dispose(dT);
    const loraHost = new Map<string, Float64Array>();
    for (const [name, l] of model.lora) { loraHost.set(name + '.lora_a', Float64Array.from(await be.read(l.a))); loraHost.set(name + '.lora_b', Float64Array.from(await be.read(l.b))); }
    const loss = async () => {
      const m = await merged(model, host, loraHost);
      const lp = refTokenLogprobs(refLogits(arch, (n) => m.get(n)!, batch), batch.targets, arch.vocab);
      return -lp.reduce((a, b) => a + b, 0);
    };
    for (const [pname, grad] of model.grads!) {
      const gv = Float64Array.from(await be.read(grad));
      const p = loraHost.get(pname)!;
      let scale = 0;
      for (const v of gv) scale = Math.max(scale, Math.abs(v));
      for (const i of [0, rng.int(0, p.length), p.length - 1]) {
        const h = 1e-5, o = p[i];
        p[i] = o + h; const a = await loss();
        p[i] = o - h; const b = await loss();
        p[i] = o;
        const fd = (a - b) / (2 * h);
        if (Math.abs(fd - gv[i]) > 2e-3 * Math.max(scale, 1e-4)) throw new Error(`${pname}[${i}]: grad ${gv[i]} vs finite difference ${fd} (seed ${SEED})`);
      }
    }
    model.dispose();
  });
  for (const c of cases) s(`${c.arch.family}: KV-cache greedy decoding applies the adapters`, async () => {
    const { be, model } = await setup(beName, 0x10b, c);
    const arch = c.arch;
    const prompts = [[1, 2, 3, 4], [5, 6]];
    const res = await generate(model, prompts, { maxNewTokens: 4 });
    for (let b = 0; b < 2; b++) {
      const seq = [...prompts[b]];
      for (let t = 0; t < 4; t++) {
        const full = await be.read(model.forwardLogits(packBatch([{ prompt: seq, response: [] }])));
        const last = seq.length - 1;
        let best = 0;
        for (let v = 1; v < arch.vocab; v++) if (full[last * arch.vocab + v] > full[last * arch.vocab + best]) best = v;
        assert.is(res.tokens[b][t], best, `row ${b} step ${t}`);
        seq.push(best);
      }
    }
    model.dispose();
  });
  s('saved merged, the model reloads with the same logits; saved apart, a PEFT adapter', async () => {
    const { be, model } = await setup(beName, 0x10c);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-lora-'));
    const config = parseConfig({ model_type: 'llama', vocab_size: 23, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, max_position_embeddings: 64, tie_word_embeddings: false });
    const batch = packBatch([{ prompt: [1, 2, 3], response: [4, 5] }]);
    const before = Float64Array.from(await be.read(model.forwardLogits(batch)));
    await saveModel(model, config, path.join(tmp, 'merged'));
    const re = loadModel(be, path.join(tmp, 'merged'));
    expectClose(await be.read(re.model.forwardLogits(batch)), before, 1e-5, 'reloaded merged logits');
    re.model.dispose();
    await saveModel(model, config, path.join(tmp, 'apart'), { adapters: 'separate' });
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'apart', 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.target_modules, ['down_proj', 'q_proj', 'v_proj']);
    assert.is(cfg.r, 3);
    assert.is(cfg.lora_alpha, 6);
    assert.ok(fs.existsSync(path.join(tmp, 'apart', 'adapter_model.safetensors')));
    fs.rmSync(tmp, { recursive: true, force: true });
    model.dispose();
  });
  s('saved merged tensor by tensor: byte for byte what the whole-model writer wrote (f32 and bf16 bases, every dtype, slices that cut rows)', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-lora-stream-'));
    const files = (d: string) => ['model.safetensors', 'config.json'].map((f) => fs.readFileSync(path.join(d, f)));
    const same = (a: string, b: string, what: string) => {
      const [x, y] = [files(a), files(b)];
      for (let i = 0; i < x.length; i++) if (!x[i].equals(y[i])) throw new Error(`${what}: ${i ? 'config.json' : 'model.safetensors'} differs from the whole-model writer's (${x[i].length} vs ${y[i].length} bytes; seed ${SEED})`);
    };
    try {
      // an f32 model with adapters: the reference is the old path, all weights merged on the host, then written
      const { be, model } = await setup(beName, 0x10d);
      const config = parseConfig({ model_type: 'llama', vocab_size: 23, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, max_position_embeddings: 64, tie_word_embeddings: false });
      const host = toHF(arch, await model.mergedParams());
      for (const dtype of ['F32', 'BF16', 'F16'] as const) {
        writeModelDir(path.join(tmp, `ref-${dtype}`), { config, tensors: host, dtype });
        await saveModel(model, config, path.join(tmp, `save-${dtype}`), { dtype });
        same(path.join(tmp, `save-${dtype}`), path.join(tmp, `ref-${dtype}`), `saveModel ${dtype}`);
        // slices of 37 values: cut across rows of every merged matrix
        const internal = new Map(paramSpecs(arch).map((sp) => [llamaName(sp.name), sp.name]));
        await writeModelDirStreamed(path.join(tmp, `slices-${dtype}`), { config, dtype, sliceElements: 37, tensors: (n, off, count) => model.mergedSlice(internal.get(n)!, off, count) });
        same(path.join(tmp, `slices-${dtype}`), path.join(tmp, `ref-${dtype}`), `slices of 37, ${dtype}`);
      }
      model.dispose();
      // the bf16 fixture kept 16-bit on the device, with adapters: saved in its own dtype
      const bf = loadModel(be, bf16Dir, { training: true, weights: 'keep' });
      bf.model.enableLoRA({ rank: 2, alpha: 4, targets: ['q', 'v', 'up'], seed: 3 });
      for (const l of bf.model.lora.values()) be.write(l.b, Float32Array.from({ length: l.b.size }, (_, i) => Math.sin(i + 1) * 0.2));
      writeModelDir(path.join(tmp, 'ref-bf16'), { config: bf.config, tensors: toHF(bf.arch, await bf.model.mergedParams()), dtype: 'BF16' });
      await saveModel(bf.model, bf.config, path.join(tmp, 'save-bf16'));
      same(path.join(tmp, 'save-bf16'), path.join(tmp, 'ref-bf16'), 'bf16 base, saveModel');
      bf.model.dispose();
    } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
  });
  s.run();
}
