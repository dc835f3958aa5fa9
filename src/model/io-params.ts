// The parameter list of each family exactly as Hugging Face transformers names and shapes
// it in a checkpoint (what loadTensors checks a file against, and what writeModelDir writes).
//
// Llama family (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM); nn.Linear weights are
// (out, in), y = x Wᵀ + b:
//   model.embed_tokens.weight                    (V, C)
//   model.layers.{i}.input_layernorm.weight      (C)
//   model.layers.{i}.self_attn.q_proj.weight     (Hq·D, C)   [+ .bias (Hq·D) when qkvBias]
//   model.layers.{i}.self_attn.k_proj.weight     (Hkv·D, C)  [+ .bias (Hkv·D)]
//   model.layers.{i}.self_attn.v_proj.weight     (Hkv·D, C)  [+ .bias (Hkv·D)]
//   model.layers.{i}.self_attn.q_norm.weight, k_norm.weight (D)   Qwen3 only
//   model.layers.{i}.self_attn.o_proj.weight     (C, Hq·D)   [+ .bias (C) when oBias]
//   model.layers.{i}.post_attention_layernorm.weight (C)
//   model.layers.{i}.mlp.gate_proj.weight        (I, C)      [+ .bias (I) when mlpBias]
//   model.layers.{i}.mlp.up_proj.weight          (I, C)      [+ .bias (I)]
//   model.layers.{i}.mlp.down_proj.weight        (C, I)      [+ .bias (C)]
//   model.norm.weight                            (C)
//   lm_head.weight                               (V, C)      absent when tieWordEmbeddings
//   q and k rows are in HF rotate_half order (pairs i, i + D/2 within each head).
// Phi-3 (Phi3ForCausalLM) fuses, with no biases:
//   model.layers.{i}.self_attn.qkv_proj.weight   (Hq·D + 2·Hkv·D, C)   rows q | k | v
//   model.layers.{i}.mlp.gate_up_proj.weight     (2I, C)               rows gate | up
//   (in place of q_proj, k_proj, v_proj and gate_proj, up_proj; the rest as Llama)
//
// GPT-2 (GPT2LMHeadModel.save_pretrained: "transformer." prefix; Conv1D weights are (in, out),
// y = x W + b):
//   transformer.wte.weight (V, C)        transformer.wpe.weight (P, C)
//   transformer.h.{i}.ln_1.weight, .bias (C)
//   transformer.h.{i}.attn.c_attn.weight (C, 3C), .bias (3C)   columns: q | k | v
//   transformer.h.{i}.attn.c_proj.weight (C, C), .bias (C)
//   transformer.h.{i}.ln_2.weight, .bias (C)
//   transformer.h.{i}.mlp.c_fc.weight (C, I), .bias (I)        I = n_inner (default 4C)
//   transformer.h.{i}.mlp.c_proj.weight (I, C), .bias (C)
//   transformer.ln_f.weight, .bias (C)
//   lm_head.weight (V, C) only when not tied (GPT-2 always ties)
// Reading also accepts the unprefixed names of the hub's gpt2 checkpoints (wte.weight, h.0...).
import type { ModelConfig } from './config.js';

export interface ParamSpec {
  name: string;
  shape: number[];
}

export function hfParamList(cfg: ModelConfig): ParamSpec[] {
  const out: ParamSpec[] = [];
  const p = (name: string, ...shape: number[]) => out.push({ name, shape });
  const { vocabSize: V, hiddenSize: C, intermediateSize: I, numLayers: L } = cfg;
  if (cfg.arch === 'gpt2') {
    p('transformer.wte.weight', V, C);
    p('transformer.wpe.weight', cfg.maxPositions, C);
    for (let i = 0; i < L; i++) {
      const h = `transformer.h.${i}`;
      p(`${h}.ln_1.weight`, C); p(`${h}.ln_1.bias`, C);
      p(`${h}.attn.c_attn.weight`, C, 3 * C); p(`${h}.attn.c_attn.bias`, 3 * C);
      p(`${h}.attn.c_proj.weight`, C, C); p(`${h}.attn.c_proj.bias`, C);
      p(`${h}.ln_2.weight`, C); p(`${h}.ln_2.bias`, C);
      p(`${h}.mlp.c_fc.weight`, C, I); p(`${h}.mlp.c_fc.bias`, I);
      p(`${h}.mlp.c_proj.weight`, I, C); p(`${h}.mlp.c_proj.bias`, C);
    }
    p('transformer.ln_f.weight', C); p('transformer.ln_f.bias', C);
    if (!cfg.tieWordEmbeddings) p('lm_head.weight', V, C);
    return out;
  }
  const Q = cfg.numHeads * cfg.headDim, KV = cfg.numKvHeads * cfg.headDim;
  const qkNorm = cfg.modelType === 'qwen3', phi3 = cfg.modelType === 'phi3', gemma = cfg.modelType === 'gemma2';
  p('model.embed_tokens.weight', V, C);
  for (let i = 0; i < L; i++) {
    const l = `model.layers.${i}`;
    p(`${l}.input_layernorm.weight`, C);
    if (phi3) {
      p(`${l}.self_attn.qkv_proj.weight`, Q + 2 * KV, C);
      p(`${l}.self_attn.o_proj.weight`, C, Q);
      p(`${l}.post_attention_layernorm.weight`, C);
      p(`${l}.mlp.gate_up_proj.weight`, 2 * I, C);
      p(`${l}.mlp.down_proj.weight`, C, I);
      continue;
    }
    p(`${l}.self_attn.q_proj.weight`, Q, C); if (cfg.qkvBias) p(`${l}.self_attn.q_proj.bias`, Q);
    if (qkNorm) p(`${l}.self_attn.q_norm.weight`, cfg.headDim);
    p(`${l}.self_attn.k_proj.weight`, KV, C); if (cfg.qkvBias) p(`${l}.self_attn.k_proj.bias`, KV);
    if (qkNorm) p(`${l}.self_attn.k_norm.weight`, cfg.headDim);
    p(`${l}.self_attn.v_proj.weight`, KV, C); if (cfg.qkvBias) p(`${l}.self_attn.v_proj.bias`, KV);
    p(`${l}.self_attn.o_proj.weight`, C, Q); if (cfg.oBias) p(`${l}.self_attn.o_proj.bias`, C);
    p(`${l}.post_attention_layernorm.weight`, C);
    // Gemma-2: post_attention_layernorm normalises the attention output; the MLP's input norm is
    // pre_feedforward_layernorm and its output norm post_feedforward_layernorm (arch.ts's an, ln2, mn)
    if (gemma) p(`${l}.pre_feedforward_layernorm.weight`, C);
    p(`${l}.mlp.gate_proj.weight`, I, C); if (cfg.mlpBias) p(`${l}.mlp.gate_proj.bias`, I);
    p(`${l}.mlp.up_proj.weight`, I, C); if (cfg.mlpBias) p(`${l}.mlp.up_proj.bias`, I);
    p(`${l}.mlp.down_proj.weight`, C, I); if (cfg.mlpBias) p(`${l}.mlp.down_proj.bias`, C);
    if (gemma) p(`${l}.post_feedforward_layernorm.weight`, C);
  }
  p('model.norm.weight', C);
  if (!cfg.tieWordEmbeddings) p('lm_head.weight', V, C);
  return out;
}

/**
 * Other names a checkpoint may use for `name`: GPT-2 checkpoints on the hub have no
 * "transformer." prefix; models saved by GPT2LMHeadModel have it.
 */
export function nameAliases(name: string): string[] {
  if (name.startsWith('transformer.')) return [name.slice('transformer.'.length)];
  if (/^(wte|wpe|ln_f|h\.\d+)\./.test(name)) return [`transformer.${name}`];
  return [];
}

/** buffers some checkpoints carry that are not parameters (ignored on read) */
export function isKnownBuffer(name: string): boolean {
  return /\.attn\.(bias|masked_bias)$/.test(name) || /\.rotary_emb\.inv_freq$/.test(name);
}
