// `npm run bench -- scale [--shapes smollm2-135m,qwen2.5-0.5b,llama3.2-1b] [--measures train_full,train_lora,logprobs,decode]
//   [--steps N] [--train-batch B] [--score-batch B] [--seq T] [--json] [--quick]`
// Real-checkpoint shapes with random bf16 weights (tools/scale-model.ts writes them into a temp
// dir as a Hugging Face model directory with GPT-2's tokenizer.json) on the wasm backend, beside
// PyTorch on the CPU (tools/bench_torch_scale.py: same shape, batch and steps, f32, OpenBLAS,
// 2 threads) in the same run. Each measure runs in a fresh process on each side, so its peak
// memory is its own: tokens/s, peak RSS (both), peak wasm memory (ours).
//   train_full  forward + backward + AdamW on B×T (tokens = B·(T−1))
//   train_lora  the same with LoRA adapters (rank 8, q and v) on a frozen base
//   logprobs    per-sequence log-probs of B sequences of T tokens (no gradient)
//   decode      greedy, KV cache, B rows, after a promptLen prompt
// JSON: results, ratios (wasm_vs_torch_<measure>, wasm_rss_over_torch_<measure>) and
// scale_vs_torch.<shape>.<measure> = our tokens/s ÷ PyTorch's (and <measure>_rss: our peak RSS ÷
// PyTorch's, below 1 is better). A measure our side cannot fit reports the planner's error.
// --quick: the tiny-llama shape, 1 step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paramCountOf, SHAPES, writeScaleModel } from '../tools/scale-model.js';
import { flag, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MEASURES = ['train_full', 'train_lora', 'logprobs', 'decode'] as const;
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
  const steps = Number(flag(args.argv, 'steps') ?? (args.quick ? 1 : 2));
  const seq = Number(flag(args.argv, 'seq') ?? (args.quick ? 32 : 128));
  const trainBatch = Number(flag(args.argv, 'train-batch') ?? 8);
  const scoreBatch = Number(flag(args.argv, 'score-batch') ?? 16);
  const decodeBatch = Number(flag(args.argv, 'decode-batch') ?? 8);
  for (const [n, v] of Object.entries({ steps, seq, trainBatch, scoreBatch, decodeBatch })) if (!Number.isInteger(v) || v < 1) throw new Error(`bench scale: ${n} must be a positive integer`);
  const results: BenchResult[] = [];
  const ratios: Record<string, Record<string, number>> = {};
  const scale: Record<string, Record<string, number>> = {};
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
      for (const m of measures) {
        const B = m === 'logprobs' ? scoreBatch : m === 'decode' ? decodeBatch : trainBatch;
        const c = { measure: m, batch: B, seq, steps, promptLen: 16, newTokens: 32, loraRank: 8, loraTargets: ['q', 'v'] };
        args.log(`${shape} ${m}: ours... (load average ${os.loadavg()[0].toFixed(1)})`);
        const load0 = os.loadavg()[0];
        const ours = child(process.execPath, ['--import', 'tsx', path.join(here, 'scale/ours.ts'), JSON.stringify({ ...c, dir })], process.env, args.log);
        args.log(`${shape} ${m}: ours ${ours.error ? 'error: ' + ours.error : `${ours.tok_s.toFixed(1)} tok/s, peak RSS ${(ours.peak_rss / 2 ** 30).toFixed(2)} GiB, wasm ${(ours.peak_wasm / 2 ** 30).toFixed(2)} GiB`}; torch...`);
        const peer = child('/usr/bin/python3', [path.join(here, '../tools/bench_torch_scale.py'), JSON.stringify({ ...c, arch, loraTargets: ['q', 'v'] }), ''], torchEnv(), args.log);
        args.log(`${shape} ${m}: torch ${peer.error ? 'error: ' + peer.error : `${peer.tok_s.toFixed(1)} tok/s, peak RSS ${(peer.peak_rss / 2 ** 30).toFixed(2)} GiB (${peer.blas})`}`);
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
  return { bench: 'scale', results, ratios, scale_vs_torch: scale, notes };
}

const gib = (b: unknown) => (typeof b === 'number' ? `${(b / 2 ** 30).toFixed(2)} GiB` : 'n/a');
export function printTable(r: BenchReport, write: (s: string) => void): void {
  write('measure     impl        tokens/s   peak RSS   peak wasm  shape\n');
  for (const x of r.results) {
    write(`${x.op.padEnd(11)} ${x.impl.padEnd(10)} ${x.note ? 'n/a'.padStart(9) : (x.tokensPerSecond as number).toFixed(1).padStart(9)}  ${gib(x.peakRss).padStart(9)}  ${(x.impl === 'wasm' ? gib(x.peakWasm) : '').padStart(9)}  ${x.shape}${x.note ? `  (${x.note})` : ''}\n`);
  }
  write('\nscale_vs_torch (tokens/s ours ÷ PyTorch; *_rss: peak RSS ours ÷ PyTorch, < 1 is less memory):\n');
  for (const [s, v] of Object.entries(r.scale_vs_torch as Record<string, Record<string, number>>)) write(`  ${s}: ${Object.entries(v).map(([k, x]) => `${k} ${x.toFixed(2)}×`).join(', ')}\n`);
  for (const n of r.notes ?? []) write(`note: ${n}\n`);
}
