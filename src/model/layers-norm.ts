// The model's normalisations, forward and backward: RMSNorm (Llama family) or LayerNorm with
// bias (GPT-2), over the rows of x (R, C) — R tokens, or R = tokens·heads for Qwen3's per-head
// q/k norms over the (N·H, D) view of q (N, H·D).
//   rms:   out = x / sqrt(mean(x²) + eps) ⊙ w,            saves rstd (R)
//   layer: out = (x − mean) / sqrt(var + eps) ⊙ w + b,    saves mean (R) and rstd (R)
import type { Backend, Tensor } from '../kernels/backend.js';

export type NormKind = 'rms' | 'layer';

/** w (C); b (C) for LayerNorm */
export interface NormParams { w: Tensor; b?: Tensor }
/** the weight gradients, accumulated (the backward kernels always write them: frozen weights get scratch) */
export interface NormGrads { w: Tensor; b?: Tensor }
/** what forward saves for backward: rstd (R), and mean (R) for LayerNorm */
export interface NormStats { mean?: Tensor; rstd: Tensor }

/** out (R,C) = norm(x (R,C)); stats saved for normBackward */
export function normForward(be: Backend, kind: NormKind, eps: number, out: Tensor, st: NormStats, x: Tensor, p: NormParams): void {
  if (kind === 'layer') be.layernorm(out, st.mean!, st.rstd, x, p.w, p.b!, eps);
  else be.rmsnorm(out, st.rstd, x, p.w, eps);
}

/** dx (R,C) = d(norm)/dx · dout (written); g.w (and g.b) += the weight gradients */
export function normBackward(be: Backend, kind: NormKind, dx: Tensor, g: NormGrads, dout: Tensor, x: Tensor, p: NormParams, st: NormStats): void {
  if (kind === 'layer') be.layernormBackward(dx, g.w, g.b!, dout, x, p.w, st.mean!, st.rstd);
  else be.rmsnormBackward(dx, g.w, dout, x, p.w, st.rstd);
}
