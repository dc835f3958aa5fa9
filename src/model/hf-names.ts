// Hugging Face checkpoints ↔ our internal parameter layout (src/model/arch.ts).
//  - Llama family: names map one to one; every linear weight is already (out, in). Qwen3's
//    per-head q/k norms: l{i}.qn.w ↔ self_attn.q_norm.weight, l{i}.kn.w ↔ self_attn.k_norm.weight (D).
//  - Phi-3: the checkpoint fuses q|k|v into self_attn.qkv_proj.weight (H·D + 2·KH·D, C) and
//    gate|up into mlp.gate_up_proj.weight (2I, C), rows in that order (Phi3Attention slices q, k, v
//    off the projection's output; Phi3MLP chunks gate, up). Inside they stay the separate q/k/v/
//    gate/up parameters the Llama block runs on — row ranges of the fused tensor, split on load
//    (16-bit rows stay 16-bit) and concatenated back on save — so forward, backward, LoRA targets
//    and decoding need nothing of their own, and a saved model has Phi-3's names and layout.
//  - GPT-2: Conv1D weights are (in, out) → transposed; the fused c_attn (C, 3C) + bias (3C)
//    is split into q, k, v (each (C, C) after transposing) and fused back on save.
import type { Arch } from './arch.js';
import { HalfArray } from '../kernels/half.js';
import { paramSpecs } from './arch.js';
import type { ModelConfig } from './config.js';

export function archFromConfig(cfg: ModelConfig, file = 'config.json'): Arch {
  // Phi-3-mini's window (2047) is below its context (4096): its attention masks by it (Arch.slidingWindow)
  const phi3 = cfg.arch === 'llama' && cfg.modelType === 'phi3';
  const gemma = cfg.arch === 'llama' && cfg.modelType === 'gemma2' ? cfg.gemma2 : undefined;
  if (cfg.arch === 'llama' && cfg.modelType === 'gemma2' && !gemma) throw new Error(`${file}: a gemma2 config without its Gemma-2 fields (parse it with parseConfig)`);
  if (cfg.arch === 'llama' && !gemma && !phi3 && cfg.slidingWindow !== null && cfg.slidingWindow < cfg.maxPositions) {
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
    ...(llama && cfg.rotaryDim !== undefined && cfg.rotaryDim !== cfg.headDim ? { rotaryDim: cfg.rotaryDim } : {}),
    ...(phi3 ? { fusedProj: true } : {}),
    ...(llama && cfg.longRope ? { ropeFactors: cfg.longRope.shortFactor, ropeScale: cfg.longRope.attentionFactor, ropeMaxPositions: cfg.longRope.originalMaxPositions } : {}),
    ...(phi3 && cfg.slidingWindow !== null && cfg.slidingWindow < cfg.maxPositions ? { slidingWindow: cfg.slidingWindow } : {}),
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

/** where an internal (Llama-family) parameter lives in the checkpoint: rows [row0, row0 + rows)
 *  of HF tensor `hf`, each row `cols` values (1-D tensors: one row of all their values) */
export interface HFSlice { name: string; hf: string; row0: number; rows: number; cols: number; shape: number[] }

/** every Llama-family parameter's place in the checkpoint, grouped by HF tensor (file order of
 *  the parameter list; a fused Phi-3 tensor lists its parts in row order) */
export function hfSlices(a: Arch): Map<string, HFSlice[]> {
  const out = new Map<string, HFSlice[]>();
  const fused: Record<string, [string, () => number]> = a.fusedProj ? {
    q: ['self_attn.qkv_proj', () => 0], k: ['self_attn.qkv_proj', () => a.heads * a.headDim],
    v: ['self_attn.qkv_proj', () => (a.heads + a.kvHeads) * a.headDim],
    gate: ['mlp.gate_up_proj', () => 0], up: ['mlp.gate_up_proj', () => a.intermediate],
  } : {};
  for (const s of paramSpecs(a)) {
    const m = /^l(\d+)\.(\w+)\.w$/.exec(s.name);
    const f = m ? fused[m[2]] : undefined;
    const rows = s.shape.length === 2 ? s.shape[0] : 1, cols = s.shape.length === 2 ? s.shape[1] : s.shape[0];
    const slice: HFSlice = f
      ? { name: s.name, hf: `model.layers.${m![1]}.${f[0]}.weight`, row0: f[1](), rows, cols, shape: s.shape }
      : { name: s.name, hf: llamaName(s.name, a), row0: 0, rows, cols, shape: s.shape };
    const list = out.get(slice.hf);
    if (list) list.push(slice); else out.set(slice.hf, [slice]);
  }
  return out;
}

/** rows [row0, row0 + rows) of a (…, cols) tensor, f32 or 16-bit (a copy) */
export function sliceRows<T extends Float32Array | HalfArray>(t: T, s: HFSlice): T {
  const a = s.row0 * s.cols, b = a + s.rows * s.cols;
  if (a === 0 && b === t.length) return t;
  return (t instanceof HalfArray ? new HalfArray(t.bits.slice(a, b), t.dtype) : (t as Float32Array).slice(a, b)) as T;
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
    for (const [hf, parts] of hfSlices(a)) for (const s of parts) out.set(s.name, sliceRows(any(hf), s));
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
  for (const [hf, parts] of hfSlices(a)) {
    if (parts.length === 1) { out.set(hf, get(parts[0].name)); continue; }
    // Phi-3's fused tensors: the parts' rows, concatenated in order
    const t = new Float32Array(parts.reduce((n, p) => n + p.rows * p.cols, 0));
    let at = 0;
    for (const p of parts) { t.set(get(p.name), at); at += p.rows * p.cols; }
    out.set(hf, t);
  }
  return out;
}
