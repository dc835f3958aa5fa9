// attentionCached and kvWrite vs float64 references: GQA, padding masks, chunked prefill
// (Tq > 1 with a start offset), decode (Tq = 1), awkward head dims.
import { expectClose, type KernelCase } from '../harness.js';

function refCached(q: Float32Array, kc: Float32Array, vc: Float32Array, mask: Int32Array | null, B: number, Tq: number, S: number, start: number, H: number, KH: number, D: number, scale: number,
  window?: number, softcap?: number): Float64Array {
  const out = new Float64Array(B * Tq * H * D);
  for (let b = 0; b < B; b++) for (let i = 0; i < Tq; i++) for (let h = 0; h < H; h++) {
    const kh = Math.floor(h / (H / KH));
    const s: number[] = [], js: number[] = [];
    for (let j = 0; j <= Math.min(start + i, S - 1); j++) {
      if (mask && !mask[b * S + j]) continue;
      if (window !== undefined && start + i - j >= window) continue;
      let d0 = 0;
      for (let d = 0; d < D; d++) d0 += q[((b * Tq + i) * H + h) * D + d] * kc[((b * S + j) * KH + kh) * D + d];
      s.push(softcap !== undefined ? softcap * Math.tanh((d0 * scale) / softcap) : d0 * scale); js.push(j);
    }
    if (!s.length) continue;
    const mx = Math.max(...s);
    const e = s.map((x) => Math.exp(x - mx)), den = e.reduce((x, y) => x + y, 0);
    js.forEach((j, n) => {
      for (let d = 0; d < D; d++) out[((b * Tq + i) * H + h) * D + d] += (e[n] / den) * vc[((b * S + j) * KH + kh) * D + d];
    });
  }
  return out;
}

const shapes: { B: number; Tq: number; S: number; start: number; H: number; KH: number; D: number; mask: boolean; window?: number; softcap?: number }[] = [
  { B: 1, Tq: 1, S: 1, start: 0, H: 1, KH: 1, D: 3, mask: false },
  { B: 2, Tq: 1, S: 17, start: 9, H: 4, KH: 2, D: 16, mask: true },
  { B: 3, Tq: 5, S: 20, start: 3, H: 3, KH: 1, D: 20, mask: true },
  { B: 2, Tq: 7, S: 7, start: 0, H: 2, KH: 2, D: 64, mask: false },
  { B: 1, Tq: 1, S: 65, start: 64, H: 2, KH: 1, D: 128, mask: true },
  // Gemma-2's sliding window and soft cap: decode and chunked prefill
  { B: 2, Tq: 1, S: 17, start: 9, H: 4, KH: 2, D: 16, mask: true, window: 4, softcap: 0.5 },
  { B: 3, Tq: 5, S: 20, start: 3, H: 3, KH: 1, D: 20, mask: true, window: 3, softcap: 2 },
  { B: 1, Tq: 7, S: 7, start: 0, H: 2, KH: 2, D: 8, mask: false, window: 1 },
];

export const cases: KernelCase[] = [
  ...shapes.map((c): KernelCase => ({
    name: `attentionCached B${c.B} Tq${c.Tq} S${c.S} start${c.start} H${c.H}/${c.KH} D${c.D}${c.mask ? ' masked' : ''}${'window' in c ? ` window=${c.window}` : ''}${'softcap' in c ? ` softcap=${c.softcap}` : ''}`,
    async run({ rng, input, out, read, be }) {
      const { B, Tq, S, start, H, KH, D } = c;
      const q = rng.f32(B * Tq * H * D), kc = rng.f32(B * S * KH * D), vc = rng.f32(B * S * KH * D);
      let mask: Int32Array | null = null;
      if (c.mask) {
        mask = new Int32Array(B * S).fill(1);
        // left padding of a different length per row; the last row fully padded up to its first query
        for (let b = 0; b < B; b++) for (let j = 0; j < Math.min(S, b * 2 + 1); j++) mask[b * S + j] = 0;
        if (B > 2) for (let j = 0; j <= start; j++) mask[(B - 1) * S + j] = 0;
      }
      const scale = 0.37;
      const o = out([B * Tq * H * D]);
      be.attentionCached(o, input(q, [q.length]), input(kc, [kc.length]), input(vc, [vc.length]), {
        batch: B, queries: Tq, slots: S, start, heads: H, kvHeads: KH, headDim: D, scale,
        keyMask: mask ? input(mask, [B * S]) : undefined, window: c.window, softcap: c.softcap,
      });
      expectClose(await read(o), refCached(q, kc, vc, mask, B, Tq, S, start, H, KH, D, scale, c.window, c.softcap), 1e-5, 'attentionCached');
    },
  })),
  {
    name: 'kvWrite appends rows at an offset and leaves the rest',
    async run({ rng, input, read, be }) {
      const B = 3, S = 11, Tq = 4, start = 6, R = 13;
      const cache0 = rng.f32(B * S * R), x = rng.f32(B * Tq * R);
      const cache = input(cache0.slice(), [B * S * R]);
      be.kvWrite(cache, input(x, [x.length]), { batch: B, queries: Tq, slots: S, start, rowSize: R });
      const want = Float64Array.from(cache0);
      for (let b = 0; b < B; b++) for (let t = 0; t < Tq; t++) for (let c = 0; c < R; c++) want[(b * S + start + t) * R + c] = x[(b * Tq + t) * R + c];
      expectClose(await read(cache), want, 0, 'kvWrite');
    },
  },
];
