// The one linear (src/model/layers-linear.ts) against a float64 reference on every backend:
// y = x Wᵀ + b + s·(x Aᵀ) Bᵀ and its backward (dx written or added, dW/db/dA/dB accumulated),
// on awkward sizes, with W f32 or bf16 (a frozen 16-bit base under LoRA adapters). Written
// outputs are poisoned with NaN first; accumulated ones start from random values.
import { suite } from 'uvu';
import { roundToHalf, toHalfBits } from '../../src/kernels/half.js';
import { linearBackward, linearForward, type Linear } from '../../src/model/layers-linear.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';

/** out (m,n) = a (m,k) @ b (n,k)ᵀ in float64 */
function mmT(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { let s = 0; for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t]; out[i * n + j] = s; }
  return out;
}
/** the transpose of a (r,c) */
function tr(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}
const add = (a: ArrayLike<number>, b: ArrayLike<number>, s = 1) => Float64Array.from(a, (v, i) => v + s * b[i]);
const nan = (n: number) => new Float32Array(n).fill(NaN);

for (const beName of backendNames()) {
  const s = suite(`layers: LoRA linear [${beName}]`);
  // (N, in, out, rank); rank 0: no adapters
  const shapes = [[1, 3, 17, 1], [17, 5, 3, 3], [3, 65, 7, 2], [63, 4, 1, 0]];
  for (const dtype of ['f32', 'bf16'] as const) {
    s(`forward and backward match float64, W ${dtype}`, async () => {
      const be = await getBackend(beName);
      const rng = new Rng(SEED ^ (dtype === 'f32' ? 0x11e : 0x11f));
      for (const [N, inF, outF, r] of shapes) {
        const what = `N=${N} in=${inF} out=${outF} r=${r} W ${dtype}`;
        const x = rng.f32(N * inF), wf = rng.f32(outF * inF), b = rng.f32(outF), dy = rng.f32(N * outF);
        const wRef = dtype === 'f32' ? wf : roundToHalf(wf, dtype);
        const A = rng.f32(r * inF), Bm = rng.f32(outF * r), scale = 0.75;
        const lin: Linear = {
          name: 'test', inF, outF,
          w: dtype === 'f32' ? be.fromArray(wf, [outF, inF]) : be.fromArray(toHalfBits(wf, dtype), [outF, inF], dtype),
          b: be.fromArray(b, [outF]),
          lora: r ? { a: be.fromArray(A, [r, inF]), b: be.fromArray(Bm, [outF, r]), rank: r, scale } : undefined,
        };
        const xT = be.fromArray(x, [N, inF]), dyT = be.fromArray(dy, [N, outF]);
        const y = be.fromArray(nan(N * outF), [N, outF]);
        const xa = r ? be.fromArray(nan(N * r), [N, r]) : undefined, dxa = r ? be.fromArray(nan(N * r), [N, r]) : undefined;
        linearForward(be, y, xT, lin, N, xa);
        // reference: x Wᵀ + b (+ s·(x Aᵀ) Bᵀ)
        let want = mmT(x, wRef, N, outF, inF);
        for (let i = 0; i < N; i++) for (let j = 0; j < outF; j++) want[i * outF + j] += b[j];
        const xaRef = r ? mmT(x, A, N, r, inF) : new Float64Array(0);
        if (r) want = add(want, mmT(xaRef, Bm, N, outF, r), scale);
        expectClose(await be.read(y), want, 1e-5, `${what}: y`);
        // backward, twice: dx written then added; parameter gradients accumulate onto their start values
        const g0 = { w: rng.f32(outF * inF), b: rng.f32(outF), a: rng.f32(r * inF), bl: rng.f32(outF * r) };
        const g = {
          w: dtype === 'f32' ? be.fromArray(g0.w, [outF, inF]) : null, b: be.fromArray(g0.b, [outF]),
          loraA: r ? be.fromArray(g0.a, [r, inF]) : null, loraB: r ? be.fromArray(g0.bl, [outF, r]) : null,
        };
        const dx = be.fromArray(nan(N * inF), [N, inF]);
        linearBackward(be, dx, dyT, xT, lin, g, N, false, xa, dxa);
        // dx = dy W (+ s·(dy B) A)
        const dyB = r ? mmT(dy, tr(Bm, outF, r), N, r, outF).map((v) => v * scale) : new Float64Array(0);
        let dxWant = mmT(dy, tr(wRef, outF, inF), N, inF, outF);
        if (r) dxWant = add(dxWant, mmT(dyB, tr(A, r, inF), N, inF, r));
        expectClose(await be.read(dx), dxWant, 1e-5, `${what}: dx`);
        linearBackward(be, dx, dyT, xT, lin, g, N, true, xa, dxa);
        expectClose(await be.read(dx), add(dxWant, dxWant), 1e-5, `${what}: dx accumulated`);
        // two backward passes: each gradient = start + 2 × one pass
        const twice = (start: ArrayLike<number>, one: ArrayLike<number>) => add(start, one, 2);
        if (g.w) expectClose(await be.read(g.w), twice(g0.w, mmT(tr(dy, N, outF), tr(x, N, inF), outF, inF, N)), 1e-5, `${what}: dW`);
        const db = new Float64Array(outF);
        for (let i = 0; i < N; i++) for (let j = 0; j < outF; j++) db[j] += dy[i * outF + j];
        expectClose(await be.read(g.b!), twice(g0.b, db), 1e-5, `${what}: db`);
        if (r) {
          // dB = s·dyᵀ (x Aᵀ), dA = (s·dy B)ᵀ x
          const dB = mmT(tr(dy, N, outF), tr(xaRef, N, r), outF, r, N).map((v) => v * scale);
          expectClose(await be.read(g.loraB!), twice(g0.bl, dB), 1e-5, `${what}: dB`);
          expectClose(await be.read(g.loraA!), twice(g0.a, mmT(tr(dyB, N, r), tr(x, N, inF), r, inF, N)), 1e-5, `${what}: dA`);
        }
        for (const t of [lin.w, lin.b!, lin.lora?.a, lin.lora?.b, xT, dyT, y, xa, dxa, dx, g.w, g.b, g.loraA, g.loraB]) if (t) be.dispose(t);
      }
    });
  }
  s.run();
}
