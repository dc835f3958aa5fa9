// `npm run bench -- scale [--shapes smollm2-135m,qwen2.5-0.5b,llama3.2-1b] [--measures train_full,train_lora,logprobs,decode,matmul]
//   [--steps N] [--train-batch B] [--score-batch B] [--seq T] [--matmul-of train_full|train_lora] [--rounds R] [--json] [--quick]`
// Real-checkpoint shapes with random bf16 weights (tools/scale-model.ts writes them into a temp
// dir as a Hugging Face model directory with GPT-2's tokenizer.json) on the wasm backend, beside
// PyTorch on the CPU (tools/bench_torch_scale.py: same shape, batch and steps, f32, OpenBLAS,
// 2 threads) in the same run. Each measure runs in a fresh process on each side, so its peak
// memory is its own: tokens/s, peak RSS (both), peak wasm memory (ours).
//   train_full  forward + backward + AdamW on B×T (tokens = B·(T−1))
//   train_lora  the same with LoRA adapters (rank 8, q and v) on a frozen base
//   logprobs    per-sequence log-probs of B sequences of T tokens (no gradient)
//   decode      greedy, KV cache, B rows, after a promptLen prompt
//   matmul      why training runs at the speed it does (a roofline row): every matmul product of
//               one of our training steps (--matmul-of, default train_full; recorded during one
//               extra step of that measure, or of a run of its own) timed alone on both sides —
//               ours on the wasm backend with b in the step's dtype (bench/scale/matmul.ts),
//               PyTorch f32 on the same layouts — in --rounds R (default 2) interleaved rounds,
//               best of each. Reports each product's GFLOP/s and ratio, the step's matmul time
//               predicted from the isolated products on each side, our step's achieved GFLOP/s
//               (executed and model FLOPs) against our matmul's, and PyTorch's where its train
//               measure ran in the same invocation. Attention's own products (inside the
//               attention op) are not matmul calls and are not counted.
// JSON: results, ratios (wasm_vs_torch_<measure>, wasm_rss_over_torch_<measure>) and
// scale_vs_torch.<shape>.<measure> = our tokens/s ÷ PyTorch's (and <measure>_rss: our peak RSS ÷
// PyTorch's, below 1 is better). A measure our side cannot fit reports the planner's error.
// --quick: the tiny-llama shape, 1 step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paramCountOf, SHAPES, writeScaleModel, type ScaleShape } from '../tools/scale-model.js';
import { flag, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MEASURES = ['train_full', 'train_lora', 'logprobs', 'decode', 'matmul'] as const;
type Measure = (typeof MEASURES)[number];

/** LD_LIBRARY_PATH for torch with OpenBLAS (Debian's torch links the reference BLAS otherwise) */
function torchEnv(): NodeJS.ProcessEnv {
  const dirs = ['/usr/lib/x86_64-linux-gnu/openblas-openmp', '/usr/lib/aarch64-linux-gnu/openblas-openmp'].filter((d) => fs.existsSync(d));
  return { ...process.env, LD_LIBRARY_PATH: [...dirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), OMP_NUM_THREADS: '2' };
}

function child(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: BenchArgs['log']): Record<string, any> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 3_600_000, maxBuffer: 1 << 26 });
  const last = (r.stdout || '').trim().split('\n').pop() ?? '';
  try { return JSON.parse(last); } catch {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
    log(`${path.basename(args[args.length - 2] ?? cmd)} failed: ${why}`);
    return { error: why || `exit ${r.status}` };
  }
}

export default async function run(args: BenchArgs): Promise<BenchReport> {
  const shapes = (flag(args.argv, 'shapes') ?? (args.quick ? 'tiny-llama' : 'smollm2-135m')).split(',').filter(Boolean);
  for (const s of shapes) if (!SHAPES[s]) throw new Error(`bench scale: unknown shape "${s}": use ${Object.keys(SHAPES).join(', ')}`);
  const measures = (flag(args.argv, 'measures') ?? MEASURES.join(',')).split(',').filter(Boolean) as Measure[];
  for (const m of measures) if (!MEASURES.includes(m)) throw new Error(`bench scale: unknown measure "${m}": use ${MEASURES.join(', ')}`);
  // the matmul measure reads the products its train measure recorded: it runs last
  if (measures.includes('matmul')) measures.push(...measures.splice(measures.indexOf('matmul'), 1));
  const matmulOf = (flag(args.argv, 'matmul-of') ?? 'train_full') as Measure;
  if (matmulOf !== 'train_full' && matmulOf !== 'train_lora') throw new Error(`bench scale: --matmul-of must be train_full or train_lora, got "${matmulOf}"`);
  const rounds = Number(flag(args.argv, 'rounds') ?? 2);
  const steps = Number(flag(args.argv, 'steps') ?? (args.quick ? 1 : 2));
  const seq = Number(flag(args.argv, 'seq') ?? (args.quick ? 32 : 128));
  const trainBatch = Number(flag(args.argv, 'train-batch') ?? 8);
  const scoreBatch = Number(flag(args.argv, 'score-batch') ?? 16);
  const decodeBatch = Number(flag(args.argv, 'decode-batch') ?? 8);
  for (const [n, v] of Object.entries({ steps, seq, trainBatch, scoreBatch, decodeBatch, rounds })) if (!Number.isInteger(v) || v < 1) throw new Error(`bench scale: ${n} must be a positive integer`);
  const results: BenchResult[] = [];
  const ratios: Record<string, Record<string, number>> = {};
  const scale: Record<string, Record<string, number>> = {};
  const roofline: Record<string, Record<string, unknown>> = {};
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-scale-'));
  const notes = [
    `wasm backend (${os.availableParallelism?.() ?? os.cpus().length} threads) vs PyTorch CPU (f32, 2 threads, OpenBLAS via LD_LIBRARY_PATH); weights bf16 on disk; ${steps} timed step(s) after one warm-up; each measure in a fresh process on each side`,
    `train: B=${trainBatch} T=${seq}; logprobs: B=${scoreBatch} T=${seq}; decode: B=${decodeBatch}, prompt 16, 32 new tokens; LoRA rank 8 on q, v`,
  ];
  try {
    for (const shape of shapes) {
      const dir = path.join(tmp, shape);
      const t0 = performance.now();
      const s = writeScaleModel(dir, shape, 7);
      const label = `${shape} (${(paramCountOf(s) / 1e6).toFixed(0)}M params)`;
      args.log(`${label}: wrote bf16 model in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const arch = { vocab: s.vocab, hidden: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads, intermediate: s.intermediate, tied: s.tied, qkvBias: s.modelType === 'qwen2', ropeTheta: s.ropeTheta, normEps: s.normEps };
      /** what each side's train measures gave (the matmul measure reads them) */
      const trainRuns: Partial<Record<Measure, { ours: Record<string, any>; peer: Record<string, any> }>> = {};
      for (const m of measures) {
        if (m === 'matmul') {
          roofline[shape] = matmulMeasure({ args, s, dir, label, seq, trainBatch, matmulOf, rounds, trainRuns, arch, results, ratios });
          continue;
        }
        const B = m === 'logprobs' ? scoreBatch : m === 'decode' ? decodeBatch : trainBatch;
        const c = { measure: m, batch: B, seq, steps, promptLen: 16, newTokens: 32, loraRank: 8, loraTargets: ['q', 'v'] };
        args.log(`${shape} ${m}: ours... (load average ${os.loadavg()[0].toFixed(1)})`);
        const load0 = os.loadavg()[0];
        const ours = child(process.execPath, ['--import', 'tsx', path.join(here, 'scale/ours.ts'), JSON.stringify({ ...c, dir, record: m === matmulOf && measures.includes('matmul') })], process.env, args.log);
        args.log(`${shape} ${m}: ours ${ours.error ? 'error: ' + ours.error : `${ours.tok_s.toFixed(1)} tok/s, peak RSS ${(ours.peak_rss / 2 ** 30).toFixed(2)} GiB, wasm ${(ours.peak_wasm / 2 ** 30).toFixed(2)} GiB`}; torch...`);
        const peer = child('/usr/bin/python3', [path.join(here, '../tools/bench_torch_scale.py'), JSON.stringify({ ...c, arch, loraTargets: ['q', 'v'] }), ''], torchEnv(), args.log);
        args.log(`${shape} ${m}: torch ${peer.error ? 'error: ' + peer.error : `${peer.tok_s.toFixed(1)} tok/s, peak RSS ${(peer.peak_rss / 2 ** 30).toFixed(2)} GiB (${peer.blas})`}`);
        if (m === 'train_full' || m === 'train_lora') trainRuns[m] = { ours, peer };
        const shp = `${label} B${B} T${m === 'decode' ? '16+32' : seq}`;
        // the machine's 1-minute load average before ours and after the peer: a shared 2-core box
        // swings, so each row says how busy it was
        const load = [Number(load0.toFixed(1)), Number(os.loadavg()[0].toFixed(1))];
        results.push({ op: m, shape: shp, impl: 'wasm', tokensPerSecond: ours.tok_s, peakRss: ours.peak_rss, peakWasm: ours.peak_wasm, plan: ours.plan, loadSeconds: ours.load_s, loadAverage: load, note: ours.error });
        results.push({ op: m, shape: shp, impl: 'torch-cpu', tokensPerSecond: peer.tok_s, peakRss: peer.peak_rss, blas: peer.blas, loadAverage: load, note: peer.error });
        if (!ours.error && !peer.error) {
          (scale[shape] ??= {})[m] = ours.tok_s / peer.tok_s;
          scale[shape][`${m}_rss`] = ours.peak_rss / peer.peak_rss;
          (ratios[`wasm_vs_torch_${m}`] ??= {})[shape] = ours.tok_s / peer.tok_s;
          (ratios[`wasm_rss_over_torch_${m}`] ??= {})[shape] = ours.peak_rss / peer.peak_rss;
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (Object.keys(roofline).length) notes.push(`matmul: products of one ${matmulOf} step timed alone, ${rounds} interleaved round(s), best call of each (≥ 2 calls and 300 ms per product and round); in-step = the same products inside our recorded step; model FLOPs = the step's linears and LM head without our fused head's recomputation`);
  return { bench: 'scale', results, ratios, scale_vs_torch: scale, roofline, notes };
}

interface Product { m: number; n: number; k: number; transA: boolean; transB: boolean; bDtype: string; accumulate: boolean; count: number; ms: number }
const pname = (p: Product) => `${p.m}×${p.n}×${p.k}${p.transA ? ' Aᵀ' : ''}${p.transB ? ' Bᵀ' : ''}${p.bDtype !== 'f32' ? ` ${p.bDtype} b` : ''}${p.accumulate ? ' +=' : ''}`;

/** FLOPs of one training step's linears and LM head as a framework without recomputation does
 *  them (PyTorch's count): forward, dX and — for what trains — dW, 2·m·n·k each */
function modelFlops(s: ScaleShape, N: number, lora: boolean): number {
  const D = s.hidden / s.heads, C = s.hidden;
  const perLayer = C * s.heads * D + 2 * C * s.kvHeads * D + s.heads * D * C + 3 * C * s.intermediate;
  const lin = s.layers * perLayer + C * s.vocab;
  // LoRA rank 8 on q, v: x Aᵀ, (xAᵀ) Bᵀ and their three backward products each
  const adapters = lora ? s.layers * 3 * 2 * N * 8 * ((C + s.heads * D) + (C + s.kvHeads * D)) : 0;
  return 2 * N * lin * (lora ? 2 : 3) + adapters;
}

function matmulMeasure(o: {
  args: BenchArgs; s: ScaleShape; dir: string; label: string; seq: number; trainBatch: number; matmulOf: Measure; rounds: number;
  trainRuns: Partial<Record<Measure, { ours: Record<string, any>; peer: Record<string, any> }>>;
  arch: Record<string, unknown>; results: BenchResult[]; ratios: Record<string, Record<string, number>>;
}): Record<string, unknown> {
  const { args, s, seq: T, trainBatch: B, matmulOf } = o;
  let ours = o.trainRuns[matmulOf]?.ours;
  if (!ours?.record) {
    args.log(`matmul: recording the products of one ${matmulOf} step (load average ${os.loadavg()[0].toFixed(1)})...`);
    ours = child(process.execPath, ['--import', 'tsx', path.join(here, 'scale/ours.ts'), JSON.stringify({ dir: o.dir, measure: matmulOf, batch: B, seq: T, steps: 0, loraRank: 8, loraTargets: ['q', 'v'], record: true })], process.env, args.log);
  }
  if (!ours.record) {
    o.results.push({ op: 'matmul', shape: o.label, impl: 'wasm', note: `no recorded step: ${ours.error}` });
    return { error: ours.error };
  }
  const rec = ours.record as { step_s: number; matmul_s: number; products: Product[] };
  const products = [...rec.products].sort((x, y) => y.ms - x.ms);
  const flop = (p: Product) => 2 * p.m * p.n * p.k;
  const mine: number[][] = [], theirs: number[][] = [];
  const loads: number[] = [os.loadavg()[0]];
  const list = JSON.stringify({ products, minMs: 300 });
  for (let r = 0; r < o.rounds; r++) {
    args.log(`matmul round ${r + 1}/${o.rounds}: ${products.length} products, ours... (load average ${os.loadavg()[0].toFixed(1)})`);
    const a = child(process.execPath, ['--import', 'tsx', path.join(here, 'scale/matmul.ts'), list], process.env, args.log);
    if (a.ms) mine.push(a.ms);
    args.log(`matmul round ${r + 1}/${o.rounds}: torch...`);
    const b = child('/usr/bin/python3', [path.join(here, '../tools/bench_torch_scale.py'), JSON.stringify({ measure: 'matmul', products, minMs: 300 }), ''], torchEnv(), args.log);
    if (b.ms) theirs.push(b.ms);
    loads.push(os.loadavg()[0]);
  }
  const best = (runs: number[][], i: number) => (runs.length ? Math.min(...runs.map((x) => x[i])) : NaN);
  const loadAverage = [Math.min(...loads), Math.max(...loads)].map((x) => Number(x.toFixed(1)));
  let oursSum = 0, torchSum = 0, flops = 0;
  products.forEach((p, i) => {
    const a = best(mine, i), b = best(theirs, i);
    oursSum += p.count * a; torchSum += p.count * b; flops += p.count * flop(p);
    const shape = `${pname(p)} ×${p.count}`;
    o.results.push({ op: 'matmul', shape, impl: 'wasm', ms: a, gflops: flop(p) / a / 1e6, inStepMs: p.ms / p.count, loadAverage });
    o.results.push({ op: 'matmul', shape, impl: 'torch-cpu', ms: b, gflops: flop(p) / b / 1e6, loadAverage });
    if (a > 0 && b > 0) (o.ratios.wasm_vs_torch_matmul ??= {})[pname(p)] = b / a;
  });
  const N = B * T, lora = matmulOf === 'train_lora';
  const model = modelFlops(s, N, lora);
  const peer = o.trainRuns[matmulOf]?.peer;
  // PyTorch's step: B·(T−1) tokens at its measured tok/s (its model FLOPs on N = B·(T−1) rows)
  const torchStep = peer?.tok_s ? (B * (T - 1)) / peer.tok_s : null;
  const summary = {
    measure: matmulOf, products: products.length, loadAverage,
    executed_gflop: flops / 1e9, model_gflop: model / 1e9,
    ours_step_s: rec.step_s, ours_matmul_in_step_s: rec.matmul_s, ours_matmul_share_of_step: rec.matmul_s / rec.step_s,
    ours_step_gflops_executed: flops / rec.step_s / 1e9, ours_step_gflops_model: model / rec.step_s / 1e9,
    ours_matmul_gflops_in_step: flops / rec.matmul_s / 1e9,
    ours_matmul_gflops_isolated: flops / oursSum / 1e6, torch_matmul_gflops_isolated: flops / torchSum / 1e6,
    // the step's products alone, each side at its isolated speed: what the matmuls cap the ratio at
    matmul_ratio_ours_vs_torch: torchSum / oursSum,
    torch_step_s: torchStep, torch_step_gflops_model: torchStep ? modelFlops(s, B * (T - 1), lora) / torchStep / 1e9 : null,
  };
  args.log(`matmul: ${products.length} products; isolated ours ${summary.ours_matmul_gflops_isolated.toFixed(1)} GFLOP/s vs torch ${summary.torch_matmul_gflops_isolated.toFixed(1)} (ratio ${summary.matmul_ratio_ours_vs_torch.toFixed(2)}); our step ${rec.step_s.toFixed(2)} s, matmuls ${(100 * summary.ours_matmul_share_of_step).toFixed(0)}% of it at ${summary.ours_matmul_gflops_in_step.toFixed(1)} GFLOP/s`);
  return summary;
}

const gib = (b: unknown) => (typeof b === 'number' ? `${(b / 2 ** 30).toFixed(2)} GiB` : 'n/a');
export function printTable(r: BenchReport, write: (s: string) => void): void {
  write('measure     impl        tokens/s   peak RSS   peak wasm  shape\n');
  for (const x of r.results.filter((y) => y.op !== 'matmul')) {
    write(`${x.op.padEnd(11)} ${x.impl.padEnd(10)} ${x.note ? 'n/a'.padStart(9) : (x.tokensPerSecond as number).toFixed(1).padStart(9)}  ${gib(x.peakRss).padStart(9)}  ${(x.impl === 'wasm' ? gib(x.peakWasm) : '').padStart(9)}  ${x.shape}${x.note ? `  (${x.note})` : ''}\n`);
  }
  write('\nscale_vs_torch (tokens/s ours ÷ PyTorch; *_rss: peak RSS ours ÷ PyTorch, < 1 is less memory):\n');
  for (const [s, v] of Object.entries(r.scale_vs_torch as Record<string, Record<string, number>>)) write(`  ${s}: ${Object.entries(v).map(([k, x]) => `${k} ${x.toFixed(2)}×`).join(', ')}\n`);
  const mm = r.results.filter((x) => x.op === 'matmul' && x.ms !== undefined);
  if (mm.length) {
    write('\nmatmul products of one training step (each timed alone; ×count per step):\n  GFLOP/s ours  torch  ratio  product\n');
    for (let i = 0; i + 1 < mm.length; i += 2) write(`  ${(mm[i].gflops as number).toFixed(1).padStart(12)} ${(mm[i + 1].gflops as number).toFixed(1).padStart(6)} ${((mm[i + 1].ms as number) / (mm[i].ms as number)).toFixed(2).padStart(6)}  ${mm[i].shape}\n`);
  }
  for (const [s, v] of Object.entries((r.roofline ?? {}) as Record<string, Record<string, unknown>>)) {
    write(`roofline ${s}: ${Object.entries(v).map(([k, x]) => `${k} ${typeof x === 'number' ? Number(x.toPrecision(3)) : JSON.stringify(x)}`).join(', ')}\n`);
  }
  for (const n of r.notes ?? []) write(`note: ${n}\n`);
}
