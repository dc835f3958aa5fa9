// Activations vs float64 references on awkward sizes, over a wide input range (x ~ N(0, 4²)
// plus ±12 and ±15, where σ saturates and a tanh via sinh/cosh overflows, and −5.5/−7.5 where
// ½x(1 + tanh u) cancels). Values below FLOOR in magnitude are
// judged absolutely: GELU of x < −9 is below 1e-38 and f32 flushes it to 0 (one-element
// tensors would otherwise be judged against that vanishing value alone).
import { AWKWARD, expectClose, type KernelCase } from '../harness.js';
import { geluErfGradRef, geluErfRef, geluGradRef, geluRef, siluGradRef, siluRef } from '../ref/activation.js';

const sizes = [...AWKWARD, 1000, 70001];
const FLOOR = 1e-6;

export const cases: KernelCase[] = [
  ...sizes.map((n): KernelCase => ({
    name: `silu/gelu + backward n=${n}`,
    async run({ be, rng, input, out, read }) {
      const x = rng.f32(n, { std: 4 });
      if (n >= 3) { x[0] = 12; x[1] = -12; x[2] = 0; }
      // −5.5 and −7.5: GELU is −1e-7 and −1e-17 there, where ½x(1 + tanh u) cancels to 0 in f32
      if (n >= 5) { x[3] = -5.5; x[4] = -7.5; }
      else x[n - 1] = -5.5;
      const dout = rng.f32(n);
      const tx = input(x, [n]), td = input(dout, [n]);
      const s = out([n]), g = out([n]), ds = out([n]), dg = out([n]);
      be.silu(s, tx); be.gelu(g, tx);
      be.siluBackward(ds, tx, td); be.geluBackward(dg, tx, td);
      expectClose(await read(s), Array.from(x, siluRef), 1e-5, 'silu', FLOOR);
      expectClose(await read(g), Array.from(x, geluRef), 1e-5, 'gelu', FLOOR);
      expectClose(await read(ds), Array.from(x, (v, i) => dout[i] * siluGradRef(v)), 1e-5, 'siluBackward', FLOOR);
      expectClose(await read(dg), Array.from(x, (v, i) => dout[i] * geluGradRef(v)), 1e-5, 'geluBackward', FLOOR);
    },
  })),
  ...sizes.map((n): KernelCase => ({
    name: `geluErf + backward n=${n}`,
    async run({ be, rng, input, out, read }) {
      const x = rng.f32(n, { std: 3 });
      // ±9: the Φ tails (x·Φ(−9) ≈ −1e-18); 0; −3.2: where the erfc fit is far from both ends
      if (n >= 4) { x[0] = 9; x[1] = -9; x[2] = 0; x[3] = -3.2; } else x[n - 1] = -3.2;
      const dout = rng.f32(n);
      const tx = input(x, [n]);
      const g = out([n]), dg = out([n]);
      be.geluErf(g, tx);
      be.geluErfBackward(dg, tx, input(dout, [n]));
      expectClose(await read(g), Array.from(x, geluErfRef), 1e-5, 'geluErf', FLOOR);
      expectClose(await read(dg), Array.from(x, (v, i) => dout[i] * geluErfGradRef(v)), 1e-5, 'geluErfBackward', FLOOR);
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
      expectClose(await read(o), Array.from(gate, (g, i) => siluRef(g) * up[i]), 1e-5, 'swiglu', FLOOR);
      expectClose(await read(dgate), Array.from(gate, (g, i) => dout[i] * up[i] * siluGradRef(g)), 1e-5, 'swiglu dgate', FLOOR);
      expectClose(await read(dup), Array.from(gate, (g, i) => dout[i] * siluRef(g)), 1e-5, 'swiglu dup', FLOOR);
    },
  })),
  ...sizes.map((n): KernelCase => ({
    name: `geglu + backward n=${n}`,
    async run({ be, rng, input, out, read }) {
      const gate = rng.f32(n, { std: 4 }), up = rng.f32(n), dout = rng.f32(n);
      if (n >= 3) { gate[0] = 15; gate[1] = -15; gate[2] = -5.5; }
      const tg = input(gate, [n]), tu = input(up, [n]);
      const o = out([n]), dgate = out([n]), dup = out([n]);
      be.geglu(o, tg, tu);
      be.gegluBackward(dgate, dup, input(dout, [n]), tg, tu);
      expectClose(await read(o), Array.from(gate, (g, i) => geluRef(g) * up[i]), 1e-5, 'geglu', FLOOR);
      expectClose(await read(dgate), Array.from(gate, (g, i) => dout[i] * up[i] * geluGradRef(g)), 1e-5, 'geglu dgate', FLOOR);
      expectClose(await read(dup), Array.from(gate, (g, i) => dout[i] * geluRef(g)), 1e-5, 'geglu dup', FLOOR);
    },
  })),
  ...sizes.map((n): KernelCase => ({
    name: `softcap + backward, out of place and in place, n=${n}`,
    async run({ be, rng, input, out, read }) {
      const cap = 2.5;
      // N(0, 4²) around a cap of 2.5 (most values bent, many saturated), ±1e4 (tanh = ±1), a tiny one
      const x = rng.f32(n, { std: 4 }), dy = rng.f32(n);
      if (n >= 3) { x[0] = 1e4; x[1] = -1e4; x[2] = 1e-4; }
      const want = Array.from(x, (v) => cap * Math.tanh(v / cap));
      const dwant = Array.from(x, (v, i) => dy[i] * (1 - Math.tanh(v / cap) ** 2));
      const tx = input(x, [n]), y = out([n]);
      be.softcap(y, tx, cap);
      const yIn = input(x.slice(), [n]);
      be.softcap(yIn, yIn, cap);
      const dx = out([n]), dyIn = input(dy.slice(), [n]);
      be.softcapBackward(dx, y, input(dy, [n]), cap);
      be.softcapBackward(dyIn, y, dyIn, cap);
      expectClose(await read(y), want, 1e-6, 'softcap');
      expectClose(await read(yIn), want, 1e-6, 'softcap in place');
      // 1 − (y/cap)² from the f32 output cancels where tanh saturates (as PyTorch's tanh backward
      // does, from its output too): judged against the gradient's own scale, max |dy|
      const dyMax = dy.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(await read(dx), dwant, 2e-6, 'softcapBackward', dyMax);
      expectClose(await read(dyIn), dwant, 2e-6, 'softcapBackward in place', dyMax);
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
        ['geluErf out of 9', () => be.geluErf(out([9]), x)],
        ['geluErfBackward in place', () => be.geluErfBackward(x, x, out([10]))],
        ['swigluBackward dgate = dup', () => { const d = out([10]); be.swigluBackward(d, d, out([10]), x, out([10])); }],
        ['geglu in place', () => be.geglu(x, x, out([10]))],
        ['softcap out of 9', () => be.softcap(out([9]), x, 1)],
        ['softcap cap 0', () => be.softcap(out([10]), x, 0)],
        ['softcapBackward dx = y', () => be.softcapBackward(x, x, out([10]), 1)],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    },
  },
];
