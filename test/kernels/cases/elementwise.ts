// Elementwise ops vs float64 references.
import { AWKWARD, expectClose, type KernelCase } from '../harness.js';

const sizes = [...AWKWARD, 1000, 70001];

export const cases: KernelCase[] = [
  ...sizes.map((n): KernelCase => ({
    name: `add/mul/scale/axpy n=${n}`,
    async run({ rng, input, out, read, be }) {
      const a = rng.f32(n), b = rng.f32(n);
      const ta = input(a, [n]), tb = input(b, [n]);
      const s = rng.uniform(-2, 2);
      const o1 = out([n]), o2 = out([n]), o3 = out([n]);
      be.add(o1, ta, tb); be.mul(o2, ta, tb); be.scale(o3, ta, s);
      const y = input(b.slice(), [n]);
      be.axpy(y, ta, s);
      expectClose(await read(o1), Array.from(a, (v, i) => v + b[i]), 1e-6, 'add');
      expectClose(await read(o2), Array.from(a, (v, i) => v * b[i]), 1e-6, 'mul');
      expectClose(await read(o3), Array.from(a, (v) => v * Math.fround(s)), 1e-6, 'scale');
      // axpy rounds s·a before the sum (FMA builds do not): relative to the terms' size, not to a
      // sum that may cancel (n = 1 with b ≈ −s·a once gave 1.2e-6 of a small result)
      const terms = a.reduce((m, v, i) => Math.max(m, Math.abs(b[i]) + Math.abs(Math.fround(s) * v)), 0);
      expectClose(await read(y), Array.from(a, (v, i) => b[i] + Math.fround(s) * v), 1e-6, 'axpy', terms);
    },
  })),
  {
    name: 'fill and copy with offsets',
    async run({ rng, input, out, read, be }) {
      const n = 67, src = rng.f32(n);
      const ts = input(src, [n]);
      const dst = out([100]);
      be.fill(dst, 2.5);
      be.copy(dst, ts, { srcOffset: 3, dstOffset: 17, count: 61 });
      const want = new Float64Array(100).fill(2.5);
      for (let i = 0; i < 61; i++) want[17 + i] = src[3 + i];
      expectClose(await read(dst), want, 0, 'copy');
      const whole = out([n]);
      be.copy(whole, ts);
      expectClose(await read(whole), src, 0, 'copy whole');
    },
  },
];
