// Reductions vs float64 references: sumSquares and sumRows (plain and accumulating into a
// random pre-filled output), seqSum and its backward, on awkward sizes and sizes that take
// the two-stage path (sumSquares beyond 2048 elements, sumRows beyond 127 rows).
import { AWKWARD, expectClose, type KernelCase } from '../harness.js';

const ssSizes = [...AWKWARD, 2049, 70001, 300001];
const rowShapes: [number, number][] = [[1, 1], [3, 17], [17, 3], [63, 65], [65, 63], [1, 257], [257, 5], [1000, 17], [4099, 3]];
const seqShapes: [number, number][] = [[1, 1], [3, 17], [17, 3], [63, 65], [65, 63], [2, 257], [3, 2049]];

export const cases: KernelCase[] = [
  ...ssSizes.map((n): KernelCase => ({
    name: `sumSquares n=${n} (plain and accumulate)`,
    async run({ be, rng, input, out, read }) {
      const x = rng.f32(n);
      let want = 0;
      for (let i = 0; i < n; i++) want += x[i] * x[i];
      const tx = input(x, [n]);
      const o = out([1]);
      be.sumSquares(o, tx);
      // a sum of n positive terms: f32 partial sums lose ~ (n / threads)·2⁻²⁴ relative
      expectClose(await read(o), [want], 1e-5, 'sumSquares');
      const prior = rng.uniform(0, 5);
      const acc = input(Float32Array.of(prior), [1]);
      be.sumSquares(acc, tx, { accumulate: true });
      expectClose(await read(acc), [Math.fround(prior) + want], 1e-5, 'sumSquares accumulate');
    },
  })),
  ...rowShapes.map(([rows, cols]): KernelCase => ({
    name: `sumRows ${rows}x${cols} (plain and accumulate)`,
    async run({ be, rng, input, out, read }) {
      const x = rng.f32(rows * cols);
      const want = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c] += x[r * cols + c];
      const tx = input(x, [rows, cols]);
      const o = out([cols]);
      be.sumRows(o, tx);
      expectClose(await read(o), want, 1e-5, 'sumRows');
      const prior = rng.f32(cols);
      const acc = input(prior, [cols]);
      be.sumRows(acc, tx, { accumulate: true });
      expectClose(await read(acc), Array.from(want, (w, c) => w + prior[c]), 1e-5, 'sumRows accumulate');
    },
  })),
  ...seqShapes.map(([B, T]): KernelCase => ({
    name: `seqSum + backward ${B}x${T}`,
    async run({ be, rng, input, out, read }) {
      const x = rng.f32(B * T);
      const mask = Float32Array.from({ length: B * T }, () => (rng.next() < 0.6 ? 1 : 0));
      if (B > 1) mask.fill(0, T, 2 * T); // a sequence with nothing unmasked
      // masked positions hold NaN/±Inf (padding may): they must never reach the sum
      for (let i = 0; i < B * T; i++) if (!mask[i]) x[i] = [NaN, Infinity, -Infinity][i % 3];
      const want = new Float64Array(B);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (mask[b * T + t]) want[b] += x[b * T + t] * mask[b * T + t];
      const tx = input(x, [B, T]), tm = input(mask, [B, T]);
      const o = out([B]);
      be.seqSum(o, tx, tm);
      const got = await read(o);
      expectClose(got, want, 1e-5, 'seqSum');
      if (B > 1 && got[1] !== 0) throw new Error(`seqSum of a fully masked sequence is ${got[1]}, expected 0`);
      const dout = rng.f32(B);
      const dx = out([B, T]);
      be.seqSumBackward(dx, input(dout, [B]), tm);
      expectClose(await read(dx), Array.from(mask, (m, i) => dout[Math.floor(i / T)] * m), 0, 'seqSumBackward');
    },
  })),
  {
    name: 'reductions reject mismatched shapes and aliasing',
    async run({ be, out }) {
      const x = out([6, 4]);
      const bad: [string, () => void][] = [
        ['sumRows with out of 5', () => be.sumRows(out([5]), x)],
        ['sumSquares with out of 2', () => be.sumSquares(out([2]), x)],
        ['seqSum with mask of 23', () => be.seqSum(out([6]), x, out([23]))],
        ['seqSumBackward with dout of 5', () => be.seqSumBackward(out([6, 4]), out([5]), x)],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    },
  },
];
