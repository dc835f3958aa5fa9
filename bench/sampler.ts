// Sampler bench: ms per row of the wasm Sampler (src/sampling) against a plain TypeScript
// sampler written the textbook way (float64 softmax with Math.exp, a full index sort for top-k /
// top-p), on the same logits in the same run.
//   npm run bench -- sampler [--json] [--quick] [--vocab=32000,151936] [--reps=N]
// Logits: "peaked" (N(0, 2²) plus 20 tokens lifted by 14, which then hold most of the mass, like a confident LM) and "flat" (N(0, 1)).
// Ratio group wasm_vs_js = js ms ÷ wasm ms (higher = wasm faster). Times are CPU time of the
// process (best of 5 batches), wall time rides along in the JSON as wallMs.
import { Sampler, SamplerRng, type SampleConfig } from '../src/sampling/index.js';
import { flag, ratio, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const CONFIGS: [string, SampleConfig][] = [
  ['greedy', { temperature: 0 }],
  ['T=1', {}],
  ['top-k 50', { topK: 50 }],
  ['top-p 0.9', { topP: 0.9 }],
  ['min-p 0.05', { minP: 0.05 }],
  ['T .7 k50 p.9 min-p .05', { temperature: 0.7, topK: 50, topP: 0.9, minP: 0.05 }],
  ['rep 1.1, hist 512', { repetitionPenalty: 1.1 }],
];

/** The peer: straightforward float64 sampling with sorting (what a first implementation does). */
function jsSample(logits: Float32Array, c: SampleConfig, hist: Int32Array, rand: () => number): number {
  const V = logits.length;
  const y = Float64Array.from(logits);
  const rp = c.repetitionPenalty ?? 1;
  if (rp !== 1) for (const t of new Set(hist)) y[t] = y[t] > 0 ? y[t] / rp : y[t] * rp;
  const T = c.temperature ?? 1;
  if (T === 0) { let b = 0; for (let i = 1; i < V; i++) if (y[i] > y[b]) b = i; return b; }
  for (let i = 0; i < V; i++) y[i] /= T;
  const k = c.topK ?? 0, p = c.topP ?? 1, minP = c.minP ?? 0;
  let idx: number[] | null = null;
  if ((k > 0 && k < V) || p < 1) idx = Array.from({ length: V }, (_, i) => i).sort((a, b) => y[b] - y[a]);
  let n = V;
  if (idx && k > 0 && k < V) n = k;
  const order = idx ?? Array.from({ length: V }, (_, i) => i);
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, y[order[j]]);
  const w = new Float64Array(n);
  let z = 0;
  for (let j = 0; j < n; j++) { w[j] = Math.exp(y[order[j]] - m); z += w[j]; }
  if (p < 1) { let acc = 0, j = 0; for (; j < n; j++) { if (acc >= p * z) break; acc += w[j]; } n = Math.max(1, j); }
  if (minP > 0) for (let j = 0; j < n; j++) if (w[j] < minP) w[j] = 0;
  z = 0;
  for (let j = 0; j < n; j++) z += w[j];
  let u = rand() * z;
  for (let j = 0; j < n; j++) { u -= w[j]; if (u < 0) return order[j]; }
  return order[n - 1];
}

function normals(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), s | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next()));
}

/** Best of 5 batches of reps/5 calls, in CPU time of this process (user + system) and wall
 *  time: on a shared machine wall time mostly measures the other processes. */
function time(fn: () => void, reps: number): { cpu: number; wall: number } {
  for (let i = 0; i < Math.max(3, reps / 5); i++) fn(); // warm up (wasm tier-up, JIT)
  const per = Math.max(1, Math.round(reps / 5));
  let cpu = Infinity, wall = Infinity;
  for (let b = 0; b < 5; b++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < per; i++) fn();
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, (performance.now() - t0) / per);
    cpu = Math.min(cpu, (c.user + c.system) / 1000 / per);
  }
  return { cpu, wall };
}

export default async function samplerBench(args: BenchArgs): Promise<BenchReport> {
  const vocabs = (flag(args.argv, 'vocab') ?? (args.quick ? '32000' : '32000,151936')).split(',').map(Number);
  const reps = Number(flag(args.argv, 'reps') ?? (args.quick ? 10 : 40));
  const results: BenchResult[] = [];
  for (const V of vocabs) {
    const sampler = await Sampler.create(V);
    const hist = Int32Array.from(normals(512, 7), (x) => Math.floor(Math.abs(x) * 1000) % V);
    for (const [kind, logits] of [['peaked', normals(V, 1).map((x, i) => 2 * x + (i % Math.floor(V / 20) === 3 ? 14 : 0))], ['flat', normals(V, 2)]] as [string, Float32Array][]) {
      for (const [name, cfg] of CONFIGS) {
        const shape = `V=${V} ${kind}`;
        const rng = SamplerRng.fromSeed(1);
        const h = cfg.repetitionPenalty ? hist : new Int32Array(0);
        args.log(`${name} ${shape}`);
        const a = time(() => sampler.sample(logits, cfg, [rng], [h]), reps);
        results.push({ op: name, shape, impl: 'wasm', ms: a.cpu, wallMs: a.wall, reps });
        let s = 1;
        const rand = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
        const jsReps = Math.max(3, Math.ceil(reps / 4));
        const b = time(() => jsSample(logits, cfg, h, rand), jsReps);
        results.push({ op: name, shape, impl: 'js-sort', ms: b.cpu, wallMs: b.wall, reps: jsReps });
      }
    }
  }
  const speedup: Record<string, number> = {};
  for (const [name] of CONFIGS) for (const [shape, v] of Object.entries(ratio(results, name, 'wasm', 'js-sort', 'ms', false))) speedup[`${name} ${shape}`] = v;
  return {
    bench: 'sampler',
    results,
    ratios: { wasm_vs_js: speedup },
    notes: ['ms = CPU ms of this process per row (one row of V logits → one token; best of 5 batches), single thread; wallMs in the JSON',
      'js-sort: float64, Math.exp, full index sort for top-k/top-p'],
  };
}

export function printTable(report: BenchReport, write: (s: string) => void): void {
  const shapes = [...new Set(report.results.map((r) => r.shape))];
  const ops = [...new Set(report.results.map((r) => r.op))];
  write(`\n${'config'.padEnd(24)}${shapes.map((s) => s.padStart(34)).join('')}\n${' '.repeat(24)}${shapes.map(() => 'wasm ms   js-sort ms   speedup'.padStart(34)).join('')}\n`);
  for (const op of ops) {
    let line = op.padEnd(24);
    for (const s of shapes) {
      const a = report.results.find((r) => r.op === op && r.shape === s && r.impl === 'wasm')?.ms as number;
      const b = report.results.find((r) => r.op === op && r.shape === s && r.impl === 'js-sort')?.ms as number;
      line += `${a.toFixed(3).padStart(12)}${b.toFixed(2).padStart(13)}${(b / a).toFixed(1).padStart(8)}×`;
    }
    write(line + '\n');
  }
  for (const n of report.notes ?? []) write(`\n${n}\n`);
}
