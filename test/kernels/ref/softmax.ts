// Float64 references for the softmax family and the reductions, written from the math
// (never from the code under test). Inputs are the f32 values the kernels see.

/** row-wise max and log Σ exp over x (rows, cols) */
export function rowLse(x: ArrayLike<number>, rows: number, cols: number): { max: Float64Array; lse: Float64Array } {
  const max = new Float64Array(rows), lse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c] - m);
    max[r] = m;
    lse[r] = m + Math.log(s);
  }
  return { max, lse };
}

export function softmaxRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const { lse } = rowLse(x, rows, cols);
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - lse[r]);
  return y;
}

export function logSoftmaxRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const { lse } = rowLse(x, rows, cols);
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] - lse[r];
  return y;
}

/** dx = y ⊙ (dy − Σ dy⊙y) per row */
export function softmaxBackwardRef(y: ArrayLike<number>, dy: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += dy[r * cols + c] * y[r * cols + c];
    for (let c = 0; c < cols; c++) dx[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot);
  }
  return dx;
}

/** logp[n] = logits[n,t] − lse[n] for t in [0,V), else 0 */
export function tokenLogprobsRef(logits: ArrayLike<number>, targets: ArrayLike<number>, vocab: number): { logp: Float64Array; lse: Float64Array } {
  const rows = targets.length;
  const { lse } = rowLse(logits, rows, vocab);
  const logp = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    logp[n] = t >= 0 && t < vocab ? logits[n * vocab + t] - lse[n] : 0;
  }
  return { logp, lse };
}

/** dlogits[n,v] = dlogp[n]·(onehot(t) − softmax(logits)[n,v]); 0 on ignored rows */
export function tokenLogprobsBackwardRef(logits: ArrayLike<number>, targets: ArrayLike<number>, dlogp: ArrayLike<number>, vocab: number): Float64Array {
  const rows = targets.length;
  const p = softmaxRef(logits, rows, vocab);
  const d = new Float64Array(rows * vocab);
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    if (!(t >= 0 && t < vocab)) continue;
    for (let v = 0; v < vocab; v++) d[n * vocab + v] = dlogp[n] * ((v === t ? 1 : 0) - p[n * vocab + v]);
  }
  return d;
}
