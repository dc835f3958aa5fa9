// The fused LM head never allocates N×V: log-probs and a training step (forward + backward)
// at a shape where the vocabulary dwarfs everything else, on every backend. Two measures:
// - the largest tensor the model asks its backend for (a backend wrapped to record sizes);
// - the backend's own peak of bytes in use (wasm: the allocator's peak; WebGPU: live buffers),
//   above what was in use before the step.
// The old full-logits head is measured the same way first, so the test shows that the measure
// does see an (N,V) tensor when there is one. Also: generation's prefill projects only the
// last position of each row, and chunkColumns at real shapes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend, Tensor } from '../../src/kernels/backend.js';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { packBatch } from '../../src/model/batch.js';
import { Transformer } from '../../src/model/transformer.js';
import { generate } from '../../src/model/generate.js';
import { chunkColumns, LM_HEAD_CHUNK_BYTES } from '../../src/model/lm-head.js';
import type { WasmBackend } from '../../src/kernels/wasm/backend.js';
import type { WebGPUBackend } from '../../src/kernels/webgpu/backend.js';
import { backendNames, getBackend, Rng, SEED } from '../kernels/harness.js';

const V = 5003, B = 2, T = 64, N = B * T;
const NV_BYTES = N * V * 4;

/** the backend, with the element count of the largest tensor made through it recorded */
function recording(be: Backend): { be: Backend; largest: () => number } {
  let largest = 0;
  const note = (t: Tensor) => { largest = Math.max(largest, t.size); return t; };
  const wrapped = new Proxy(be, {
    get(target, prop) {
      if (prop === 'tensor') return (...a: Parameters<Backend['tensor']>) => note(target.tensor(...a));
      if (prop === 'fromArray') return (...a: Parameters<Backend['fromArray']>) => note(target.fromArray(...a));
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { be: wrapped, largest: () => largest };
}

/** bytes in use now and the peak since the last reset, from the backend itself */
function meter(be: Backend): { reset(): number; peak(): number } {
  if (be.name === 'wasm') {
    const a = (be as WasmBackend).alloc;
    return { reset: () => { a.resetPeak(); return a.inUse; }, peak: () => a.peak };
  }
  const ctx = (be as WebGPUBackend).ctx;
  return { reset: () => { ctx.peakBytes = ctx.liveBytes; return ctx.liveBytes; }, peak: () => ctx.peakBytes };
}

for (const beName of backendNames()) {
  const s = suite(`fused LM head memory [${beName}]`);
  s(`log-probs and a training step at N=${N}, V=${V}: no N×V tensor, peak far below N·V floats`, async () => {
    const base = await getBackend(beName);
    const arch: Arch = { family: 'llama', vocab: V, hidden: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, intermediate: 32, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 128 };
    const rng = new Rng(SEED ^ 0xe1);
    const host = initParams(arch, rng.int(0, 1 << 30));
    const seqs = Array.from({ length: B }, () => ({ prompt: rng.i32(8, 0, V), response: rng.i32(T - 8, 0, V) }));
    const batch = packBatch(seqs);
    const dl = new Float32Array(N).map((_, i) => (batch.targets[i] >= 0 ? -1 / N : 0));
    const m = meter(base);
    const step = async (mode: 'full' | 'fused') => {
      const rec = recording(base);
      const model = new Transformer(rec.be, arch, uploadParams(rec.be, arch, host));
      model.lmHeadMode = mode;
      // a 64 KiB working set: chunks of (N, 56) logits, a small fraction of N×V
      model.lmHeadOptions = { chunkBytes: 64 * 1024 };
      model.zeroGrad();
      const dT = rec.be.fromArray(dl, [N]);
      await base.sync();
      const before = m.reset();
      const { logp } = model.forward(batch);
      const lp = await base.read(logp);
      model.backward(dT);
      const g = await base.read(model.grads!.get('lm_head.w')!, 0, 4);
      const peak = m.peak() - before;
      for (const x of [...lp, ...g]) if (!Number.isFinite(x)) throw new Error(`${mode}: non-finite output ${x}`);
      const largest = rec.largest();
      base.dispose(dT);
      for (const p of model.params.values()) base.dispose(p);
      model.dispose();
      return { peak, largest, lp };
    };
    const full = await step('full');
    const fused = await step('fused');
    console.log(`    [${beName}] N×V = ${(NV_BYTES / 2 ** 20).toFixed(2)} MiB; step peak above params: full head ${(full.peak / 2 ** 20).toFixed(2)} MiB, fused ${(fused.peak / 2 ** 20).toFixed(2)} MiB; largest tensor: full ${full.largest}, fused ${fused.largest} elements`);
    // the measures see the full head's logits and their gradient ...
    assert.ok(full.largest >= N * V, `the full head's largest tensor (${full.largest}) should be N×V`);
    assert.ok(full.peak >= 2 * NV_BYTES, `the full head's peak ${full.peak} should hold logits and dlogits (${2 * NV_BYTES})`);
    // ... and the fused head makes nothing near that: its largest tensor is the V×C weight
    assert.ok(fused.largest <= V * arch.hidden, `fused: largest tensor ${fused.largest} elements, expected at most V×C = ${V * arch.hidden}`);
    assert.ok(fused.peak < NV_BYTES / 4, `fused: peak ${fused.peak} bytes above the params, expected under a quarter of N×V floats (${NV_BYTES / 4})`);
    // same log-probs either way
    let worst = 0;
    for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(full.lp[i] - fused.lp[i]));
    assert.ok(worst < 1e-4, `fused vs full log-probs differ by ${worst}`);
  });
  s('generation projects only the sampled positions: no (B, P, V) logits during prefill', async () => {
    const base = await getBackend(beName);
    const arch: Arch = { family: 'llama', vocab: V, hidden: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, intermediate: 32, normEps: 1e-5, ropeTheta: 10000, tied: true, qkvBias: false, maxPositions: 128 };
    const rng = new Rng(SEED ^ 0xe2);
    const rec = recording(base);
    const model = new Transformer(rec.be, arch, uploadParams(rec.be, arch, initParams(arch, rng.int(0, 1 << 30))));
    const P = 40, Bg = 3;
    const res = await generate(model, Array.from({ length: Bg }, () => Array.from(rng.i32(P, 0, V))), { maxNewTokens: 3 });
    assert.is(res.tokens.length, Bg);
    const largest = rec.largest();
    assert.ok(largest <= Math.max(V * arch.hidden, Bg * V), `generate: largest tensor ${largest} elements, expected at most max(V×C, B×V) = ${Math.max(V * arch.hidden, Bg * V)} (B×P×V would be ${Bg * P * V})`);
    for (const p of model.params.values()) base.dispose(p);
    model.dispose();
  });
  s.run();
}

const unit = suite('fused LM head chunking');
unit('chunkColumns: the working set (two (N,Vc) chunks, one (Vc,C) slice) fits the budget; 1 ≤ Vc ≤ V', () => {
  // Qwen2.5-0.5B (C 896), 16 sequences of 128 tokens: 2.5 GB of logits and their gradient
  // unfused; 64 MiB fused
  const Vc = chunkColumns(2048, 151936, 896);
  assert.ok(Vc >= 1024 && Vc < 151936, `Vc = ${Vc}`);
  assert.ok(4 * Vc * (2 * 2048 + 896) <= LM_HEAD_CHUNK_BYTES);
  assert.ok(4 * (Vc + 1) * (2 * 2048 + 896) > LM_HEAD_CHUNK_BYTES, 'as large as the budget allows');
  assert.is(chunkColumns(16, 151936, 896), 151936, '16 rows of 151936 logits (and their gradient) fit one chunk');
  assert.is(chunkColumns(4, 100, 8), 100);
  assert.is(chunkColumns(1 << 30, 100, 8), 1);
});
unit.run();
