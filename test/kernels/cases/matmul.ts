// Matmul vs a float64 reference: awkward sizes, every transpose combination, bias, batch with
// and without broadcastB, accumulate, alpha. Shared by every backend (runCases) and by the
// WebGPU variant test (which forces each variant and runs `variantCases`).
import { expectClose, type CaseContext, type KernelCase, type Rng } from '../harness.js';
import type { MatmulOptions } from '../../../src/kernels/backend.js';

export interface MatmulSpec {
  m: number; n: number; k: number;
  transA?: boolean; transB?: boolean; bias?: boolean; batch?: number;
  broadcastB?: boolean; accumulate?: boolean; alpha?: number;
}

/** float64 reference of out = alpha·op(a)@op(b) + bias (+ out0) with the documented layouts */
export function matmulRef(s: MatmulSpec, a: ArrayLike<number>, b: ArrayLike<number>, bias: ArrayLike<number> | null, out0: ArrayLike<number> | null): Float64Array {
  const { m, n, k } = s;
  const batch = s.batch ?? 1, alpha = Math.fround(s.alpha ?? 1);
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    const ao = z * m * k, bo = s.broadcastB ? 0 : z * k * n, co = z * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = s.transA ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = s.transB ? b[bo + j * k + p] : b[bo + p * n + j];
          acc += av * bv;
        }
        let r = alpha * acc;
        if (bias) r += bias[j];
        if (out0) r += out0[co + i * n + j];
        out[co + i * n + j] = r;
      }
    }
  }
  return out;
}

export function describe(s: MatmulSpec): string {
  const f = [s.transA ? 'Aᵀ' : 'A', s.transB ? 'Bᵀ' : 'B'].join('·');
  const extra = [
    s.batch && s.batch > 1 ? `batch=${s.batch}${s.broadcastB ? ' broadcastB' : ''}` : '',
    s.bias ? 'bias' : '', s.accumulate ? 'accumulate' : '', s.alpha !== undefined ? `alpha=${s.alpha}` : '',
  ].filter(Boolean).join(' ');
  return `${s.m}x${s.k}x${s.n} ${f}${extra ? ' ' + extra : ''}`;
}

/** Run one product on the backend (outputs poisoned, or pre-filled for accumulate) and compare. */
export async function checkMatmulCase(c: CaseContext, s: MatmulSpec, tol = 1e-5): Promise<number> {
  const { rng, be, input, out, read } = c;
  const batch = s.batch ?? 1;
  const a = rng.f32(batch * s.m * s.k);
  const b = rng.f32((s.broadcastB ? 1 : batch) * s.k * s.n);
  const bias = s.bias ? rng.f32(s.n) : null;
  const shapeA = s.transA ? [batch, s.k, s.m] : [batch, s.m, s.k];
  const bRows = s.broadcastB ? 1 : batch;
  const shapeB = s.transB ? [bRows, s.n, s.k] : [bRows, s.k, s.n];
  const ta = input(a, shapeA), tb = input(b, shapeB);
  let out0: Float32Array | null = null;
  let to;
  if (s.accumulate) { out0 = rng.f32(batch * s.m * s.n); to = input(out0, [batch, s.m, s.n]); }
  else to = out([batch, s.m, s.n]);
  const o: MatmulOptions = { m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, batch: s.batch, broadcastB: s.broadcastB, accumulate: s.accumulate, alpha: s.alpha };
  if (bias) o.bias = input(bias, [s.n]);
  be.matmul(to, ta, tb, o);
  return expectClose(await read(to), matmulRef(s, a, b, bias, out0), tol, `matmul ${describe(s)}`);
}

const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** Sizes for the shared table: awkward tails in every dimension, kept small for SwiftShader. */
export function matmulSpecs(): MatmulSpec[] {
  const specs: MatmulSpec[] = [];
  const dims: [number, number, number][] = [
    [1, 1, 1], [3, 17, 5], [5, 3, 67], [17, 63, 65], [65, 17, 63], [64, 64, 64], [130, 33, 70], [1, 65, 200], [33, 1, 9],
  ];
  for (const [m, n, k] of dims) for (const [ta, tb] of TRANS) specs.push({ m, n, k, transA: ta, transB: tb });
  specs.push(
    { m: 17, n: 63, k: 65, bias: true },
    { m: 65, n: 3, k: 18, transB: true, bias: true, alpha: 0.37 },
    { m: 9, n: 20, k: 13, accumulate: true },
    { m: 9, n: 20, k: 13, transA: true, transB: true, accumulate: true, alpha: -1.5, bias: true },
    { m: 7, n: 5, k: 11, batch: 3 },
    { m: 7, n: 5, k: 11, batch: 3, broadcastB: true, transB: true, bias: true },
    // the small-M x·Wᵀ path of the wasm backend (M < 48): odd M, N % 8 ≠ 0, K % 4 ≠ 0, every epilogue option
    { m: 11, n: 19, k: 37, batch: 2, transB: true, accumulate: true, alpha: 0.8, bias: true },
    { m: 47, n: 9, k: 130, transB: true },
    { m: 12, n: 17, k: 8, batch: 5, transA: true, accumulate: true },
    { m: 16, n: 16, k: 16, batch: 4, broadcastB: true, alpha: 2 },
    { m: 3, n: 64, k: 33, alpha: 0 },
    { m: 3, n: 5, k: 777, transA: true },           // long sums
  );
  return specs;
}

export function randomSpec(rng: Rng): MatmulSpec {
  const dim = () => rng.int(1, 80);
  const batch = rng.int(1, 4);
  return {
    m: dim(), n: dim(), k: dim(), transA: rng.next() < 0.5, transB: rng.next() < 0.5, bias: rng.next() < 0.5,
    batch, broadcastB: batch > 1 && rng.next() < 0.5, accumulate: rng.next() < 0.3,
    alpha: rng.next() < 0.3 ? rng.uniform(-2, 2) : undefined,
  };
}

export const cases: KernelCase[] = [
  ...matmulSpecs().map((s): KernelCase => ({ name: describe(s), run: async (c) => { await checkMatmulCase(c, s); } })),
  {
    name: '6 random shapes and options',
    async run(c) {
      for (let i = 0; i < 6; i++) await checkMatmulCase(c, randomSpec(c.rng));
    },
  },
  {
    name: 'bad shapes throw a ShapeError naming the tensor',
    async run({ be, out, input, rng }) {
      const a = input(rng.f32(12), [3, 4]), b = input(rng.f32(20), [4, 5]), o = out([3, 5]);
      const expectThrow = (fn: () => void, re: RegExp) => {
        try { fn(); } catch (e) {
          if ((e as Error).name !== 'ShapeError' || !re.test((e as Error).message)) throw new Error(`wrong error: ${(e as Error).message}`);
          return;
        }
        throw new Error(`expected a ShapeError matching ${re}`);
      };
      expectThrow(() => be.matmul(o, a, b, { m: 3, n: 5, k: 5 }), /matmul: a .*expected 15/);
      expectThrow(() => be.matmul(o, a, b, { m: 3, n: 4, k: 4 }), /matmul: b /);
      expectThrow(() => be.matmul(o, a, b, { m: 3, n: 5, k: 4, bias: a }), /matmul: bias/);
      expectThrow(() => be.matmul(o, a, b, { m: 0, n: 5, k: 4 }), /m=0/);
      expectThrow(() => be.matmul(a, a, b, { m: 3, n: 4, k: 4 }), /out is also an input/);
      expectThrow(() => be.matmul(o, a, b, { m: 3, n: 5, k: 4, alpha: NaN }), /alpha/);
    },
  },
];
