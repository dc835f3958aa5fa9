// Layer forward/backward pairs over the op interface (llm.c style: forward saves what
// backward needs; backward writes input gradients and ACCUMULATES parameter gradients, so
// gradient accumulation over micro-batches is just "don't zero in between").
import type { Backend, Tensor } from '../kernels/backend.js';

/**
 * y (N,out) = x (N,in) @ Wᵀ + b, W (out,in).
 */
export function linearForward(be: Backend, y: Tensor, x: Tensor, w: Tensor, b: Tensor | undefined, N: number, inF: number, outF: number): void {
  be.matmul(y, x, w, { m: N, n: outF, k: inF, transB: true, bias: b });
}

/**
 * dx (N,in) = dy @ W (written, or added when accumulateDx), dW (out,in) += dyᵀ @ x, db (out) += Σ_rows dy.
 * dx may be null when the input needs no gradient.
 */
export function linearBackward(
  be: Backend, dx: Tensor | null, dw: Tensor | null, db: Tensor | null | undefined, dy: Tensor, x: Tensor, w: Tensor,
  N: number, inF: number, outF: number, accumulateDx = false,
): void {
  if (dx) be.matmul(dx, dy, w, { m: N, n: inF, k: outF, accumulate: accumulateDx });
  if (dw) be.matmul(dw, dy, x, { m: outF, n: inF, k: N, transA: true, accumulate: true });
  if (db) be.sumRows(db, dy, { accumulate: true });
}
