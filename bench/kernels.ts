// Kernels bench: matmul GFLOP/s per shape (M×K×N) and attention forward/backward time, for
// every implementation entry (bench/kernels/impl-*.ts), side by side in one run.
//   npm run bench -- kernels [--json] [--quick] [--shapes=256x256x256,512x512x512]
//        [--impls=webgpu,tfjs-webgpu] [--no-variants] [--no-attention] [--reps=N] [--rounds=N]
// --quick: 256³ and 256×768×3072 only, one attention shape, shorter timing.
// Ratio groups: webgpu_vs_tfjs_webgpu = our GFLOP/s ÷ tfjs-webgpu's on the same adapter.
// wasm_vs_tfjs_wasm = our wasm backend on every core ÷ tfjs-backend-wasm (one thread in Node);
// wasm_vs_webgpu = our wasm backend ÷ our WebGPU backend in the same run.
// wasm_bf16_vs_f32, wasm_f16_vs_f32, webgpu_bf16_vs_f32, webgpu_f16_vs_f32 = the same product
// with b a 16-bit weight ÷ with b f32 (entries wasm:bf16, wasm:f16, webgpu:bf16, webgpu:f16).
import { flag, has, median, printTables, ratio, round, type BenchArgs, type BenchReport, type BenchResult } from './report.js';
import type { AttentionShape, BenchEnv, KernelImpl } from './kernels/impl.js';
import { webgpuImpls } from './kernels/impl-webgpu.js';
import { TfjsWebGPUImpl } from './kernels/impl-tfjs-webgpu.js';
import { wasmImpls } from './kernels/impl-wasm.js';
import { TfjsWasmImpl } from './kernels/impl-tfjs-wasm.js';

export const MATMUL_SHAPES = ['256x256x256', '512x512x512', '1024x1024x1024', '256x768x3072', '256x3072x768'];
const QUICK_SHAPES = ['256x256x256', '256x768x3072'];
export const ATTENTION_SHAPES: AttentionShape[] = [
  { batch: 1, seq: 64, heads: 4, kvHeads: 4, headDim: 32 },
  { batch: 2, seq: 128, heads: 8, kvHeads: 8, headDim: 64 },
  { batch: 4, seq: 256, heads: 8, kvHeads: 4, headDim: 64 },
];

/** ratio groups: [name, impl a, impl b] — a's GFLOP/s over b's, per shape */
export const RATIO_GROUPS: [string, string, string][] = [
  ['webgpu_vs_tfjs_webgpu', 'webgpu', 'tfjs-webgpu'],
  ['wasm_vs_tfjs_wasm', 'wasm', 'tfjs-wasm'],
  ['wasm_vs_webgpu', 'wasm', 'webgpu'],
  ['wasm_fma_vs_plain', 'wasm', 'wasm-plain'],
  ['wasm_fma_vs_plain_1t', 'wasm-1t', 'wasm-plain-1t'],
  // 16-bit weight b (read 16-bit, f32 accumulation) ÷ f32 b, same layout and backend
  ['wasm_bf16_vs_f32', 'wasm:bf16', 'wasm'],
  ['wasm_f16_vs_f32', 'wasm:f16', 'wasm'],
  ['webgpu_bf16_vs_f32', 'webgpu:bf16', 'webgpu'],
  ['webgpu_f16_vs_f32', 'webgpu:f16', 'webgpu'],
];

/** every implementation entry; others (wasm-1t, wasm, wasm-plain-1t, wasm-plain, tfjs-wasm) join this list */
export function allImpls(variants: boolean): KernelImpl[] {
  return [...webgpuImpls(variants), new TfjsWebGPUImpl(), ...wasmImpls(), new TfjsWasmImpl()];
}

const attnName = (s: AttentionShape) => `B${s.batch} T${s.seq} H${s.heads}${s.kvHeads !== s.heads ? `/${s.kvHeads}` : ''} D${s.headDim}`;

function parseShape(s: string): [number, number, number] {
  const p = s.split('x').map(Number);
  if (p.length !== 3 || p.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`bench kernels: bad shape "${s}": use MxKxN, e.g. 256x768x3072`);
  return p as [number, number, number];
}

export default async function kernels(args: BenchArgs): Promise<BenchReport> {
  const { argv, log, quick } = args;
  const shapes = (flag(argv, 'shapes')?.split(',').filter(Boolean)) ?? (quick ? QUICK_SHAPES : MATMUL_SHAPES);
  shapes.forEach(parseShape);
  const repsFlag = flag(argv, 'reps');
  const env: BenchEnv = { quick, reps: repsFlag ? Number(repsFlag) : undefined, log };
  const wanted = flag(argv, 'impls')?.split(',').filter(Boolean);
  let impls = allImpls(!has(argv, 'no-variants'));
  if (wanted) impls = impls.filter((i) => wanted.some((w) => i.name === w || (w.endsWith('*') && i.name.startsWith(w.slice(0, -1)))));
  const attention = has(argv, 'no-attention') ? [] : quick ? ATTENTION_SHAPES.slice(0, 1) : ATTENTION_SHAPES;

  const results: BenchResult[] = [];
  const notes: string[] = [];
  const ready: KernelImpl[] = [];
  for (const impl of impls) {
    try { await impl.init(env); ready.push(impl); } catch (e) {
      notes.push(`${impl.name} unavailable: ${(e as Error).message}`);
      log(`${impl.name} unavailable: ${(e as Error).message}`);
    }
  }

  // Rounds (--rounds N, default 1) repeat every shape × impl in turn, so a shared machine's drift
  // spreads over all impls; a cell is the median over rounds and a ratio the median of the
  // per-round ratios (every round's GFLOP/s stays in the JSON).
  const rounds = Number(flag(argv, 'rounds') ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench kernels: --rounds ${flag(argv, 'rounds')} must be a positive integer`);
  const perRound = new Map<string, { gflops: number[]; last: BenchResult }>();
  for (let rd = 0; rd < rounds; rd++) {
    for (const shape of shapes) {
      const [m, k, n] = parseShape(shape);
      for (const impl of ready) {
        if (!impl.matmul) continue;
        const key = `${shape}|${impl.name}`;
        try {
          const t = await impl.matmul(m, k, n, env);
          const gflops = (2 * m * n * k) / (t.ms * 1e6);
          const cell = perRound.get(key) ?? { gflops: [], last: { op: 'matmul', shape, impl: impl.name } };
          cell.gflops.push(gflops);
          cell.last = { op: 'matmul', shape, impl: impl.name, ms: round(t.ms, 4), reps: t.reps, ...(t.variant ? { variant: t.variant } : {}) };
          perRound.set(key, cell);
          log(`matmul ${shape} ${impl.name}${rounds > 1 ? ` (round ${rd + 1}/${rounds})` : ''}: ${gflops.toFixed(3)} GFLOP/s (${t.ms.toFixed(1)} ms × ${t.reps}${t.variant ? `, ${t.variant}` : ''})`);
        } catch (e) {
          perRound.set(key, { gflops: [], last: { op: 'matmul', shape, impl: impl.name, note: (e as Error).message } });
          log(`matmul ${shape} ${impl.name} failed: ${(e as Error).message}`);
        }
      }
    }
  }
  for (const { gflops, last } of perRound.values()) {
    results.push(gflops.length && !last.note ? { ...last, gflops: round(median(gflops)), ...(rounds > 1 ? { rounds: gflops.map((g) => round(g)) } : {}) } : last);
  }

  for (const s of attention) {
    const shape = attnName(s);
    for (const impl of ready) {
      if (!impl.attention || impl.name.includes(':')) continue;
      try {
        const { forward, backward } = await impl.attention(s, env);
        results.push({
          op: 'attention', shape, impl: impl.name, ms: round(forward.ms + backward.ms, 4),
          forward_ms: round(forward.ms, 4), backward_ms: round(backward.ms, 4), reps: forward.reps,
          ...(forward.variant ? { variant: `${forward.variant}/${backward.variant ?? '?'}` } : {}),
        });
        log(`attention ${shape} ${impl.name}: forward ${forward.ms.toFixed(1)} ms, backward ${backward.ms.toFixed(1)} ms`);
      } catch (e) {
        const msg = (e as Error).message;
        const note = /not written yet/.test(msg) ? `attention is not written yet on this backend (${msg})` : msg;
        results.push({ op: 'attention', shape, impl: impl.name, note });
        log(`attention ${shape} ${impl.name}: ${note}`);
      }
    }
  }

  for (const impl of ready) await impl.close?.().catch(() => {});
  const ratios: Record<string, Record<string, number>> = {};
  for (const [name, a, b] of RATIO_GROUPS) {
    const r = ratio(results, 'matmul', a, b, 'gflops');
    // with rounds: the median of the per-round ratios (each round's pair ran back to back)
    for (const shape of Object.keys(r)) {
      const ga = perRound.get(`${shape}|${a}`)?.gflops ?? [], gb = perRound.get(`${shape}|${b}`)?.gflops ?? [];
      if (rounds > 1 && ga.length === rounds && gb.length === rounds) r[shape] = round(median(ga.map((x, i) => x / gb[i])));
    }
    if (Object.keys(r).length) ratios[name] = r;
  }
  const adapterOf = ready.find((i) => i.name === 'webgpu') ?? ready.find((i) => i.adapter);
  const report: BenchReport = { bench: 'kernels', adapter: adapterOf?.adapter?.(), results, ratios };
  const peers = Object.fromEntries(ready.filter((i) => i.adapter && i !== adapterOf && !i.name.startsWith('webgpu')).map((i) => [i.name, i.adapter!()]));
  if (Object.keys(peers).length) report.peer_adapters = peers;
  if (notes.length) report.notes = notes;
  return report;
}

/** matmul cells: GFLOP/s (and the variant auto picked); attention cells: forward / backward ms */
export function printTable(report: BenchReport, write: (s: string) => void): void {
  const cell = (r: BenchResult) => {
    if (r.note) return 'n/a';
    if (r.op === 'attention') return `${(r.forward_ms as number).toFixed(1)} / ${(r.backward_ms as number).toFixed(1)} ms`;
    return `${r.gflops!.toFixed(2)}${r.impl === 'webgpu' && r.variant ? ` (${r.variant})` : ''}`;
  };
  write('matmul: GFLOP/s (M×K×N); attention: forward / backward ms\n');
  printTables(report, cell, write);
}
