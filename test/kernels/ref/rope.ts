// Float64 reference for rotary position embedding (the op's contract in src/kernels/backend.ts).
// Angles follow Hugging Face's f32 recipe: inv_freq[i] = f32(1 / f32(theta^f32(2i/rd))) and
// angle = f32(f32(position) * inv_freq[i]) (LongRoPE: inv_freq[i] = f32(1 / f32(factor[i] ·
// f32(theta^f32(2i/rd)))), cos and sin times `scale`; the rotation itself is done in float64.
export interface RopeRefOptions {
  batch: number; seq: number; heads: number; headDim: number;
  theta: number; rotaryDim?: number; layout: 'half' | 'interleaved'; inverse?: boolean;
  /** LongRoPE: per-frequency divisors and the cos/sin scale */
  freqFactors?: Float32Array; scale?: number;
}

export function hfInvFreq(theta: number, rd: number, factors?: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < rd; i += 2) {
    const pw = Math.fround(theta ** Math.fround(i / rd));
    out.push(Math.fround(1 / (factors ? Math.fround(factors[i / 2] * pw) : pw)));
  }
  return out;
}

/** x (B,T,H,D), positions (B*T) → rotated (B,T,H,D) */
export function ropeRef(x: ArrayLike<number>, positions: ArrayLike<number>, o: RopeRefOptions): Float64Array {
  const { batch: B, seq: T, heads: H, headDim: D } = o;
  const rd = o.rotaryDim ?? D;
  const invf = hfInvFreq(o.theta, rd, o.freqFactors);
  const sc = o.scale ?? 1;
  const y = Float64Array.from(x);
  for (let n = 0; n < B * T; n++) {
    const pos = Math.fround(positions[n]);
    for (let h = 0; h < H; h++) {
      const base = (n * H + h) * D;
      for (let i = 0; i < rd / 2; i++) {
        const a = Math.fround(pos * invf[i]);
        const c = sc * Math.cos(a), s = sc * (o.inverse ? -1 : 1) * Math.sin(a);
        const j1 = o.layout === 'half' ? base + i : base + 2 * i;
        const j2 = o.layout === 'half' ? base + i + rd / 2 : j1 + 1;
        y[j1] = x[j1] * c - x[j2] * s;
        y[j2] = x[j2] * c + x[j1] * s;
      }
    }
  }
  return y;
}
