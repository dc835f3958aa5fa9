// Hugging Face config.json ⇄ one normalized ModelConfig, and generation_config.json.
// No node: imports (the Node directory code is in modeldir.ts).
//
// Families:
//   arch 'llama' — model_type llama (also SmolLM, TinyLlama), mistral, qwen2, qwen3, phi3. Pre-norm RMSNorm,
//     rotary (HF rotate_half layout), grouped-query attention, SwiGLU MLP. qwen3 adds a per-head
//     RMSNorm on q and k (q_norm, k_norm: weight (head_dim)) between the projection and rotary.
//     phi3 is the same block with q|k|v and gate|up fused into one matrix each in the checkpoint
//     (qkv_proj, gate_up_proj: split on load, fused on save in hf-names.ts), no biases, and rotary
//     on the first rotaryDim = head_dim · partial_rotary_factor dims of each head (any llama type
//     honours partial_rotary_factor, as HF's rope init does).
//   model_type gemma2 (arch 'llama' too: the same rotary GQA skeleton) adds: embeddings scaled by
//     √hidden_size, RMSNorm by (1 + weight), norms after attention and after the MLP as well as
//     before them (post_attention_layernorm, pre_feedforward_layernorm, post_feedforward_layernorm),
//     a GeGLU MLP (hidden_activation gelu_pytorch_tanh), scores scaled by query_pre_attn_scalar^−½,
//     attention-logit and final-logit soft-capping, and sliding-window attention on even layers.
//   arch 'gpt2'  — model_type gpt2. Pre-norm LayerNorm, learned positions, gelu_new MLP,
//     Conv1D weights stored (in, out), head tied to wte.
//
// Field map (normalized ← llama config.json / gpt2 config.json):
//   vocabSize ← vocab_size / vocab_size              hiddenSize ← hidden_size / n_embd
//   intermediateSize ← intermediate_size / n_inner (null → 4·n_embd)
//   numLayers ← num_hidden_layers / n_layer          numHeads ← num_attention_heads / n_head
//   numKvHeads ← num_key_value_heads (default numHeads) / = n_head
//   headDim ← head_dim (default hidden/heads; qwen3: 128, Qwen3Config's)        maxPositions ← max_position_embeddings / n_positions
//   normEps ← rms_norm_eps (HF default 1e-6) / layer_norm_epsilon (default 1e-5)
//   ropeTheta ← rope_theta (default 10000)           ropeScaling ← rope_scaling (null; LongRoPE → longRope)
//   rotaryDim ← floor(head_dim · partial_rotary_factor) (default 1: all of head_dim)
//   qkvBias, oBias ← attention_bias (llama, mistral, qwen3: all four projections) / qwen2: q,k,v only;
//     phi3: none
//   mlpBias ← mlp_bias (llama)                       slidingWindow ← sliding_window (mistral, phi3;
//   qwen2, qwen3 only when use_sliding_window)              tieWordEmbeddings ← tie_word_embeddings
//   bosTokenId, eosTokenIds (a list: eos_token_id may be one id or several), padTokenId
//   gemma2 ← query_pre_attn_scalar (256), attn_logit_softcapping (50.0, null = none),
//     final_logit_softcapping (30.0, null = none), sliding_window (4096, even layers),
//     hidden_activation / hidden_act (gelu_pytorch_tanh); Gemma2Config's defaults in parentheses
// Every error names the file and the field.
import { ModelFileError } from './io-errors.js';

export type Arch = 'llama' | 'gpt2';

interface ConfigCommon {
  arch: Arch;
  /** HF model_type: 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'phi3' | 'gemma2' | 'gpt2' */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  /** RMSNorm (llama) or LayerNorm (gpt2) epsilon */
  normEps: number;
  /** lm_head shares the token embedding (no lm_head.weight in the checkpoint) */
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  /** every id that ends generation ([] when none is known) */
  eosTokenIds: number[];
  padTokenId: number | null;
  /** the config.json this came from (unknown fields survive a read → write round trip) */
  source?: Record<string, unknown>;
}

export interface LlamaConfig extends ConfigCommon {
  arch: 'llama';
  modelType: 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'phi3' | 'gemma2';
  ropeTheta: number;
  /** rotary on the first rotaryDim dims of each head, the rest pass through (partial_rotary_factor;
   *  absent = headDim) */
  rotaryDim?: number;
  /** LongRoPE (rope_scaling type "longrope"/"su": Phi-3 128k, Phi-3.5): inv_freq divided by the
   *  short factors below originalMaxPositions, cos/sin times attentionFactor. The long factors (for
   *  longer sequences) are kept for saving; such sequences are refused */
  longRope?: { shortFactor: number[]; longFactor: number[]; originalMaxPositions: number; attentionFactor: number };
  /** only plain rotary is supported: other kinds are refused when parsing */
  ropeScaling: null;
  /** bias on q_proj, k_proj, v_proj */
  qkvBias: boolean;
  /** bias on o_proj */
  oBias: boolean;
  /** bias on gate_proj, up_proj, down_proj */
  mlpBias: boolean;
  /** attend only to the last N keys (Mistral, Phi-3, Qwen2 with use_sliding_window; Gemma-2: its even
   *  layers only); null = full causal */
  slidingWindow: number | null;
  /** model_type gemma2 only: what sets its block apart (see the header) */
  gemma2?: Gemma2Extras;
}

export interface Gemma2Extras {
  /** attention scores are scaled by queryPreAttnScalar^−½ (not head_dim^−½) */
  queryPreAttnScalar: number;
  /** attention-logit soft cap (tanh(s/c)·c before the softmax); null = none */
  attnLogitSoftcapping: number | null;
  /** final-logit soft cap; null = none */
  finalLogitSoftcapping: number | null;
}

export interface Gpt2Config extends ConfigCommon {
  arch: 'gpt2';
  modelType: 'gpt2';
  /** GELU, tanh form (HF activation_function "gelu_new") */
  activation: 'gelu_new';
}

export type ModelConfig = LlamaConfig | Gpt2Config;

const LLAMA_TYPES: Record<string, { arch: string; normEps: number; maxPositions: number; bos: number | null; eos: number | null }> = {
  // class defaults of transformers' LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config, Phi3Config
  llama: { arch: 'LlamaForCausalLM', normEps: 1e-6, maxPositions: 2048, bos: 1, eos: 2 },
  mistral: { arch: 'MistralForCausalLM', normEps: 1e-6, maxPositions: 4096 * 32, bos: 1, eos: 2 },
  qwen2: { arch: 'Qwen2ForCausalLM', normEps: 1e-6, maxPositions: 32768, bos: null, eos: null },
  qwen3: { arch: 'Qwen3ForCausalLM', normEps: 1e-6, maxPositions: 32768, bos: null, eos: null },
  phi3: { arch: 'Phi3ForCausalLM', normEps: 1e-5, maxPositions: 4096, bos: 1, eos: 32000 },
  gemma2: { arch: 'Gemma2ForCausalLM', normEps: 1e-6, maxPositions: 8192, bos: 2, eos: 1 },
};
const ARCH_TO_TYPE: Record<string, string> = {
  LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2', Qwen3ForCausalLM: 'qwen3', Phi3ForCausalLM: 'phi3', Gemma2ForCausalLM: 'gemma2', GPT2LMHeadModel: 'gpt2',
};
const SUPPORTED = 'llama (also SmolLM, TinyLlama), mistral, qwen2, qwen3, phi3, gemma2, gpt2';

/** own keys only: "constructor", "__proto__" or "toString" are not model types */
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Largest sizes accepted (far above any released model, far below what would exhaust memory
 * while merely listing the parameters): a config past them is refused before anything is built.
 */
export const LIMITS = {
  vocab_size: 2 ** 31 - 1, hidden_size: 131072, intermediate_size: 1048576, num_hidden_layers: 1024,
  num_attention_heads: 1024, head_dim: 1024, max_position_embeddings: 2 ** 24,
  /** elements of one tensor: kernels index with i32 */
  tensor: 2 ** 31 - 1,
} as const;

/** reads typed fields of one JSON object, every error naming the file and the field */
class Fields {
  constructor(readonly json: Record<string, unknown>, readonly file: string) {}
  has(k: string): boolean { return this.json[k] !== undefined && this.json[k] !== null; }
  fail(k: string, problem: string, fix?: string): never {
    throw new ModelFileError(this.file, `field "${k}" ${problem}`, fix ?? `set "${k}" in ${this.file} to a valid value (see the model's original config.json)`);
  }
  /** a positive (or, with min 0, non-negative) integer up to max; required unless def is given */
  int(k: string, def?: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.json[k];
    if (v === undefined || v === null) {
      if (def !== undefined) return def;
      this.fail(k, 'is missing', `add "${k}": <integer> to ${this.file} (every ${this.json.model_type ?? 'model'} config needs it)`);
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(k, `is ${JSON.stringify(v)}, not an integer >= ${min}`);
    if ((v as number) > max) this.fail(k, `is ${v}, above the largest sppo accepts (${max})`);
    return v as number;
  }
  /** a positive (with allowZero: non-negative) finite number */
  num(k: string, def: number, allowZero = false): number {
    const v = this.json[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (v === 0 && !allowZero)) {
      this.fail(k, `is ${JSON.stringify(v)}, not a ${allowZero ? 'non-negative' : 'positive'} number`);
    }
    return v as number;
  }
  bool(k: string, def: boolean): boolean {
    const v = this.json[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(k, `is ${JSON.stringify(v)}, not true or false`);
    return v as boolean;
  }
  str(k: string, def: string): string {
    const v = this.json[k];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') this.fail(k, `is ${JSON.stringify(v)}, not a string`);
    return v as string;
  }
  /** a token id or null */
  tokenId(k: string, def: number | null): number | null {
    const v = this.json[k];
    if (v === undefined) return def;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(k, `is ${JSON.stringify(v)}, not a token id`);
    return v as number;
  }
  /** a token id, a list of them, or null → list */
  tokenIds(k: string, def: number | null): number[] {
    const v = this.json[k];
    if (v === undefined) return def === null ? [] : [def];
    if (v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    for (const x of list) if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) this.fail(k, `is ${JSON.stringify(v)}, not a token id or a list of token ids`);
    return list as number[];
  }
}

/** Parses config.json text (or an already-parsed object). `file` names it in errors. */
export function parseConfig(input: string | Record<string, unknown>, file = 'config.json'): ModelConfig {
  let json: unknown = input;
  if (typeof input === 'string') {
    try { json = JSON.parse(input); } catch (e) {
      throw new ModelFileError(file, `invalid JSON (${(e as Error).message})`, 'repair the file or write it again with save_pretrained');
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelFileError(file, 'is not a JSON object', 'a config.json holds one object like {"model_type": "llama", ...}');
  }
  const f = new Fields(json as Record<string, unknown>, file);
  let modelType = f.has('model_type') ? f.str('model_type', '') : '';
  if (!modelType) {
    const archs = Array.isArray(f.json.architectures) ? f.json.architectures as unknown[] : [];
    const known = archs.map((a) => (typeof a === 'string' && own(ARCH_TO_TYPE, a) ? ARCH_TO_TYPE[a] : undefined)).find((t) => t);
    if (!known) f.fail('model_type', 'is missing (and "architectures" names no supported model)', `add "model_type" (one of: ${SUPPORTED}) to ${file}`);
    modelType = known!;
  }
  if (modelType === 'gpt2') return parseGpt2(f);
  if (own(LLAMA_TYPES, modelType)) return parseLlama(f, modelType as LlamaConfig['modelType']);
  return f.fail('model_type', `is "${modelType}", which sppo does not support`,
    `use a model of a supported family (${SUPPORTED}); other architectures need their own forward pass`);
}

function parseLlama(f: Fields, modelType: LlamaConfig['modelType']): LlamaConfig {
  const d = LLAMA_TYPES[modelType];
  const hiddenSize = f.int('hidden_size', undefined, 1, LIMITS.hidden_size);
  const numHeads = f.int('num_attention_heads', undefined, 1, LIMITS.num_attention_heads);
  const numKvHeads = f.int('num_key_value_heads', numHeads, 1, LIMITS.num_attention_heads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `(${numKvHeads}) does not divide num_attention_heads (${numHeads})`);
  // Qwen3Config's head_dim defaults to 128 and Gemma2Config's to 256 (whatever hidden/heads is); the others derive it
  const fixedHeadDim = modelType === 'qwen3' ? 128 : modelType === 'gemma2' ? 256 : 0;
  const defHeadDim = fixedHeadDim || hiddenSize / numHeads;
  if (!fixedHeadDim && !f.has('head_dim') && hiddenSize % numHeads !== 0) {
    f.fail('hidden_size', `(${hiddenSize}) is not a multiple of num_attention_heads (${numHeads})`, `set "head_dim" explicitly in ${f.file}, or fix the sizes`);
  }
  const headDim = f.int('head_dim', defHeadDim, 1, LIMITS.head_dim);
  if (headDim % 2 !== 0) f.fail('head_dim', `(${headDim}) is odd; rotary embeddings need an even head dimension`);
  if (modelType === 'gemma2') {
    // Gemma2MLP reads hidden_activation; configs on the hub carry hidden_act as well
    const key = f.has('hidden_activation') ? 'hidden_activation' : 'hidden_act';
    const act = f.str(key, 'gelu_pytorch_tanh');
    if (act !== 'gelu_pytorch_tanh' && act !== 'gelu_new') {
      f.fail(key, `is "${act}"; sppo's Gemma-2 MLP is GeGLU with the tanh GELU ("gelu_pytorch_tanh")`, `use a model with ${key} "gelu_pytorch_tanh"`);
    }
  } else {
    const act = f.str('hidden_act', 'silu');
    if (act !== 'silu' && act !== 'swish') f.fail('hidden_act', `is "${act}"; the Llama family here uses SwiGLU with "silu"`, 'use a model with hidden_act "silu"');
  }
  // HF's rope init rotates int(head_dim · partial_rotary_factor) dims of each head (Phi-3 uses < 1)
  let rotaryDim: number | undefined;
  if (f.has('partial_rotary_factor')) {
    const factor = f.num('partial_rotary_factor', 1);
    if (factor > 1) f.fail('partial_rotary_factor', `is ${factor}, above 1`);
    const rd = Math.floor(headDim * factor);
    if (rd < 2 || rd % 2 !== 0) f.fail('partial_rotary_factor', `(${factor}) makes ${rd} rotary dims of head_dim ${headDim}; rotary needs an even number of at least 2`);
    if (rd !== headDim) rotaryDim = rd;
  }
  const rs = f.json.rope_scaling;
  let longRope: LlamaConfig['longRope'];
  if (rs !== undefined && rs !== null) {
    const r = (typeof rs === 'object' && !Array.isArray(rs) ? rs : {}) as Record<string, unknown>;
    const kind = typeof rs === 'object' ? String(r.rope_type ?? r.type ?? '?') : JSON.stringify(rs);
    if (kind === 'longrope' || kind === 'su') longRope = parseLongRope(f, r, rotaryDim ?? headDim);
    else if (kind !== 'default') {
      f.fail('rope_scaling', `has type "${kind}", which sppo does not support (plain rotary, rope_scaling null, and LongRoPE only)`,
        `use a model without rope scaling, or set "rope_scaling": null in ${f.file} if you only use sequences within its original context length`);
    }
  }
  let slidingWindow: number | null = null;
  if (modelType === 'mistral' || modelType === 'phi3') slidingWindow = f.has('sliding_window') ? f.int('sliding_window', undefined, 1, LIMITS.max_position_embeddings) : null;
  if ((modelType === 'qwen2' || modelType === 'qwen3') && f.bool('use_sliding_window', false)) slidingWindow = f.int('sliding_window', undefined, 1, LIMITS.max_position_embeddings);
  let gemma2: Gemma2Extras | undefined;
  if (modelType === 'gemma2') {
    slidingWindow = f.json.sliding_window === null ? null : f.int('sliding_window', 4096, 1, LIMITS.max_position_embeddings);
    const cap = (k: string, def: number) => (f.json[k] === null ? null : f.num(k, def));
    gemma2 = {
      queryPreAttnScalar: f.num('query_pre_attn_scalar', 256),
      attnLogitSoftcapping: cap('attn_logit_softcapping', 50),
      finalLogitSoftcapping: cap('final_logit_softcapping', 30),
    };
  }
  // Phi3Attention's qkv_proj and o_proj have no bias (Phi3Config has no attention_bias)
  const attentionBias = modelType === 'qwen2' ? true : modelType === 'phi3' ? false : f.bool('attention_bias', false);
  const vocabSize = f.int('vocab_size', undefined, 1, LIMITS.vocab_size);
  const intermediateSize = f.int('intermediate_size', undefined, 1, LIMITS.intermediate_size);
  checkTensorSizes(f, [['vocab_size', vocabSize, hiddenSize], ['intermediate_size', intermediateSize, hiddenSize], ['num_attention_heads', numHeads * headDim, hiddenSize]]);
  return {
    arch: 'llama', modelType,
    vocabSize,
    hiddenSize,
    intermediateSize,
    numLayers: f.int('num_hidden_layers', undefined, 1, LIMITS.num_hidden_layers),
    numHeads, numKvHeads, headDim,
    maxPositions: f.int('max_position_embeddings', d.maxPositions, 1, LIMITS.max_position_embeddings),
    normEps: f.num('rms_norm_eps', d.normEps),
    ropeTheta: f.num('rope_theta', 10000),
    ...(rotaryDim !== undefined ? { rotaryDim } : {}),
    ...(longRope ? { longRope } : {}),
    ropeScaling: null,
    qkvBias: attentionBias,
    oBias: modelType === 'qwen2' ? false : attentionBias,
    mlpBias: modelType === 'llama' ? f.bool('mlp_bias', false) : false,
    slidingWindow,
    tieWordEmbeddings: f.bool('tie_word_embeddings', modelType === 'gemma2'),
    bosTokenId: f.tokenId('bos_token_id', d.bos),
    eosTokenIds: f.tokenIds('eos_token_id', d.eos),
    padTokenId: f.tokenId('pad_token_id', modelType === 'gemma2' ? 0 : null),
    ...(gemma2 ? { gemma2 } : {}),
    source: f.json,
  };
}

function parseGpt2(f: Fields): Gpt2Config {
  const hiddenSize = f.int('n_embd', undefined, 1, LIMITS.hidden_size);
  const numHeads = f.int('n_head', undefined, 1, LIMITS.num_attention_heads);
  if (hiddenSize % numHeads !== 0) f.fail('n_embd', `(${hiddenSize}) is not a multiple of n_head (${numHeads})`);
  const act = f.str('activation_function', 'gelu_new');
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
    f.fail('activation_function', `is "${act}"; sppo's GPT-2 uses the tanh GELU ("gelu_new")`, 'use a model trained with activation_function "gelu_new"');
  }
  if (!f.bool('scale_attn_weights', true)) f.fail('scale_attn_weights', 'is false; sppo always scales attention by 1/sqrt(head_dim)', 'use a standard GPT-2 config');
  if (f.bool('scale_attn_by_inverse_layer_idx', false)) f.fail('scale_attn_by_inverse_layer_idx', 'is true, which sppo does not support', 'use a standard GPT-2 config');
  const vocabSize = f.int('vocab_size', undefined, 1, LIMITS.vocab_size);
  const intermediateSize = f.int('n_inner', 4 * hiddenSize, 1, LIMITS.intermediate_size);
  const maxPositions = f.int('n_positions', 1024, 1, LIMITS.max_position_embeddings);
  checkTensorSizes(f, [['vocab_size', vocabSize, hiddenSize], ['n_inner', intermediateSize, hiddenSize], ['n_positions', maxPositions, hiddenSize], ['n_embd', 3 * hiddenSize, hiddenSize]]);
  return {
    arch: 'gpt2', modelType: 'gpt2',
    vocabSize,
    hiddenSize,
    intermediateSize,
    numLayers: f.int('n_layer', undefined, 1, LIMITS.num_hidden_layers),
    numHeads, numKvHeads: numHeads, headDim: hiddenSize / numHeads,
    maxPositions,
    normEps: f.num('layer_norm_epsilon', 1e-5),
    activation: 'gelu_new',
    tieWordEmbeddings: f.bool('tie_word_embeddings', true),
    bosTokenId: f.tokenId('bos_token_id', 50256),
    eosTokenIds: f.tokenIds('eos_token_id', 50256),
    padTokenId: f.tokenId('pad_token_id', null),
    source: f.json,
  };
}

/**
 * rope_scaling {type "longrope"|"su", short_factor, long_factor[, attention_factor, factor]} as
 * Hugging Face reads it: the switch to long factors happens past original_max_position_embeddings
 * (top-level, Phi-3's; else max_position_embeddings), and the attention factor defaults to
 * sqrt(1 + ln(s) / ln(original)) with s = max_position_embeddings / original (or rope_scaling.factor).
 */
function parseLongRope(f: Fields, r: Record<string, unknown>, rd: number): NonNullable<LlamaConfig['longRope']> {
  const list = (k: string): number[] => {
    const v = r[k];
    if (!Array.isArray(v) || v.length !== rd / 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
      f.fail('rope_scaling', `.${k} must be a list of ${rd / 2} positive numbers (rotary dims / 2), got ${Array.isArray(v) ? `${v.length} values` : JSON.stringify(v)}`);
    }
    return v as number[];
  };
  const shortFactor = list('short_factor'), longFactor = list('long_factor');
  const maxPos = f.int('max_position_embeddings', 4096, 1, LIMITS.max_position_embeddings);
  let original: number, factor: number;
  if (f.has('original_max_position_embeddings')) {
    original = f.int('original_max_position_embeddings', undefined, 1, LIMITS.max_position_embeddings);
    factor = maxPos / original;
  } else {
    original = maxPos;
    factor = typeof r.factor === 'number' && r.factor > 0 ? r.factor : f.fail('rope_scaling', '.factor is missing (needed without original_max_position_embeddings)');
  }
  const af = r.attention_factor;
  if (af !== undefined && af !== null && !(typeof af === 'number' && Number.isFinite(af) && af > 0)) f.fail('rope_scaling', `.attention_factor is ${JSON.stringify(af)}, not a positive number`);
  const attentionFactor = typeof af === 'number' ? af : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  return { shortFactor, longFactor, originalMaxPositions: original, attentionFactor };
}

/** rows × cols of the largest tensors a field sizes must fit one tensor (i32 element offsets) */
function checkTensorSizes(f: Fields, dims: [string, number, number][]): void {
  for (const [k, rows, cols] of dims) {
    if (rows * cols > LIMITS.tensor) f.fail(k, `makes a tensor of ${rows} × ${cols} = ${rows * cols} values, more than one tensor can hold (${LIMITS.tensor})`);
  }
}

export type TorchDtype = 'float32' | 'float16' | 'bfloat16';

/**
 * The inverse: a config.json object Hugging Face transformers loads (AutoConfig →
 * LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM / GPT2LMHeadModel). Fields of the
 * source config.json that sppo does not interpret are kept.
 */
export function configToJson(cfg: ModelConfig, torchDtype: TorchDtype = 'float32'): Record<string, unknown> {
  const base: Record<string, unknown> = { ...(cfg.source ?? {}) };
  const eos = cfg.eosTokenIds.length === 0 ? null : cfg.eosTokenIds.length === 1 ? cfg.eosTokenIds[0] : [...cfg.eosTokenIds];
  if (cfg.arch === 'gpt2') {
    if (cfg.headDim * cfg.numHeads !== cfg.hiddenSize || cfg.numKvHeads !== cfg.numHeads) {
      throw new Error('configToJson: a GPT-2 config needs headDim·numHeads = hiddenSize and numKvHeads = numHeads');
    }
    return {
      ...base,
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2',
      vocab_size: cfg.vocabSize, n_embd: cfg.hiddenSize, n_layer: cfg.numLayers, n_head: cfg.numHeads,
      n_positions: cfg.maxPositions, n_ctx: cfg.maxPositions,
      n_inner: cfg.intermediateSize === 4 * cfg.hiddenSize ? null : cfg.intermediateSize,
      activation_function: 'gelu_new', layer_norm_epsilon: cfg.normEps,
      scale_attn_weights: true, tie_word_embeddings: cfg.tieWordEmbeddings,
      bos_token_id: cfg.bosTokenId, eos_token_id: eos, ...(cfg.padTokenId !== null ? { pad_token_id: cfg.padTokenId } : {}),
      torch_dtype: torchDtype,
    };
  }
  const t = own(LLAMA_TYPES, cfg.modelType) ? LLAMA_TYPES[cfg.modelType] : undefined;
  if (!t) throw new Error(`configToJson: model type "${cfg.modelType}" is not one of ${Object.keys(LLAMA_TYPES).join(', ')}`);
  if (cfg.ropeScaling !== null) throw new Error('configToJson: only rope_scaling null is supported');
  const out: Record<string, unknown> = {
    ...base,
    architectures: [t.arch], model_type: cfg.modelType,
    vocab_size: cfg.vocabSize, hidden_size: cfg.hiddenSize, intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.numLayers, num_attention_heads: cfg.numHeads, num_key_value_heads: cfg.numKvHeads,
    head_dim: cfg.headDim, hidden_act: 'silu', max_position_embeddings: cfg.maxPositions,
    rms_norm_eps: cfg.normEps, rope_theta: cfg.ropeTheta,
    // LongRoPE: the source's rope_scaling object as it was (factors, type spelling, extra keys)
    rope_scaling: cfg.longRope ? (base.rope_scaling ?? { rope_type: 'longrope', short_factor: cfg.longRope.shortFactor, long_factor: cfg.longRope.longFactor, attention_factor: cfg.longRope.attentionFactor }) : null,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    bos_token_id: cfg.bosTokenId, eos_token_id: eos, ...(cfg.padTokenId !== null ? { pad_token_id: cfg.padTokenId } : {}),
    torch_dtype: torchDtype, use_cache: true,
  };
  if (cfg.longRope && base.rope_scaling === undefined) out.original_max_position_embeddings = cfg.longRope.originalMaxPositions;
  const rd = cfg.rotaryDim ?? cfg.headDim;
  if (rd !== cfg.headDim) {
    // the source's factor when it gives the same dims (0.75 stays 0.75), else the exact ratio
    const f0 = base.partial_rotary_factor;
    out.partial_rotary_factor = typeof f0 === 'number' && Math.floor(cfg.headDim * f0) === rd ? f0 : rd / cfg.headDim;
  } else if (typeof base.partial_rotary_factor === 'number' && base.partial_rotary_factor !== 1) {
    out.partial_rotary_factor = 1;
  }
  if (cfg.modelType === 'phi3') {
    // Phi3Config: no attention or MLP bias; sliding_window as given (null = none)
    if (cfg.qkvBias || cfg.oBias || cfg.mlpBias) throw new Error('configToJson: a phi3 config has no attention or mlp bias');
    delete out.attention_bias;
    delete out.mlp_bias;
    out.sliding_window = cfg.slidingWindow;
  } else if (cfg.modelType === 'gemma2') {
    const g = cfg.gemma2;
    if (!g) throw new Error('configToJson: a gemma2 config needs its gemma2 fields (query_pre_attn_scalar, soft caps)');
    if (cfg.qkvBias !== cfg.oBias || cfg.mlpBias) throw new Error('configToJson: gemma2 has one attention_bias for q, k, v and o, and no mlp bias');
    delete out.hidden_act;
    Object.assign(out, {
      hidden_activation: 'gelu_pytorch_tanh', hidden_act: 'gelu_pytorch_tanh', attention_bias: cfg.qkvBias,
      query_pre_attn_scalar: g.queryPreAttnScalar, sliding_window: cfg.slidingWindow,
      attn_logit_softcapping: g.attnLogitSoftcapping, final_logit_softcapping: g.finalLogitSoftcapping,
      cache_implementation: base.cache_implementation ?? 'hybrid',
    });
  } else if (cfg.modelType === 'qwen3') {
    // Qwen3: one attention_bias for q, k, v and o; no MLP bias; sliding window as Qwen2
    if (cfg.qkvBias !== cfg.oBias || cfg.mlpBias) throw new Error('configToJson: a qwen3 config has one attention_bias for q, k, v and o, and no mlp bias');
    out.attention_bias = cfg.qkvBias;
    out.use_sliding_window = cfg.slidingWindow !== null;
    out.sliding_window = cfg.slidingWindow ?? base.sliding_window ?? null;
  } else if (cfg.modelType === 'qwen2') {
    // Qwen2 always has q/k/v bias and no o_proj bias: nothing else can be expressed
    if (!cfg.qkvBias || cfg.oBias || cfg.mlpBias) throw new Error('configToJson: a qwen2 config must have qkvBias true, oBias false, mlpBias false');
    out.use_sliding_window = cfg.slidingWindow !== null;
    out.sliding_window = cfg.slidingWindow ?? base.sliding_window ?? null;
    delete out.attention_bias;
  } else {
    if (cfg.qkvBias !== cfg.oBias) {
      throw new Error(`configToJson: ${cfg.modelType} has one attention_bias for q, k, v and o; q/k/v bias without o bias is model_type "qwen2"`);
    }
    out.attention_bias = cfg.qkvBias;
    if (cfg.modelType === 'llama') out.mlp_bias = cfg.mlpBias;
    else if (cfg.mlpBias) throw new Error(`configToJson: ${cfg.modelType} has no mlp_bias`);
    if (cfg.modelType === 'mistral') out.sliding_window = cfg.slidingWindow;
    else if (cfg.slidingWindow !== null) throw new Error('configToJson: llama has no sliding window');
  }
  return out;
}

// ---- generation_config.json --------------------------------------------------------------

export interface GenerationConfig {
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
  maxLength?: number;
  /** the JSON this came from (written back unchanged apart from the fields above) */
  source?: Record<string, unknown>;
}

/** Parses generation_config.json (every field optional). */
export function parseGenerationConfig(input: string | Record<string, unknown>, file = 'generation_config.json'): GenerationConfig {
  let json: unknown = input;
  if (typeof input === 'string') {
    try { json = JSON.parse(input); } catch (e) {
      throw new ModelFileError(file, `invalid JSON (${(e as Error).message})`, 'repair the file or delete it (it is optional)');
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelFileError(file, 'is not a JSON object', 'repair the file or delete it (it is optional)');
  }
  const f = new Fields(json as Record<string, unknown>, file);
  const g: GenerationConfig = {
    bosTokenId: f.tokenId('bos_token_id', null),
    eosTokenIds: f.tokenIds('eos_token_id', null),
    padTokenId: f.tokenId('pad_token_id', null),
    source: f.json,
  };
  if (f.has('do_sample')) g.doSample = f.bool('do_sample', false);
  if (f.has('temperature')) g.temperature = f.num('temperature', 1, true);
  if (f.has('top_p')) { g.topP = f.num('top_p', 1); if (g.topP > 1) f.fail('top_p', `is ${g.topP}, above 1`); }
  if (f.has('top_k')) g.topK = f.int('top_k', 0, 0);
  if (f.has('min_p')) g.minP = f.num('min_p', 0, true);
  if (f.has('repetition_penalty')) g.repetitionPenalty = f.num('repetition_penalty', 1);
  if (f.has('max_new_tokens')) g.maxNewTokens = f.int('max_new_tokens');
  if (f.has('max_length')) g.maxLength = f.int('max_length');
  return g;
}

/** generation_config.json object for a GenerationConfig */
export function generationConfigToJson(g: GenerationConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(g.source ?? {}) };
  const set = (k: string, v: unknown) => { if (v !== undefined) out[k] = v; else delete out[k]; };
  set('bos_token_id', g.bosTokenId ?? undefined);
  set('eos_token_id', g.eosTokenIds.length === 0 ? undefined : g.eosTokenIds.length === 1 ? g.eosTokenIds[0] : [...g.eosTokenIds]);
  set('pad_token_id', g.padTokenId ?? undefined);
  set('do_sample', g.doSample); set('temperature', g.temperature); set('top_p', g.topP); set('top_k', g.topK);
  set('min_p', g.minP); set('repetition_penalty', g.repetitionPenalty); set('max_new_tokens', g.maxNewTokens);
  set('max_length', g.maxLength);
  return out;
}
