// The transformer's layers over the op interface, each a forward/backward pair (llm.c style:
// forward saves what backward needs; backward writes input gradients and ACCUMULATES parameter
// gradients). Training and scoring (transformer.ts) and KV-cache decoding (decode.ts) run the
// same blocks; only the attention proper differs (full causal attention vs the cache), and it
// is passed in.
//
//   layers-embedding.ts  token (+ GPT-2 position) embeddings
//   layers-norm.ts       RMSNorm / LayerNorm
//   layers-linear.ts     the one linear, LoRA-aware
//   layers-attention.ts  out = x + attention(norm(x))
//   layers-mlp.ts        out = x + mlp(norm(x))
//
// What differs between architectures is a per-layer BlockOptions made by blockOptions(); the
// blocks read only it, never the family name. A new architecture adds fields there, read at
// the one place where they act (Gemma-2's are in):
//   postNorms: norms after the attention / MLP output  attentionForward / mlpForward, between the
//                                                      output projection and the residual add
//   scores: scale, soft cap, sliding window            causalAttention / cachedAttention (layers-attention.ts)
//   mlp 'geglu' (and other gated activations)          mlpForward / mlpBackward's activation switch
//   partial rotary (Phi-3), LongRoPE                   BlockOptions.rope.rotaryDim / freqFactors / scale (the rope op's)
//   embedding scale (EmbeddingParams.scale)            embeddingForward / embeddingBackward
import type { Backend, RopeOptions, Tensor } from '../kernels/backend.js';
import { attentionExtras, ropeExtras, type Arch } from './arch.js';
import type { Linear } from './layers-linear.js';
import type { NormKind } from './layers-norm.js';

export * from './layers-linear.js';
export * from './layers-norm.js';
export * from './layers-embedding.js';
export * from './layers-attention.js';
export * from './layers-mlp.js';

/** what one transformer block computes; blockOptions(arch, i) makes it */
export interface BlockOptions {
  /** C hidden, H query heads, KH kv heads, D head dim, I MLP width */
  hidden: number; heads: number; kvHeads: number; headDim: number; intermediate: number;
  /** both norms of the block: RMSNorm (Llama family) or LayerNorm with bias (GPT-2) */
  norm: NormKind;
  eps: number;
  /** rotary embeddings on q and k (spread into the rope op's options); null: none (GPT-2's learned positions) */
  rope: Pick<RopeOptions, 'theta' | 'layout' | 'rotaryDim' | 'freqFactors' | 'scale'> | null;
  /** Qwen3: RMSNorm over each head's D values of q and k, before rotary */
  qkNorm: boolean;
  /** 'swiglu': down(silu(gate(h)) ⊙ up(h)) (Llama); 'gelu': proj(gelu(fc(h))) (GPT-2, tanh approximation);
   *  'geglu': down(gelu_tanh(gate(h)) ⊙ up(h)) (Gemma) */
  mlp: 'swiglu' | 'gelu' | 'geglu';
  /** Gemma-2: an RMSNorm on the attention's and on the MLP's output before each joins the residual */
  postNorms: boolean;
  /** the attention scores: scale (default head_dim^−½; Gemma-2: query_pre_attn_scalar^−½), sliding
   *  window (Gemma-2's even layers), soft cap — as the attention ops take them */
  scores: { scale?: number; window?: number; softcap?: number };
}

/** the norm of an architecture's blocks and of its final norm */
export function normKind(a: Arch): NormKind { return a.family === 'gpt2' ? 'layer' : 'rms'; }

/** the options of layer `layer` of an architecture (Gemma-2's attention window alternates by layer) */
export function blockOptions(a: Arch, layer: number): BlockOptions {
  const gpt2 = a.family === 'gpt2';
  return {
    hidden: a.hidden, heads: a.heads, kvHeads: a.kvHeads, headDim: a.headDim, intermediate: a.intermediate,
    norm: normKind(a),
    eps: a.normEps,
    // Phi-3: rotary on the first rotaryDim dims; LongRoPE: its short factors and attention factor
    rope: gpt2 ? null : { theta: a.ropeTheta, layout: 'half', ...(a.rotaryDim !== undefined ? { rotaryDim: a.rotaryDim } : {}), ...ropeExtras(a) },
    qkNorm: !!a.qkNorm,
    mlp: gpt2 ? 'gelu' : a.gemma2 ? 'geglu' : 'swiglu',
    postNorms: !!a.gemma2,
    scores: attentionExtras(a, layer),
  };
}

/** the pass a block runs in */
export interface BlockContext {
  be: Backend;
  /** B rows of T positions each: N = B·T tokens (decoding: T = the queries of this step) */
  B: number; T: number;
  /** (N) i32 position of each token (rotary) */
  positions: Tensor;
  /** the (N, r) tensor for a LoRA linear's x·Aᵀ: training keeps one per linear (backward reads it), decoding shares one */
  loraXA(lin: Linear): Tensor;
  /** an (N, r) scratch for a LoRA linear's backward (training only) */
  loraDXA?(lin: Linear): Tensor;
}
