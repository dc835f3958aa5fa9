// The architecture description the model code runs on, and the parameter list of each
// family in our canonical internal layout (Gemma-2 is the llama family plus Arch.gemma2). Every linear weight is stored (out, in) so one
// matmul form (x @ Wᵀ) serves Llama and GPT-2 alike; GPT-2's Conv1D (in, out) weights and its
// fused c_attn are converted at load/save time (src/model/hf-names.ts).

export type Family = 'llama' | 'gpt2';

export interface Arch {
  family: Family;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  normEps: number;
  /** llama: rotary base; gpt2: unused */
  ropeTheta: number;
  /** lm head shares the token embedding */
  tied: boolean;
  /** q/k/v projections carry a bias (Qwen2; always true for GPT-2) */
  qkvBias: boolean;
  /** llama: o_proj and MLP projections carry biases (attention_bias / mlp_bias); GPT-2 always has them */
  oBias?: boolean;
  mlpBias?: boolean;
  /** Qwen3: per-head RMSNorm (weight (headDim)) on q and k after the projection, before rotary */
  qkNorm?: boolean;
  /** llama: rotary on the first rotaryDim dims of each head, the rest pass through (Phi-3's
   *  partial_rotary_factor); absent = headDim */
  rotaryDim?: number;
  /** Phi-3: the checkpoint fuses q|k|v (qkv_proj) and gate|up (gate_up_proj); inside, they are
   *  the separate q/k/v/gate/up parameters (split on load, fused on save: hf-names.ts) */
  fusedProj?: boolean;
  /** LongRoPE: rotary inv_freq divided by these factors (rotaryDim/2; the short ones), cos and
   *  sin times ropeScale; positions from ropeMaxPositions on (where the long factors would take
   *  over) are refused */
  ropeFactors?: number[];
  ropeScale?: number;
  ropeMaxPositions?: number;
  /** Phi-3: a key j is visible to query i only when i − j < slidingWindow (HF's sliding-window
   *  mask), in every layer (the attention ops' window) */
  slidingWindow?: number;
  /** GPT-2: learned position table size; llama: the context it was trained for */
  maxPositions: number;
  /** Gemma-2 (model_type gemma2): the block pieces that set it apart, all absent elsewhere */
  gemma2?: Gemma2Arch;
}

/**
 * Gemma-2's block: h = r·√C (the embedding scaled, √C rounded to f32 as HF does in the activation
 * dtype); every RMSNorm multiplies by (1 + w) (w stored as HF stores it, init 0);
 *   r += an(attn(ln1(r)))      an: post_attention_layernorm, on the attention output
 *   r += mn(mlp(ln2(r)))       ln2: pre_feedforward_layernorm, mn: post_feedforward_layernorm
 * mlp = down(gelu_tanh(gate) ⊙ up); scores = softcap(q·k · queryPreAttnScalar^−½); layers with an
 * even index attend within slidingWindow; logits = softcap(final). Rotary and GQA as Llama's.
 */
export interface Gemma2Arch {
  /** attention scale = queryPreAttnScalar^−½ */
  queryPreAttnScalar: number;
  /** attention-logit soft cap (undefined: none) */
  attnSoftcap?: number;
  /** final-logit soft cap (undefined: none) */
  finalSoftcap?: number;
  /** window of the even layers (undefined: none) */
  slidingWindow?: number;
}

/** the attention window of layer i (undefined: full causal) */
export function layerWindow(a: Arch, i: number): number | undefined {
  if (a.gemma2) return i % 2 === 0 ? a.gemma2.slidingWindow : undefined;
  return a.slidingWindow; // Phi-3: every layer
}

/** the attention options a layer's scores take beyond the shapes: scale, window, soft cap */
export function attentionExtras(a: Arch, i: number): { scale?: number; window?: number; softcap?: number } {
  if (!a.gemma2) return a.slidingWindow !== undefined ? { window: a.slidingWindow } : {};
  return { scale: a.gemma2.queryPreAttnScalar ** -0.5, window: layerWindow(a, i), softcap: a.gemma2.attnSoftcap };
}

/** Gemma-2's embedding multiplier: √hidden rounded to f32 (HF casts it to the activation dtype) */
export function embedScale(a: Arch): number | undefined {
  return a.gemma2 ? Math.fround(Math.sqrt(a.hidden)) : undefined;
}

export interface ParamSpec {
  name: string;
  shape: number[];
  /** initialisation for fresh models: normal(0, std), or a constant */
  init: { std: number } | { value: number };
}

/** All parameters in a fixed order (the order optimizers and checkpoints iterate in). */
export function paramSpecs(a: Arch): ParamSpec[] {
  const C = a.hidden, D = a.headDim, H = a.heads, KH = a.kvHeads, I = a.intermediate, V = a.vocab;
  const std = 0.02;
  // GPT-2 scales residual projections by 1/sqrt(2·layers) at init
  const projStd = a.family === 'gpt2' ? std / Math.sqrt(2 * a.layers) : std;
  const ps: ParamSpec[] = [{ name: 'embed', shape: [V, C], init: { std } }];
  if (a.family === 'gpt2') ps.push({ name: 'pos_embed', shape: [a.maxPositions, C], init: { std: 0.01 } });
  const gpt2 = a.family === 'gpt2', gemma = !!a.gemma2;
  // Gemma's RMSNorm scales by (1 + w): its identity weight is 0
  const normInit = gemma ? 0 : 1;
  for (let i = 0; i < a.layers; i++) {
    const l = `l${i}.`;
    ps.push({ name: l + 'ln1.w', shape: [C], init: { value: normInit } });
    if (gpt2) ps.push({ name: l + 'ln1.b', shape: [C], init: { value: 0 } });
    ps.push({ name: l + 'q.w', shape: [H * D, C], init: { std } });
    if (a.qkvBias) ps.push({ name: l + 'q.b', shape: [H * D], init: { value: 0 } });
    if (a.qkNorm) ps.push({ name: l + 'qn.w', shape: [D], init: { value: 1 } });
    ps.push({ name: l + 'k.w', shape: [KH * D, C], init: { std } });
    if (a.qkvBias) ps.push({ name: l + 'k.b', shape: [KH * D], init: { value: 0 } });
    if (a.qkNorm) ps.push({ name: l + 'kn.w', shape: [D], init: { value: 1 } });
    ps.push({ name: l + 'v.w', shape: [KH * D, C], init: { std } });
    if (a.qkvBias) ps.push({ name: l + 'v.b', shape: [KH * D], init: { value: 0 } });
    ps.push({ name: l + 'o.w', shape: [C, H * D], init: { std: projStd } });
    if (gpt2 || a.oBias) ps.push({ name: l + 'o.b', shape: [C], init: { value: 0 } });
    if (gemma) ps.push({ name: l + 'an.w', shape: [C], init: { value: normInit } });
    ps.push({ name: l + 'ln2.w', shape: [C], init: { value: normInit } });
    if (gpt2) {
      ps.push({ name: l + 'ln2.b', shape: [C], init: { value: 0 } });
      ps.push({ name: l + 'fc.w', shape: [I, C], init: { std } });
      ps.push({ name: l + 'fc.b', shape: [I], init: { value: 0 } });
      ps.push({ name: l + 'proj.w', shape: [C, I], init: { std: projStd } });
      ps.push({ name: l + 'proj.b', shape: [C], init: { value: 0 } });
    } else {
      ps.push({ name: l + 'gate.w', shape: [I, C], init: { std } });
      if (a.mlpBias) ps.push({ name: l + 'gate.b', shape: [I], init: { value: 0 } });
      ps.push({ name: l + 'up.w', shape: [I, C], init: { std } });
      if (a.mlpBias) ps.push({ name: l + 'up.b', shape: [I], init: { value: 0 } });
      ps.push({ name: l + 'down.w', shape: [C, I], init: { std: projStd } });
      if (a.mlpBias) ps.push({ name: l + 'down.b', shape: [C], init: { value: 0 } });
      if (gemma) ps.push({ name: l + 'mn.w', shape: [C], init: { value: normInit } });
    }
  }
  ps.push({ name: 'norm.w', shape: [C], init: { value: normInit } });
  if (gpt2) ps.push({ name: 'norm.b', shape: [C], init: { value: 0 } });
  if (!a.tied) ps.push({ name: 'lm_head.w', shape: [V, C], init: { std } });
  return ps;
}

export function paramCount(a: Arch): number {
  return paramSpecs(a).reduce((s, p) => s + p.shape.reduce((x, y) => x * y, 1), 0);
}

const ropeExtrasCache = new WeakMap<Arch, { freqFactors?: Float32Array; scale?: number }>();
/** the rope op's LongRoPE options of an arch ({} for plain rotary), made once per Arch object */
export function ropeExtras(a: Arch): { freqFactors?: Float32Array; scale?: number } {
  let e = ropeExtrasCache.get(a);
  if (!e) {
    e = a.ropeFactors ? { freqFactors: Float32Array.from(a.ropeFactors), scale: a.ropeScale ?? 1 } : {};
    ropeExtrasCache.set(a, e);
  }
  return e;
}

/** the first position a model cannot take yet (LongRoPE's long factors), or Infinity */
export function positionLimit(a: Arch): { limit: number; why: string } {
  let limit = Infinity, why = '';
  if (a.ropeMaxPositions !== undefined && a.ropeMaxPositions < limit) { limit = a.ropeMaxPositions; why = `original_max_position_embeddings (${a.ropeMaxPositions}), past which LongRoPE's long factors apply, which sppo does not implement yet`; }
  return { limit, why };
}

/** Check an Arch for internal consistency; throws with the field at fault. */
export function validateArch(a: Arch, where = 'config'): void {
  const pos = (k: keyof Arch) => {
    const v = a[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${String(k)} must be a positive integer, got ${v}`);
  };
  for (const k of ['vocab', 'hidden', 'layers', 'heads', 'kvHeads', 'headDim', 'intermediate', 'maxPositions'] as const) pos(k);
  if (a.heads % a.kvHeads !== 0) throw new Error(`${where}: num_attention_heads (${a.heads}) must be a multiple of num_key_value_heads (${a.kvHeads})`);
  if (a.qkNorm && a.family !== 'llama') throw new Error(`${where}: q/k norms (Qwen3) need the llama family`);
  if (a.gemma2) {
    const g = a.gemma2;
    if (a.family !== 'llama' || a.qkNorm) throw new Error(`${where}: Gemma-2 is a llama-family block without q/k norms`);
    if (!(g.queryPreAttnScalar > 0)) throw new Error(`${where}: query_pre_attn_scalar must be > 0, got ${g.queryPreAttnScalar}`);
    for (const [k, v] of [['attn_logit_softcapping', g.attnSoftcap], ['final_logit_softcapping', g.finalSoftcap]] as const) {
      if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new Error(`${where}: ${k} must be a positive number or null, got ${v}`);
    }
    if (g.slidingWindow !== undefined && (!Number.isInteger(g.slidingWindow) || g.slidingWindow < 1)) throw new Error(`${where}: sliding_window must be a positive integer or null, got ${g.slidingWindow}`);
  }
  if (a.family === 'llama' && a.headDim % 2 !== 0) throw new Error(`${where}: head_dim (${a.headDim}) must be even for rotary embeddings`);
  if (a.ropeFactors !== undefined && a.ropeFactors.length !== (a.rotaryDim ?? a.headDim) / 2) throw new Error(`${where}: LongRoPE has ${a.ropeFactors.length} factors for ${(a.rotaryDim ?? a.headDim) / 2} rotary frequencies`);
  if (a.rotaryDim !== undefined && (a.rotaryDim % 2 !== 0 || a.rotaryDim < 2 || a.rotaryDim > a.headDim)) {
    throw new Error(`${where}: rotary dims (${a.rotaryDim}) must be even and in [2, head_dim = ${a.headDim}]`);
  }
  if (!(a.normEps > 0)) throw new Error(`${where}: the norm epsilon must be > 0, got ${a.normEps}`);
}
