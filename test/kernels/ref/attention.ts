// Float64 reference for causal grouped-query attention and its gradient (the contract in
// src/kernels/backend.ts). Plain loops over the full score matrix — no online softmax, no
// saved lse — so it shares no algorithm with the kernels it checks.
//   q, out (B,T,Hq,D); k, v (B,T,Hkv,D); lse (B,Hq,T); mask (B,T) 1 = key may be attended.
// A query with no key to attend to: out = 0, lse = 0 (the op's documented convention).
// window: query i attends keys j with i − j < window; softcap: score s → softcap·tanh(s/softcap).
export interface AttnShape { batch: number; seq: number; heads: number; kvHeads: number; headDim: number; scale?: number; window?: number; softcap?: number }

const qi = (o: AttnShape, b: number, t: number, h: number) => ((b * o.seq + t) * o.heads + h) * o.headDim;
const ki = (o: AttnShape, b: number, t: number, g: number) => ((b * o.seq + t) * o.kvHeads + g) * o.headDim;
const scaleOf = (o: AttnShape) => o.scale ?? 1 / Math.sqrt(o.headDim);

/** softmax row P[j] (j ≤ i) of query (b,i,h) and its log-normaliser; P is all 0 when no key is allowed */
function probs(q: ArrayLike<number>, k: ArrayLike<number>, mask: ArrayLike<number> | null, o: AttnShape, b: number, i: number, h: number): { p: Float64Array; lse: number; dcap: Float64Array } {
  const D = o.headDim, g = Math.floor(h / (o.heads / o.kvHeads)), sc = scaleOf(o);
  const s = new Float64Array(i + 1).fill(-Infinity);
  const dcap = new Float64Array(i + 1);
  let m = -Infinity;
  for (let j = 0; j <= i; j++) {
    if (mask && mask[b * o.seq + j] === 0) continue;
    if (o.window !== undefined && i - j >= o.window) continue;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qi(o, b, i, h) + d] * k[ki(o, b, j, g) + d];
    s[j] = dot * sc;
    dcap[j] = 1;
    if (o.softcap !== undefined) { const th = Math.tanh(s[j] / o.softcap); s[j] = o.softcap * th; dcap[j] = 1 - th * th; }
    m = Math.max(m, s[j]);
  }
  const p = new Float64Array(i + 1);
  if (m === -Infinity) return { p, lse: 0, dcap };
  let sum = 0;
  for (let j = 0; j <= i; j++) sum += (p[j] = Math.exp(s[j] - m));
  for (let j = 0; j <= i; j++) p[j] /= sum;
  return { p, lse: m + Math.log(sum), dcap };
}

export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ArrayLike<number> | null, o: AttnShape): { out: Float64Array; lse: Float64Array } {
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const out = new Float64Array(B * T * H * D), lse = new Float64Array(B * H * T);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const g = Math.floor(h / (H / o.kvHeads));
    const r = probs(q, k, mask, o, b, i, h);
    lse[(b * H + h) * T + i] = r.lse;
    for (let j = 0; j <= i; j++) {
      if (r.p[j] === 0) continue;
      for (let d = 0; d < D; d++) out[qi(o, b, i, h) + d] += r.p[j] * v[ki(o, b, j, g) + d];
    }
  }
  return { out, lse };
}

/** analytic gradient of L = Σ dout ⊙ out:  with S = cap(scale·QKᵀ) (masked), P = softmax(S),
 *  dP = dout·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)); dQ = scale·dS·K, dK = scale·dSᵀ·Q,
 *  dV = Pᵀ·dout, with dK, dV summed over the query heads sharing a kv head */
export function attentionBackwardRef(dout: ArrayLike<number>, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ArrayLike<number> | null, o: AttnShape): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const sc = scaleOf(o);
  const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const g = Math.floor(h / (H / o.kvHeads));
    const { p, dcap } = probs(q, k, mask, o, b, i, h);
    const dp = new Float64Array(i + 1);
    let rowsum = 0;
    for (let j = 0; j <= i; j++) {
      if (p[j] === 0) continue;
      for (let d = 0; d < D; d++) dp[j] += dout[qi(o, b, i, h) + d] * v[ki(o, b, j, g) + d];
      rowsum += p[j] * dp[j];
    }
    for (let j = 0; j <= i; j++) {
      if (p[j] === 0) continue;
      const ds = p[j] * (dp[j] - rowsum) * dcap[j];   // through the soft cap: 1 − tanh²
      for (let d = 0; d < D; d++) {
        dq[qi(o, b, i, h) + d] += sc * ds * k[ki(o, b, j, g) + d];
        dk[ki(o, b, j, g) + d] += sc * ds * q[qi(o, b, i, h) + d];
        dv[ki(o, b, j, g) + d] += p[j] * dout[qi(o, b, i, h) + d];
      }
    }
  }
  return { dq, dk, dv };
}
