// Where a step's time goes on the wasm backend: wraps every op of the backend with a timer (the
// wasm backend runs ops eagerly and synchronously, so wall time per call is the op's cost), runs
// one warm-up and one timed step of a real-checkpoint shape (tools/scale-model.ts, random bf16
// weights), and prints the ops by share of the step, matmuls by shape.
//   node --import tsx tools/profile-step.ts [shape=smollm2-135m] [train_full|train_lora|logprobs] [B=8] [T=128]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBackend } from '../src/kernels/index.js';
import { loadModel } from '../src/model/load.js';
import { sftBackward } from '../src/train/sft.js';
import { sequenceLogprobs } from '../src/train/preference.js';
import { Optimizer } from '../src/train/optimizer.js';
import { writeScaleModel } from './scale-model.js';

const [shape = 'smollm2-135m', measure = 'train_full', Bs = '8', Ts = '128'] = process.argv.slice(2);
const B = Number(Bs), T = Number(Ts);
const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-profile-')), shape);
writeScaleModel(dir, shape, 5);
const be = await createBackend('wasm');
const training = measure !== 'logprobs';
const { model, arch } = loadModel(be, dir, { training, lora: measure === 'train_lora', weights: measure === 'train_full' ? 'f32' : 'keep' });
fs.rmSync(path.dirname(dir), { recursive: true, force: true });
if (measure === 'train_lora') model.enableLoRA({ rank: 8, alpha: 16, targets: ['q', 'v'], seed: 1 });
let seed = 99;
const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % arch.vocab; };
const seqs = Array.from({ length: B }, () => ({ prompt: [rnd()], response: Array.from({ length: T - 1 }, rnd) }));
const opt = training ? new Optimizer(be, model.trainableParams(), { name: 'adamw', lr: 1e-4 }) : null;
const step = async () => {
  if (!training) { await sequenceLogprobs(model, seqs.map((s) => ({ promptIds: s.prompt, responseIds: s.response })), B); return; }
  model.zeroGrad(); await sftBackward(model, seqs, 1); opt!.update(model.grads!);
};
await step();
// wrap the ops
const times = new Map<string, { ms: number; calls: number }>();
const skip = new Set(['constructor', 'tensor', 'fromArray', 'write', 'read', 'readSync', 'dispose', 'p', 'ph', 'k', 'scratch', 'run', 'flush', 'sync', 'destroy']);
const b = be as any;
for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(b))) {
  const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(b), name);
  if (skip.has(name) || !d || typeof d.value !== 'function') continue;
  const orig = d.value;
  b[name] = function (...args: any[]) {
    const o = args[3];
    const key = name === 'matmul' ? `matmul ${o.m}×${o.n}×${o.k}${o.transA ? ' Aᵀ' : ''}${o.transB ? ' Bᵀ' : ''}${args[2].dtype !== 'f32' ? ` (${args[2].dtype} b)` : ''}` : name;
    const t0 = performance.now();
    const r = orig.apply(this, args);
    const e = times.get(key) ?? { ms: 0, calls: 0 };
    e.ms += performance.now() - t0; e.calls++;
    times.set(key, e);
    return r;
  };
}
const t0 = performance.now();
await step();
const total = performance.now() - t0;
const rows = [...times].sort((x, y) => y[1].ms - x[1].ms);
const opsMs = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(`${shape} ${measure} B=${B} T=${T}: step ${(total / 1000).toFixed(2)} s, ${(B * (T - 1) / (total / 1000)).toFixed(1)} tok/s, ops ${(100 * opsMs / total).toFixed(1)}% of it, load average ${os.loadavg()[0].toFixed(1)}`);
const byFamily = new Map<string, number>();
for (const [k, v] of rows) byFamily.set(k.split(' ')[0], (byFamily.get(k.split(' ')[0]) ?? 0) + v.ms);
console.log('by op: ' + [...byFamily].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${(100 * v / total).toFixed(1)}%`).join(', '));
for (const [k, v] of rows.slice(0, 25)) console.log(`  ${(100 * v.ms / total).toFixed(1).padStart(5)}%  ${(v.ms / 1000).toFixed(2).padStart(7)} s  ${String(v.calls).padStart(5)}×  ${k}`);
process.exit(0);
