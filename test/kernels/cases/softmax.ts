// The softmax family vs float64 references: softmax, logSoftmax, softmaxBackward,
// tokenLogprobs (+ backward) on awkward shapes, large logits (±50) and ignored targets.
import { expectClose, type CaseContext, type KernelCase } from '../harness.js';
import { expectRowsClose } from '../ref/compare.js';
import { logSoftmaxRef, softmaxBackwardRef, softmaxRef, tokenLogprobsBackwardRef, tokenLogprobsRef } from '../ref/softmax.js';

// (rows, cols): every awkward size appears as rows and as cols; 2049 and 5003 take the
// 256-thread variant, the rest the 64-thread one.
const shapes: [number, number][] = [[1, 1], [3, 3], [17, 17], [63, 63], [65, 65], [1, 257], [17, 257], [65, 3], [3, 2049], [2, 5003]];

function logits(c: CaseContext, n: number, big: boolean): Float32Array {
  return big ? c.rng.f32(n, { lo: -50, hi: 50 }) : c.rng.f32(n, { std: 3 });
}

const rowCases = (big: boolean): KernelCase[] => shapes.map(([rows, cols]) => ({
  name: `softmax/logSoftmax/backward ${rows}x${cols}${big ? ' logits ±50' : ''}`,
  async run(c) {
    const { be, input, out, read, rng } = c;
    const x = logits(c, rows * cols, big);
    const tx = input(x, [rows, cols]);
    const y = out([rows, cols]), ly = out([rows, cols]);
    be.softmax(y, tx, cols);
    be.logSoftmax(ly, tx, cols);
    // softmax of f32 inputs: each row against its own largest probability
    const ySoft = softmaxRef(x, rows, cols);
    expectRowsClose(await read(y), ySoft, rows, cols, 1e-5, 'softmax');
    expectRowsClose(await read(ly), logSoftmaxRef(x, rows, cols), rows, cols, 1e-5, 'logSoftmax');
    // backward from the f32 softmax the kernel will be given
    const yf = Float32Array.from(ySoft), dy = rng.f32(rows * cols);
    const dx = out([rows, cols]);
    be.softmaxBackward(dx, input(yf, [rows, cols]), input(dy, [rows, cols]), cols);
    // dx = y(dy − Σ dy·y) cancels when one y ≈ 1 (peaked rows, ±50 logits): no f32 kernel
    // gets those tiny differences to 1e-5 of themselves, so each row is judged against the
    // size of the terms that cancel, max y·(|dy| + |Σ dy·y|)
    const gotDx = await read(dx), wantDx = softmaxBackwardRef(yf, dy, rows, cols);
    for (let r = 0; r < rows; r++) {
      let dot = 0, scale = 0;
      for (let k = r * cols; k < (r + 1) * cols; k++) dot += dy[k] * yf[k];
      for (let k = r * cols; k < (r + 1) * cols; k++) scale = Math.max(scale, yf[k] * (Math.abs(dy[k]) + Math.abs(dot)));
      expectClose(gotDx.subarray(r * cols, (r + 1) * cols), wantDx.subarray(r * cols, (r + 1) * cols), 1e-5, `softmaxBackward row ${r}`, scale);
    }
  },
}));

// (rows, V, which targets): vocab-sized rows, ignored targets (-1, -100), edge targets 0 and V-1
const lpShapes: [number, number][] = [[1, 32000], [17, 5003], [65, 63], [3, 1], [63, 257]];

const logprobCases = (big: boolean): KernelCase[] => lpShapes.map(([rows, V]) => ({
  name: `tokenLogprobs + backward ${rows}x${V}${big ? ' logits ±50' : ''}`,
  async run(c) {
    const { be, input, out, read, rng } = c;
    const x = logits(c, rows * V, big);
    const targets = rng.i32(rows, 0, V);
    // ignored rows (negative targets) and the edge targets 0 and V-1, where rows allow
    if (rows >= 3) { targets[1] = -1; targets[rows - 1] = -100; }
    if (rows >= 5) { targets[2] = 0; targets[3] = V - 1; }
    const tl = input(x, [rows, V]);
    const tt = be.fromArray(targets, [rows], 'i32');
    const logp = out([rows]), lse = out([rows]);
    be.tokenLogprobs(logp, lse, tl, tt);
    const ref = tokenLogprobsRef(x, targets, V);
    const gotLogp = await read(logp), gotLse = await read(lse);
    expectClose(gotLogp, ref.logp, 1e-5, 'logp');
    for (let n = 0; n < rows; n++) if (targets[n] < 0 && gotLogp[n] !== 0) throw new Error(`logp of ignored row ${n} is ${gotLogp[n]}, expected 0`);
    expectClose(gotLse, ref.lse, 1e-6, 'lse');
    // backward, fed the lse the forward saved (as a model does)
    const dlogp = rng.f32(rows);
    dlogp[0] = -1; // the usual seed of a sum of log-probs
    const dl = out([rows, V]);
    be.tokenLogprobsBackward(dl, tl, tt, lse, input(dlogp, [rows]));
    const want = tokenLogprobsBackwardRef(x, targets, dlogp, V);
    // lse is rounded to f32 (|lse| ≤ ~60 → ~4e-6 absolute), which moves exp(x − lse) by the
    // same relative amount: 1e-5 against each row's own scale |dlogp|
    const got = await read(dl);
    for (let n = 0; n < rows; n++) {
      const g = got.subarray(n * V, (n + 1) * V), w = want.subarray(n * V, (n + 1) * V);
      if (targets[n] < 0) {
        for (let v = 0; v < V; v++) if (g[v] !== 0) throw new Error(`dlogits of ignored row ${n} col ${v} is ${g[v]}, expected 0`);
      } else {
        expectClose(g, w, 1e-5, `dlogits row ${n}`, Math.abs(dlogp[n]));
      }
    }
    be.dispose(tt);
  },
}));

export const cases: KernelCase[] = [
  ...rowCases(false),
  ...rowCases(true),
  ...logprobCases(false),
  ...logprobCases(true),
  {
    name: 'tokenLogprobs ignores NaN dlogp on ignored rows; rejects a wrong shape',
    async run({ be, input, out, read }) {
      const V = 5;
      const x = Float32Array.from([1, 2, 3, 4, 5, 5, 4, 3, 2, 1]);
      const tl = input(x, [2, V]);
      const tt = be.fromArray(Int32Array.from([-1, 2]), [2], 'i32');
      const logp = out([2]), lse = out([2]);
      be.tokenLogprobs(logp, lse, tl, tt);
      const dl = out([2, V]);
      be.tokenLogprobsBackward(dl, tl, tt, lse, input(Float32Array.from([NaN, 1]), [2]));
      const ref = tokenLogprobsBackwardRef(x, [-1, 2], [0, 1], V);
      expectClose(await read(dl), ref, 1e-6, 'dlogits');
      let threw = false;
      const t3 = be.fromArray(Int32Array.from([0, 1, 2]), [3], 'i32');
      try { be.tokenLogprobs(out([3]), out([3]), tl, t3); } catch (e) { threw = /tokenLogprobs/.test(String(e)); }
      if (!threw) throw new Error('tokenLogprobs accepted 10 logits for 3 targets');
      be.dispose(tt); be.dispose(t3);
    },
  },
];
