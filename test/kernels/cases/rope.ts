// RoPE vs the float64 reference (test/kernels/ref/rope.ts) and vs PyTorch (HF recipe, fixture);
// partial rotary and LongRoPE (per-frequency factors, cos/sin scale) included.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectClose, type KernelCase } from '../harness.js';
import { ropeRef, type RopeRefOptions } from '../ref/rope.js';

const TOL = 1e-6; // measured max ≈ 3e-7 (positions to 131072); the contract asks ≤ 1e-4
type Shape = Omit<RopeRefOptions, 'inverse'> & { posMax: number; posMin?: number };

const shapes: Shape[] = [
  { batch: 1, seq: 1, heads: 1, headDim: 2, theta: 10000, layout: 'half', posMax: 1 },
  { batch: 2, seq: 3, heads: 3, headDim: 8, theta: 10000, layout: 'half', posMax: 64 },
  { batch: 2, seq: 3, heads: 3, headDim: 8, theta: 10000, layout: 'interleaved', posMax: 64 },
  { batch: 1, seq: 17, heads: 2, headDim: 20, theta: 10000, layout: 'half', rotaryDim: 12, posMax: 4096, posMin: -40 },
  { batch: 1, seq: 17, heads: 2, headDim: 20, theta: 10000, layout: 'interleaved', rotaryDim: 6, posMax: 4096, posMin: -40 },
  { batch: 3, seq: 5, heads: 1, headDim: 7, theta: 10000, layout: 'half', rotaryDim: 4, posMax: 300 },
  { batch: 2, seq: 33, heads: 4, headDim: 64, theta: 500000, layout: 'half', posMax: 131072 },
  { batch: 1, seq: 9, heads: 3, headDim: 128, theta: 1e6, layout: 'interleaved', rotaryDim: 64, posMax: 32768 },
  { batch: 1, seq: 65, heads: 2, headDim: 16, theta: 10000, layout: 'half', posMax: 100000 },
  // Phi-3 fixture shapes (partial_rotary_factor 0.4 of head_dim 10) and Phi-4-mini's (0.75 of 128)
  { batch: 3, seq: 17, heads: 3, headDim: 10, theta: 10000, layout: 'half', rotaryDim: 4, posMax: 4096, posMin: -3 },
  { batch: 1, seq: 5, heads: 3, headDim: 128, theta: 10000, layout: 'half', rotaryDim: 96, posMax: 131072 },
  // LongRoPE (Phi-3.5-mini: head_dim 96, short factors in [1, 3], attention factor 1.19; positions
  // within original_max_position_embeddings 4096), with partial rotary, and interleaved
  { batch: 2, seq: 17, heads: 3, headDim: 96, theta: 10000, layout: 'half', freqFactors: factors(48, 1, 3, 1), scale: 1.1902380714238083, posMax: 4096 },
  { batch: 3, seq: 5, heads: 2, headDim: 10, theta: 10000, layout: 'half', rotaryDim: 6, freqFactors: factors(3, 1, 60, 2), scale: 0.83, posMax: 4096, posMin: -7 },
  { batch: 1, seq: 9, heads: 1, headDim: 12, theta: 500000, layout: 'interleaved', freqFactors: factors(6, 0.5, 4, 3), scale: 1.5, posMax: 2000 },
];

/** n LongRoPE-style factors in [lo, hi], increasing with the dimension, f32 (deterministic) */
function factors(n: number, lo: number, hi: number, k: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + (hi - lo) * ((i + 0.37 * k) % n) / n);
}

function describe(s: Shape): string {
  return `B${s.batch} T${s.seq} H${s.heads} D${s.headDim} rd${s.rotaryDim ?? s.headDim} ${s.layout} theta=${s.theta} pos<${s.posMax}${s.freqFactors ? ` longrope scale=${s.scale}` : ''}`;
}

export const cases: KernelCase[] = [
  ...shapes.map((s): KernelCase => ({
    name: `rope fwd + inverse ${describe(s)}`,
    async run({ rng, input, out, read, be }) {
      const n = s.batch * s.seq * s.heads * s.headDim;
      const x = rng.f32(n);
      const pos = rng.i32(s.batch * s.seq, s.posMin ?? 0, s.posMax);
      const tx = input(x, [s.batch, s.seq, s.heads, s.headDim]), tp = input(pos, [s.batch * s.seq]);
      const y = out([s.batch, s.seq, s.heads, s.headDim]);
      be.rope(y, tx, tp, s);
      const back = out([s.batch, s.seq, s.heads, s.headDim]);
      be.rope(back, y, tp, { ...s, inverse: true });
      const inv = out([s.batch, s.seq, s.heads, s.headDim]);
      be.rope(inv, tx, tp, { ...s, inverse: true });
      const gy = await read(y);
      expectClose(gy, ropeRef(x, pos, s), TOL, 'rope forward');
      // inverse of the device's own output must give back x (R^-1 R = I); with a LongRoPE scale s
      // the inverse is the transpose (s·R)^T, so the rotated dims come back times s²
      const s2 = (s.scale ?? 1) ** 2, rd = s.rotaryDim ?? s.headDim;
      const xBack = Float64Array.from(x, (v, i) => (i % s.headDim < rd ? v * s2 : v));
      expectClose(await read(back), xBack, TOL, 'rope inverse(forward(x))');
      expectClose(await read(inv), ropeRef(x, pos, { ...s, inverse: true }), TOL, 'rope inverse');
    },
  })),
  {
    name: 'rope backward = transpose: <rope(x), g> == <x, rope_inverse(g)>',
    async run({ rng, input, out, read, be }) {
      // with LongRoPE's factors and scale: the backward (inverse) is the transpose of s·R
      const s: Shape = { batch: 2, seq: 5, heads: 3, headDim: 10, rotaryDim: 8, theta: 10000, layout: 'half', posMax: 2000, freqFactors: factors(4, 1, 5, 4), scale: 1.3 };
      const n = 2 * 5 * 3 * 10;
      const x = rng.f32(n), g = rng.f32(n), pos = rng.i32(10, 0, 2000);
      const tp = input(pos, [10]);
      const y = out([n]), dx = out([n]);
      be.rope(y, input(x, [n]), tp, s);
      be.rope(dx, input(g, [n]), tp, { ...s, inverse: true });
      const gy = await read(y), gdx = await read(dx);
      let a = 0, b = 0, scale = 0;
      for (let i = 0; i < n; i++) { a += gy[i] * g[i]; b += x[i] * gdx[i]; scale += Math.abs(x[i] * g[i]); }
      expectClose([a], [b], TOL * scale / Math.max(Math.abs(b), 1e-30), 'adjoint identity');
    },
  },
  {
    name: 'rope matches PyTorch (HF rotate_half and Meta interleaved, positions to 31000)',
    async run({ input, out, read, be }) {
      const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/rope-hf.json');
      const fx = JSON.parse(fs.readFileSync(file, 'utf8'));
      const { batch, seq, heads, headDim } = fx;
      const tx = input(Float32Array.from(fx.x), [batch, seq, heads, headDim]);
      const tp = input(Int32Array.from(fx.positions), [batch * seq]);
      for (const c of fx.cases) {
        const o = { batch, seq, heads, headDim, theta: c.theta, rotaryDim: c.rotaryDim, layout: c.layout };
        const y = out([batch, seq, heads, headDim]);
        be.rope(y, tx, tp, o);
        expectClose(await read(y), c.out, TOL, `rope vs torch ${c.layout} theta=${c.theta} rd=${c.rotaryDim}`);
      }
    },
  },
  {
    name: 'rope rejects bad options with a clear error',
    async run({ input, out, be }) {
      const x = input(new Float32Array(24), [1, 2, 2, 6]), p = input(new Int32Array(2), [2]);
      const y = out([1, 2, 2, 6]);
      const base = { batch: 1, seq: 2, heads: 2, headDim: 6, theta: 10000, layout: 'half' as const };
      const bad: [object, RegExp][] = [
        [{ rotaryDim: 3 }, /rotaryDim=3 must be even/],
        [{ rotaryDim: 8 }, /rotaryDim=8/],
        [{ seq: 3 }, /x .*expected 36/],
        [{ layout: 'zigzag' }, /layout "zigzag"/],
        [{ theta: 0 }, /theta=0/],
        [{ freqFactors: new Float32Array(2).fill(1) }, /freqFactors must be a Float32Array of rotaryDim\/2 = 3 values, got 2/],
        [{ freqFactors: Float32Array.from([1, 0, 1]) }, /freqFactors must be positive/],
        [{ scale: -1 }, /scale=-1/],
      ];
      for (const [o, re] of bad) {
        let msg = '';
        try { be.rope(y, x, p, { ...base, ...o } as any); } catch (e) { msg = (e as Error).message; }
        if (!re.test(msg)) throw new Error(`expected an error matching ${re} for ${JSON.stringify(o)}, got "${msg}"`);
      }
    },
  },
];
