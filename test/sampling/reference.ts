// Independent float64 references for the sampler tests: the PRNG (SplitMix64 seeding +
// xoshiro128**, written here from the published algorithms with BigInt / Math.imul), the
// processed distribution (documented semantics of src/sampling/config.ts) and inverse-CDF draws.
// Processed logits are f32 values, as in Hugging Face (penalty and temperature arithmetic is
// rounded to f32 with Math.fround, which is exact IEEE f32 for one +, −, ×, ÷); everything after
// them (softmax, truncation masses, cumulative sums) is float64.
import type { SampleConfig } from '../../src/sampling/config.js';

const M64 = (1n << 64n) - 1n;

export function refSplitMix64(seed: bigint, n: number): bigint[] {
  let s = seed & M64;
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b97f4a7c15n) & M64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    out.push(z ^ (z >> 31n));
  }
  return out;
}

/** xoshiro128** as in the authors' C reference, over a plain number[4]. */
export class RefXoshiro {
  s: number[];
  constructor(words: ArrayLike<number>) { this.s = Array.from(words, (x) => x >>> 0); }
  static fromSeed(seed: bigint, stream = 0n): RefXoshiro {
    const [z1, z2] = refSplitMix64((seed + stream * 0xd1b54a32d192ed03n) & M64, 2);
    return new RefXoshiro([Number(z1 & 0xffffffffn), Number(z1 >> 32n), Number(z2 & 0xffffffffn), Number(z2 >> 32n)]);
  }
  next(): number {
    const s = this.s;
    const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** 53-bit uniform in [0,1): top 27 bits of one output, top 26 of the next */
  double(): number {
    const a = this.next() >>> 5, b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

export interface RefDist {
  /** probabilities of the final distribution (0 outside the kept set); greedy: one-hot */
  q: Float64Array;
  /** raw log-softmax of the logits as given */
  rawLogSoftmax: Float64Array;
  /** the processed f32 logits */
  y: Float64Array;
  /** smallest distance of any truncation decision to its threshold (relative): tiny = ambiguous */
  margin: number;
}

const f = Math.fround;

export function logSoftmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  let z = 0;
  for (let i = 0; i < x.length; i++) z += Math.exp(x[i] - m);
  const lz = m + Math.log(z);
  return Float64Array.from(x, (v) => v - lz);
}

export function refDistribution(logits: ArrayLike<number>, cfg: SampleConfig, history: ArrayLike<number> = []): RefDist {
  const V = logits.length;
  const T = cfg.temperature ?? 1, k = cfg.topK ?? 0, p = cfg.topP ?? 1, minP = cfg.minP ?? 0;
  const rp = cfg.repetitionPenalty ?? 1, fp = cfg.frequencyPenalty ?? 0, pp = cfg.presencePenalty ?? 0;
  const v = Float64Array.from(logits, (x) => f(x));
  const count = new Map<number, number>();
  if (rp !== 1 || fp !== 0 || pp !== 0) for (let j = 0; j < history.length; j++) count.set(history[j], (count.get(history[j]) ?? 0) + 1);
  for (const [t, c] of count) {
    let x = v[t];
    if (rp !== 1) x = x > 0 ? f(x / f(rp)) : f(x * f(rp));
    x = f(f(x - f(f(c) * f(fp))) - f(pp));
    v[t] = x;
  }
  const rawLogSoftmax = logSoftmax(Float64Array.from(logits, (x) => f(x)));
  const q = new Float64Array(V);
  if (T === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (v[i] > v[best]) best = i;
    q[best] = 1;
    return { q, rawLogSoftmax, y: v, margin: Infinity };
  }
  const y = Float64Array.from(v, (x) => (T === 1 ? x : f(x / f(T))));
  const keep = new Uint8Array(V).fill(1);
  let margin = Infinity;
  if (k > 0 && k < V) {
    const sorted = Array.from(y).sort((a, b) => b - a);
    const thr = sorted[k - 1];
    for (let i = 0; i < V; i++) if (y[i] < thr) keep[i] = 0;
  }
  let m = -Infinity;
  for (let i = 0; i < V; i++) m = Math.max(m, y[i]);
  const w = Float64Array.from(y, (x, i) => (keep[i] ? Math.exp(x - m) : 0));
  let Z = w.reduce((a, b) => a + b, 0);
  if (p < 1) {
    const kept = Array.from(w.keys()).filter((i) => w[i] > 0).sort((a, b) => y[b] - y[a]);
    // mass strictly above each value, ties sharing it
    let above = 0;
    for (let a = 0; a < kept.length;) {
      let b = a, tie = 0;
      while (b < kept.length && y[kept[b]] === y[kept[a]]) { tie += w[kept[b]] / Z; b++; }
      const keepTies = p <= 0 ? a === 0 : above < f(p);
      if (p > 0) margin = Math.min(margin, Math.abs(above - f(p)));
      if (!keepTies) for (let c = a; c < b; c++) keep[kept[c]] = 0;
      above += tie;
      a = b;
    }
    for (let i = 0; i < V; i++) if (!keep[i]) w[i] = 0;
  }
  if (minP > 0) {
    for (let i = 0; i < V; i++) {
      if (w[i] === 0) continue;
      margin = Math.min(margin, Math.abs(w[i] - f(minP)) / f(minP));
      if (w[i] < f(minP)) w[i] = 0;
    }
  }
  Z = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < V; i++) q[i] = w[i] / Z;
  return { q, rawLogSoftmax, y, margin };
}

/** Inverse-CDF draw in index order: the first i with Σ_{j≤i} q_j > u; also the distance of u to the nearest CDF step. */
export function refDraw(q: ArrayLike<number>, u: number): { token: number; gap: number } {
  let acc = 0, prev = 0;
  for (let i = 0; i < q.length; i++) {
    if (q[i] === 0) continue;
    prev = acc;
    acc += q[i];
    if (acc > u) return { token: i, gap: Math.min(u - prev, acc - u) };
  }
  let last = q.length - 1;
  while (q[last] === 0) last--;
  return { token: last, gap: 0 };
}
