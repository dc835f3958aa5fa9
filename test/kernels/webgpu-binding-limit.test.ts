// A tensor larger than one WebGPU storage binding (maxStorageBufferBindingSize) is not split on
// WebGPU yet: what happens instead is one clear error. The backend's binding limit is capped
// (createBackend('webgpu', { maxBindingBytes })) so that the bf16 fixture model (V = 93, C = 40)
// reaches it: loading names the tensor, its size, the limit and the fixes (MemoryPlanError
// before anything is uploaded); a tensor made past the limit fails with a ShapeError that says
// the same; under the limit the same model loads and computes what the uncapped backend does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../../src/kernels/index.js';
import { ShapeError } from '../../src/kernels/backend.js';
import { loadModel } from '../../src/model/load.js';
import { MemoryPlanError } from '../../src/model/plan.js';
import { expectClose, getBackend, requireWebGPU, SEED } from './harness.js';
import { allTargets, dir } from '../model/bf16-fixture.js';

if (requireWebGPU('webgpu binding limit')) {
  const s = suite('webgpu binding limit');
  s('a tensor past a capped binding limit: one ShapeError naming it, the limit and the fixes', async () => {
    const be = await createBackend('webgpu', { maxBindingBytes: 4096 });
    const ok = be.tensor([1024], 'f32', 'fits');
    assert.throws(() => be.tensor([1025], 'f32', 'big one'), (e: Error) => e instanceof ShapeError
      && /tensor "big one" \[1025\] \(f32\) needs 4112 bytes, over this adapter's maxStorageBufferBindingSize of 4096 bytes \(capped by maxBindingBytes\)/.test(e.message)
      && /wasm backend/.test(e.message));
    be.dispose(ok);
    const bad = await createBackend('webgpu', { maxBindingBytes: 100 }).then(() => null, (e: Error) => e);
    assert.match(bad?.message ?? 'no error', /maxBindingBytes must be an integer ≥ 256/);
  });
  s('loading a model whose embedding exceeds the binding: MemoryPlanError before any upload; under the limit, the same log-probs', async () => {
    // the tied embedding is 93 × 40: 7440 bytes bf16, 14880 f32
    const small = await createBackend('webgpu', { maxBindingBytes: 4096 });
    const before = (small as any).ctx.liveBytes;
    assert.throws(() => loadModel(small, dir, { weights: 'keep' }), (e: Error) => e instanceof MemoryPlanError
      && /its tensor model\.embed_tokens\.weight \[93, 40\] \(16-bit\) needs 7\.3 KiB, over this WebGPU adapter's maxStorageBufferBindingSize of 4\.0 KiB/.test(e.message)
      && /over this WebGPU adapter's maxStorageBufferBindingSize/.test(e.message) && /the wasm backend/.test(e.message));
    assert.is((small as any).ctx.liveBytes, before, 'nothing was uploaded');
    // full fine-tuning trains it in f32: past a limit that holds the bf16 copy
    const mid = await createBackend('webgpu', { maxBindingBytes: 8192 });
    assert.throws(() => loadModel(mid, dir, { training: true, weights: 'keep' }), (e: Error) => e instanceof MemoryPlanError
      && /model\.embed_tokens\.weight \[93, 40\] \(f32, trained in f32\)/.test(e.message) && /or LoRA/.test(e.message));
    // inference under a limit that holds every tensor of the pass: loads, and gives the uncapped backend's log-probs
    const roomy = await createBackend('webgpu', { maxBindingBytes: 16384 });
    const { model } = loadModel(roomy, dir, { weights: 'keep' });
    const { model: ref } = loadModel(await getBackend('webgpu'), dir, { weights: 'keep' });
    try {
      const got = await roomy.read(model.forward(allTargets()).logp);
      const want = await ref.be.read(ref.forward(allTargets()).logp);
      for (const v of got) if (!Number.isFinite(v)) throw new Error(`non-finite log-prob ${v} (seed ${SEED})`);
      expectClose(got, want, 1e-6, 'capped vs uncapped log-probs');
    } finally { model.dispose(); ref.dispose(); }
  });
  s.run();
}
