// Hugging Face checkpoints ↔ our internal parameter layout (src/model/arch.ts).
//  - Llama family: names map one to one; every linear weight is already (out, in). Qwen3's
//    per-head q/k norms: l{i}.qn.w ↔ self_attn.q_norm.weight, l{i}.kn.w ↔ self_attn.k_norm.weight (D).
//  - GPT-2: Conv1D weights are (in, out) → transposed; the fused c_attn (C, 3C) + bias (3C)
//    is split into q, k, v (each (C, C) after transposing) and fused back on save.
import type { Arch } from './arch.js';
import { HalfArray } from '../kernels/half.js';
import { paramSpecs } from './arch.js';
import type { ModelConfig } from './config.js';

export function archFromConfig(cfg: ModelConfig, file = 'config.json'): Arch {
  const gemma = cfg.arch === 'llama' && cfg.modelType === 'gemma2' ? cfg.gemma2 : undefined;
  if (cfg.arch === 'llama' && cfg.modelType === 'gemma2' && !gemma) throw new Error(`${file}: a gemma2 config without its Gemma-2 fields (parse it with parseConfig)`);
  if (cfg.arch === 'llama' && !gemma && cfg.slidingWindow !== null && cfg.slidingWindow < cfg.maxPositions) {
    throw new Error(`${file}: sliding-window attention (sliding_window=${cfg.slidingWindow}) is not supported yet: set use_sliding_window false or sliding_window null if the model tolerates full attention`);
  }
  const llama = cfg.arch === 'llama';
  return {
    family: cfg.arch,
    vocab: cfg.vocabSize,
    hidden: cfg.hiddenSize,
    layers: cfg.numLayers,
    heads: cfg.numHeads,
    kvHeads: cfg.numKvHeads,
    headDim: cfg.headDim,
    intermediate: cfg.intermediateSize,
    normEps: cfg.normEps,
    ropeTheta: llama ? cfg.ropeTheta : 10000,
    tied: cfg.tieWordEmbeddings,
    qkvBias: llama ? cfg.qkvBias : true,
    oBias: llama ? cfg.oBias : true,
    mlpBias: llama ? cfg.mlpBias : true,
    qkNorm: llama && cfg.modelType === 'qwen3',
    maxPositions: cfg.maxPositions,
    ...(gemma && cfg.arch === 'llama' ? {
      gemma2: {
        queryPreAttnScalar: gemma.queryPreAttnScalar,
        attnSoftcap: gemma.attnLogitSoftcapping ?? undefined,
        finalSoftcap: gemma.finalLogitSoftcapping ?? undefined,
        slidingWindow: cfg.slidingWindow ?? undefined,
      },
    } : {}),
  };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** HF tensors (by HF name) → internal parameters (by internal name). The Llama family maps
 *  names one to one, so 16-bit tensors (HalfArray) pass through; GPT-2 re-lays its weights out
 *  and takes f32 only. */
export function fromHF<T extends Float32Array | HalfArray>(a: Arch, hf: Map<string, T>): Map<string, T> {
  const any = (n: string) => {
    const t = hf.get(n);
    if (!t) throw new Error(`model: checkpoint tensor ${n} is missing`);
    return t;
  };
  const get = (n: string): Float32Array => {
    const t = any(n);
    if (t instanceof HalfArray) throw new Error(`model: GPT-2 tensor ${n} is ${t.dtype}: GPT-2 weights load as f32 (load with weights: 'f32')`);
    return t;
  };
  if (a.family !== 'gpt2') {
    const out = new Map<string, T>();
    for (const s of paramSpecs(a)) out.set(s.name, any(llamaName(s.name, a)));
    return out;
  }
  const out = new Map<string, Float32Array>();
  const C = a.hidden, I = a.intermediate;
  if (a.family === 'gpt2') {
    out.set('embed', get('transformer.wte.weight'));
    out.set('pos_embed', get('transformer.wpe.weight'));
    for (let i = 0; i < a.layers; i++) {
      const h = `transformer.h.${i}.`, l = `l${i}.`;
      out.set(l + 'ln1.w', get(h + 'ln_1.weight')); out.set(l + 'ln1.b', get(h + 'ln_1.bias'));
      // c_attn (C, 3C): x @ W → columns [0,C) q, [C,2C) k, [2C,3C) v; ours (out, in) = Wᵀ slices
      const wt = transpose(get(h + 'attn.c_attn.weight'), C, 3 * C); // (3C, C)
      const b = get(h + 'attn.c_attn.bias');
      (['q', 'k', 'v'] as const).forEach((n, j) => {
        out.set(l + n + '.w', wt.slice(j * C * C, (j + 1) * C * C));
        out.set(l + n + '.b', b.slice(j * C, (j + 1) * C));
      });
      out.set(l + 'o.w', transpose(get(h + 'attn.c_proj.weight'), C, C)); out.set(l + 'o.b', get(h + 'attn.c_proj.bias'));
      out.set(l + 'ln2.w', get(h + 'ln_2.weight')); out.set(l + 'ln2.b', get(h + 'ln_2.bias'));
      out.set(l + 'fc.w', transpose(get(h + 'mlp.c_fc.weight'), C, I)); out.set(l + 'fc.b', get(h + 'mlp.c_fc.bias'));
      out.set(l + 'proj.w', transpose(get(h + 'mlp.c_proj.weight'), I, C)); out.set(l + 'proj.b', get(h + 'mlp.c_proj.bias'));
    }
    out.set('norm.w', get('transformer.ln_f.weight')); out.set('norm.b', get('transformer.ln_f.bias'));
    if (!a.tied) out.set('lm_head.w', get('lm_head.weight'));
    return out as Map<string, T>;
  }
  return out as Map<string, T>;
}

/** internal parameter name → HF name (Llama family). Gemma-2 (a.gemma2) names its four norms
 *  input_layernorm (ln1), post_attention_layernorm (an: on the attention output),
 *  pre_feedforward_layernorm (ln2: the MLP's input, llama's post_attention_layernorm) and
 *  post_feedforward_layernorm (mn) */
export function llamaName(n: string, a?: Arch): string {
  if (n === 'embed') return 'model.embed_tokens.weight';
  if (n === 'norm.w') return 'model.norm.weight';
  if (n === 'lm_head.w') return 'lm_head.weight';
  const m = /^l(\d+)\.(\w+)\.([wb])$/.exec(n);
  if (!m) throw new Error(`model: no Hugging Face name for parameter ${n}`);
  const [, i, part, wb] = m;
  const suffix = wb === 'w' ? 'weight' : 'bias';
  const map: Record<string, string> = {
    ln1: 'input_layernorm', ln2: 'post_attention_layernorm', q: 'self_attn.q_proj', k: 'self_attn.k_proj',
    v: 'self_attn.v_proj', o: 'self_attn.o_proj', qn: 'self_attn.q_norm', kn: 'self_attn.k_norm', gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj',
  };
  if (a?.gemma2) Object.assign(map, { an: 'post_attention_layernorm', ln2: 'pre_feedforward_layernorm', mn: 'post_feedforward_layernorm' });
  if (!map[part]) throw new Error(`model: no Hugging Face name for parameter ${n}`);
  return `model.layers.${i}.${map[part]}.${suffix}`;
}

/** internal parameters → HF tensors, in HF layout. */
export function toHF(a: Arch, p: Map<string, Float32Array>): Map<string, Float32Array> {
  const get = (n: string) => {
    const t = p.get(n);
    if (!t) throw new Error(`model: parameter ${n} is missing`);
    return t;
  };
  const out = new Map<string, Float32Array>();
  const C = a.hidden, I = a.intermediate;
  if (a.family === 'gpt2') {
    out.set('transformer.wte.weight', get('embed'));
    out.set('transformer.wpe.weight', get('pos_embed'));
    for (let i = 0; i < a.layers; i++) {
      const h = `transformer.h.${i}.`, l = `l${i}.`;
      out.set(h + 'ln_1.weight', get(l + 'ln1.w')); out.set(h + 'ln_1.bias', get(l + 'ln1.b'));
      const wt = new Float32Array(3 * C * C), b = new Float32Array(3 * C);
      (['q', 'k', 'v'] as const).forEach((n, j) => { wt.set(get(l + n + '.w'), j * C * C); b.set(get(l + n + '.b'), j * C); });
      out.set(h + 'attn.c_attn.weight', transpose(wt, 3 * C, C)); out.set(h + 'attn.c_attn.bias', b);
      out.set(h + 'attn.c_proj.weight', transpose(get(l + 'o.w'), C, C)); out.set(h + 'attn.c_proj.bias', get(l + 'o.b'));
      out.set(h + 'ln_2.weight', get(l + 'ln2.w')); out.set(h + 'ln_2.bias', get(l + 'ln2.b'));
      out.set(h + 'mlp.c_fc.weight', transpose(get(l + 'fc.w'), I, C)); out.set(h + 'mlp.c_fc.bias', get(l + 'fc.b'));
      out.set(h + 'mlp.c_proj.weight', transpose(get(l + 'proj.w'), C, I)); out.set(h + 'mlp.c_proj.bias', get(l + 'proj.b'));
    }
    out.set('transformer.ln_f.weight', get('norm.w')); out.set('transformer.ln_f.bias', get('norm.b'));
    if (!a.tied) out.set('lm_head.weight', get('lm_head.w'));
    return out;
  }
  for (const s of paramSpecs(a)) out.set(llamaName(s.name, a), get(s.name));
  return out;
}
