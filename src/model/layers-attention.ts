// The attention block, forward and backward:  out = x + o( attention( rope(q), rope(k), v ) )
// with h = norm(x), q = h Wqᵀ (+b), k = h Wkᵀ (+b), v = h Wvᵀ (+b) (each linear may carry LoRA).
//
// Shapes (N = B·T tokens, C hidden, H query heads, KH kv heads, D head dim):
//   x, out (N, C); q, att (N, H·D) = (B, T, H, D) row-major; k, v (N, KH·D).
//   q path: proj → [qkNorm: RMSNorm over each head's D values, the (N·H, D) view] → [rotary] → q
//   (k alike). The attention proper is passed in: training's full causal attention (which saves
//   lse (B, H, T) for backward) or decoding's attention over the KV cache; both take the block's
//   score options (scale, sliding window, soft cap).
//   postNorms (Gemma-2): out = x + postNorm(o(att)), o's output saved (ao) with the norm's rstd.
import type { AttentionOptions, Tensor } from '../kernels/backend.js';
import type { BlockContext, BlockOptions } from './layers.js';
import { linearBackward, linearForward, type Linear, type LinearGrads } from './layers-linear.js';
import { normBackward, normForward, type NormGrads, type NormParams } from './layers-norm.js';

export interface AttentionParams {
  norm: NormParams;
  q: Linear; k: Linear; v: Linear; o: Linear;
  /** qkNorm: the per-head norm weights (D) */
  qNorm?: NormParams; kNorm?: NormParams;
  /** postNorms: the RMSNorm on o's output (C) */
  postNorm?: NormParams;
}
export interface AttentionGrads {
  norm: NormGrads;
  q: LinearGrads; k: LinearGrads; v: LinearGrads; o: LinearGrads;
  qNorm?: NormGrads; kNorm?: NormGrads;
  postNorm?: NormGrads;
}

/** what forward writes; training keeps it per layer for backward, decoding reuses it as scratch */
export interface AttentionActs {
  /** h = norm(x) (N, C), its rstd (N) and (LayerNorm) mean (N) */
  ln: Tensor; mean?: Tensor; rstd: Tensor;
  /** qkNorm: the projections before the per-head norm (N, H·D), (N, KH·D), and its rstd (N·H), (N·KH) */
  qraw?: Tensor; kraw?: Tensor; rq?: Tensor; rk?: Tensor;
  /** rotary's inputs (N, H·D), (N, KH·D): scratch, not read by backward (which reuses them) */
  qpre: Tensor; kpre: Tensor;
  /** q, k after rotary, v, and the attention output (N, H·D) before the o projection */
  q: Tensor; k: Tensor; v: Tensor; att: Tensor;
  /** postNorms: o's output (N, C) before the post-norm, and that norm's rstd (N) */
  ao?: Tensor; prstd?: Tensor;
}

/** backward scratch: dln, dtmp (N, C); datt, dq (N, H·D); dk, dv (N, KH·D) */
export interface AttentionScratch { dln: Tensor; dtmp: Tensor; datt: Tensor; dq: Tensor; dk: Tensor; dv: Tensor }

/** the attention proper: att (N, H·D) from q, k, v; backward only where the pass trains */
export interface AttentionCore {
  forward(att: Tensor, q: Tensor, k: Tensor, v: Tensor): void;
  backward?(dq: Tensor, dk: Tensor, dv: Tensor, datt: Tensor, q: Tensor, k: Tensor, v: Tensor, att: Tensor): void;
}

/** training's attention: causal over the whole (B, T) batch, padding keys masked, the block's score
 *  options (scale, sliding window, soft cap); lse (B·H·T) saved */
export function causalAttention(ctx: BlockContext, o: BlockOptions, keyMask: Tensor, lse: Tensor): AttentionCore {
  const be = ctx.be;
  const ao: AttentionOptions = { batch: ctx.B, seq: ctx.T, heads: o.heads, kvHeads: o.kvHeads, headDim: o.headDim, keyMask, ...o.scores };
  return {
    forward: (att, q, k, v) => be.attention(att, lse, q, k, v, ao),
    backward: (dq, dk, dv, datt, q, k, v, att) => be.attentionBackward(dq, dk, dv, datt, q, k, v, att, lse, ao),
  };
}

/**
 * decoding's attention over a KV cache kc, vc (B, S, KH·D): this pass's T keys and values go into
 * slots [start, start+T), then the queries attend over the real slots ≤ their own (cacheMask (B, S))
 */
export function cachedAttention(ctx: BlockContext, o: BlockOptions, kc: Tensor, vc: Tensor, slots: number, start: number, cacheMask: Tensor): AttentionCore {
  const be = ctx.be, B = ctx.B, T = ctx.T;
  const kvo = { batch: B, queries: T, slots, start, rowSize: o.kvHeads * o.headDim };
  return {
    forward: (att, q, k, v) => {
      be.kvWrite(kc, k, kvo);
      be.kvWrite(vc, v, kvo);
      be.attentionCached(att, q, kc, vc, { batch: B, queries: T, slots, start, heads: o.heads, kvHeads: o.kvHeads, headDim: o.headDim, keyMask: cacheMask, ...o.scores });
    },
  };
}

function ropeOptions(ctx: BlockContext, o: BlockOptions, heads: number, inverse = false) {
  return { batch: ctx.B, seq: ctx.T, heads, headDim: o.headDim, ...o.rope!, ...(inverse ? { inverse } : {}) };
}

/** out (N,C) = x + attention block(x); activations into s */
export function attentionForward(ctx: BlockContext, o: BlockOptions, p: AttentionParams, s: AttentionActs, x: Tensor, out: Tensor, core: AttentionCore): void {
  const be = ctx.be, N = ctx.B * ctx.T;
  const lin = (y: Tensor, xin: Tensor, l: Linear) => linearForward(be, y, xin, l, N, l.lora && ctx.loraXA(l));
  normForward(be, o.norm, o.eps, s.ln, s, x, p.norm);
  // q, k: projection → (per-head norm) → (rotary), each step into the next buffer of the path
  const after = (rotIn: Tensor, final: Tensor) => (o.rope ? rotIn : final);
  const qProj = o.qkNorm ? s.qraw! : after(s.qpre, s.q), kProj = o.qkNorm ? s.kraw! : after(s.kpre, s.k);
  lin(qProj, s.ln, p.q);
  lin(kProj, s.ln, p.k);
  if (o.qkNorm) {
    normForward(be, 'rms', o.eps, after(s.qpre, s.q), { rstd: s.rq! }, s.qraw!, p.qNorm!);
    normForward(be, 'rms', o.eps, after(s.kpre, s.k), { rstd: s.rk! }, s.kraw!, p.kNorm!);
  }
  if (o.rope) {
    be.rope(s.q, s.qpre, ctx.positions, ropeOptions(ctx, o, o.heads));
    be.rope(s.k, s.kpre, ctx.positions, ropeOptions(ctx, o, o.kvHeads));
  }
  lin(s.v, s.ln, p.v);
  core.forward(s.att, s.q, s.k, s.v);
  // out = att Woᵀ (+bo) (postNorms: normed, from ao), then the residual
  if (o.postNorms) {
    lin(s.ao!, s.att, p.o);
    normForward(be, 'rms', o.eps, out, { rstd: s.prstd! }, s.ao!, p.postNorm!);
  } else lin(out, s.att, p.o);
  be.axpy(out, x, 1);
}

/**
 * Backward of attentionForward: dres holds d(out) on entry and d(x) on return (the residual
 * passes it through; the block adds its part). Parameter gradients accumulate into g.
 * s: the forward's activations (qpre/kpre serve as scratch here). needDx false: d(x) is not
 * wanted (nothing below trains), so only this block's parameter gradients are made.
 */
export function attentionBackward(
  ctx: BlockContext, o: BlockOptions, p: AttentionParams, g: AttentionGrads, s: AttentionActs, d: AttentionScratch,
  x: Tensor, dres: Tensor, core: AttentionCore, needDx = true,
): void {
  const be = ctx.be, N = ctx.B * ctx.T;
  const lin = (dx: Tensor | null, dy: Tensor, xin: Tensor, l: Linear, lg: LinearGrads, acc = false) =>
    linearBackward(be, dx, dy, xin, l, lg, N, acc, l.lora && ctx.loraXA(l), l.lora && ctx.loraDXA!(l));
  // (postNorms: back through the post-norm first, into dtmp, free until the input norm's backward)
  let dy = dres;
  if (o.postNorms) { normBackward(be, 'rms', d.dtmp, g.postNorm!, dres, s.ao!, p.postNorm!, { rstd: s.prstd! }); dy = d.dtmp; }
  lin(d.datt, dy, s.att, p.o, g.o);
  if (!core.backward) throw new Error('model: this attention has no backward (decoding)');
  core.backward(d.dq, d.dk, d.dv, d.datt, s.q, s.k, s.v, s.att);
  // walk the q/k paths back: (inverse rotary) → (per-head norm) → d(projection)
  let dq = d.dq, dk = d.dk;
  if (o.rope) {
    be.rope(s.qpre, dq, ctx.positions, ropeOptions(ctx, o, o.heads, true));
    be.rope(s.kpre, dk, ctx.positions, ropeOptions(ctx, o, o.kvHeads, true));
    dq = s.qpre; dk = s.kpre;
  }
  if (o.qkNorm) {
    const dqRaw = dq === d.dq ? s.qpre : d.dq, dkRaw = dk === d.dk ? s.kpre : d.dk;
    normBackward(be, 'rms', dqRaw, g.qNorm!, dq, s.qraw!, p.qNorm!, { rstd: s.rq! });
    normBackward(be, 'rms', dkRaw, g.kNorm!, dk, s.kraw!, p.kNorm!, { rstd: s.rk! });
    dq = dqRaw; dk = dkRaw;
  }
  // needDx false (the first block with frozen embeddings and norm): only parameter gradients
  const dln = needDx ? d.dln : null;
  lin(dln, dq, s.ln, p.q, g.q);
  lin(dln, dk, s.ln, p.k, g.k, true);
  lin(dln, d.dv, s.ln, p.v, g.v, true);
  if (!needDx) return;
  normBackward(be, o.norm, d.dtmp, g.norm, d.dln, x, p.norm, s);
  be.axpy(dres, d.dtmp, 1); // d(x) = d(out) + through the block
}
