// RMSNorm and LayerNorm, forward and backward, vs float64 references: awkward shapes, rows
// with a large mean and a small spread (mean 100, std 0.1: a one-pass E[x²]−E[x]² variance is
// off by ~10% there), and dw/db pre-filled with random values to check that they accumulate.
//
// Tolerances: 1e-5, except (a) the LayerNorm backward of rows of mean 100 and std 0.1: it
// must use the saved f32 mean, rounded by up to 2⁻²⁴·100 ≈ 6e-6 = 6e-5 of the spread, so
// 2e-4 there (the forward works from x − x[0] and keeps 1e-5); (b) dx is judged against the
// size of the terms that cancel in it (rstd·|dout·w|): for C = 1 RMSNorm,
// dx = k·g·eps/(x²+eps) is a tiny difference no f32 kernel resolves to 1e-5 of itself.
import { expectClose, type CaseContext, type KernelCase } from '../harness.js';
import { layernormBackwardRef, layernormRef, rmsnormBackwardRef, rmsnormRef } from '../ref/norm.js';

// 2049 columns take the 256-thread variant; 200 and 1000 rows take the two-stage dw/db sums
const shapes: [number, number][] = [[1, 1], [3, 3], [17, 17], [63, 63], [65, 65], [3, 257], [17, 2049], [200, 17], [1000, 65]];

function inputs(c: CaseContext, rows: number, cols: number, offset: number) {
  const { rng } = c;
  const x = rng.f32(rows * cols);
  if (offset) for (let i = 0; i < x.length; i++) x[i] = Math.fround(offset + 0.1 * x[i]);
  const w = rng.f32(cols, { lo: 0.5, hi: 1.5 });
  const b = rng.f32(cols, { std: 0.5 });
  const dout = rng.f32(rows * cols);
  const dwPrior = rng.f32(cols), dbPrior = rng.f32(cols);
  return { x, w, b, dout, dwPrior, dbPrior };
}

/** root mean square of all values */
function rootMeanSquare(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / x.length);
}

/** max over elements of rstd·|dout·w|: the size of the terms that cancel in dx */
function termScale(dout: ArrayLike<number>, w: ArrayLike<number>, rstd: ArrayLike<number>, cols: number): number {
  let m = 0;
  for (let i = 0; i < dout.length; i++) m = Math.max(m, rstd[Math.floor(i / cols)] * Math.abs(dout[i] * w[i % cols]));
  return m;
}

const rms = (rows: number, cols: number, offset = 0): KernelCase => ({
  name: `rmsnorm + backward ${rows}x${cols}${offset ? ` mean ${offset}` : ''}`,
  async run(c) {
    const { be, input, out, read } = c;
    const eps = 1e-5;
    const { x, w, dout, dwPrior } = inputs(c, rows, cols, offset);
    const tx = input(x, [rows, cols]), tw = input(w, [cols]);
    const y = out([rows, cols]), rstd = out([rows]);
    be.rmsnorm(y, rstd, tx, tw, eps);
    const ref = rmsnormRef(x, w, eps, rows, cols);
    expectClose(await read(y), ref.out, 1e-5, 'rmsnorm out');
    expectClose(await read(rstd), ref.rstd, 1e-5, 'rmsnorm rstd');
    const dx = out([rows, cols]);
    const dw = input(dwPrior, [cols]);
    be.rmsnormBackward(dx, dw, input(dout, [rows, cols]), tx, tw, rstd);
    const g = rmsnormBackwardRef(dout, x, w, eps, rows, cols);
    expectClose(await read(dx), g.dx, 1e-5, 'rmsnorm dx', termScale(dout, w, ref.rstd, cols));
    expectClose(await read(dw), Array.from(g.dw, (v, i) => v + dwPrior[i]), 1e-5, 'rmsnorm dw (accumulated)');
  },
});

const ln = (rows: number, cols: number, offset = 0): KernelCase => ({
  name: `layernorm + backward ${rows}x${cols}${offset ? ` mean ${offset}` : ''}`,
  async run(c) {
    const { be, input, out, read } = c;
    const eps = 1e-5;
    const { x, w, b, dout, dwPrior, dbPrior } = inputs(c, rows, cols, offset);
    const tx = input(x, [rows, cols]), tw = input(w, [cols]), tb = input(b, [cols]);
    const y = out([rows, cols]), mean = out([rows]), rstd = out([rows]);
    be.layernorm(y, mean, rstd, tx, tw, tb, eps);
    const ref = layernormRef(x, w, b, eps, rows, cols);
    expectClose(await read(y), ref.out, 1e-5, 'layernorm out');
    // the mean of zero-centred rows is a small difference: judged against the rows' RMS
    expectClose(await read(mean), ref.mean, 1e-5, 'layernorm mean', rootMeanSquare(x));
    expectClose(await read(rstd), ref.rstd, 1e-5, 'layernorm rstd');
    const dx = out([rows, cols]);
    const dw = input(dwPrior, [cols]), db = input(dbPrior, [cols]);
    be.layernormBackward(dx, dw, db, input(dout, [rows, cols]), tx, tw, mean, rstd);
    const g = layernormBackwardRef(dout, x, w, eps, rows, cols);
    const tol = offset ? 2e-4 : 1e-5;
    expectClose(await read(dx), g.dx, tol, 'layernorm dx', termScale(dout, w, ref.rstd, cols));
    expectClose(await read(dw), Array.from(g.dw, (v, i) => v + dwPrior[i]), tol, 'layernorm dw (accumulated)');
    expectClose(await read(db), Array.from(g.db, (v, i) => v + dbPrior[i]), 1e-5, 'layernorm db (accumulated)');
  },
});

export const cases: KernelCase[] = [
  ...shapes.map(([r, c]) => rms(r, c)),
  ...shapes.map(([r, c]) => ln(r, c)),
  rms(17, 257, 100),
  ln(17, 257, 100),
  ln(200, 63, 100),
  {
    name: 'norms reject a wrong weight size, a negative eps and in-place use',
    async run({ be, out }) {
      const x = out([4, 6]);
      const bad: [string, () => void][] = [
        ['rmsnorm w of 5', () => be.rmsnorm(out([4, 6]), out([4]), x, out([5]), 1e-5)],
        ['rmsnorm rstd of 3', () => be.rmsnorm(out([4, 6]), out([3]), x, out([6]), 1e-5)],
        ['layernorm eps -1', () => be.layernorm(out([4, 6]), out([4]), out([4]), x, out([6]), out([6]), -1)],
        ['layernorm b of 4', () => be.layernorm(out([4, 6]), out([4]), out([4]), x, out([6]), out([4]), 1e-5)],
        ['rmsnorm in place', () => be.rmsnorm(x, out([4]), x, out([6]), 1e-5)],
        ['layernormBackward db of 5', () => be.layernormBackward(out([4, 6]), out([6]), out([5]), out([4, 6]), x, out([6]), out([4]), out([4]))],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError'; }
        if (!threw) throw new Error(`${what}: no ShapeError`);
      }
    },
  },
];
