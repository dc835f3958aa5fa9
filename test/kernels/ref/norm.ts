// Float64 references for RMSNorm and LayerNorm (forward and backward), from the math.

export function rmsnormRef(x: ArrayLike<number>, w: ArrayLike<number>, eps: number, rows: number, cols: number): { out: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(rows * cols), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[r * cols + c] ** 2;
    const k = 1 / Math.sqrt(ss / cols + eps);
    rstd[r] = k;
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] * k * w[c];
  }
  return { out, rstd };
}

/** y = x·k·w with k = (Σx²/C + eps)^-½: dx_j = k·(g_j − x_j·k²·Σ_i g_i x_i / C), g = dout·w;
 *  dw_j = Σ_rows dout_j·x_j·k */
export function rmsnormBackwardRef(dout: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, eps: number, rows: number, cols: number): { dx: Float64Array; dw: Float64Array } {
  const { rstd } = rmsnormRef(x, w, eps, rows, cols);
  const dx = new Float64Array(rows * cols), dw = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const k = rstd[r];
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += dout[r * cols + c] * w[c] * x[r * cols + c];
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      dx[i] = k * (dout[i] * w[c] - x[i] * k * k * dot / cols);
      dw[c] += dout[i] * x[i] * k;
    }
  }
  return { dx, dw };
}

export function layernormRef(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, eps: number, rows: number, cols: number): { out: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(rows * cols), mean = new Float64Array(rows), rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c];
    const mu = s / cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[r * cols + c] - mu) ** 2;
    const k = 1 / Math.sqrt(v / cols + eps);
    mean[r] = mu; rstd[r] = k;
    for (let c = 0; c < cols; c++) out[r * cols + c] = (x[r * cols + c] - mu) * k * w[c] + b[c];
  }
  return { out, mean, rstd };
}

/** dx = k·(g − mean(g) − x̂·mean(g·x̂)), g = dout·w, x̂ = (x − μ)·k; dw = Σ dout·x̂; db = Σ dout */
export function layernormBackwardRef(dout: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, eps: number, rows: number, cols: number): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const { mean, rstd } = layernormRef(x, w, new Float64Array(cols), eps, rows, cols);
  const dx = new Float64Array(rows * cols), dw = new Float64Array(cols), db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const k = rstd[r], mu = mean[r];
    let sg = 0, sgx = 0;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c, g = dout[i] * w[c], xh = (x[i] - mu) * k;
      sg += g; sgx += g * xh;
    }
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c, g = dout[i] * w[c], xh = (x[i] - mu) * k;
      dx[i] = k * (g - sg / cols - xh * sgx / cols);
      dw[c] += dout[i] * xh;
      db[c] += dout[i];
    }
  }
  return { dx, dw, db };
}
