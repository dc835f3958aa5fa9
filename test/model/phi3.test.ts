// Phi-3 beyond the PyTorch fixtures (test/model/fixtures.test.ts): the checkpoint layout survives
// load → save (disk and in-memory paths) bit for bit, with Phi-3's fused names; BF16 fused rows stay
// 16-bit under 'keep'; the sliding window masks KV-cache decoding as the full forward;
// config.json's Phi-3 fields (partial_rotary_factor, LongRoPE) are read or refused clearly; and
// Phi-3's chat templates render through the jinja path. What sppo writes in BF16 loads in the
// fixture script's strict Phi3ForCausalLM loader (tools/fixture_phi3.py --check) with PyTorch's
// logits (check-bf16.json; SPPO_UPDATE_FIXTURES=1 rewrites it where /usr/bin/python3 has torch),
// and sppo's own 16-bit load of those bytes gives the same logits.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configToJson, parseConfig, type LlamaConfig } from '../../src/model/config.js';
import { archFromConfig } from '../../src/model/hf-names.js';
import { loadModel, saveModel } from '../../src/model/load.js';
import { readModelDir, writeModelDir } from '../../src/model/modeldir.js';
import { loadModelFromFiles, modelToFiles } from '../../src/model/memory-dir.js';
import { SafetensorsBuffer } from '../../src/model/safetensors.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import { generate } from '../../src/model/generate.js';
import type { Batch } from '../../src/model/transformer.js';
import { applyChatTemplate } from '../../src/tokenizer/chat.js';
import { backendNames, expectClose, getBackend } from '../kernels/harness.js';

const fixture = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/models/phi3-gqa');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-phi3-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const fx = JSON.parse(fs.readFileSync(path.join(fixture, 'batch.json'), 'utf8'));
const B = fx.input_ids.length, T = fx.input_ids[0].length;
const flat = (a: number[][]) => Int32Array.from(a.flat());
const batch: Batch = { B, T, ids: flat(fx.input_ids), positions: flat(fx.position_ids), keyMask: flat(fx.attention_mask), targets: new Int32Array(B * T).fill(-1) };
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && bits(a).every((x, i) => x === bits(b)[i]);

// BF16 writes of both fixtures, checked by the reference loader (live where torch is, else the
// committed output, whose bytes' hash ours must equal)
const PY = '/usr/bin/python3';
const haveTorch = process.env.SPPO_NO_TORCH !== '1' && fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const checks = new Map<string, { dir: string; committed: any }>();
{
  const names = ['phi3-gqa', 'phi3-tied', 'phi3-longrope'];
  const dirs = names.map((n) => {
    const src = readModelDir(path.join(fixture, '..', n));
    const dir = path.join(tmp, 'check', n);
    writeModelDir(dir, { config: src.config, tensors: src.tensors, dtype: 'BF16' });
    return dir;
  });
  let live: any[] | null = null;
  if (haveTorch) {
    const r = spawnSync(PY, [path.join(fixture, '../../../../tools/fixture_phi3.py'), '--check', ...dirs], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the reference Phi-3 loader refused what sppo wrote:\n${r.stderr}`);
    live = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  }
  names.forEach((n, i) => {
    const file = path.join(fixture, '..', n, 'check-bf16.json');
    if (live && process.env.SPPO_UPDATE_FIXTURES === '1') fs.writeFileSync(file, JSON.stringify(live[i]) + '\n');
    const committed = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (live) expectClose(live[i].logits.flat(2), committed.logits.flat(2), 1e-6, `${n}: live reference loader vs committed check`);
    checks.set(n, { dir: dirs[i], committed });
  });
}

for (const beName of backendNames()) {
  const s = suite(`phi3 checkpoint layout [${beName}]`);

  s('BF16 writes: the bytes the reference Phi-3 loader accepted; 16-bit load = its PyTorch logits', async () => {
    const be = await getBackend(beName);
    for (const [n, { dir, committed }] of checks) {
      const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'model.safetensors'))).digest('hex');
      assert.is(sha, committed.weights_sha256, `${n}: model.safetensors differs from the torch-checked one; rerun with SPPO_UPDATE_FIXTURES=1 where torch exists`);
      assert.equal(committed.dtypes, ['BF16']);
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), committed.config);
      const { model } = loadModel(be, dir, { weights: 'keep' });
      const V = model.arch.vocab, cb: Batch = { B: 2, T: 5, ids: flat(committed.input_ids), positions: flat(committed.position_ids), keyMask: flat(committed.attention_mask), targets: new Int32Array(10).fill(-1) };
      const got = await be.read(model.forwardLogits(cb));
      const mine: number[] = [], want: number[] = [];
      for (let b = 0; b < 2; b++) for (let t = 0; t < 5; t++) if (committed.attention_mask[b][t]) { mine.push(...got.slice((b * 5 + t) * V, (b * 5 + t + 1) * V)); want.push(...committed.logits[b][t]); }
      const e = expectClose(mine, want, 1e-4, `${n} bf16 logits vs PyTorch`);
      console.log(`    ${n} bf16 [${beName}]: sppo's bytes pass the strict Phi-3 loader; 16-bit logits vs PyTorch rel err ${e.toExponential(1)}`);
      model.dispose();
    }
  });

  s('load → save keeps Phi-3 names, fused layout and every bit (disk and memory paths)', async () => {
    const be = await getBackend(beName);
    const src = SafetensorsFile.open(path.join(fixture, 'model.safetensors'));
    const { model, config } = loadModel(be, fixture, { training: true });
    assert.equal([model.arch.rotaryDim, model.arch.fusedProj, model.arch.slidingWindow], [4, true, 48]);
    const out = path.join(tmp, `saved-${beName}`);
    await saveModel(model, config, out);
    const saved = SafetensorsFile.open(path.join(out, 'model.safetensors'));
    assert.equal(saved.names().sort(), src.names().sort());
    for (const n of src.names()) assert.ok(sameBits(saved.readFloat32(n), src.readFloat32(n)), `${n} changed in the round trip`);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.equal([cfg.architectures, cfg.model_type, cfg.partial_rotary_factor, cfg.sliding_window, cfg.original_max_position_embeddings], [['Phi3ForCausalLM'], 'phi3', 0.4, 48, 64]);
    assert.not.ok('attention_bias' in cfg);
    // in memory (browsers, Deno, workers): the same files → the same tensors
    // Node Buffers as they come from fs (views into a pool): decoded as their own bytes
    const read = (f: string) => fs.readFileSync(path.join(fixture, f));
    const files = new Map<string, Uint8Array>([['config.json', read('config.json')], ['model.safetensors', read('model.safetensors')]]);
    const mem = loadModelFromFiles(be, files, { label: 'phi3-gqa' });
    const back = await modelToFiles(mem.model, mem.config);
    const st = new SafetensorsBuffer(back.get('model.safetensors')!, 'memory');
    assert.equal(st.names().sort(), src.names().sort());
    for (const n of src.names()) assert.ok(sameBits(st.readFloat32(n), src.readFloat32(n)), `${n} changed in the memory round trip`);
    expectClose(await be.read(mem.model.forwardLogits(batch)), await be.read(model.forwardLogits(batch)), 1e-6, 'memory vs disk logits');
    mem.model.dispose(); model.dispose();
  });

  s('BF16 fused rows stay 16-bit under weights "keep": logits = the widened load', async () => {
    const be = await getBackend(beName);
    const wide = loadModel(be, fixture, { weights: 'f32' });
    const dir = path.join(tmp, `bf16-${beName}`);
    await saveModel(wide.model, wide.config, dir, { dtype: 'BF16' });
    const keep = loadModel(be, dir, { weights: 'keep' });
    const widened = loadModel(be, dir, { weights: 'f32' });
    for (const n of ['l0.q.w', 'l0.k.w', 'l1.v.w', 'l1.gate.w', 'l0.up.w']) assert.is(keep.model.p(n).dtype, 'bf16', n);
    assert.is(keep.model.p('l0.ln1.w').dtype, 'f32');
    const e = expectClose(await be.read(keep.model.forwardLogits(batch)), await be.read(widened.model.forwardLogits(batch)), 1e-5, 'phi3 bf16 keep vs widened');
    console.log(`    phi3 bf16 [${beName}]: fused rows kept 16-bit, logits vs widened rel err ${e.toExponential(1)}`);
    for (const m of [wide, keep, widened]) m.model.dispose();
  });

  s('LoRA on q, v, gate, up: merged into the fused tensors on save (same logits after reload); separate adapters refused', async () => {
    const be = await getBackend(beName);
    const { model, config } = loadModel(be, fixture, { weights: 'f32' });
    model.enableLoRA({ rank: 3, alpha: 6, targets: ['q', 'v', 'gate', 'up'], seed: 5 });
    // nonzero B so that every adapter changes its projection
    for (const [n, l] of model.lora) be.write(l.b, Float32Array.from({ length: l.b.size }, (_, i) => Math.sin(i + n.length) * 0.3));
    const want = await be.read(model.forwardLogits(batch));
    const out = path.join(tmp, `lora-${beName}`);
    await saveModel(model, config, out);
    assert.ok(SafetensorsFile.open(path.join(out, 'model.safetensors')).names().includes('model.layers.1.self_attn.qkv_proj.weight'));
    const back = loadModel(be, out, { weights: 'f32' });
    expectClose(await be.read(back.model.forwardLogits(batch)), want, 1e-5, 'phi3 merged LoRA reloaded');
    let msg = '';
    try { await saveModel(model, config, path.join(tmp, `lora-sep-${beName}`), { adapters: 'separate' }); } catch (e) { msg = (e as Error).message; }
    assert.match(msg, /Phi-3 fuses them \(qkv_proj, gate_up_proj\): save merged/);
    model.dispose(); back.model.dispose();
  });

  s('sliding window (5) in KV-cache decoding past it: greedy tokens = argmax of the full forward at every step', async () => {
    const be = await getBackend(beName);
    const { model } = loadModel(be, path.join(fixture, '../phi3-longrope'));
    assert.is(model.arch.slidingWindow, 5);
    const prompts = [[1, 7, 30], [9]], steps = 9;
    const res = await generate(model, prompts, { maxNewTokens: steps });
    const V = model.arch.vocab;
    for (let b = 0; b < prompts.length; b++) {
      const seq = [...prompts[b]];
      for (let t = 0; t < steps; t++) {
        const n = seq.length;
        const lg = await be.read(model.forwardLogits({ B: 1, T: n, ids: Int32Array.from(seq), positions: Int32Array.from({ length: n }, (_, i) => i), keyMask: new Int32Array(n).fill(1), targets: new Int32Array(n).fill(-1) }));
        let best = 0;
        for (let v = 1; v < V; v++) if (lg[(n - 1) * V + v] > lg[(n - 1) * V + best]) best = v;
        assert.is(res.tokens[b][t], best, `row ${b} step ${t}`);
        seq.push(best);
      }
    }
    model.dispose();
  });

  s('LongRoPE: positions past original_max_position_embeddings (the long factors) are refused', async () => {
    const be = await getBackend(beName);
    const { model } = loadModel(be, path.join(fixture, '../phi3-longrope'));
    const n = 65, pos = Int32Array.from({ length: n }, (_, i) => i);
    const long: Batch = { B: 1, T: n, ids: new Int32Array(n).fill(3), positions: pos, keyMask: new Int32Array(n).fill(1), targets: new Int32Array(n).fill(-1) };
    assert.throws(() => model.forwardHidden(long), /position 64 reaches original_max_position_embeddings \(64\), past which LongRoPE's long factors apply/);
    let msg = '';
    try { await generate(model, [[1, 2, 3]], { maxNewTokens: 70 }); } catch (e) { msg = (e as Error).message; }
    assert.match(msg, /original_max_position_embeddings \(64\)/);
    model.dispose();
  });
  s.run();
}

const s = suite('phi3 config.json and chat templates');
const base = JSON.parse(fs.readFileSync(path.join(fixture, 'config.json'), 'utf8'));

s('partial_rotary_factor → rotary dims; written back as given', () => {
  const c = parseConfig(base) as LlamaConfig;
  assert.is(c.arch, 'llama');
  assert.equal([c.modelType, c.rotaryDim, c.headDim, c.qkvBias, c.oBias, c.mlpBias, c.slidingWindow], ['phi3', 4, 10, false, false, false, 48]);
  assert.is(configToJson(c).partial_rotary_factor, 0.4);
  // Phi-3-mini's own numbers: factor absent → full rotary, window 2047 under a 4096 context loads
  const mini = parseConfig({ ...base, partial_rotary_factor: undefined, hidden_size: 3072, num_attention_heads: 32, num_key_value_heads: 32, max_position_embeddings: 4096, sliding_window: 2047, vocab_size: 32064, intermediate_size: 8192 });
  assert.is((mini as any).rotaryDim, undefined);
  const a = archFromConfig(mini);
  assert.equal([a.rotaryDim, a.slidingWindow, a.headDim], [undefined, 2047, 96]);
});

s('LongRoPE: short factors and the attention factor as Hugging Face derives them; bad factors and other scalings refused', () => {
  const lr = JSON.parse(fs.readFileSync(path.join(fixture, '../phi3-longrope/config.json'), 'utf8'));
  const c = parseConfig(lr) as LlamaConfig;
  assert.equal(c.longRope!.shortFactor, [1, 1.9, 7.25]);
  assert.is(c.longRope!.originalMaxPositions, 64);
  assert.ok(Math.abs(c.longRope!.attentionFactor - Math.sqrt(1 + Math.log(4) / Math.log(64))) < 1e-15);
  const a = archFromConfig(c);
  assert.equal([a.ropeFactors, a.ropeMaxPositions, a.rotaryDim], [[1, 1.9, 7.25], 64, 6]);
  // written back as it came; an explicit attention_factor wins; 'su' is the old spelling
  assert.equal(configToJson(c).rope_scaling, lr.rope_scaling);
  assert.is((parseConfig({ ...lr, rope_scaling: { ...lr.rope_scaling, attention_factor: 1.5 } }) as LlamaConfig).longRope!.attentionFactor, 1.5);
  assert.ok((parseConfig({ ...lr, rope_scaling: { ...lr.rope_scaling, type: 'su' } }) as LlamaConfig).longRope);
  assert.throws(() => parseConfig({ ...lr, rope_scaling: { ...lr.rope_scaling, short_factor: [1, 2] } }, 'lr/config.json'), /lr\/config\.json.*rope_scaling.*short_factor must be a list of 3 positive numbers/s);
  assert.throws(() => parseConfig({ ...lr, rope_scaling: { type: 'yarn', factor: 4 } }), /rope_scaling.*"yarn".*does not support/s);
  for (const type of ['longrope', 'su']) {
    assert.throws(() => parseConfig({ ...base, rope_scaling: { type, short_factor: [1, 1, 1], long_factor: [2, 2] } }, 'phi3/config.json'), /short_factor must be a list of 2 positive numbers/);
  }
  assert.throws(() => parseConfig({ ...base, partial_rotary_factor: 0.5 }), /partial_rotary_factor.*5 rotary dims of head_dim 10.*even/);
  assert.throws(() => parseConfig({ ...base, partial_rotary_factor: 1.5 }), /partial_rotary_factor.*above 1/);
});

s("Phi-3's chat templates render through the jinja path", () => {
  const msgs = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: '2+2?' }];
  // Phi-3-mini-4k-instruct (current tokenizer_config.json)
  const mini = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";
  const cfg = { chat_template: mini, bos_token: '<s>', eos_token: '<|endoftext|>' };
  assert.is(applyChatTemplate(cfg, msgs, { addGenerationPrompt: true }), '<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\n2+2?<|end|>\n<|assistant|>\n');
  assert.is(applyChatTemplate(cfg, msgs.slice(0, 3)), '<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|endoftext|>');
  // the first release's template: BOS, no system turn, the assistant header after every user turn
  const first = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}";
  assert.is(applyChatTemplate({ ...cfg, chat_template: first }, msgs.slice(1)), '<s><|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\n2+2?<|end|>\n<|assistant|>\n');
});

s.run();
