// The fused LM head: token log-probs of targets under logits = H Wᵀ, computed chunk by chunk
// over the vocabulary, so that nothing of N×V is ever allocated (at Qwen2.5's V = 151936,
// 2048 tokens of logits are 1.2 GB; a chunk is a few MiB).
//
// Shapes: H (N,C) the final normed hidden states, W (V,C) the head (or the tied embedding),
// targets (N) i32 (< 0: ignored), logp, lse (N). Chunks are vocabulary rows [v0, v0+Vc) of W;
// Vc = chunkColumns(N, V, C) (need not divide V: the last chunk is shorter).
//   forward:  per chunk   Wc = W[v0:v0+Vc]          (copied out; W itself when one chunk)
//                         Lc (N,Vc) = H Wcᵀ          (matmul)
//                         state ← merge(state, Lc)   (logitsChunkStats: running max, Σ exp, target logit)
//             then        lse, logp                  (logitsChunkFinish)
//   backward: per chunk   Lc = H Wcᵀ again (recomputed, never saved)
//                         dLc = dlogp·(onehot − exp(Lc − lse))   (logitsChunkBackward)
//                         dH (N,C) += dLc Wc                       (written by the first chunk)
//                         dW[v0:v0+Vc] += dLcᵀ H                   (when W trains; via a copy of those rows)
// Final-logit soft-capping (Gemma-2, o.softcap = c): the chunk's logits become Zc = c·tanh(Lc/c)
// in place right after the matmul, everything above reads Zc, and backward turns dZc into
// dLc = dZc·(1 − (Zc/c)²) in place (softcapBackward) before the two products.
// Memory: two (N,Vc) chunks plus one (Vc,C) slice, whatever V is. Compute: the backward does
// the forward's H Wᵀ once more except for the forward's last chunk, whose logits are still in
// their buffer (backward runs the chunks last to first): with k chunks, 3 + (k−1)/k products
// against the unfused head's 3; one chunk (small N·V) costs nothing extra.
// keep (a training forward whose memory plan has room, plan.ts): every chunk's logits stay in a
// tensor of their own, (N, V) floats in all, and backward reads them instead of recomputing —
// 3 products, as the unfused head, with one (N,Vc) gradient chunk and the slice besides.
import type { Backend, Tensor } from '../kernels/backend.js';

/** the fused head's working set by default: its chunks of logits and weight slices, in bytes */
export const LM_HEAD_CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Vocabulary columns per chunk for N rows of C: the working set of a training step — two (N, Vc)
 * chunks (logits, their gradient) and one (Vc, C) slice of W (reused for dW's rows), f32 — fits
 * `bytes`; at least 1, at most V (one chunk: no slice, and backward reuses forward's logits).
 */
export function chunkColumns(N: number, V: number, C: number, bytes = LM_HEAD_CHUNK_BYTES): number {
  if (2 * N * V * 4 <= bytes) return V;
  return Math.max(1, Math.min(V, Math.floor(bytes / (4 * (2 * Math.max(1, N) + C)))));
}

/** bytes the fused head holds at most for N rows (chunks, slice, state): what a memory plan counts */
export function lmHeadScratchBytes(N: number, V: number, C: number, training: boolean, bytes = LM_HEAD_CHUNK_BYTES, keep = false): number {
  const Vc = chunkColumns(N, V, C, bytes);
  if (keep && Vc < V) return 4 * (N * V + N * Vc + Vc * C + 3 * N);
  return 4 * (N * Vc * (training ? 2 : 1) + (Vc < V ? Vc * C : 0) + 3 * N);
}

/**
 * The chunk width a FusedLMHead takes on this backend: o.chunk or chunkColumns(), narrowed where
 * the backend binds at most maxBindingBytes of a tensor (WebGPU) so that each chunk's (N, Vc)
 * logits and (Vc, C) slice fit one binding — and W itself, when it does not fit one, is never
 * bound whole (more than one chunk: its rows are copied out slice by slice).
 */
export function headChunk(be: Backend, N: number, V: number, C: number, o: LMHeadOptions = {}): number {
  let Vc = Math.min(V, o.chunk ?? chunkColumns(N, V, C, o.chunkBytes));
  const cap = be.maxBindingBytes;
  if (cap !== undefined) Vc = Math.min(Vc, Math.max(1, Math.floor(cap / (4 * Math.max(N, C)))));
  return Vc;
}

export interface LMHeadOptions {
  /** vocabulary columns per chunk (tests use small ones); default: chunkColumns(N, V, C, chunkBytes) */
  chunk?: number;
  /** the head's working-set budget in bytes (default LM_HEAD_CHUNK_BYTES) */
  chunkBytes?: number;
  /** final-logit soft cap c (Gemma-2's final_logit_softcapping): logits → c·tanh(logits/c).
   *  Set by the model from its architecture; default none */
  softcap?: number;
}

/** The chunk scratch for one (N, V, C), reused across calls; dispose() frees it. */
export class FusedLMHead {
  readonly Vc: number;
  /** final-logit soft cap (undefined: none) */
  readonly softcap?: number;
  private readonly state: Tensor;
  /** the tensors of the current chunk width (only one width lives at a time, so a shorter last
   *  chunk swaps them instead of adding a second set): logits, dlogits, W's slice, dW's slice */
  private cur: { vc: number; logits?: Tensor; dlogits?: Tensor; w?: Tensor; dw?: Tensor } | null = null;
  /** keep: each chunk's logits (N, vc), in chunk order, from the forward that kept them */
  private kept: Tensor[] = [];

  constructor(readonly be: Backend, readonly N: number, readonly V: number, readonly C: number, o: LMHeadOptions = {}) {
    if (o.chunk !== undefined && (!Number.isInteger(o.chunk) || o.chunk < 1)) throw new Error(`lm head: chunk must be a positive integer, got ${o.chunk}`);
    this.Vc = headChunk(be, N, V, C, o);
    if (o.softcap !== undefined && !(o.softcap > 0 && Number.isFinite(o.softcap))) throw new Error(`lm head: softcap must be a positive number, got ${o.softcap}`);
    this.softcap = o.softcap;
    this.state = be.tensor([N, 3], 'f32', 'lmhead-state');
  }

  private buf(vc: number) {
    if (this.cur?.vc !== vc) {
      this.freeChunk();
      this.cur = { vc };
    }
    return this.cur;
  }

  /** the chunk's logits buffer: the kept tensor of chunk i, else the shared one of this width */
  private logitsOf(i: number, vc: number, keep: boolean): Tensor {
    if (keep) return (this.kept[i] ??= this.be.tensor([this.N, vc], 'f32', 'lmhead-kept'));
    const b = this.buf(vc);
    return (b.logits ??= this.be.tensor([this.N, vc], 'f32', 'lmhead-logits'));
  }

  private freeKept(): void {
    for (const t of this.kept) this.be.dispose(t);
    this.kept = [];
  }

  /** bytes held now (chunk buffers, kept logits, state) */
  bytes(): number {
    let n = 4 * this.state.size;
    for (const t of [this.cur?.logits, this.cur?.dlogits, this.cur?.w, this.cur?.dw, ...this.kept]) if (t) n += (t.dtype === 'f32' ? 4 : 2) * t.size;
    return n;
  }

  private freeChunk(): void {
    if (!this.cur) return;
    for (const t of [this.cur.logits, this.cur.dlogits, this.cur.w, this.cur.dw]) if (t) this.be.dispose(t);
    this.cur = null;
  }

  private chunks(): [number, number][] {
    const out: [number, number][] = [];
    for (let v0 = 0; v0 < this.V; v0 += this.Vc) out.push([v0, Math.min(this.Vc, this.V - v0)]);
    return out;
  }

  /** W's rows [v0, v0+vc) as a (vc, C) tensor of W's dtype: W itself when one chunk covers V */
  private slice(w: Tensor, v0: number, vc: number): Tensor {
    if (vc === this.V) return w;
    const b = this.buf(vc);
    if (b.w && b.w.dtype !== w.dtype) { this.be.dispose(b.w); b.w = undefined; }
    b.w ??= this.be.tensor([vc, this.C], w.dtype, 'lmhead-w');
    this.be.copy(b.w, w, { srcOffset: v0 * this.C, count: vc * this.C });
    return b.w;
  }

  /** the chunk buffer still holds H Wᵀ of the forward's last chunk [v0, V) (keep: of every chunk), for these (h, w) */
  private fresh: { h: Tensor; w: Tensor; v0: number; keep: boolean } | null = null;

  /**
   * logp (N) = log softmax(H Wᵀ)[target], lse (N) = log Σ exp(H Wᵀ) (saved for backward).
   * keep: hold every chunk's logits (N×V floats) for the backward that follows (a training
   * pass whose plan has room); otherwise any kept logits are freed.
   */
  forward(logp: Tensor, lse: Tensor, h: Tensor, w: Tensor, targets: Tensor, keep = false): void {
    const be = this.be, { N, V, C } = this;
    const chunks = this.chunks();
    keep &&= chunks.length > 1; // one chunk: its buffer already survives until backward
    if (!keep) this.freeKept();
    chunks.forEach(([v0, vc], i) => {
      const L = this.logitsOf(i, vc, keep);
      be.matmul(L, h, this.slice(w, v0, vc), { m: N, n: vc, k: C, transB: true });
      if (this.softcap) be.softcap(L, L, this.softcap);
      be.logitsChunkStats(this.state, L, targets, { v0, vocab: V, first: i === 0 });
    });
    be.logitsChunkFinish(logp, lse, this.state, targets, { vocab: V });
    this.fresh = { h, w, v0: chunks[chunks.length - 1][0], keep };
  }

  /**
   * From dlogp (N): dh (N,C) written (null: not needed), dw (V,C) accumulated (null: W frozen).
   * lse is the forward's; h, w, targets the same tensors, with the same contents, as in the
   * forward just before. Chunks run last to first, so the forward's last chunk (with one
   * chunk: all of V) reuses the logits still in its buffer instead of recomputing them; after a
   * forward that kept them, every chunk does.
   */
  backward(dh: Tensor | null, dw: Tensor | null, h: Tensor, w: Tensor, targets: Tensor, lse: Tensor, dlogp: Tensor): void {
    const be = this.be, { N, V, C } = this;
    const fresh = this.fresh?.h === h && this.fresh.w === w ? this.fresh : null;
    this.fresh = null;
    const chunks = this.chunks();
    const keep = !!fresh?.keep && this.kept.length === chunks.length;
    chunks.reverse().forEach(([v0, vc], i) => {
      const reuse = keep || (i === 0 && fresh?.v0 === v0 && this.cur?.vc === vc);
      const logits = this.logitsOf(chunks.length - 1 - i, vc, keep);
      const wc = this.slice(w, v0, vc);
      const b = this.buf(vc);
      b.dlogits ??= be.tensor([N, vc], 'f32', 'lmhead-dlogits');
      if (!reuse) {
        be.matmul(logits, h, wc, { m: N, n: vc, k: C, transB: true });
        if (this.softcap) be.softcap(logits, logits, this.softcap);
      }
      be.logitsChunkBackward(b.dlogits, logits, targets, lse, dlogp, { v0, vocab: V });
      if (this.softcap) be.softcapBackward(b.dlogits, logits, b.dlogits, this.softcap);
      if (dh) be.matmul(dh, b.dlogits, wc, { m: N, n: C, k: vc, accumulate: i > 0 });
      if (!dw) return;
      if (vc === V) { be.matmul(dw, b.dlogits, h, { m: vc, n: C, k: N, transA: true, accumulate: true }); return; }
      // dW[v0:v0+vc] += dLcᵀ H through a (vc, C) copy of those rows: in W's slice, which dH no
      // longer needs (an f32 W: the one that trains), else in a slice of its own
      const ds = wc.dtype === 'f32' ? wc : (b.dw ??= be.tensor([vc, C], 'f32', 'lmhead-dw'));
      be.copy(ds, dw, { srcOffset: v0 * C, count: vc * C });
      be.matmul(ds, b.dlogits, h, { m: vc, n: C, k: N, transA: true, accumulate: true });
      be.copy(dw, ds, { dstOffset: v0 * C, count: vc * C });
    });
  }

  dispose(): void {
    this.freeChunk();
    this.freeKept();
    this.be.dispose(this.state);
  }
}
