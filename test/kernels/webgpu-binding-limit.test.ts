// Tensors larger than one WebGPU storage binding (maxStorageBufferBindingSize), with the
// backend's limit capped (createBackend('webgpu', { maxBindingBytes })) so that small tensors
// reach it:
// - the embedding lookup gathers a table past the limit in passes over row ranges bound at
//   aligned offsets: f32, bf16 and f16 tables, the same rows as the uncapped backend and the host;
// - the fused LM head slices a head past the limit into vocabulary chunks that fit: the bf16
//   fixture model (V = 93, C = 40) loaded f32, its log-probs and LoRA gradients on the capped
//   backend equal the uncapped backend's;
// - matmul with such a b multiplies blocks of b's rows (both layouts, every dtype), as uncapped;
// - any other op that would bind such a tensor whole (fill, here) stops with one error
//   naming the op, the tensor, its size and the limit; loading a model that would train such a
//   tensor fails before any upload with a MemoryPlanError naming it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../../src/kernels/index.js';
import type { Backend } from '../../src/kernels/backend.js';
import { fromHalfBits, toHalfBits } from '../../src/kernels/half.js';
import { loadModel } from '../../src/model/load.js';
import { MemoryPlanError } from '../../src/model/plan.js';
import { expectClose, getBackend, requireWebGPU, Rng, SEED } from './harness.js';
import { allTargets, B, dir, T } from '../model/bf16-fixture.js';
import { describe, matmulRef, type MatmulSpec } from './cases/matmul.js';

if (requireWebGPU('webgpu binding limit')) {
  const s = suite('webgpu binding limit');
  s('the embedding lookup gathers a table past the binding limit in row ranges (f32, bf16, f16)', async () => {
    const capped = await createBackend('webgpu', { maxBindingBytes: 4096 });
    const plain = await getBackend('webgpu');
    const rng = new Rng(SEED ^ 0xb1);
    // C = 40: 160-byte f32 rows (24 per pass at 4096 bytes and 256-byte offsets), 80-byte half rows (48)
    for (const [dtype, V, C] of [['f32', 301, 40], ['bf16', 301, 40], ['f16', 97, 40], ['f32', 1000, 64]] as const) {
      const vals = rng.f32(V * C, { std: 2 });
      const host = dtype === 'f32' ? vals : fromHalfBits(toHalfBits(vals, dtype), dtype);
      const ids = Int32Array.from({ length: 13 }, (_, i) => (i % 11 === 5 ? -1 : i < 3 ? [0, V - 1, V >> 1][i] : rng.int(0, V)));
      const run = async (be: Backend) => {
        const table = dtype === 'f32' ? be.fromArray(vals, [V, C]) : be.fromArray(toHalfBits(vals, dtype), [V, C], dtype);
        const idT = be.fromArray(ids, [ids.length], 'i32');
        const out = be.fromArray(new Float32Array(ids.length * C).fill(NaN), [ids.length, C]);
        be.embedding(out, table, idT);
        const got = await be.read(out);
        for (const t of [table, idT, out]) be.dispose(t);
        return got;
      };
      const want = new Float64Array(ids.length * C);
      ids.forEach((id, n) => { if (id >= 0) for (let c = 0; c < C; c++) want[n * C + c] = host[id * C + c]; });
      const got = await run(capped);
      assert.ok((dtype === 'f32' ? 4 : 2) * V * C > 4096, 'the table is past the cap');
      expectClose(got, want, 0, `capped embedding ${dtype} V=${V} C=${C} (seed ${SEED})`);
      expectClose(got, await run(plain), 0, `capped vs uncapped embedding ${dtype}`);
    }
  });
  s('matmul with b past the limit, in blocks of the rows of b: f32/bf16/f16, both layouts, bias/accumulate/alpha/broadcast, vs float64 and uncapped', async () => {
    const capped = await createBackend('webgpu', { maxBindingBytes: 4096 });
    const plain = await getBackend('webgpu');
    const rng = new Rng(SEED ^ 0xb2);
    const specs: MatmulSpec[] = [
      { m: 3, n: 301, k: 17, transB: true }, { m: 5, n: 63, k: 65, transB: true, bias: true, accumulate: true, alpha: 0.75 },
      { m: 2, n: 40, k: 130, batch: 3, broadcastB: true, transB: true, bias: true },
      { m: 3, n: 17, k: 301 }, { m: 4, n: 33, k: 130, accumulate: true, bias: true, alpha: -1.5 }, { m: 2, n: 9, k: 500, transA: true },
      { m: 2, n: 12, k: 200, batch: 2, broadcastB: true },
    ];
    for (const dtype of ['f32', 'bf16', 'f16'] as const) for (const sp of specs) {
      const batch = sp.batch ?? 1;
      const a = rng.f32(batch * sp.m * sp.k), vals = rng.f32(sp.k * sp.n);
      const b = dtype === 'f32' ? vals : fromHalfBits(toHalfBits(vals, dtype), dtype);
      const bias = sp.bias ? rng.f32(sp.n) : null, out0 = sp.accumulate ? rng.f32(batch * sp.m * sp.n) : null;
      assert.ok((dtype === 'f32' ? 4 : 2) * sp.k * sp.n > 4096, `b is past the cap (${describe(sp)})`);
      const run = async (be: Backend) => {
        const ta = be.fromArray(a, sp.transA ? [batch, sp.k, sp.m] : [batch, sp.m, sp.k]);
        const bShape = sp.transB ? [sp.n, sp.k] : [sp.k, sp.n];
        const tb = dtype === 'f32' ? be.fromArray(vals, bShape) : be.fromArray(toHalfBits(vals, dtype), bShape, dtype);
        const to = be.fromArray(out0 ?? new Float32Array(batch * sp.m * sp.n).fill(NaN), [batch, sp.m, sp.n]);
        const tbias = bias ? be.fromArray(bias, [sp.n]) : undefined;
        be.matmul(to, ta, tb, { m: sp.m, n: sp.n, k: sp.k, transA: sp.transA, transB: sp.transB, batch: sp.batch, broadcastB: sp.broadcastB, accumulate: sp.accumulate, alpha: sp.alpha, bias: tbias });
        const got = await be.read(to);
        for (const t of [ta, tb, to, tbias]) if (t) be.dispose(t);
        return got;
      };
      const got = await run(capped);
      expectClose(got, matmulRef(sp, a, b, bias, out0), 1e-5, `capped matmul ${dtype} b ${describe(sp)} (seed ${SEED})`);
      expectClose(got, await run(plain), 1e-5, `capped vs uncapped matmul ${dtype} b ${describe(sp)}`);
    }
  });
  s('an op binding a tensor past the limit whole: one error naming op, tensor, size and limit', async () => {
    const be = await createBackend('webgpu', { maxBindingBytes: 4096 });
    const w = be.fromArray(new Float32Array(40 * 30).fill(0.5), [40, 30], 'f32', 'big weight');
    assert.throws(() => be.fill(w, 0), (e: Error) =>
      /elementwise\.fill: tensor "big weight" \[40, 30\] \(f32\) is 4800 bytes, over this adapter's maxStorageBufferBindingSize of 4096 bytes \(capped by maxBindingBytes\), and this op does not split its operands/.test(e.message) && /wasm backend/.test(e.message));
    be.dispose(w);
    const bad = await createBackend('webgpu', { maxBindingBytes: 100 }).then(() => null, (e: Error) => e);
    assert.match(bad?.message ?? 'no error', /maxBindingBytes must be an integer ≥ 256/);
  });
  s('a model whose tied head is past the limit: log-probs and LoRA gradients as uncapped; full fine-tuning refused by name', async () => {
    // the tied embedding loaded f32 is 93 × 40 × 4 = 14880 bytes, past 12288; every activation fits
    const capped = await createBackend('webgpu', { maxBindingBytes: 12288 });
    const before = (capped as any).ctx.liveBytes;
    assert.throws(() => loadModel(capped, dir, { training: true, weights: 'f32' }), (e: Error) => e instanceof MemoryPlanError
      && /its tensor model\.embed_tokens\.weight \[93, 40\] \(f32\) needs 14\.5 KiB, over this WebGPU adapter's maxStorageBufferBindingSize of 12\.0 KiB/.test(e.message)
      && /the wasm backend/.test(e.message));
    assert.is((capped as any).ctx.liveBytes, before, 'nothing was uploaded');
    const run = async (be: Backend) => {
      const { model } = loadModel(be, dir, { training: true, lora: true, weights: 'f32' });
      try {
        model.enableLoRA({ rank: 2, alpha: 4, targets: ['q', 'v', 'down'], seed: 9 });
        for (const [, l] of model.lora) be.write(l.b, Float32Array.from({ length: l.b.size }, (_, i) => Math.cos(i + 1) * 0.1));
        model.zeroGrad();
        const batch = allTargets();
        const lp = Float64Array.from(await be.read(model.forward(batch).logp));
        const dl = be.fromArray(Float32Array.from(batch.targets, (t) => (t >= 0 ? -1 / (B * T) : 0)), [B * T]);
        model.backward(dl);
        const g = new Map<string, Float64Array>();
        for (const [n, t] of model.grads!) g.set(n, Float64Array.from(await be.read(t)));
        be.dispose(dl);
        return { lp, g, embedBytes: 4 * model.p('embed').size };
      } finally { model.dispose(); }
    };
    const got = await run(capped), want = await run(await getBackend('webgpu'));
    assert.ok(got.embedBytes > 12288, 'the head is past the cap');
    for (const v of got.lp) if (!Number.isFinite(v)) throw new Error(`non-finite log-prob ${v} (seed ${SEED})`);
    expectClose(got.lp, want.lp, 1e-6, 'capped vs uncapped log-probs');
    for (const [n, g] of want.g) expectClose(got.g.get(n)!, g, 1e-5, `capped vs uncapped LoRA gradient ${n}`);
  });
  s.run();
}
