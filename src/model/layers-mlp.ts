// The MLP block, forward and backward:  out = x + down( act(h) ),  h = norm(x)
//   'swiglu' (Llama):  act = silu(h Wgateᵀ) ⊙ (h Wupᵀ)      fc = gate_proj, up = up_proj, down = down_proj
//   'gelu'   (GPT-2):  act = gelu_tanh(h Wfcᵀ + bfc)        fc = c_fc, no up, down = c_proj
//   'geglu'  (Gemma):  act = gelu_tanh(h Wgateᵀ) ⊙ (h Wupᵀ)
//   postNorms (Gemma-2): out = x + postNorm(down(act)), down's output saved (fo) with the norm's rstd
// Shapes (N tokens, C hidden, I intermediate): x, out, h (N, C); fc, up, act (N, I).
// Every linear may carry biases and LoRA.
import type { Tensor } from '../kernels/backend.js';
import type { BlockContext, BlockOptions } from './layers.js';
import { linearBackward, linearForward, type Linear, type LinearGrads } from './layers-linear.js';
import { normBackward, normForward, type NormGrads, type NormParams } from './layers-norm.js';

export interface MLPParams {
  norm: NormParams;
  /** the activated projection (C → I): Llama's gate, GPT-2's fc */
  fc: Linear;
  /** the gated (GLU) MLP's linear half (C → I) */
  up?: Linear;
  /** I → C */
  down: Linear;
  /** postNorms: the RMSNorm on down's output (C) */
  postNorm?: NormParams;
}
export interface MLPGrads { norm: NormGrads; fc: LinearGrads; up?: LinearGrads; down: LinearGrads; postNorm?: NormGrads }

/** what forward writes: h = norm(x) (N, C) and its stats; fc's and up's outputs and act (N, I) */
export interface MLPActs {
  ln: Tensor; mean?: Tensor; rstd: Tensor; fc: Tensor; up?: Tensor; act: Tensor;
  /** postNorms: down's output (N, C) before the post-norm, and that norm's rstd (N) */
  fo?: Tensor; prstd?: Tensor;
}

/** backward scratch: dln, dtmp (N, C); dI1, dI2, dI3 (N, I) */
export interface MLPScratch { dln: Tensor; dtmp: Tensor; dI1: Tensor; dI2: Tensor; dI3: Tensor }

/** out (N,C) = x + mlp(norm(x)); activations into s */
export function mlpForward(ctx: BlockContext, o: BlockOptions, p: MLPParams, s: MLPActs, x: Tensor, out: Tensor): void {
  const be = ctx.be, N = ctx.B * ctx.T;
  const lin = (y: Tensor, xin: Tensor, l: Linear) => linearForward(be, y, xin, l, N, l.lora && ctx.loraXA(l));
  normForward(be, o.norm, o.eps, s.ln, s, x, p.norm);
  lin(s.fc, s.ln, p.fc);
  if (o.mlp === 'gelu') {
    be.gelu(s.act, s.fc);
  } else {
    lin(s.up!, s.ln, p.up!);
    if (o.mlp === 'geglu') be.geglu(s.act, s.fc, s.up!);
    else be.swiglu(s.act, s.fc, s.up!);
  }
  // out = act Wdownᵀ (+b) (postNorms: normed, from fo), then the residual
  if (o.postNorms) {
    lin(s.fo!, s.act, p.down);
    normForward(be, 'rms', o.eps, out, { rstd: s.prstd! }, s.fo!, p.postNorm!);
  } else lin(out, s.act, p.down);
  be.axpy(out, x, 1);
}

/**
 * Backward of mlpForward: dres holds d(out) on entry and d(x) on return. Parameter gradients
 * accumulate into g.
 */
export function mlpBackward(ctx: BlockContext, o: BlockOptions, p: MLPParams, g: MLPGrads, s: MLPActs, d: MLPScratch, x: Tensor, dres: Tensor): void {
  const be = ctx.be, N = ctx.B * ctx.T;
  const lin = (dx: Tensor, dy: Tensor, xin: Tensor, l: Linear, lg: LinearGrads, acc = false) =>
    linearBackward(be, dx, dy, xin, l, lg, N, acc, l.lora && ctx.loraXA(l), l.lora && ctx.loraDXA!(l));
  // (postNorms: back through the post-norm first, into dtmp, free until the input norm's backward)
  let dy = dres;
  if (o.postNorms) { normBackward(be, 'rms', d.dtmp, g.postNorm!, dres, s.fo!, p.postNorm!, { rstd: s.prstd! }); dy = d.dtmp; }
  lin(d.dI1, dy, s.act, p.down, g.down); // d(act)
  if (o.mlp === 'gelu') {
    be.geluBackward(d.dI2, s.fc, d.dI1);
    lin(d.dln, d.dI2, s.ln, p.fc, g.fc);
  } else {
    // d(act) → d(gate), d(up)
    if (o.mlp === 'geglu') be.gegluBackward(d.dI2, d.dI3, d.dI1, s.fc, s.up!);
    else be.swigluBackward(d.dI2, d.dI3, d.dI1, s.fc, s.up!);
    lin(d.dln, d.dI2, s.ln, p.fc, g.fc);
    lin(d.dln, d.dI3, s.ln, p.up!, g.up!, true);
  }
  normBackward(be, o.norm, d.dtmp, g.norm, d.dln, x, p.norm, s);
  be.axpy(dres, d.dtmp, 1); // d(x) = d(out) + through the MLP
}
