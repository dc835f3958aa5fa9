// Float64 reference for DeBERTa's disentangled self-attention (the op's contract in
// src/kernels/backend.ts, DisentangledAttentionOptions): per (b, h, i), scores over every
// unmasked key j, score = scale·(q_i·k_j + c2p·q_i·pos[r,0] + p2c·k_j·pos[r,1]), r = rel[i,j]
// clamped into [0,R); softmax; out = Σ p_j v_j; lse = log Σ exp(score). No key → 0, lse 0.
export interface RelAttnShape { batch: number; seq: number; heads: number; headDim: number; relRows: number; scale: number; c2p: boolean; p2c: boolean }

export function disentangledAttentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, pos: ArrayLike<number>,
  rel: ArrayLike<number>, mask: ArrayLike<number> | null, s: RelAttnShape): { out: Float64Array; lse: Float64Array } {
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = s;
  const out = new Float64Array(B * T * H * D), lse = new Float64Array(B * H * T);
  const HD = H * D;
  const sc = new Float64Array(T);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const qo = ((b * T + i) * H + h) * D;
    let m = -Infinity;
    for (let j = 0; j < T; j++) {
      if (mask && mask[b * T + j] === 0) { sc[j] = -Infinity; continue; }
      const ko = ((b * T + j) * H + h) * D;
      const r = Math.min(Math.max(rel[i * T + j], 0), R - 1);
      const pk = r * 2 * HD + h * D, pq = pk + HD;
      let x = 0;
      for (let d = 0; d < D; d++) {
        x += q[qo + d] * k[ko + d];
        if (s.c2p) x += q[qo + d] * pos[pk + d];
        if (s.p2c) x += k[ko + d] * pos[pq + d];
      }
      sc[j] = s.scale * x;
      m = Math.max(m, sc[j]);
    }
    if (m === -Infinity) continue;
    let l = 0;
    for (let j = 0; j < T; j++) if (sc[j] !== -Infinity) l += Math.exp(sc[j] - m);
    for (let j = 0; j < T; j++) {
      if (sc[j] === -Infinity) continue;
      const p = Math.exp(sc[j] - m) / l, vo = ((b * T + j) * H + h) * D;
      for (let d = 0; d < D; d++) out[qo + d] += p * v[vo + d];
    }
    lse[(b * H + h) * T + i] = m + Math.log(l);
  }
  return { out, lse };
}

/** float64 gradients of Σ dout·out: dq, dk, dv (B,T,H,D), dpos (R,2,H,D) — from the scores
 *  recomputed here (P = softmax), dS = P ⊙ (dP − rowsum(P ⊙ dP)), by the chain rule through
 *  each term of the score */
export function disentangledAttentionBackwardRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, pos: ArrayLike<number>,
  rel: ArrayLike<number>, mask: ArrayLike<number> | null, dout: ArrayLike<number>, s: RelAttnShape) {
  const { batch: B, seq: T, heads: H, headDim: D, relRows: R } = s;
  const HD = H * D;
  const dq = new Float64Array(B * T * HD), dk = new Float64Array(B * T * HD), dv = new Float64Array(B * T * HD), dpos = new Float64Array(R * 2 * HD);
  const P = new Float64Array(T), dP = new Float64Array(T);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const qo = ((b * T + i) * H + h) * D;
    let m = -Infinity;
    const sc = new Float64Array(T).fill(-Infinity);
    for (let j = 0; j < T; j++) {
      if (mask && mask[b * T + j] === 0) continue;
      const ko = ((b * T + j) * H + h) * D, r = Math.min(Math.max(rel[i * T + j], 0), R - 1);
      let x = 0;
      for (let d = 0; d < D; d++) x += q[qo + d] * k[ko + d] + (s.c2p ? q[qo + d] * pos[r * 2 * HD + h * D + d] : 0) + (s.p2c ? k[ko + d] * pos[(r * 2 + 1) * HD + h * D + d] : 0);
      sc[j] = s.scale * x; m = Math.max(m, sc[j]);
    }
    if (m === -Infinity) continue;
    let l = 0;
    for (let j = 0; j < T; j++) l += sc[j] === -Infinity ? 0 : Math.exp(sc[j] - m);
    let rowDot = 0;
    for (let j = 0; j < T; j++) {
      P[j] = sc[j] === -Infinity ? 0 : Math.exp(sc[j] - m) / l;
      const vo = ((b * T + j) * H + h) * D;
      let x = 0;
      for (let d = 0; d < D; d++) x += dout[qo + d] * v[vo + d];
      dP[j] = x; rowDot += P[j] * x;
      for (let d = 0; d < D; d++) dv[vo + d] += P[j] * dout[qo + d];
    }
    for (let j = 0; j < T; j++) {
      if (P[j] === 0) continue;
      const g = s.scale * P[j] * (dP[j] - rowDot);
      const ko = ((b * T + j) * H + h) * D, r = Math.min(Math.max(rel[i * T + j], 0), R - 1);
      const pk = r * 2 * HD + h * D, pq = pk + HD;
      for (let d = 0; d < D; d++) {
        dq[qo + d] += g * (k[ko + d] + (s.c2p ? pos[pk + d] : 0));
        dk[ko + d] += g * (q[qo + d] + (s.p2c ? pos[pq + d] : 0));
        if (s.c2p) dpos[pk + d] += g * q[qo + d];
        if (s.p2c) dpos[pq + d] += g * k[ko + d];
      }
    }
  }
  return { dq, dk, dv, dpos };
}
