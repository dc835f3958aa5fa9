// The one linear layer of the model: y = x Wᵀ (+ b) (+ (α/r)·(x Aᵀ) Bᵀ), forward and backward
// side by side. Every projection goes through it — the blocks' q, k, v, o and MLP projections
// (which may carry LoRA adapters), and the unfused LM head (which never does).
//
// Shapes: x (N, in), y (N, out), W (out, in) — f32, or 16-bit when frozen (the matmul widens it);
// b (out); LoRA (Hu et al. 2021): A (r, in), B (out, r), scale α/r, the product x·Aᵀ (N, r).
//
// Backward writes the input gradient (or adds it, for inputs that feed several linears) and
// ACCUMULATES parameter gradients (llm.c style: gradient accumulation over micro-batches is
// "don't zero in between").
import type { Backend, Tensor } from '../kernels/backend.js';

/** LoRA adapters of one linear: W x + scale·B A x */
export interface LoRA { a: Tensor; b: Tensor; rank: number; scale: number }

/** one projection: its weights and sizes */
export interface Linear {
  /** the linear's name (e.g. 'l0.q'): labels, and the key of its saved x·Aᵀ */
  name: string;
  /** W (outF, inF) */
  w: Tensor;
  /** bias (outF) */
  b?: Tensor;
  lora?: LoRA;
  inF: number;
  outF: number;
}

/** gradients of one linear, accumulated; null where the parameter is frozen */
export interface LinearGrads {
  w: Tensor | null;
  b: Tensor | null;
  /** LoRA's A (r, in) and B (out, r) */
  loraA: Tensor | null;
  loraB: Tensor | null;
}

/**
 * y (N,out) = x (N,in) @ Wᵀ + b, then with LoRA y += scale·(x Aᵀ) Bᵀ.
 * xa (N, r) receives x·Aᵀ: needed when the linear has LoRA (backward reads it again).
 */
export function linearForward(be: Backend, y: Tensor, x: Tensor, lin: Linear, N: number, xa?: Tensor): void {
  const { inF, outF, lora } = lin;
  be.matmul(y, x, lin.w, { m: N, n: outF, k: inF, transB: true, bias: lin.b });
  if (!lora) return;
  if (!xa) throw new Error(`model: the LoRA linear ${lin.name} needs its (N, r) x·Aᵀ tensor`);
  be.matmul(xa, x, lora.a, { m: N, n: lora.rank, k: inF, transB: true });
  be.matmul(y, xa, lora.b, { m: N, n: outF, k: lora.rank, transB: true, accumulate: true, alpha: lora.scale });
}

/**
 * dx (N,in) = dy @ W (written, or added when accumulateDx); dW (out,in) += dyᵀ @ x; db (out) += Σ_rows dy.
 * LoRA: dB += scale·dyᵀ (x Aᵀ); dxa = scale·dy B (N, r); dA += dxaᵀ x; dx += dxa A.
 * dx may be null when the input needs no gradient; g null when nothing of the linear trains.
 * xa is forward's x·Aᵀ, dxa an (N, r) scratch (both needed with LoRA).
 */
export function linearBackward(
  be: Backend, dx: Tensor | null, dy: Tensor, x: Tensor, lin: Linear, g: LinearGrads | null, N: number,
  accumulateDx = false, xa?: Tensor, dxa?: Tensor,
): void {
  const { inF, outF, lora } = lin;
  if (dx) be.matmul(dx, dy, lin.w, { m: N, n: inF, k: outF, accumulate: accumulateDx });
  if (g?.w) be.matmul(g.w, dy, x, { m: outF, n: inF, k: N, transA: true, accumulate: true });
  if (g?.b) be.sumRows(g.b, dy, { accumulate: true });
  if (!lora) return;
  if (!xa || !dxa) throw new Error(`model: the LoRA linear ${lin.name} needs its saved x·Aᵀ and an (N, r) scratch for backward`);
  if (g?.loraB) be.matmul(g.loraB, dy, xa, { m: outF, n: lora.rank, k: N, transA: true, accumulate: true, alpha: lora.scale });
  be.matmul(dxa, dy, lora.b, { m: N, n: lora.rank, k: outF, alpha: lora.scale });
  if (g?.loraA) be.matmul(g.loraA, dxa, x, { m: lora.rank, n: inF, k: N, transA: true, accumulate: true });
  if (dx) be.matmul(dx, dxa, lora.a, { m: N, n: inF, k: lora.rank, accumulate: true });
}
