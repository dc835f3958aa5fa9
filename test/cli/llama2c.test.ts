// A llama2.c model folder (model.bin + tokenizer.bin, no config.json: tools/fixture_llama2c_cli.py)
// through the built CLI's `--model`, as a folder and as the .bin file itself:
//  - `sppo logprobs` (token ids) = log-softmax of PyTorch's float64 llama2.c-style forward
//    (interleaved rotary on the file's own rows), and = the same weights as a Hugging Face folder;
//  - `sppo logprobs` on text = the HF folder's (the tokenizer.bin beside the model is used);
//  - `sppo generate` (greedy) = the float64 reference's argmax at every step, = the HF folder's;
//  - `sppo sft` fine-tunes it and saves a Hugging Face folder that carries tokenizer.bin;
//  - `sppo train` runs an SPPO iteration from it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { packBatch } from '../../src/model/batch.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import { readModelDir } from '../../src/model/modeldir.js';
import { archFromConfig, fromHF } from '../../src/model/hf-names.js';
import { loadPolicyText } from '../../src/sppo/text.js';
import { expectClose } from '../kernels/harness.js';
import { refLogits } from '../model/ref-model.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const l2c = path.join(root, 'test/fixtures/models/llama2c-cli');
const hf = path.join(l2c, 'hf');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-l2c-cli-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const sppo = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 300_000 });
const ok = (args: string[]) => { const r = sppo(args); assert.is(r.status, 0, `sppo ${args.join(' ')}: ${r.stderr}`); return r.stdout; };
const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

const s = suite('llama2.c checkpoints through --model');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ids: number[][] = JSON.parse(fs.readFileSync(path.join(l2c, 'cases.json'), 'utf8')).input_ids;
const V = 300, T = ids[0].length;

s('logprobs (ids) = PyTorch float64 on the llama2.c file, as a folder, as the .bin file, and as HF weights', () => {
  const data = path.join(tmp, 'ids.jsonl');
  fs.writeFileSync(data, ids.map((r) => JSON.stringify({ prompt_ids: r.slice(0, 3), response_ids: r.slice(3) })).join('\n') + '\n');
  const logits = SafetensorsFile.open(path.join(l2c, 'expected.safetensors')).readFloat32('logits');
  const want = ids.map((r, b) => r.slice(3).map((tok, k) => {
    const t = 3 + k - 1, row = logits.subarray((b * T + t) * V, (b * T + t + 1) * V);
    let m = -Infinity, z = 0;
    for (const x of row) m = Math.max(m, x);
    for (const x of row) z += Math.exp(x - m);
    return row[tok] - m - Math.log(z);
  }));
  const runs: Record<string, any[]> = {};
  for (const [name, model] of [['folder', l2c], ['file', path.join(l2c, 'model.bin')], ['hf', hf]]) {
    runs[name] = lines(ok(['logprobs', '--model', model, '--data', data, '--backend', 'wasm']));
    const e = expectClose(runs[name].flatMap((x) => x.token_logprobs), want.flat(), 1e-4, `llama2.c logprobs via ${name}`);
    console.log(`    llama2.c logprobs via ${name}: rel err ${e.toExponential(1)} vs PyTorch float64 (llama2.c rotary)`);
  }
  expectClose(runs.folder.flatMap((x) => x.token_logprobs), runs.hf.flatMap((x) => x.token_logprobs), 1e-6, 'llama2.c folder vs HF folder');
});

s('logprobs on text uses the tokenizer.bin beside the model', () => {
  const data = path.join(tmp, 'text.jsonl');
  fs.writeFileSync(data, JSON.stringify({ prompt: 'the tin ', response: 'is in the shed' }) + '\n');
  const a = lines(ok(['logprobs', '--model', path.join(l2c, 'model.bin'), '--data', data, '--backend', 'wasm']))[0];
  const b = lines(ok(['logprobs', '--model', hf, '--data', data, '--backend', 'wasm']))[0];
  assert.ok(a.token_logprobs.length > 3, 'tokenized');
  expectClose(a.token_logprobs, b.token_logprobs, 1e-6, 'text logprobs llama2.c vs HF');
});

s('generate (greedy) = the float64 reference argmax, and = the HF folder', () => {
  const prompts = path.join(tmp, 'prompts.txt');
  fs.writeFileSync(prompts, 'the hat\nan ant is\n');
  const args = ['--prompts', prompts, '--n', '1', '--temperature', '0', '--max-new-tokens', '6', '--backend', 'wasm'];
  const got = lines(ok(['generate', '--model', l2c, ...args]));
  assert.equal(lines(ok(['generate', '--model', hf, ...args])), got);
  const md = readModelDir(hf);
  const arch = archFromConfig(md.config);
  const p = fromHF(arch, md.tensors);
  const codec = loadPolicyText(l2c, { chat: false, config: md.config });
  got.forEach((row, i) => {
    const seq = [...codec.encodePrompt({ index: i, text: row.prompt })];
    const out: number[] = [];
    for (let t = 0; t < 6; t++) {
      const lg = refLogits(arch, (n) => p.get(n)!, packBatch([{ prompt: seq, response: [] }]));
      const last = (seq.length - 1) * V;
      let best = 0;
      for (let v = 1; v < V; v++) if (lg[last + v] > lg[last + best]) best = v;
      if (codec.eos.includes(best)) break;
      out.push(best); seq.push(best);
    }
    assert.is(row.responses[0], codec.decode(out), `row ${i}: greedy tokens ${out}`);
  });
  console.log(`    llama2.c generate: ${JSON.stringify(got.map((r) => r.responses[0]))} = float64 argmax = HF folder`);
});

s('sft from a llama2.c folder saves a Hugging Face folder with its tokenizer.bin', () => {
  const data = path.join(tmp, 'sft.jsonl'), out = path.join(tmp, 'sft-out');
  fs.writeFileSync(data, ['the hen', 'a tan hat'].map((t) => JSON.stringify({ prompt: 'say ', response: t })).join('\n') + '\n');
  ok(['sft', '--model', l2c, '--data', data, '--out', out, '--epochs', '1', '--batch-size', '2', '--backend', 'wasm']);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.bin']) assert.ok(fs.existsSync(path.join(out, f)), f);
  assert.equal(fs.readFileSync(path.join(out, 'tokenizer.bin')), fs.readFileSync(path.join(l2c, 'tokenizer.bin')));
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal([cfg.model_type, cfg.vocab_size, cfg.num_key_value_heads, cfg.tie_word_embeddings], ['llama', 300, 2, false]);
  // the saved folder is a model like any other (text through its carried tokenizer.bin)
  const text = path.join(tmp, 'text2.jsonl');
  fs.writeFileSync(text, JSON.stringify({ prompt: 'say ', response: 'the hen' }) + '\n');
  assert.ok(Number.isFinite(lines(ok(['logprobs', '--model', out, '--data', text, '--backend', 'wasm']))[0].logprob));
});

s('train: one SPPO iteration from a llama2.c model', () => {
  const prompts = path.join(tmp, 'train-prompts.txt'), cfgFile = path.join(tmp, 'train.json'), out = path.join(tmp, 'run');
  fs.writeFileSync(prompts, ['the', 'a hat', 'an ant', 'she is'].join('\n') + '\n');
  fs.writeFileSync(cfgFile, JSON.stringify({ model: l2c, prompts, judge: 'builtin:length', out, iterations: 1, k: 2, maxNewTokens: 4, evalSize: 0, backend: 'wasm' }));
  ok(['train', '--config', cfgFile]);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.bin']) assert.ok(fs.existsSync(path.join(out, 'iter-1/model', f)), `iter-1/model/${f}`);
  assert.is(fs.readFileSync(path.join(out, 'iter-1/samples.jsonl'), 'utf8').trim().split('\n').length, 4);
});

s.run();
