// The fused LM head: token log-probs of targets under logits = H Wᵀ, computed chunk by chunk
// over the vocabulary, so that nothing of N×V is ever allocated (at Qwen2.5's V = 151936,
// 2048 tokens of logits are 1.2 GB; a chunk is a few MiB).
//
// Shapes: H (N,C) the final normed hidden states, W (V,C) the head (or the tied embedding),
// targets (N) i32 (< 0: ignored), logp, lse (N). Chunks are vocabulary rows [v0, v0+Vc) of W;
// Vc = chunkColumns(N, V) (need not divide V: the last chunk is shorter).
//   forward:  per chunk   Wc = W[v0:v0+Vc]          (copied out; W itself when one chunk)
//                         Lc (N,Vc) = H Wcᵀ          (matmul)
//                         state ← merge(state, Lc)   (logitsChunkStats: running max, Σ exp, target logit)
//             then        lse, logp                  (logitsChunkFinish)
//   backward: per chunk   Lc = H Wcᵀ again (recomputed, never saved)
//                         dLc = dlogp·(onehot − exp(Lc − lse))   (logitsChunkBackward)
//                         dH (N,C) += dLc Wc                       (written by the first chunk)
//                         dW[v0:v0+Vc] += dLcᵀ H                   (when W trains; via a copy of the slice)
// Memory: two (N,Vc) chunks plus two (Vc,C) slices, whatever V is. Compute: the backward does
// the forward's H Wᵀ once more (1.5× the unfused head's matmul FLOPs).
import type { Backend, DType, Tensor } from '../kernels/backend.js';

/** bytes of one (N, Vc) f32 chunk of logits by default */
export const LM_HEAD_CHUNK_BYTES = 32 * 2 ** 20;

/** vocabulary columns per chunk for N rows: as many as fit `bytes` of f32 (N, Vc) logits, at least 1, at most V */
export function chunkColumns(N: number, V: number, bytes = LM_HEAD_CHUNK_BYTES): number {
  return Math.max(1, Math.min(V, Math.floor(bytes / (4 * Math.max(1, N)))));
}

/** bytes the fused head holds for N rows (chunks, slices, state): what a memory plan counts */
export function lmHeadScratchBytes(N: number, V: number, C: number, training: boolean, bytes = LM_HEAD_CHUNK_BYTES): number {
  const Vc = chunkColumns(N, V, bytes), many = Vc < V;
  const chunks = N * Vc * (training ? 2 : 1);
  const slices = many ? Vc * C * (training ? 2 : 1) : 0;
  return 4 * (chunks + slices + 3 * N);
}

export interface LMHeadOptions {
  /** vocabulary columns per chunk (tests use small ones); default: chunkColumns(N, V, chunkBytes) */
  chunk?: number;
  /** budget of one (N, Vc) chunk in bytes (default LM_HEAD_CHUNK_BYTES) */
  chunkBytes?: number;
}

/** The chunk scratch for one (N, V, C), reused across calls; dispose() frees it. */
export class FusedLMHead {
  readonly Vc: number;
  private readonly all: Tensor[] = [];
  private readonly state: Tensor;
  /** per chunk width (the full one and the shorter last one): logits, dlogits, W and dW slices */
  private readonly bufs = new Map<number, { logits: Tensor; dlogits?: Tensor; w?: Tensor; dw?: Tensor }>();

  constructor(readonly be: Backend, readonly N: number, readonly V: number, readonly C: number, o: LMHeadOptions = {}) {
    const Vc = o.chunk ?? chunkColumns(N, V, o.chunkBytes);
    if (!Number.isInteger(Vc) || Vc < 1) throw new Error(`lm head: chunk must be a positive integer, got ${o.chunk}`);
    this.Vc = Math.min(Vc, V);
    this.state = this.t([N, 3], 'lmhead-state');
  }

  private t(shape: number[], label: string, dtype: DType = 'f32'): Tensor {
    const x = this.be.tensor(shape, dtype, label);
    this.all.push(x);
    return x;
  }

  private buf(vc: number) {
    let b = this.bufs.get(vc);
    if (!b) { b = { logits: this.t([this.N, vc], 'lmhead-logits') }; this.bufs.set(vc, b); }
    return b;
  }

  private chunks(): [number, number][] {
    const out: [number, number][] = [];
    for (let v0 = 0; v0 < this.V; v0 += this.Vc) out.push([v0, Math.min(this.Vc, this.V - v0)]);
    return out;
  }

  /** W's rows [v0, v0+vc) as a (vc, C) tensor: W itself when one chunk covers V */
  private slice(w: Tensor, v0: number, vc: number): Tensor {
    if (vc === this.V) return w;
    const b = this.buf(vc);
    b.w ??= this.t([vc, this.C], 'lmhead-w', w.dtype);
    this.be.copy(b.w, w, { srcOffset: v0 * this.C, count: vc * this.C });
    return b.w;
  }

  /** logp (N) = log softmax(H Wᵀ)[target], lse (N) = log Σ exp(H Wᵀ) (saved for backward) */
  forward(logp: Tensor, lse: Tensor, h: Tensor, w: Tensor, targets: Tensor): void {
    const be = this.be, { N, V, C } = this;
    this.chunks().forEach(([v0, vc], i) => {
      const L = this.buf(vc).logits;
      be.matmul(L, h, this.slice(w, v0, vc), { m: N, n: vc, k: C, transB: true });
      be.logitsChunkStats(this.state, L, targets, { v0, vocab: V, first: i === 0 });
    });
    be.logitsChunkFinish(logp, lse, this.state, targets, { vocab: V });
  }

  /**
   * From dlogp (N): dh (N,C) written (null: not needed), dw (V,C) accumulated (null: W frozen).
   * lse is the forward's; h, w, targets the same tensors as in forward.
   */
  backward(dh: Tensor | null, dw: Tensor | null, h: Tensor, w: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void {
    const be = this.be, { N, V, C } = this;
    this.chunks().forEach(([v0, vc], i) => {
      const b = this.buf(vc);
      b.dlogits ??= this.t([N, vc], 'lmhead-dlogits');
      const wc = this.slice(w, v0, vc);
      be.matmul(b.logits, h, wc, { m: N, n: vc, k: C, transB: true });
      be.logitsChunkBackward(b.dlogits, b.logits, targets, lse, dlogp, { v0, vocab: V });
      if (dh) be.matmul(dh, b.dlogits, wc, { m: N, n: C, k: vc, accumulate: i > 0 });
      if (!dw) return;
      if (vc === V) { be.matmul(dw, b.dlogits, h, { m: vc, n: C, k: N, transA: true, accumulate: true }); return; }
      // dW[v0:v0+vc] += dLcᵀ H through a (vc, C) copy of the slice
      b.dw ??= this.t([vc, C], 'lmhead-dw');
      be.copy(b.dw, dw, { srcOffset: v0 * C, count: vc * C });
      be.matmul(b.dw, b.dlogits, h, { m: vc, n: C, k: N, transA: true, accumulate: true });
      be.copy(dw, b.dw, { dstOffset: v0 * C, count: vc * C });
    });
  }

  dispose(): void {
    for (const x of this.all) this.be.dispose(x);
    this.all.length = 0;
    this.bufs.clear();
  }
}
