// Matmul with a 16-bit weight b (bf16, f16) vs a float64 reference computed from the SAME
// 16-bit values (so only the kernel's f32 accumulation is measured): the two layouts the model
// uses — forward x·Wᵀ (transB, W (N,K)) and backward dX = dY·W (W (K,N) in matmul terms) — at
// awkward sizes that take every wasm path (mm_small M < 4, the x·Wᵀ strip M < 48, the packed
// path, several K blocks past 256) and the WGSL kernel, plus batch/broadcastB/bias/accumulate/
// alpha, and one product that must widen subnormal and extreme halves exactly.
import { expectClose, type CaseContext, type KernelCase } from '../harness.js';
import type { MatmulOptions } from '../../../src/kernels/backend.js';
import { fromHalfBits, toHalfBits, type HalfDType } from '../../../src/kernels/half.js';
import { describe, matmulRef, type MatmulSpec } from './matmul.js';

export async function checkHalfMatmul(c: CaseContext, s: MatmulSpec, dtype: HalfDType, tol = 1e-5): Promise<number> {
  const { rng, be, input, out, read } = c;
  const batch = s.batch ?? 1;
  const a = rng.f32(batch * s.m * s.k);
  const bBits = toHalfBits(rng.f32((s.broadcastB ? 1 : batch) * s.k * s.n), dtype);
  const b = fromHalfBits(bBits, dtype); // exactly what the device holds
  const bias = s.bias ? rng.f32(s.n) : null;
  const bRows = s.broadcastB ? 1 : batch;
  const ta = input(a, s.transA ? [batch, s.k, s.m] : [batch, s.m, s.k]);
  const tb = be.fromArray(bBits, s.transB ? [bRows, s.n, s.k] : [bRows, s.k, s.n], dtype, 'w16');
  try {
    let out0: Float32Array | null = null;
    let to;
    if (s.accumulate) { out0 = rng.f32(batch * s.m * s.n); to = input(out0, [batch, s.m, s.n]); } else to = out([batch, s.m, s.n]);
    const o: MatmulOptions = { m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, batch: s.batch, broadcastB: s.broadcastB, accumulate: s.accumulate, alpha: s.alpha };
    if (bias) o.bias = input(bias, [s.n]);
    be.matmul(to, ta, tb, o);
    return expectClose(await read(to), matmulRef(s, a, b, bias, out0), tol, `matmul ${dtype} b ${describe(s)}`);
  } finally { be.dispose(tb); }
}

/** forward x·Wᵀ (transB) and backward dY·W (plain) at every path's awkward sizes */
export function halfSpecs(): MatmulSpec[] {
  const specs: MatmulSpec[] = [];
  // [M, N, K]: mm_small (M<4), strip (4 ≤ M < 48), packed (M ≥ 48), K past one 256 block
  // (odd and even N and K: WGSL loads whole u32 words of b where its contiguous dimension is even)
  const dims: [number, number, number][] = [[1, 1, 1], [1, 17, 63], [3, 9, 65], [17, 63, 65], [47, 33, 130], [65, 17, 63], [63, 65, 300], [130, 9, 17],
    [2, 2, 2], [5, 18, 40], [33, 64, 64], [66, 6, 258]];
  for (const [m, n, k] of dims) { specs.push({ m, n, k, transB: true }, { m, n, k }); }
  specs.push(
    { m: 11, n: 19, k: 37, batch: 2, transB: true, accumulate: true, alpha: 0.8, bias: true },
    { m: 50, n: 21, k: 33, batch: 3, broadcastB: true, transB: true, bias: true },
    { m: 7, n: 22, k: 34, batch: 3, transB: true, accumulate: true },
    { m: 6, n: 22, k: 30, batch: 2, broadcastB: true, bias: true, alpha: 0.5 },
    { m: 9, n: 20, k: 13, accumulate: true, alpha: -1.5 },
    { m: 12, n: 17, k: 8, transA: true, transB: true },
    { m: 70, n: 5, k: 19, transA: true },
  );
  return specs;
}

/** out = I·W: every output is one widened weight (a one-hot row of a), so the kernel's
 *  16-bit → f32 widening must be exact for subnormals, the largest finite values and ±0 */
async function widenExactly(c: CaseContext, dtype: HalfDType, m: number, transB: boolean): Promise<void> {
  const { be, out, input, read, rng } = c;
  const N = 13, K = m; // out (m, N) = I (m, m) · W (m, N)
  const bits = new Uint16Array(N * K);
  const specials = dtype === 'f16' ? [0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x8000, 0x3c00, 0x0200] : [0x0001, 0x8001, 0x007f, 0x0080, 0x7f7f, 0xff7f, 0x8000, 0x3f80, 0x0040];
  for (let i = 0; i < bits.length; i++) bits[i] = rng.next() < 0.5 ? specials[i % specials.length] : rng.int(0, 0x7c00) | (rng.next() < 0.5 ? 0x8000 : 0);
  const w = fromHalfBits(bits, dtype); // W[k, n] = w[k·N + n]
  const eye = new Float32Array(m * K);
  for (let i = 0; i < m; i++) eye[i * K + i] = 1;
  const stored = new Uint16Array(N * K);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) stored[transB ? n * K + k : k * N + n] = bits[k * N + n];
  const tb = be.fromArray(stored, transB ? [N, K] : [K, N], dtype);
  try {
    const o = out([m, N]);
    be.matmul(o, input(eye, [m, K]), tb, { m, n: N, k: K, transB });
    // WGSL lets f32 arithmetic flush subnormals (bf16 subnormals are f32 subnormals, below
    // 1.2e-38): there a subnormal product may come out ±0; everything else must be exact
    const flushes = be.name === 'webgpu';
    const want = Float64Array.from(w.subarray(0, m * N), (v) => (flushes && v !== 0 && Math.abs(v) < 2 ** -126 ? 0 : v));
    const got = await read(o);
    if (flushes) for (let i = 0; i < got.length; i++) if (want[i] === 0 && Math.abs(got[i]) < 2 ** -126) got[i] = 0;
    expectClose(got, want, 0, `I·W ${dtype} ${transB ? 'Wᵀ' : 'W'} m=${m}`);
  } finally { be.dispose(tb); }
}

export const cases: KernelCase[] = (['bf16', 'f16'] as const).flatMap((dt): KernelCase[] => [
  ...halfSpecs().map((s): KernelCase => ({ name: `${dt} b: ${describe(s)}`, run: async (c) => { await checkHalfMatmul(c, s, dt); } })),
  {
    name: `${dt} b: exact widening of subnormal, extreme and signed values (every path)`,
    async run(c) { for (const m of [2, 7, 60]) for (const tb of [true, false]) await widenExactly(c, dt, m, tb); },
  },
]).concat([{
  name: 'a 16-bit tensor is refused where an op needs f32 (a, out, other ops)',
  async run({ be, out, rng }) {
    const h = be.fromArray(rng.f32(12), [3, 4], 'bf16');
    const ids = be.fromArray(Int32Array.of(0), [1], 'i32');
    try {
      const b = out([4, 5]), o = out([3, 5]);
      const bad: [string, () => void][] = [
        ['matmul a', () => be.matmul(o, h, b, { m: 3, n: 5, k: 4 })],
        ['add', () => be.add(out([3, 4]), h, out([3, 4]))],
        ['embeddingBackward dtable', () => be.embeddingBackward(h, out([1, 4]), ids)],
      ];
      for (const [what, f] of bad) {
        let threw = false;
        try { f(); } catch (e) { threw = (e as Error).name === 'ShapeError' && /bf16/.test((e as Error).message); }
        if (!threw) throw new Error(`${what}: no ShapeError naming bf16`);
      }
    } finally { be.dispose(h); be.dispose(ids); }
  },
}]);
