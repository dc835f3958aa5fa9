// config.json → ModelConfig for each family (defaults, eos lists, refusals), ModelConfig →
// config.json that parses back the same, and generation_config.json.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  configToJson, generationConfigToJson, parseConfig, parseGenerationConfig, type ModelConfig,
} from '../../src/model/config.js';
import { ModelFileError } from '../../src/model/io-errors.js';
import { hfParamList } from '../../src/model/io-params.js';
import { attentionExtras, embedScale, layerWindow, paramCount, paramSpecs } from '../../src/model/arch.js';
import { archFromConfig, llamaName } from '../../src/model/hf-names.js';
import { errorOf } from './io-helpers.js';

const strip = ({ source: _s, ...rest }: ModelConfig) => rest;

function expectConfigError(json: unknown, cause: RegExp, file = 'x/config.json'): void {
  const e = errorOf(() => parseConfig(typeof json === 'string' ? json : JSON.stringify(json), file));
  assert.instance(e, ModelFileError, e.message);
  assert.ok(e.message.startsWith(`${file}: `), e.message);
  assert.match(e.message, cause);
  assert.match(e.message, /\. Fix: \S/);
}

// shapes of real public configs (sizes only; no weights)
const tinyllama = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, intermediate_size: 5632,
  num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4, max_position_embeddings: 2048,
  rms_norm_eps: 1e-5, rope_theta: 10000.0, rope_scaling: null, tie_word_embeddings: false, vocab_size: 32000,
  bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', torch_dtype: 'bfloat16', pretraining_tp: 1,
};
const smollm = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 576, intermediate_size: 1536,
  num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, max_position_embeddings: 2048,
  rms_norm_eps: 1e-5, rope_theta: 10000.0, tie_word_embeddings: true, vocab_size: 49152, bos_token_id: 0, eos_token_id: 0,
};
const qwen2 = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864,
  num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768,
  rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768, use_sliding_window: false, max_window_layers: 21,
  tie_word_embeddings: true, vocab_size: 151936, bos_token_id: 151643, eos_token_id: 151645,
};
const mistral = {
  architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: 4096, intermediate_size: 14336,
  num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 32768,
  rms_norm_eps: 1e-5, rope_theta: 1000000.0, sliding_window: null, vocab_size: 32768, head_dim: 128,
};
const gpt2 = {
  architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12,
  n_positions: 1024, n_ctx: 1024, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256,
};

test('llama family: fields, defaults (kv heads, head_dim, theta, eps), eos lists, biases', () => {
  const t = parseConfig(JSON.stringify(tinyllama));
  assert.equal(strip(t), {
    arch: 'llama', modelType: 'llama', vocabSize: 32000, hiddenSize: 2048, intermediateSize: 5632, numLayers: 22,
    numHeads: 32, numKvHeads: 4, headDim: 64, maxPositions: 2048, normEps: 1e-5, ropeTheta: 10000, ropeScaling: null,
    qkvBias: false, oBias: false, mlpBias: false, slidingWindow: null, tieWordEmbeddings: false,
    bosTokenId: 1, eosTokenIds: [2], padTokenId: null,
  });
  const s = parseConfig(smollm);
  assert.is(s.modelType, 'llama'); assert.is(s.headDim, 64); assert.is(s.tieWordEmbeddings, true); assert.equal(s.eosTokenIds, [0]);
  // minimal: everything optional defaulted as transformers' LlamaConfig does
  const m = parseConfig({ model_type: 'llama', vocab_size: 101, hidden_size: 48, intermediate_size: 80, num_hidden_layers: 2, num_attention_heads: 6 });
  assert.is(m.numKvHeads, 6); assert.is(m.headDim, 8); assert.is(m.arch === 'llama' && m.ropeTheta, 10000);
  assert.is(m.normEps, 1e-6); assert.is(m.maxPositions, 2048); assert.is(m.tieWordEmbeddings, false);
  assert.equal(m.eosTokenIds, [2]); assert.is(m.bosTokenId, 1);
  // eos may be a list (Llama 3), or null
  assert.equal(parseConfig({ ...tinyllama, eos_token_id: [128001, 128008, 128009] }).eosTokenIds, [128001, 128008, 128009]);
  assert.equal(parseConfig({ ...tinyllama, eos_token_id: null }).eosTokenIds, []);
  // model_type inferred from architectures when absent
  assert.is(parseConfig({ ...tinyllama, model_type: undefined }).modelType, 'llama');
  // rope_scaling of type "default" is plain rotary
  assert.is(parseConfig({ ...tinyllama, rope_scaling: { rope_type: 'default' } }).arch, 'llama');
  const lb = parseConfig({ ...tinyllama, attention_bias: true, mlp_bias: true });
  assert.ok(lb.arch === 'llama' && lb.qkvBias && lb.oBias && lb.mlpBias);
});

test('qwen2 (q/k/v bias, no o bias, sliding window only when used) and mistral (head_dim, window)', () => {
  const q = parseConfig(qwen2);
  assert.ok(q.arch === 'llama');
  if (q.arch !== 'llama') return;
  assert.equal([q.modelType, q.qkvBias, q.oBias, q.mlpBias, q.slidingWindow, q.tieWordEmbeddings, q.ropeTheta, q.headDim, q.numKvHeads],
    ['qwen2', true, false, false, null, true, 1e6, 64, 2]);
  const qs = parseConfig({ ...qwen2, use_sliding_window: true, sliding_window: 4096 });
  assert.is(qs.arch === 'llama' && qs.slidingWindow, 4096);
  const mi = parseConfig(mistral);
  assert.equal([mi.modelType, mi.headDim, mi.arch === 'llama' && mi.slidingWindow, mi.normEps], ['mistral', 128, null, 1e-5]);
  assert.is(parseConfig({ ...mistral, sliding_window: 4096 }).arch === 'llama' && (parseConfig({ ...mistral, sliding_window: 4096 }) as { slidingWindow: number }).slidingWindow, 4096);
  // parameter list: qwen2 has q/k/v biases, tied: no lm_head
  const names = hfParamList({ ...q, numLayers: 1 }).map((p) => p.name);
  assert.ok(names.includes('model.layers.0.self_attn.q_proj.bias') && !names.includes('model.layers.0.self_attn.o_proj.bias') && !names.includes('lm_head.weight'));
  const shapes = Object.fromEntries(hfParamList({ ...mi, numLayers: 1 }).map((p) => [p.name, p.shape]));
  assert.equal(shapes['model.layers.0.self_attn.q_proj.weight'], [32 * 128, 4096]);
  assert.equal(shapes['model.layers.0.self_attn.k_proj.weight'], [8 * 128, 4096]);
  assert.equal(shapes['model.layers.0.self_attn.o_proj.weight'], [4096, 32 * 128]);
  assert.equal(shapes['model.layers.0.mlp.down_proj.weight'], [4096, 14336]);
  assert.equal(shapes['lm_head.weight'], [32768, 4096]);
});

// Qwen/Qwen3-0.6B's config.json: head_dim 128 ≠ hidden/heads = 64, tied, no attention bias
const qwen3 = {
  architectures: ['Qwen3ForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645,
  head_dim: 128, hidden_act: 'silu', hidden_size: 1024, initializer_range: 0.02, intermediate_size: 3072,
  max_position_embeddings: 40960, max_window_layers: 28, model_type: 'qwen3', num_attention_heads: 16, num_hidden_layers: 28,
  num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 1000000, sliding_window: null,
  tie_word_embeddings: true, torch_dtype: 'bfloat16', transformers_version: '4.51.0', use_cache: true, use_sliding_window: false, vocab_size: 151936,
};

test('qwen3 (per-head q/k norms, head_dim from the config, one attention_bias, sliding window only when used)', () => {
  const q = parseConfig(qwen3);
  assert.ok(q.arch === 'llama');
  if (q.arch !== 'llama') return;
  assert.equal([q.modelType, q.qkvBias, q.oBias, q.mlpBias, q.slidingWindow, q.tieWordEmbeddings, q.ropeTheta, q.headDim, q.numKvHeads, q.eosTokenIds, q.bosTokenId],
    ['qwen3', false, false, false, null, true, 1e6, 128, 8, [151645], 151643]);
  const a = archFromConfig(q);
  assert.equal([a.qkNorm, a.headDim, a.qkvBias, a.oBias], [true, 128, false, false]);
  // parameters: 0.6B with the tied head (per layer q/k/v/o, MLP, two C norms and two D norms)
  const C = 1024, D = 128, layer = 16 * D * C + 2 * 8 * D * C + C * 16 * D + 3 * 3072 * C + 2 * C + 2 * D;
  assert.is(paramCount(a), 151936 * C + 28 * layer + C);
  assert.is(paramCount(a), 596049920);
  const shapes = Object.fromEntries(hfParamList({ ...q, numLayers: 1 }).map((p) => [p.name, p.shape]));
  assert.equal(shapes['model.layers.0.self_attn.q_norm.weight'], [128]);
  assert.equal(shapes['model.layers.0.self_attn.k_norm.weight'], [128]);
  assert.equal(shapes['model.layers.0.self_attn.q_proj.weight'], [16 * 128, 1024]);
  assert.equal(shapes['model.layers.0.self_attn.o_proj.weight'], [1024, 16 * 128]);
  assert.ok(!('lm_head.weight' in shapes) && !('model.layers.0.self_attn.q_proj.bias' in shapes));
  // the HF names of our parameters are exactly the checkpoint's
  assert.equal(paramSpecs({ ...a, layers: 1 }).map((s) => llamaName(s.name)).sort(), Object.keys(shapes).sort());
  // attention_bias: all four projections (Qwen3Attention), unlike qwen2
  const b = parseConfig({ ...qwen3, attention_bias: true });
  assert.equal([b.arch === 'llama' && b.qkvBias, b.arch === 'llama' && b.oBias], [true, true]);
  // Qwen3Config's head_dim default is 128, not hidden/heads
  const { head_dim: _h, ...noHead } = qwen3;
  assert.is(parseConfig({ ...noHead, hidden_size: 100, num_attention_heads: 3, num_key_value_heads: 3 }).headDim, 128);
  const sw = parseConfig({ ...qwen3, use_sliding_window: true, sliding_window: 4096 });
  assert.is(sw.arch === 'llama' && sw.slidingWindow, 4096);
  assert.throws(() => archFromConfig(sw), /sliding-window/);
  assert.is(parseConfig({ ...qwen3, model_type: undefined }).modelType, 'qwen3'); // from architectures
  expectConfigError({ ...qwen3, head_dim: 63 }, /field "head_dim" \(63\) is odd/);
  expectConfigError({ ...qwen3, attention_bias: 'no' }, /field "attention_bias" is "no"/);
});

// google/gemma-2-2b-it's config.json: head_dim 256 ≠ 2304/8, GQA 8:4, both soft caps, window 4096
const gemma2 = {
  architectures: ['Gemma2ForCausalLM'], attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: 50.0, bos_token_id: 2,
  cache_implementation: 'hybrid', eos_token_id: [1, 107], final_logit_softcapping: 30.0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh',
  hidden_activation: 'gelu_pytorch_tanh', hidden_size: 2304, initializer_range: 0.02, intermediate_size: 9216, max_position_embeddings: 8192,
  model_type: 'gemma2', num_attention_heads: 8, num_hidden_layers: 26, num_key_value_heads: 4, pad_token_id: 0, query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6, rope_theta: 10000.0, sliding_window: 4096, torch_dtype: 'float32', transformers_version: '4.42.4', use_cache: true, vocab_size: 256000,
};

test('gemma2 (GeGLU, four norms per layer, soft caps, query_pre_attn_scalar, window on even layers, tied)', () => {
  const g = parseConfig(gemma2);
  assert.ok(g.arch === 'llama');
  if (g.arch !== 'llama') return;
  assert.equal([g.modelType, g.headDim, g.numKvHeads, g.slidingWindow, g.tieWordEmbeddings, g.eosTokenIds, g.bosTokenId, g.padTokenId, g.qkvBias, g.oBias],
    ['gemma2', 256, 4, 4096, true, [1, 107], 2, 0, false, false]);
  assert.equal(g.gemma2, { queryPreAttnScalar: 256, attnLogitSoftcapping: 50, finalLogitSoftcapping: 30 });
  const a = archFromConfig(g);
  assert.equal(a.gemma2, { queryPreAttnScalar: 256, attnSoftcap: 50, finalSoftcap: 30, slidingWindow: 4096 });
  assert.equal([layerWindow(a, 0), layerWindow(a, 1), layerWindow(a, 24), layerWindow(a, 25)], [4096, undefined, 4096, undefined]);
  assert.equal(attentionExtras(a, 0), { scale: 1 / 16, window: 4096, softcap: 50 });
  assert.is(embedScale(a), Math.fround(48));
  // Gemma-2-2B: 2,614,341,888 parameters (four C norms per layer, tied head)
  assert.is(paramCount(a), 2614341888);
  const shapes = Object.fromEntries(hfParamList({ ...g, numLayers: 1 }).map((p) => [p.name, p.shape]));
  for (const n of ['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm']) assert.equal(shapes[`model.layers.0.${n}.weight`], [2304]);
  assert.equal(shapes['model.layers.0.self_attn.q_proj.weight'], [8 * 256, 2304]);
  assert.ok(!('lm_head.weight' in shapes));
  // our parameters map one to one onto the checkpoint's names (ln2 = the MLP's input norm = pre_feedforward_layernorm)
  const a1 = { ...a, layers: 1 };
  assert.equal(paramSpecs(a1).map((s) => llamaName(s.name, a1)).sort(), Object.keys(shapes).sort());
  assert.is(llamaName('l0.ln2.w', a1), 'model.layers.0.pre_feedforward_layernorm.weight');
  assert.is(llamaName('l0.an.w', a1), 'model.layers.0.post_attention_layernorm.weight');
  // Gemma's norm weights multiply as (1 + w): a fresh model starts them at 0
  assert.ok(paramSpecs(a1).filter((s) => s.shape.length === 1).every((s) => 'value' in s.init && s.init.value === 0));
  // null soft caps and window: none; Gemma2Config's defaults fill what is missing
  const n = parseConfig({ ...gemma2, attn_logit_softcapping: null, final_logit_softcapping: null, sliding_window: null });
  assert.equal(archFromConfig(n).gemma2, { queryPreAttnScalar: 256, attnSoftcap: undefined, finalSoftcap: undefined, slidingWindow: undefined });
  const { head_dim: _h, query_pre_attn_scalar: _q, attn_logit_softcapping: _c1, final_logit_softcapping: _c2, sliding_window: _w, tie_word_embeddings: _t, hidden_act: _a, ...bare } = gemma2 as Record<string, unknown>;
  const d = parseConfig({ ...bare, tie_word_embeddings: undefined });
  assert.equal(d.arch === 'llama' && [d.headDim, d.slidingWindow, d.tieWordEmbeddings, d.gemma2], [256, 4096, true, { queryPreAttnScalar: 256, attnLogitSoftcapping: 50, finalLogitSoftcapping: 30 }]);
  assert.is(parseConfig({ ...gemma2, model_type: undefined }).modelType, 'gemma2'); // from architectures
  expectConfigError({ ...gemma2, hidden_activation: 'gelu' }, /field "hidden_activation" is "gelu"; sppo's Gemma-2 MLP is GeGLU/);
  expectConfigError({ ...gemma2, final_logit_softcapping: 0 }, /field "final_logit_softcapping" is 0/);
  expectConfigError({ ...gemma2, query_pre_attn_scalar: -1 }, /field "query_pre_attn_scalar" is -1/);
});

test('gpt2: fields and defaults (n_inner = 4·n_embd, n_positions, epsilon, tied head)', () => {
  const g = parseConfig(gpt2);
  assert.equal(strip(g), {
    arch: 'gpt2', modelType: 'gpt2', vocabSize: 50257, hiddenSize: 768, intermediateSize: 3072, numLayers: 12,
    numHeads: 12, numKvHeads: 12, headDim: 64, maxPositions: 1024, normEps: 1e-5, activation: 'gelu_new',
    tieWordEmbeddings: true, bosTokenId: 50256, eosTokenIds: [50256], padTokenId: null,
  });
  const m = parseConfig({ model_type: 'gpt2', vocab_size: 97, n_embd: 32, n_layer: 2, n_head: 4, n_inner: 100 });
  assert.equal([m.intermediateSize, m.maxPositions, m.normEps, m.eosTokenIds], [100, 1024, 1e-5, [50256]]);
  const shapes = Object.fromEntries(hfParamList(m).map((p) => [p.name, p.shape]));
  assert.equal(shapes['transformer.h.1.attn.c_attn.weight'], [32, 96]);
  assert.equal(shapes['transformer.h.1.mlp.c_fc.weight'], [32, 100]);
  assert.equal(shapes['transformer.h.1.mlp.c_proj.weight'], [100, 32]);
  assert.equal(shapes['transformer.wpe.weight'], [1024, 32]);
  assert.is(shapes['lm_head.weight'], undefined);
  assert.is(hfParamList(m).length, 2 + 12 * 2 + 2);
});

test('missing or bad fields: one error naming the file and the field', () => {
  const base = { model_type: 'llama', vocab_size: 101, hidden_size: 48, intermediate_size: 80, num_hidden_layers: 2, num_attention_heads: 6 };
  for (const k of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads']) {
    const j: Record<string, unknown> = { ...base }; delete j[k];
    expectConfigError(j, new RegExp(`field "${k}" is missing`));
  }
  for (const k of ['vocab_size', 'n_embd', 'n_layer', 'n_head']) {
    const j: Record<string, unknown> = { ...gpt2 }; delete j[k];
    expectConfigError(j, new RegExp(`field "${k}" is missing`), 'gpt2/config.json');
  }
  expectConfigError('{"model_type": "llama",', /invalid JSON/);
  expectConfigError('[1]', /is not a JSON object/);
  expectConfigError({ ...base, model_type: 'falcon' }, /field "model_type" is "falcon", which sppo does not support/);
  expectConfigError({ ...base, model_type: undefined }, /field "model_type" is missing/);
  expectConfigError({ ...base, hidden_size: 48.5 }, /field "hidden_size" is 48.5, not an integer >= 1/);
  expectConfigError({ ...base, num_attention_heads: '6' }, /field "num_attention_heads" is "6"/);
  expectConfigError({ ...base, num_key_value_heads: 4 }, /field "num_key_value_heads" \(4\) does not divide num_attention_heads \(6\)/);
  expectConfigError({ ...base, hidden_size: 50 }, /field "hidden_size" \(50\) is not a multiple of num_attention_heads \(6\)/);
  expectConfigError({ ...base, head_dim: 7 }, /field "head_dim" \(7\) is odd/);
  expectConfigError({ ...base, rope_scaling: { type: 'linear', factor: 2 } }, /field "rope_scaling" has type "linear", which sppo does not support/);
  expectConfigError({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /has type "llama3"/);
  expectConfigError({ ...base, rms_norm_eps: -1 }, /field "rms_norm_eps" is -1, not a positive number/);
  expectConfigError({ ...base, hidden_act: 'gelu' }, /field "hidden_act" is "gelu"/);
  expectConfigError({ ...base, tie_word_embeddings: 'yes' }, /field "tie_word_embeddings" is "yes", not true or false/);
  expectConfigError({ ...base, eos_token_id: [2, 'x'] }, /field "eos_token_id" is \[2,"x"\]/);
  expectConfigError({ ...gpt2, activation_function: 'relu' }, /field "activation_function" is "relu"/);
  expectConfigError({ ...gpt2, scale_attn_by_inverse_layer_idx: true }, /scale_attn_by_inverse_layer_idx/);
  expectConfigError({ ...gpt2, n_embd: 100 }, /field "n_embd" \(100\) is not a multiple of n_head \(12\)/);
});

test('configToJson: what we write parses back to the same config, with transformers fields', () => {
  for (const src of [tinyllama, smollm, qwen2, qwen3, gemma2, { ...gemma2, attention_bias: true, tie_word_embeddings: false, attn_logit_softcapping: null, sliding_window: null }, { ...qwen3, attention_bias: true, tie_word_embeddings: false, use_sliding_window: true, sliding_window: 512 }, mistral, gpt2, { ...tinyllama, attention_bias: true, mlp_bias: true, eos_token_id: [5, 6], pad_token_id: 0 }]) {
    const cfg = parseConfig(src as Record<string, unknown>);
    for (const dtype of ['float32', 'float16'] as const) {
      const json = configToJson(cfg, dtype);
      assert.is(json.torch_dtype, dtype);
      assert.ok(Array.isArray(json.architectures) && json.architectures.length === 1);
      assert.is(json.model_type, cfg.modelType);
      const back = parseConfig(JSON.parse(JSON.stringify(json)) as Record<string, unknown>);
      assert.equal(strip(back), strip(cfg), `${cfg.modelType} round trip`);
    }
  }
  // unknown fields of the source survive; rope_scaling is written explicitly null
  const j = configToJson(parseConfig({ ...tinyllama, my_field: 7 }));
  assert.is(j.my_field, 7); assert.is(j.rope_scaling, null); assert.is(j.hidden_act, 'silu');
  // a config built in code (no source) writes every field transformers needs
  const { source: _s, ...bare } = parseConfig(qwen2);
  const q = configToJson(bare as ModelConfig);
  assert.equal([q.architectures, q.use_sliding_window, q.attention_bias, q.num_key_value_heads], [['Qwen2ForCausalLM'], false, undefined, 2]);
  const { source: _s3, ...bare3 } = parseConfig(qwen3);
  const q3 = configToJson(bare3 as ModelConfig);
  assert.equal([q3.architectures, q3.model_type, q3.head_dim, q3.attention_bias, q3.use_sliding_window, q3.sliding_window, q3.mlp_bias],
    [['Qwen3ForCausalLM'], 'qwen3', 128, false, false, null, undefined]);
  // Qwen/Qwen3-0.6B's own config.json comes back with every field it had, unchanged
  const full3 = configToJson(parseConfig(qwen3), 'bfloat16');
  for (const [k, v] of Object.entries(qwen3)) assert.equal(full3[k], v, `qwen3 field ${k}`);
  // google/gemma-2-2b-it's config.json likewise, and a bare gemma2 config writes Gemma2Config's fields
  const fullG = configToJson(parseConfig(gemma2), 'float32');
  for (const [k, v] of Object.entries(gemma2)) assert.equal(fullG[k], v, `gemma2 field ${k}`);
  const { source: _sg, ...bareG } = parseConfig(gemma2);
  const qg = configToJson(bareG as ModelConfig);
  assert.equal([qg.architectures, qg.hidden_activation, qg.query_pre_attn_scalar, qg.sliding_window, qg.attn_logit_softcapping, qg.final_logit_softcapping, qg.head_dim],
    [['Gemma2ForCausalLM'], 'gelu_pytorch_tanh', 256, 4096, 50, 30, 256]);
  const g = configToJson({ ...parseConfig(gpt2), source: undefined });
  assert.equal([g.architectures, g.n_inner, g.activation_function, g.n_positions], [['GPT2LMHeadModel'], null, 'gelu_new', 1024]);
  // inexpressible combinations are refused
  const l = parseConfig(tinyllama);
  assert.throws(() => configToJson({ ...l, qkvBias: true } as ModelConfig), /qwen2/);
});

test('generation_config.json: sampling fields, eos lists, errors, round trip', () => {
  const g = parseGenerationConfig(JSON.stringify({ bos_token_id: 1, eos_token_id: [2, 32000], do_sample: true, temperature: 0.7, top_p: 0.9, top_k: 40, max_new_tokens: 64, repetition_penalty: 1.1, transformers_version: '4.40.0' }));
  assert.equal({ ...g, source: undefined }, { bosTokenId: 1, eosTokenIds: [2, 32000], padTokenId: null, doSample: true, temperature: 0.7, topP: 0.9, topK: 40, maxNewTokens: 64, repetitionPenalty: 1.1, source: undefined });
  const back = generationConfigToJson(g);
  assert.is(back.transformers_version, '4.40.0');
  assert.equal(parseGenerationConfig(back as Record<string, unknown>).eosTokenIds, [2, 32000]);
  assert.equal(parseGenerationConfig('{}').eosTokenIds, []);
  const e = errorOf(() => parseGenerationConfig('{"top_p": 2}', 'm/generation_config.json'));
  assert.match(e.message, /^m\/generation_config.json: field "top_p" is 2, above 1\. Fix: /);
  assert.match(errorOf(() => parseGenerationConfig('{"temperature": "hot"}')).message, /field "temperature" is "hot", not a non-negative number/);
  assert.is(parseGenerationConfig('{"temperature": 0, "min_p": 0}').temperature, 0);
  assert.match(errorOf(() => parseGenerationConfig('nope')).message, /invalid JSON/);
});

test.run();
