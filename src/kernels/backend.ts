// The op interface: tensors are handles a backend owns, ops are calls. Everything above
// src/kernels/ (model, training, SPPO) talks to a Backend only, so it runs unchanged on
// WebGPU (src/kernels/webgpu/) and on the WebAssembly CPU backend (src/kernels/wasm/).
//
// Conventions for every op:
// - Row-major, contiguous tensors. Shapes are given as comments `(rows, cols)`.
// - The output comes first in the argument list and is written, never read, unless the
//   op says `accumulate` (then out += result — how gradients of shared weights add up).
// - Outputs never alias inputs unless the op says it works in place.
// - A backend may queue work (WebGPU records a whole step into one command encoder);
//   `read()` flushes and waits. Ops never read back to the host on their own.
// - Sizes are taken from the tensors where unambiguous; the option objects give the rest.
//   Mismatched sizes throw a ShapeError naming the op and the tensors.

/** Element types. 'bf16' and 'f16' are 16-bit floats (src/kernels/half.ts) for weights that do
 *  not train (a frozen base, the reference policy, judges): stored 16-bit on the device and
 *  widened to f32 by the ops that accept them — matmul's `b` and embedding's `table` — which
 *  compute in f32. Every other op operand must be f32 (or i32 where it says so). */
export type DType = 'f32' | 'i32' | 'bf16' | 'f16';

export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** element count = product of shape */
  readonly size: number;
  /** name of the backend that owns it ('webgpu' | 'wasm') */
  readonly backend: string;
  /** optional label for error messages and debugging */
  label?: string;
}

export class ShapeError extends Error {
  constructor(msg: string) { super(msg); this.name = 'ShapeError'; }
}

export interface MatmulOptions {
  /** out (M,N) = op(a) @ op(b); a is (M,K), or (K,M) when transA; b is (K,N), or (N,K) when transB.
   *  b may be 'bf16' or 'f16' (a frozen weight: read 16-bit, accumulated in f32); a, out, bias f32 */
  m: number; n: number; k: number;
  transA?: boolean; transB?: boolean;
  /** bias (N), added to every row */
  bias?: Tensor;
  /** number of independent products; a, b, out hold `batch` matrices back to back */
  batch?: number;
  /** b is one matrix shared by every batch entry (a weight) */
  broadcastB?: boolean;
  /** out += result */
  accumulate?: boolean;
  /** result scaled by alpha before bias/accumulate (default 1) */
  alpha?: number;
}

export interface AttentionOptions {
  /** q (B,T,Hq,D), k and v (B,T,Hkv,D), out (B,T,Hq,D); Hq % Hkv == 0 (grouped-query) */
  batch: number; seq: number; heads: number; kvHeads: number; headDim: number;
  /** default 1/sqrt(headDim) */
  scale?: number;
  /** (B,T) i32: 1 = real token, 0 = padding. Keys at padding are never attended to;
   *  a query row with no key to attend to gives zeros (and lse 0). Causal masking always applies. */
  keyMask?: Tensor;
  /** sliding window: query t attends only keys s with t − s < window (default: all s ≤ t) */
  window?: number;
  /** attention-logit soft-capping (Gemma-2): scores s → softcap·tanh(s/softcap) before the
   *  softmax (after scale); lse is then over the capped scores. Default: none */
  softcap?: number;
}

export interface DisentangledAttentionOptions {
  /** DeBERTa's disentangled self-attention, bidirectional (no causal mask).
   *  q, k, v, out (B,T,H,D); pos (R,2,H,D): the relative-position embeddings projected by the
   *  layer's key projection (pos[r,0]) and query projection (pos[r,1]); relIdx (T,T) i32 in
   *  [0,R): the pos row of query i and key j (the bucketed, shifted, clamped relative position;
   *  an index outside [0,R) is clamped into it).
   *  score[i,j] = scale·(q_i·k_j + [c2p] q_i·pos[r,0] + [p2c] k_j·pos[r,1]), r = relIdx[i,j] */
  batch: number; seq: number; heads: number; headDim: number;
  /** R, the rows of pos (DeBERTa: 2·position_buckets) */
  relRows: number;
  scale: number;
  c2p: boolean; p2c: boolean;
  /** (B,T) i32: 1 = real token, 0 = padding. Keys at padding are never attended to; a query
   *  row with no key gives zeros (and lse 0) */
  keyMask?: Tensor;
}
/** the window and soft cap of an attention call as kernel arguments (0 = none) */
export interface AttentionExtras { window?: number; softcap?: number }

export interface CachedAttentionOptions {
  /** q and out (B,Tq,Hq,D): the queries of cache slots [start, start+Tq);
   *  kCache, vCache (B,S,Hkv,D) hold keys/values of slots [0, start+Tq) (later slots ignored) */
  batch: number; queries: number; slots: number; start: number;
  heads: number; kvHeads: number; headDim: number;
  /** default 1/sqrt(headDim) */
  scale?: number;
  /** (B,S) i32: 1 = real slot, 0 = padding. Query i attends real slots ≤ start+i; none → zeros */
  keyMask?: Tensor;
  /** sliding window: query i attends only slots j with start+i − j < window */
  window?: number;
  /** scores s → softcap·tanh(s/softcap) before the softmax (as AttentionOptions.softcap) */
  softcap?: number;
}

export interface PreferenceLossOptions {
  /** 'square': the SPPO family, loss_i = w_i·(r_i − target_i)²;
   *  'dpo' | 'ipo' | 'hinge': pairwise over records (2j, 2j+1) = (winner, loser), z = r_w − r_l:
   *   dpo −(1−ε)·log σ(βz) − ε·log σ(−βz); ipo (z − 1/(2β))²; hinge max(0, 1 − βz); weighted by w_{2j} */
  kind: 'square' | 'dpo' | 'ipo' | 'hinge' | 'magnetic';
  beta: number;
  /** DPO label smoothing ε (default 0) */
  labelSmoothing?: number;
  /** 'magnetic' (magnetic SPPO): Σ log μ(y|x) per record (R) f32 of the magnet policy μ, and
   *  c = ηα ≥ 0; r_i = logp_i − [refLogp_i + c·magnetLogp_i]/(1+c), then the square loss.
   *  magnetLogp may be the refLogp tensor itself (μ = π_t: plain square loss). */
  magnetLogp?: Tensor;
  magnet?: number;
}

export interface LogitsChunkOptions {
  /** the chunk holds the logits of vocabulary ids [v0, v0 + Vc), Vc = logits.size / N */
  v0: number;
  /** the whole vocabulary V: v0 + Vc ≤ V; a target ≥ V is an error on the host where targets
   *  are known (wasm) and is ignored (like a negative one) on the device */
  vocab: number;
}

export interface RopeOptions {
  /** x and out (B,T,H,D); positions (B*T) i32 */
  batch: number; seq: number; heads: number; headDim: number;
  theta: number;
  /** rotate only the first rotaryDim dims of each head (default headDim) */
  rotaryDim?: number;
  /** 'half': Hugging Face rotate_half (pairs i, i+d/2); 'interleaved': pairs 2i, 2i+1 */
  layout: 'half' | 'interleaved';
  /** rotate by -angle: the backward pass (the transpose: R^T = R^-1, and (s·R)^T = s·R^T) */
  inverse?: boolean;
  /** LongRoPE (Phi-3 128k, Phi-3.5): per-frequency divisors (rd/2 values), inv_freq[i] =
   *  f32(1 / f32(freqFactors[i] · f32(theta^f32(2i/rd)))) — Hugging Face's f32 recipe */
  freqFactors?: Float32Array;
  /** multiplies cos and sin (LongRoPE's attention factor; default 1): y = scale · R x on the
   *  rotated dims (pass-through dims are copied unscaled) */
  scale?: number;
}

export interface AdamWOptions {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
  /** 1-based step count, for bias correction */
  step: number;
  /** global-norm clipping without a host round-trip: gradients are scaled by
   *  min(1, maxNorm / sqrt(normSq[0])) where normSq (1) holds Σ g² over all parameters */
  clip?: { normSq: Tensor; maxNorm: number };
}

export interface RMSpropOptions {
  /** PyTorch semantics: v = α v + (1-α) g²; p -= lr g / (sqrt(v) + eps); weight decay is L2 (g += wd p) */
  lr: number; alpha: number; eps: number; weightDecay: number;
  /** with momentum > 0: buf = μ buf + g/(sqrt(v)+eps); p -= lr buf */
  momentum?: number;
  clip?: { normSq: Tensor; maxNorm: number };
}

export interface SGDOptions {
  /** PyTorch semantics: g += wd p; buf = g at step 1, else μ buf + (1-dampening) g;
   *  nesterov: g + μ buf, else buf; p -= lr · that */
  lr: number; momentum: number; weightDecay: number; dampening?: number; nesterov?: boolean;
  step: number;
  clip?: { normSq: Tensor; maxNorm: number };
}

export interface Backend {
  readonly name: 'webgpu' | 'wasm';
  /** webgpu: the most bytes an op binds of one tensor (maxStorageBufferBindingSize); a tensor
   *  may be larger, but only ops that bind ranges take it (the embedding lookup, copies).
   *  undefined where there is no such limit (wasm). */
  readonly maxBindingBytes?: number;
  /** human-readable description of where it runs (adapter, threads) */
  readonly description: string;

  // ---- memory ------------------------------------------------------------------------
  /** a new tensor; contents unspecified until written */
  tensor(shape: readonly number[], dtype?: DType, label?: string): Tensor;
  /** a new tensor holding data (length must equal the shape's size). For 'bf16'/'f16': a
   *  Uint16Array is taken as raw 16-bit patterns, a Float32Array or number[] is rounded to
   *  nearest even (src/kernels/half.ts); a Uint16Array needs dtype 'bf16' or 'f16'. */
  fromArray(data: Float32Array | Int32Array | Uint16Array | number[], shape: readonly number[], dtype?: DType, label?: string): Tensor;
  /** overwrite t[offset .. offset+data.length) (elements). Half tensors take a Uint16Array (bits)
   *  or a Float32Array (rounded to nearest even); on WebGPU a half write starts at an even offset. */
  write(t: Tensor, data: Float32Array | Int32Array | Uint16Array, offset?: number): void;
  /** flush queued work and copy t (or a range of elements) back to the host. A half tensor
   *  comes back widened to a Float32Array (exact: every 16-bit value is an f32). */
  read(t: Tensor, offset?: number, count?: number): Promise<Float32Array | Int32Array>;
  dispose(t: Tensor): void;
  /** submit queued work (WebGPU); no-op where work runs eagerly */
  flush(): void;
  /** wait until all submitted work is done */
  sync(): Promise<void>;
  /** release everything the backend holds */
  destroy(): void;
  /** bytes of tensor memory the backend holds now and at most since it was made (wasm: the
   *  allocator's live blocks; WebGPU: live tensor buffers) */
  memoryStats(): { bytesInUse: number; peakBytes: number };

  // ---- elementwise (all f32; sizes must match) -----------------------------------------
  fill(t: Tensor, value: number): void;
  /** dst[dstOffset + i] = src[srcOffset + i], i < count (elements; default whole tensor) */
  copy(dst: Tensor, src: Tensor, o?: { srcOffset?: number; dstOffset?: number; count?: number }): void;
  add(out: Tensor, a: Tensor, b: Tensor): void;
  mul(out: Tensor, a: Tensor, b: Tensor): void;
  /** out = x * s */
  scale(out: Tensor, x: Tensor, s: number): void;
  /** y += alpha * x (in place on y) */
  axpy(y: Tensor, x: Tensor, alpha: number): void;

  // ---- reductions ---------------------------------------------------------------------
  /** out (1) = Σ x² (accumulate: out += Σ x²) — for global gradient norms */
  sumSquares(out: Tensor, x: Tensor, o?: { accumulate?: boolean }): void;
  /** out (C) = Σ_rows x (N,C) — bias gradients; accumulate: out += */
  sumRows(out: Tensor, x: Tensor, o?: { accumulate?: boolean }): void;
  /** out (B) = Σ_t x[b,t]·mask[b,t] over x, mask (B,T) f32 — per-sequence masked sums */
  seqSum(out: Tensor, x: Tensor, mask: Tensor): void;
  /** dx (B,T) = dout[b]·mask[b,t] */
  seqSumBackward(dx: Tensor, dout: Tensor, mask: Tensor): void;

  // ---- matmul -------------------------------------------------------------------------
  matmul(out: Tensor, a: Tensor, b: Tensor, o: MatmulOptions): void;

  // ---- normalisation ------------------------------------------------------------------
  /** x (N,C) → out (N,C) = x·rstd·w, rstd (N) saved for backward; w (C) */
  rmsnorm(out: Tensor, rstd: Tensor, x: Tensor, w: Tensor, eps: number): void;
  /** dx (N,C) written; dw (C) accumulated */
  rmsnormBackward(dx: Tensor, dw: Tensor, dout: Tensor, x: Tensor, w: Tensor, rstd: Tensor): void;
  /** x (N,C) → out = (x-mean)·rstd·w + b; mean, rstd (N) saved */
  layernorm(out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, b: Tensor, eps: number): void;
  /** dx written; dw, db (C) accumulated */
  layernormBackward(dx: Tensor, dw: Tensor, db: Tensor, dout: Tensor, x: Tensor, w: Tensor, mean: Tensor, rstd: Tensor): void;

  // ---- softmax family -----------------------------------------------------------------
  /** row softmax over the last dim `cols` of x (N,cols) */
  softmax(out: Tensor, x: Tensor, cols: number): void;
  /** dx = y ⊙ (dy − Σ dy⊙y) per row */
  softmaxBackward(dx: Tensor, y: Tensor, dy: Tensor, cols: number): void;
  /** row log-softmax over x (N,cols) */
  logSoftmax(out: Tensor, x: Tensor, cols: number): void;
  /** logits (N,V), targets (N) i32 → logp (N) = log softmax(logits)[target], lse (N) saved.
   *  A target < 0 means "ignore": logp = 0 (a target ≥ V on the device is treated the same). */
  tokenLogprobs(logp: Tensor, lse: Tensor, logits: Tensor, targets: Tensor): void;
  /** dlogits (N,V) = dlogp[n]·(onehot(target) − softmax(logits)); 0 for ignored rows */
  tokenLogprobsBackward(dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void;

  // ---- the fused LM head: log-probs chunk by chunk over the vocabulary ----------------------
  // (src/model/lm-head.ts: logits (N,Vc) of one chunk come from matmul, these ops reduce them;
  //  nothing of N×V is ever allocated). state (N,3) f32 per row = [running max m,
  //  Σ exp(logit − m) over the chunks seen, the target's logit once its chunk was seen].
  /** merge one chunk's logits (N,Vc) of ids [v0, v0+Vc) into state; first: set state from this
   *  chunk alone (its old contents are never read). targets (N) i32 are global ids. */
  logitsChunkStats(state: Tensor, logits: Tensor, targets: Tensor, o: LogitsChunkOptions & { first: boolean }): void;
  /** after the last chunk: lse (N) = m + log Σ, logp (N) = target logit − lse; 0 where the
   *  target is ignored (< 0) */
  logitsChunkFinish(logp: Tensor, lse: Tensor, state: Tensor, targets: Tensor, o: { vocab: number }): void;
  /** dlogits (N,Vc) = dlogp[n]·(onehot(target − v0) − exp(logits − lse[n])) for the chunk's
   *  recomputed logits (N,Vc); all 0 on ignored rows */
  logitsChunkBackward(dlogits: Tensor, logits: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor, o: LogitsChunkOptions): void;

  // ---- positional & attention ---------------------------------------------------------
  rope(out: Tensor, x: Tensor, positions: Tensor, o: RopeOptions): void;
  /** causal multi-head attention with grouped-query heads; lse (B,Hq,T) saved for backward:
   *  lse[b,h,t] = log Σ_j exp(scale·q·k_j) over the attended keys (0 when there are none) */
  attention(out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): void;
  /** dq (B,T,Hq,D), dk, dv (B,T,Hkv,D) written */
  attentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, o: AttentionOptions): void;

  /** DeBERTa disentangled attention (see DisentangledAttentionOptions); lse (B,H,T) saved:
   *  log Σ_j exp(score[i,j]) over the attended keys (0 when there are none) */
  disentangledAttention(out: Tensor, lse: Tensor, q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, o: DisentangledAttentionOptions): void;
  /** dq, dk, dv (B,T,H,D) and dpos (R,2,H,D) written (dpos rows no pair maps to are 0) */
  disentangledAttentionBackward(dq: Tensor, dk: Tensor, dv: Tensor, dpos: Tensor, dout: Tensor, q: Tensor, k: Tensor, v: Tensor, pos: Tensor, relIdx: Tensor, out: Tensor, lse: Tensor, o: DisentangledAttentionOptions): void;

  /** inference attention over a KV cache (decode steps, chunked prefill); no lse, no backward */
  attentionCached(out: Tensor, q: Tensor, kCache: Tensor, vCache: Tensor, o: CachedAttentionOptions): void;
  /** cache (B,S,rowSize)[b, start+t, :] = x (B,Tq,rowSize)[b, t, :] for t < Tq — appending K or V */
  kvWrite(cache: Tensor, x: Tensor, o: { batch: number; queries: number; slots: number; start: number; rowSize: number }): void;

  // ---- activations --------------------------------------------------------------------
  silu(out: Tensor, x: Tensor): void;
  siluBackward(dx: Tensor, x: Tensor, dout: Tensor): void;
  /** out = silu(gate) ⊙ up */
  swiglu(out: Tensor, gate: Tensor, up: Tensor): void;
  swigluBackward(dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void;
  /** GELU, tanh approximation (GPT-2's gelu_new) */
  gelu(out: Tensor, x: Tensor): void;
  geluBackward(dx: Tensor, x: Tensor, dout: Tensor): void;
  /** exact GELU, x·Φ(x) = ½x·erfc(−x/√2) (BERT/DeBERTa "gelu"); erfc to ~1e-7 relative */
  geluErf(out: Tensor, x: Tensor): void;
  /** dx = dout·(Φ(x) + x·φ(x)) */
  geluErfBackward(dx: Tensor, x: Tensor, dout: Tensor): void;
  /** out = gelu(gate) ⊙ up, GELU in its tanh form (Gemma's GeGLU MLP, gelu_pytorch_tanh) */
  geglu(out: Tensor, gate: Tensor, up: Tensor): void;
  gegluBackward(dgate: Tensor, dup: Tensor, dout: Tensor, gate: Tensor, up: Tensor): void;
  /** soft-capping (Gemma-2's final logits): out = cap·tanh(x/cap). Works in place (out = x). */
  softcap(out: Tensor, x: Tensor, cap: number): void;
  /** dx = dy·(1 − (y/cap)²) from the forward's output y. Works in place (dx = dy; never dx = y). */
  softcapBackward(dx: Tensor, y: Tensor, dy: Tensor, cap: number): void;

  // ---- embeddings ---------------------------------------------------------------------
  /** table (V,C), ids (N) i32 → out (N,C); id -1 (padding) yields a row of zeros on every
   *  backend (and is skipped backward); another id outside [0,V) throws on the host where
   *  ids are known, and yields zeros on the device. The table may be 'bf16' or 'f16' (out f32). */
  embedding(out: Tensor, table: Tensor, ids: Tensor): void;
  /** dtable (V,C) += scatter of dout (N,C) at ids (deterministic order) */
  embeddingBackward(dtable: Tensor, dout: Tensor, ids: Tensor): void;

  // ---- preference losses (the SPPO gradient op) -----------------------------------------
  /**
   * Over R records with r = logp − refLogp (per-record sums of response-token log-probs under the
   * policy and the frozen reference): loss (R) per record (pairwise kinds: on the winner's slot,
   * 0 on the loser's) and dlogp (R) = ∂(Σ loss)/∂logp. target, weight (R) f32. With
   * seqSumBackward, dlogp flows back to the token positions.
   */
  preferenceLoss(loss: Tensor, dlogp: Tensor, logp: Tensor, refLogp: Tensor, target: Tensor, weight: Tensor, o: PreferenceLossOptions): void;

  // ---- optimizers (in place on param and state) ---------------------------------------
  adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void;
  rmsprop(param: Tensor, grad: Tensor, sq: Tensor, buf: Tensor | null, o: RMSpropOptions): void;
  sgd(param: Tensor, grad: Tensor, buf: Tensor | null, o: SGDOptions): void;
}

/** product of a shape */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** throws a ShapeError unless t holds exactly `want` elements */
export function expectSize(op: string, name: string, t: Tensor, want: number): void {
  if (t.size !== want) {
    throw new ShapeError(`${op}: ${name}${t.label ? ` "${t.label}"` : ''} has ${t.size} elements [${t.shape.join(', ')}], expected ${want}`);
  }
}

export function expectDtype(op: string, name: string, t: Tensor, dtype: DType | readonly DType[]): void {
  const ok = typeof dtype === 'string' ? t.dtype === dtype : dtype.includes(t.dtype);
  if (!ok) throw new ShapeError(`${op}: ${name}${t.label ? ` "${t.label}"` : ''} must be ${typeof dtype === 'string' ? dtype : dtype.join(' or ')}, got ${t.dtype}`);
}

/** the dtypes an op operand that is a frozen weight may have */
export const WEIGHT_DTYPES: readonly DType[] = ['f32', 'bf16', 'f16'];
