// `npm run bench -- decode-matmul [--json] [--quick] [--threads N]`: the products of decoding,
// x (M,K) · Wᵀ with W (N,K) and few rows M, on the wasm backend two ways in the same process:
// "small-tb" (mm_small's x·Wᵀ strips: W streamed once, the default below 48 rows) and "packed" (W packed
// into panels, then the 5×8 micro-kernel: what every M took before). One thread by default, so
// the kernels, not the thread pool, are compared. Ratio group: small_tb_vs_packed.
// Beside each f32 row, W as a 16-bit weight (bf16, f16: read 16-bit, widened in registers, f32
// accumulation) on the default path: ratio groups bf16_vs_f32 and f16_vs_f32 (small-tb rows).
import { createWasmBackend } from '../src/kernels/wasm/create.js';
import { flag, type BenchArgs, type BenchReport, type BenchResult } from './report.js';
import { warmUp } from './kernels/impl-wasm.js';
import { randomData } from './kernels/impl-webgpu.js';
import { timeCalls } from './kernels/impl.js';

const SHAPES: [number, number][] = [[256, 4096], [256, 768], [688, 256], [2048, 2048]]; // (K, N)
const ROWS = [4, 8, 16, 32];

export default async function run(args: BenchArgs): Promise<BenchReport> {
  const threads = Number(flag(args.argv, 'threads') ?? 1);
  const be = await createWasmBackend({ threads });
  const results: BenchResult[] = [];
  const ratios: Record<string, Record<string, number>> = { small_tb_vs_packed: {}, bf16_vs_f32: {}, f16_vs_f32: {} };
  const shapes = args.quick ? SHAPES.slice(0, 1) : SHAPES;
  for (const [K, N] of shapes) {
    for (const M of args.quick ? [8] : ROWS) {
      const shape = `M${M} K${K} N${N}`;
      const a = be.fromArray(randomData(M * K), [M, K]), w = be.fromArray(randomData(N * K), [N, K]), o = be.tensor([M, N]);
      const gf: Record<string, number> = {};
      for (const [impl, limit] of [['small-tb', 48], ['packed', 0]] as const) {
        be.smallMTb = limit;
        const call = () => be.matmul(o, a, w, { m: M, n: N, k: K, transB: true });
        await warmUp(call);
        const { ms, reps } = await timeCalls(call, async () => {}, { quick: args.quick, log: args.log });
        gf[impl] = (2 * M * N * K) / ms / 1e6;
        results.push({ op: 'matmul x·Wᵀ', shape, impl, gflops: Math.round(gf[impl] * 100) / 100, ms: Math.round(ms * 1e4) / 1e4, reps });
        args.log(`${shape} ${impl}: ${gf[impl].toFixed(1)} GFLOP/s`);
      }
      ratios.small_tb_vs_packed[shape] = Math.round((gf['small-tb'] / gf.packed) * 100) / 100;
      be.smallMTb = 48;
      for (const dt of ['bf16', 'f16'] as const) {
        const wh = be.fromArray(randomData(N * K), [N, K], dt);
        const call = () => be.matmul(o, a, wh, { m: M, n: N, k: K, transB: true });
        await warmUp(call);
        const { ms, reps } = await timeCalls(call, async () => {}, { quick: args.quick, log: args.log });
        const g = (2 * M * N * K) / ms / 1e6;
        results.push({ op: 'matmul x·Wᵀ', shape, impl: `small-tb ${dt} W`, gflops: Math.round(g * 100) / 100, ms: Math.round(ms * 1e4) / 1e4, reps });
        args.log(`${shape} small-tb ${dt} W: ${g.toFixed(1)} GFLOP/s`);
        ratios[`${dt}_vs_f32`][shape] = Math.round((g / gf['small-tb']) * 100) / 100;
        be.dispose(wh);
      }
      for (const t of [a, w, o]) be.dispose(t);
    }
  }
  be.smallMTb = 48;
  const adapter = { description: be.description, threads: be.threads };
  be.destroy();
  return { bench: 'decode-matmul', adapter, results, ratios, notes: ['GFLOP/s of out (M,N) = x (M,K) · Wᵀ, W (N,K)'] };
}
