// One measure of `npm run bench -- scale` on our wasm backend, in a process of its own (so the
// peak RSS and wasm memory it reports belong to that measure alone). Spawned by bench/scale.ts:
//   node --import tsx bench/scale/ours.ts '<json: {dir, measure, batch, seq, steps, promptLen, newTokens, loraRank, loraTargets, record?}>'
// Prints one JSON line: {tok_s, peak_rss, peak_wasm, plan, load_s} or {error}; train measures with
// record: true add record = {step_s, matmul_s, products} of one extra, untimed-for-tok/s step.
// The model is loaded with loadModel (weights streamed from the bf16 file), passes are planned
// by plan.ts (sftBackward, sequenceLogprobs and Policy-style decode batches plan their rows).
import { createBackend } from '../../src/kernels/index.js';
import { loadModel } from '../../src/model/load.js';
import { generate } from '../../src/model/generate.js';
import { planPass } from '../../src/model/plan.js';
import { sftBackward } from '../../src/train/sft.js';
import { sequenceLogprobs } from '../../src/train/preference.js';
import { Optimizer } from '../../src/train/optimizer.js';

/** wraps be.matmul: each distinct product (m, n, k, layout, b's dtype) with its calls and wall ms
 *  (the wasm backend runs an op synchronously, so a call's wall time is its cost) */
function recordMatmuls(be: any) {
  const orig = be.matmul;
  const seen = new Map<string, { m: number; n: number; k: number; transA: boolean; transB: boolean; bDtype: string; accumulate: boolean; count: number; ms: number }>();
  be.matmul = function (o: any, a: any, b: any, opt: any) {
    const p = { m: opt.m, n: opt.n, k: opt.k, transA: !!opt.transA, transB: !!opt.transB, bDtype: b.dtype as string, accumulate: !!opt.accumulate };
    const key = JSON.stringify(p);
    const t0 = performance.now();
    orig.call(this, o, a, b, opt);
    const e = seen.get(key) ?? { ...p, count: 0, ms: 0 };
    e.ms += performance.now() - t0; e.count++;
    seen.set(key, e);
  };
  return {
    stop() {
      be.matmul = orig;
      const products = [...seen.values()];
      return { products, matmul_s: products.reduce((s, p) => s + p.ms, 0) / 1000 };
    },
  };
}

const cfg = JSON.parse(process.argv[2]);
const { dir, measure, batch: B, seq: T, steps } = cfg;
const be = await createBackend('wasm');
const out: Record<string, unknown> = {};
try {
  const t0 = performance.now();
  const training = measure === 'train_full' || measure === 'train_lora';
  const { model, arch } = loadModel(be, dir, { training, lora: measure === 'train_lora', seq: T });
  out.load_s = (performance.now() - t0) / 1000;
  const V = arch.vocab;
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % V; };
  const seqs = Array.from({ length: B }, () => ({ prompt: [rnd()], response: Array.from({ length: T - 1 }, rnd) }));
  if (training) {
    if (measure === 'train_lora') model.enableLoRA({ rank: cfg.loraRank, alpha: 16, targets: cfg.loraTargets, seed: 1 });
    const opt = new Optimizer(be, model.trainableParams(), { name: 'adamw', lr: 1e-4 });
    const step = async () => { model.zeroGrad(); await sftBackward(model, seqs, 1); opt.update(model.grads!); await be.sync(); };
    await step();
    out.plan = { ...planPass(model, { mode: 'train', rows: B, seq: T }), budget: undefined };
    if (cfg.record) {
      // one more step with every matmul recorded (shape, layout, b's dtype) and timed: the
      // products the `matmul` measure times in isolation on both sides
      const rec = recordMatmuls(be);
      const t = performance.now();
      await step();
      out.record = { step_s: (performance.now() - t) / 1000, ...rec.stop() };
    }
    const t1 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    out.tok_s = (B * (T - 1) * steps) / ((performance.now() - t1) / 1000);
  } else if (measure === 'logprobs') {
    const recs = seqs.map((s) => ({ promptIds: s.prompt, responseIds: s.response }));
    await sequenceLogprobs(model, recs, B);
    out.plan = { ...planPass(model, { mode: 'score', rows: B, seq: T }), budget: undefined };
    const t1 = performance.now();
    for (let i = 0; i < steps; i++) await sequenceLogprobs(model, recs, B);
    out.tok_s = (B * (T - 1) * steps) / ((performance.now() - t1) / 1000);
  } else if (measure === 'decode') {
    const P = cfg.promptLen, N = cfg.newTokens;
    const prompts = Array.from({ length: B }, () => Array.from({ length: P }, rnd));
    const plan = planPass(model, { mode: 'decode', rows: B, seq: P + N, prefill: P });
    out.plan = { ...plan, budget: undefined };
    const run = async (n: number) => { for (let i = 0; i < B; i += plan.rows) await generate(model, prompts.slice(i, i + plan.rows), { maxNewTokens: n }); };
    await run(2);
    const t1 = performance.now();
    await run(N);
    out.tok_s = (B * N) / ((performance.now() - t1) / 1000);
  } else throw new Error(`unknown measure ${measure}`);
} catch (e) {
  out.error = (e as Error).message;
}
out.peak_wasm = (be as any).memory.buffer.byteLength;
out.peak_rss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
