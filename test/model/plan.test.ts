// Memory planning (src/model/plan.ts) on small shapes, every backend: the estimate of a pass
// covers what the pass really allocates; a tight budget makes the planner split a micro-batch
// (and turn on recomputation), and the split passes give the same gradients and log-probs as
// one pass; a model that cannot fit fails before loading with one error that gives the numbers
// and the fixes. The same code paths run at real sizes behind SPPO_BIG=1 (big.test.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { Transformer } from '../../src/model/transformer.js';
import { packBatch } from '../../src/model/batch.js';
import { checkModelFits, memoryBudget, MemoryPlanError, parseBytes, passBytes, planPass, setMemoryBudget } from '../../src/model/plan.js';
import { sftBackward } from '../../src/train/sft.js';
import { preferenceBackward, sequenceLogprobs, type TrainRecord } from '../../src/train/preference.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';

// awkward sizes: vocab 67, hidden 24, 3 layers, GQA 6:2
const arch: Arch = { family: 'llama', vocab: 67, hidden: 24, layers: 3, heads: 6, kvHeads: 2, headDim: 4, intermediate: 40, normEps: 1e-5, ropeTheta: 10000, tied: true, qkvBias: false, maxPositions: 64 };

// Gemma-2 on the same shapes: post-norm activations, window on even layers, soft caps
const gemma2Arch: Arch = { ...arch, gemma2: { queryPreAttnScalar: 4, attnSoftcap: 20, finalSoftcap: 15, slidingWindow: 3 } };

function seqs(rng: Rng, n: number) {
  return Array.from({ length: n }, () => ({ prompt: Array.from(rng.i32(rng.int(1, 5), 0, arch.vocab)), response: Array.from(rng.i32(rng.int(3, 12), 0, arch.vocab)) }));
}

const wasmOnly = (be: { name: string }) => be.name === 'wasm';

for (const beName of backendNames()) {
  const s = suite(`memory plan [${beName}]`);

  for (const [archName, A] of [['llama', arch], ['gemma2', gemma2Arch]] as const)
  s(`a pass allocates no more than its estimate, and not far less (${archName})`, async () => {
    const be = await getBackend(beName);
    const model = new Transformer(be, A, uploadParams(be, A, initParams(A, 1)));
    model.zeroGrad();
    const rng = new Rng(SEED ^ 0x91);
    const data = seqs(rng, 5);
    const batch = packBatch(data);
    // the last case: the LM head in chunks of a few columns (8 KiB), every chunk's logits kept
    for (const [recompute, keepLogits] of [[false, false], [true, false], [false, true]]) {
      model.releaseWorkspace();
      model.recompute = recompute;
      const chunkBytes = keepLogits ? 8192 : undefined;
      model.lmHeadOptions = { chunkBytes };
      const before = memoryBudget(be).inUse;
      const { logp } = model.forward(batch, { keepLogits });
      const d = be.fromArray(new Float32Array(batch.B * batch.T).fill(-0.01), [batch.B * batch.T]);
      model.backward(d);
      await be.read(logp);
      be.dispose(d);
      const used = memoryBudget(be).inUse - before;
      const est = passBytes(A, 'train', { rows: batch.B, seq: batch.T, recompute, chunkBytes, keepLogits });
      // the estimate adds 1 MiB of slack and the matmul's packed scratch (already held on wasm)
      if (used > est) throw new Error(`recompute=${recompute} keepLogits=${keepLogits}: the pass allocated ${used} bytes, over its estimate ${est} (seed ${SEED})`);
      if (!wasmOnly(be) && used < (est - 2 ** 20) * 0.5) throw new Error(`recompute=${recompute} keepLogits=${keepLogits}: estimate ${est} is far above the ${used} bytes used`);
    }
    model.dispose();
  });

  s('a tight budget splits an SFT micro-batch: same gradients as one pass', async () => {
    const be = await getBackend(beName);
    const model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 2)));
    const rng = new Rng(SEED ^ 0x92);
    const data = seqs(rng, 7);
    model.zeroGrad();
    await sftBackward(model, data, 1);
    const one = new Map<string, Float32Array>();
    for (const [n, g] of model.grads!) one.set(n, (await be.read(g)) as Float32Array);
    const T = Math.max(...data.map((x) => x.prompt.length + x.response.length));
    model.releaseWorkspace();
    try {
      // room for two rows (with recomputation) beyond what is held now
      setMemoryBudget(be, memoryBudget(be).inUse + passBytes(arch, 'train', { rows: 2, seq: T, recompute: true }) + 1024);
      const plan = planPass(model, { mode: 'train', rows: 7, seq: T });
      assert.ok(plan.rows >= 1 && plan.rows < 7, `the planner should split 7 rows, chose ${plan.rows}`);
      model.zeroGrad();
      await sftBackward(model, data, 1);
    } finally { setMemoryBudget(be, null); }
    for (const [n, g] of model.grads!) expectClose(await be.read(g), one.get(n)!, 1e-4, `grad ${n} (split vs one pass, seed ${SEED})`);
    model.dispose();
  });

  s('the LM head keeps its logits for backward when the budget has room, not when tight: same gradients', async () => {
    const be = await getBackend(beName);
    const model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 4)));
    // chunks of a few vocabulary columns, so that keeping the logits is a real choice
    model.lmHeadOptions = { chunkBytes: 8192 };
    const rng = new Rng(SEED ^ 0x94);
    const data = seqs(rng, 7);
    const T = Math.max(...data.map((x) => x.prompt.length + x.response.length));
    const shape = { rows: 7, seq: T, recompute: false, chunkBytes: 8192 };
    const keepBytes = passBytes(arch, 'train', { ...shape, keepLogits: true }) - passBytes(arch, 'train', shape);
    assert.ok(keepBytes > 0, 'keeping the logits of several chunks costs memory');
    const grads = new Map<boolean, Map<string, Float32Array>>();
    try {
      for (const room of [true, false]) {
        model.zeroGrad();
        model.releaseWorkspace();
        // held now, less what the planner counts as reusable (the wasm matmul's packing scratch)
        const held = memoryBudget(be).inUse - ((be as any).scratchBytes ?? 0);
        setMemoryBudget(be, held + passBytes(arch, 'train', { ...shape, keepLogits: room }) + 1024);
        const plan = planPass(model, { mode: 'train', rows: 7, seq: T });
        assert.equal([plan.rows, plan.recompute, plan.keepLogits], [7, false, room], `room for the logits: ${room}`);
        await sftBackward(model, data, 1);
        const g = new Map<string, Float32Array>();
        for (const [n, t] of model.grads!) g.set(n, (await be.read(t)) as Float32Array);
        grads.set(room, g);
      }
    } finally { setMemoryBudget(be, null); }
    for (const [n, g] of grads.get(true)!) expectClose(g, grads.get(false)!.get(n)!, 1e-5, `grad ${n} (logits kept vs recomputed, seed ${SEED})`);
    model.dispose();
  });

  s('recomputation is chosen when it lets twice the rows through', async () => {
    const be = await getBackend(beName);
    const model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 3)));
    model.zeroGrad();
    model.releaseWorkspace();
    const T = 40;
    const held = memoryBudget(be).inUse;
    try {
      setMemoryBudget(be, held + passBytes(arch, 'train', { rows: 6, seq: T, recompute: true }) + 1024);
      const p = planPass(model, { mode: 'train', rows: 16, seq: T });
      const without = passBytes(arch, 'train', { rows: p.rows, seq: T, recompute: false });
      assert.ok(p.recompute, `expected recomputation (rows ${p.rows})`);
      assert.ok(without > p.freeBytes, 'the same rows without recomputation would not fit');
      assert.ok(p.rows >= 6, `at least the 6 rows the budget was sized for, got ${p.rows}`);
      // a generous budget: all rows, no recomputation
      setMemoryBudget(be, held + passBytes(arch, 'train', { rows: 16, seq: T, recompute: false }) + 1024);
      const q = planPass(model, { mode: 'train', rows: 16, seq: T });
      assert.equal([q.rows, q.recompute], [16, false]);
    } finally { setMemoryBudget(be, null); }
    model.dispose();
  });

  s('split scoring and split preference passes match one pass', async () => {
    const be = await getBackend(beName);
    const model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 4)));
    const rng = new Rng(SEED ^ 0x93);
    const data = seqs(rng, 6).map((x) => ({ promptIds: x.prompt, responseIds: x.response }));
    const full = await sequenceLogprobs(model, data, 6);
    const recs: TrainRecord[] = data.map((d, i) => ({ group: i >> 1, sample: i & 1, role: i & 1 ? 'rejected' : 'chosen', ...d, target: 0, weight: 1, winrate: 0.5, refLogp: full[i] - 0.3 + 0.1 * i }));
    model.zeroGrad();
    const a = await preferenceBackward(model, recs, { loss: 'dpo', beta: 0.5 });
    const one = new Map<string, Float32Array>();
    for (const [n, g] of model.grads!) one.set(n, (await be.read(g)) as Float32Array);
    model.releaseWorkspace();
    const T = Math.max(...data.map((x) => x.promptIds.length + x.responseIds.length));
    let split: number[];
    try {
      setMemoryBudget(be, memoryBudget(be).inUse + passBytes(arch, 'train', { rows: 2, seq: T, recompute: true }) + 1024);
      split = await sequenceLogprobs(model, data, 6);
      model.zeroGrad();
      const b = await preferenceBackward(model, recs, { loss: 'dpo', beta: 0.5 });
      expectClose(Float32Array.from(b.logratios), Float32Array.from(a.logratios), 1e-4, `logratios (seed ${SEED})`);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-4 * Math.max(1, Math.abs(a.loss)), `loss ${b.loss} vs ${a.loss}`);
    } finally { setMemoryBudget(be, null); }
    expectClose(Float32Array.from(split), Float32Array.from(full), 1e-4, `sequence log-probs split vs one pass (seed ${SEED})`);
    for (const [n, g] of model.grads!) expectClose(await be.read(g), one.get(n)!, 1e-4, `dpo grad ${n}`);
    model.dispose();
  });

  s('what cannot fit fails with the numbers and the fixes', async () => {
    const be = await getBackend(beName);
    const model = new Transformer(be, arch, uploadParams(be, arch, initParams(arch, 5)));
    model.releaseWorkspace();
    try {
      setMemoryBudget(be, memoryBudget(be).inUse + 4096);
      const err = (() => { try { planPass(model, { mode: 'train', rows: 4, seq: 50, what: 'an SFT pass' }); } catch (e) { return e; } return null; })();
      assert.instance(err, MemoryPlanError);
      assert.match((err as Error).message, /an SFT pass does not fit in memory: one sequence of 50 tokens needs [\d.]+ (MiB|GiB) of activations/);
      assert.match((err as Error).message, /LoRA/);
      assert.match((err as Error).message, /16-bit/);
      // before loading: a 1B-class Llama does not fit a 4 GiB budget for full fine-tuning
      setMemoryBudget(be, 4 * 2 ** 30);
      const big: Arch = { ...arch, vocab: 128256, hidden: 2048, layers: 16, heads: 32, kvHeads: 8, headDim: 64, intermediate: 8192 };
      assert.throws(() => checkModelFits(be, big, { training: true, seq: 128, what: 'model llama-1b' }),
        (e: Error) => e instanceof MemoryPlanError && /model llama-1b does not fit: it needs about [\d.]+ GiB \(weights [\d.]+ GiB, gradients \+ optimizer state [\d.]+ GiB/.test(e.message) && /LoRA adapters instead of full fine-tuning/.test(e.message));
    } finally { setMemoryBudget(be, null); }
    model.dispose();
  });

  s.run();
}

const u = suite('memory plan: budgets');
u('SPPO_MEMORY_BUDGET sizes and errors', () => {
  assert.is(parseBytes('3GiB'), 3 * 2 ** 30);
  assert.is(parseBytes('800 MiB'), 800 * 2 ** 20);
  assert.is(parseBytes('1e9'), 1e9);
  assert.throws(() => parseBytes('lots'), /SPPO_MEMORY_BUDGET="lots" is not a size/);
});
u('wasm: the budget is the wasm32 memory less fragmentation slack', async () => {
  const be = await getBackend('wasm');
  const b = memoryBudget(be);
  assert.ok(b.total > 3.8 * 2 ** 30 && b.total < 4 * 2 ** 30, `budget ${b.total}`);
  assert.match(b.source, /wasm32/);
});
u.run();
