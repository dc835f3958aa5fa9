// Activations vs float64 references on awkward sizes, over a wide input range (|x| up to 12,
// where σ saturates and a tanh via sinh/cosh overflows).
import { AWKWARD, expectClose, type KernelCase } from '../harness.js';
import { geluGradRef, geluRef, siluGradRef, siluRef } from '../ref/activation.js';

const sizes = [...AWKWARD, 1000, 70001];

export const cases: KernelCase[] = [
  ...sizes.map((n): KernelCase => ({
    name: `silu/gelu + backward n=${n}`,
    async run({ be, rng, input, out, read }) {
      const x = rng.f32(n, { std: 4 });
      if (n >= 3) { x[0] = 12; x[1] = -12; x[2] = 0; }
      const dout = rng.f32(n);
      const tx = input(x, [n]), td = input(dout, [n]);
      const s = out([n]), g = out([n]), ds = out([n]), dg = out([n]);
      be.silu(s, tx); be.gelu(g, tx);
      be.siluBackward(ds, tx, td); be.geluBackward(dg, tx, td);
      expectClose(await read(s), Array.from(x, siluRef), 1e-5, 'silu');
      expectClose(await read(g), Array.from(x, geluRef), 1e-5, 'gelu');
      expectClose(await read(ds), Array.from(x, (v, i) => dout[i] * siluGradRef(v)), 1e-5, 'siluBackward');
      expectClose(await read(dg), Array.from(x, (v, i) => dout[i] * geluGradRef(v)), 1e-5, 'geluBackward');
    },
  })),
  ...sizes.map((n): KernelCase => ({
    name: `swiglu + backward n=${n}`,
    async run({ be, rng, input, out, read }) {
      const gate = rng.f32(n, { std: 4 }), up = rng.f32(n), dout = rng.f32(n);
      if (n >= 2) { gate[0] = 15; gate[1] = -15; }
      const tg = input(gate, [n]), tu = input(up, [n]);
      const o = out([n]), dgate = out([n]), dup = out([n]);
      be.swiglu(o, tg, tu);
      be.swigluBackward(dgate, dup, input(dout, [n]), tg, tu);
      expectClose(await read(o), Array.from(gate, (g, i) => siluRef(g) * up[i]), 1e-5, 'swiglu');
      expectClose(await read(dgate), Array.from(gate, (g, i) => dout[i] * up[i] * siluGradRef(g)), 1e-5, 'swiglu dgate');
      expectClose(await read(dup), Array.from(gate, (g, i) => dout[i] * siluRef(g)), 1e-5, 'swiglu dup');
    },
  })),
  {
    name: 'activations reject mismatched sizes and in-place use',
    async run({ be, out }) {
      const x = out([10]);
      const bad: [string, () => void][] = [
        ['silu out of 9', () => be.silu(out([9]), x)],
        ['swiglu up of 11', () => be.swiglu(out([10]), x, out([11]))],
        ['gelu in place', () => be.gelu(x, x)],
        ['swigluBackward dgate = dup', () => { const d = out([10]); be.swigluBackward(d, d, out([10]), x, out([10])); }],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    },
  },
];
