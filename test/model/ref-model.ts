// An independent float64 reference of the transformer forward (Llama family and GPT-2),
// written from the Hugging Face modeling code's math with plain loops — no shared code with
// src/model/ beyond the Arch type. Used to check logits and log-probs on random models.
import type { Arch } from '../../src/model/arch.js';
import type { Batch } from '../../src/model/transformer.js';

type P = (name: string) => ArrayLike<number>;

function linear(x: Float64Array, N: number, inF: number, w: ArrayLike<number>, outF: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(N * outF);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[n * inF + i] * w[o * inF + i];
      y[n * outF + o] = s;
    }
  }
  return y;
}

function rmsnorm(x: Float64Array, N: number, C: number, w: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[n * C + c] ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) y[n * C + c] = x[n * C + c] * r * w[c];
  }
  return y;
}

function layernorm(x: Float64Array, N: number, C: number, w: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  const y = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[n * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[n * C + c] - m) ** 2;
    const r = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) y[n * C + c] = (x[n * C + c] - m) * r * w[c] + b[c];
  }
  return y;
}

/** HF rotate_half rotary embedding on the first rd dims of each head of x (N, heads, D), in place
 *  (rd < D: Phi-3's partial rotary; the rest pass through). */
function rope(x: Float64Array, B: number, T: number, heads: number, D: number, pos: Int32Array, theta: number, rd = D, factors?: number[], scale = 1): void {
  const half = rd / 2;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const p = pos[b * T + t];
    for (let h = 0; h < heads; h++) {
      const base = ((b * T + t) * heads + h) * D;
      for (let i = 0; i < half; i++) {
        // LongRoPE: frequencies divided by its factors, cos and sin times its scale
        const invFreq = 1 / (Math.pow(theta, (2 * i) / rd) * (factors ? factors[i] : 1));
        const ang = p * invFreq, c = scale * Math.cos(ang), s = scale * Math.sin(ang);
        const x1 = x[base + i], x2 = x[base + i + half];
        x[base + i] = x1 * c - x2 * s;
        x[base + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

function attention(q: Float64Array, k: Float64Array, v: Float64Array, B: number, T: number, H: number, KH: number, D: number, mask: Int32Array): Float64Array {
  const out = new Float64Array(B * T * H * D);
  const scale = 1 / Math.sqrt(D), g = H / KH;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) {
    const kh = Math.floor(h / g);
    const sc: number[] = [];
    let mx = -Infinity;
    for (let j = 0; j <= i; j++) {
      if (!mask[b * T + j]) { sc.push(-Infinity); continue; }
      let s = 0;
      for (let d = 0; d < D; d++) s += q[((b * T + i) * H + h) * D + d] * k[((b * T + j) * KH + kh) * D + d];
      s *= scale;
      sc.push(s);
      mx = Math.max(mx, s);
    }
    if (mx === -Infinity) continue; // no key: zeros
    let den = 0;
    for (const s of sc) den += s === -Infinity ? 0 : Math.exp(s - mx);
    for (let j = 0; j <= i; j++) {
      if (sc[j] === -Infinity) continue;
      const p = Math.exp(sc[j] - mx) / den;
      for (let d = 0; d < D; d++) out[((b * T + i) * H + h) * D + d] += p * v[((b * T + j) * KH + kh) * D + d];
    }
  }
  return out;
}

const silu = (x: number) => x / (1 + Math.exp(-x));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** logits (N, V) in float64 for the batch. */
export function refLogits(a: Arch, p: P, batch: Batch): Float64Array {
  const { B, T } = batch;
  const N = B * T, C = a.hidden, H = a.heads, KH = a.kvHeads, D = a.headDim, I = a.intermediate, V = a.vocab;
  const gpt2 = a.family === 'gpt2';
  let x = new Float64Array(N * C);
  const E = p('embed');
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    x[n * C + c] = E[batch.ids[n] * C + c] + (gpt2 ? p('pos_embed')[batch.positions[n] * C + c] : 0);
  }
  for (let l = 0; l < a.layers; l++) {
    const L = `l${l}.`;
    const h = gpt2 ? layernorm(x, N, C, p(L + 'ln1.w'), p(L + 'ln1.b'), a.normEps) : rmsnorm(x, N, C, p(L + 'ln1.w'), a.normEps);
    const bias = (n: string) => (a.qkvBias ? p(L + n) : undefined);
    let q = linear(h, N, C, p(L + 'q.w'), H * D, bias('q.b'));
    let k = linear(h, N, C, p(L + 'k.w'), KH * D, bias('k.b'));
    // Qwen3: RMSNorm over each head's D values, before rotary
    if (a.qkNorm) { q = rmsnorm(q, N * H, D, p(L + 'qn.w'), a.normEps); k = rmsnorm(k, N * KH, D, p(L + 'kn.w'), a.normEps); }
    const v = linear(h, N, C, p(L + 'v.w'), KH * D, bias('v.b'));
    if (!gpt2) { rope(q, B, T, H, D, batch.positions, a.ropeTheta, a.rotaryDim, a.ropeFactors, a.ropeScale); rope(k, B, T, KH, D, batch.positions, a.ropeTheta, a.rotaryDim, a.ropeFactors, a.ropeScale); }
    const att = attention(q, k, v, B, T, H, KH, D, batch.keyMask);
    const o = linear(att, N, H * D, p(L + 'o.w'), C, gpt2 || a.oBias ? p(L + 'o.b') : undefined);
    const mid = x.map((xv, i) => xv + o[i]);
    const h2 = gpt2 ? layernorm(mid, N, C, p(L + 'ln2.w'), p(L + 'ln2.b'), a.normEps) : rmsnorm(mid, N, C, p(L + 'ln2.w'), a.normEps);
    let m: Float64Array;
    if (gpt2) {
      const f = linear(h2, N, C, p(L + 'fc.w'), I, p(L + 'fc.b')).map(geluTanh);
      m = linear(f, N, I, p(L + 'proj.w'), C, p(L + 'proj.b'));
    } else {
      const mb = (n: string) => (a.mlpBias ? p(L + n) : undefined);
      const g = linear(h2, N, C, p(L + 'gate.w'), I, mb('gate.b')), u = linear(h2, N, C, p(L + 'up.w'), I, mb('up.b'));
      const act = g.map((gv, i) => silu(gv) * u[i]);
      m = linear(act, N, I, p(L + 'down.w'), C, mb('down.b'));
    }
    x = mid.map((mv, i) => mv + m[i]);
  }
  const hf = gpt2 ? layernorm(x, N, C, p('norm.w'), p('norm.b'), a.normEps) : rmsnorm(x, N, C, p('norm.w'), a.normEps);
  return linear(hf, N, C, a.tied ? E : p('lm_head.w'), V);
}

/** per-token log p(target) (0 where target < 0) from float64 logits */
export function refTokenLogprobs(logits: Float64Array, targets: Int32Array, V: number): Float64Array {
  const N = targets.length, out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    if (targets[n] < 0) continue;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[n * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[n * V + v] - mx);
    out[n] = logits[n * V + targets[n]] - mx - Math.log(s);
  }
  return out;
}
