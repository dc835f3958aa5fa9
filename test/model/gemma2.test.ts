// Gemma-2 generation: KV-cache decoding (prefill + one token per step, sliding window on even
// layers over the cache, soft-capped scores and final logits) against a full recomputation of
// every prefix by the training forward — the logits of each step (not just their argmax), and
// greedy tokens = the argmax of the recomputation — on the PyTorch-checked fixture gemma2-gqa
// (window 4), with batched prompts of different lengths (left padding) that outgrow the window.
// And the other training paths agree with the default one (fused head in chunks, checked against
// PyTorch in fixtures.test.ts): the full-logits head (final soft cap and its backward on (N, V)
// logits), activation recomputation (Gemma's post-norm activations rebuilt in backward), and the
// fused head keeping every chunk's (soft-capped) logits for backward.
// And a BF16 checkpoint loaded with its matrices kept 16-bit (the tied embedding read 16-bit, then
// × √C; the (1 + w) norms f32) gives PyTorch's logits from the same BF16 bytes (check-bf16.json,
// tools/make_model_fixtures.py --check; test/model/io-modeldir.test.ts checks the bytes' hash).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../src/model/load.js';
import { packBatch } from '../../src/model/batch.js';
import { readModelDir, writeModelDir } from '../../src/model/modeldir.js';
import type { Batch } from '../../src/model/transformer.js';
import { generate, greedyPicker, type TokenPicker } from '../../src/model/generate.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';

const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/models/gemma2-gqa');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-gemma2-bf16-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

for (const beName of backendNames()) {
  const s = suite(`gemma2 generation [${beName}]`);
  s('KV-cache logits = full forward logits of each prefix; greedy tokens = their argmax', async () => {
    const be = await getBackend(beName);
    const { model, arch } = loadModel(be, dir);
    try {
      assert.ok(arch.gemma2?.slidingWindow === 4 && arch.gemma2.attnSoftcap && arch.gemma2.finalSoftcap, 'the fixture exercises window and caps');
      const rng = new Rng(SEED ^ 0x9e33a2);
      const V = arch.vocab;
      const prompts = [7, 3, 1].map((n) => Array.from(rng.i32(n, 0, V)));
      const steps = 6;
      const seen: Float32Array[] = [];
      const recorder: TokenPicker = { pick: (logits, B, v, h) => { seen.push(logits.slice()); return greedyPicker.pick(logits, B, v, h); } };
      const res = await generate(model, prompts, { maxNewTokens: steps, picker: recorder });
      assert.is(seen.length, steps);
      let worst = 0;
      for (let b = 0; b < prompts.length; b++) {
        assert.is(res.tokens[b].length, steps, 'row length');
        const seq = [...prompts[b]];
        for (let t = 0; t < steps; t++) {
          const batch = packBatch([{ prompt: seq, response: [] }]);
          const full = await be.read(model.forwardLogits(batch));
          const want = Float64Array.from(full.subarray((seq.length - 1) * V, seq.length * V));
          worst = Math.max(worst, expectClose(seen[t].subarray(b * V, (b + 1) * V), want, 1e-4, `row ${b} step ${t} logits`));
          let best = 0;
          for (let v = 1; v < V; v++) if (want[v] > want[best]) best = v;
          assert.is(res.tokens[b][t], best, `KV-cache token at row ${b} step ${t} (seed ${SEED})`);
          seq.push(best);
        }
        assert.ok(seq.length > 4, 'the sequence outgrows the window');
      }
      console.log(`    gemma2 KV-cache vs full forward [${beName}]: logits max rel err ${worst.toExponential(1)} over ${steps} steps × ${prompts.length} rows`);
    } finally { model.dispose(); }
  });
  s('full-logits head and recomputation = the fused head: log-probs and every gradient', async () => {
    const be = await getBackend(beName);
    const { model, arch } = loadModel(be, dir, { training: true });
    try {
      const rng = new Rng(SEED ^ 0x9e33a3);
      const seqs = [9, 5, 11].map((n) => ({ prompt: Array.from(rng.i32(3, 0, arch.vocab)), response: Array.from(rng.i32(n - 3, 0, arch.vocab)) }));
      const batch = packBatch(seqs);
      const dl = be.fromArray(Float32Array.from(batch.targets, (t, i) => (t >= 0 ? -(1 + (i % 4)) / 4 : 0)), [batch.B * batch.T]);
      const run = async (mode: 'full' | 'fused', recompute: boolean, keepLogits = false) => {
        model.lmHeadMode = mode; model.recompute = recompute; model.lmHeadOptions = { chunk: 13 };
        model.zeroGrad();
        const lp = Float64Array.from(await be.read(model.forward(batch, { keepLogits }).logp));
        model.backward(dl);
        const g = new Map<string, Float64Array>();
        for (const [n, t] of model.grads!) g.set(n, Float64Array.from(await be.read(t)));
        return { lp, g };
      };
      const ref = await run('fused', false);
      for (const [mode, recompute, keep] of [['full', false, false], ['fused', true, false], ['fused', false, true]] as const) {
        const r = await run(mode, recompute, keep);
        const what = `${mode}${recompute ? ' + recompute' : ''}${keep ? ' + kept (capped) chunk logits' : ''} [${beName}]`;
        expectClose(r.lp, ref.lp, 1e-5, `logp ${what}`);
        assert.is(r.g.size, ref.g.size);
        for (const [n, g] of ref.g) expectClose(r.g.get(n)!, g, 1e-4, `grad ${n} ${what}`);
      }
      be.dispose(dl);
    } finally { model.lmHeadMode = 'fused'; model.recompute = false; model.dispose(); }
  });
  s('BF16 checkpoint, matrices kept 16-bit: PyTorch\'s logits from the same bytes', async () => {
    const be = await getBackend(beName);
    const bf16Dir = path.join(tmp, `gemma2-bf16-${beName}`);
    const src = readModelDir(dir);
    writeModelDir(bf16Dir, { config: src.config, tensors: src.tensors, dtype: 'BF16' });
    const { model } = loadModel(be, bf16Dir, { weights: 'keep' });
    try {
      assert.is(model.p('embed').dtype, 'bf16');
      assert.is(model.p('l0.q.w').dtype, 'bf16');
      assert.is(model.p('l0.an.w').dtype, 'f32');
      const ck = JSON.parse(fs.readFileSync(path.join(dir, 'check-bf16.json'), 'utf8'));
      const flat = (a: number[][]) => Int32Array.from(a.flat());
      const cb: Batch = { B: 2, T: 5, ids: flat(ck.input_ids), positions: flat(ck.position_ids), keyMask: flat(ck.attention_mask), targets: new Int32Array(10).fill(-1) };
      const got = await be.read(model.forwardLogits(cb)), V = src.config.vocabSize;
      const real: number[] = [], want: number[] = [];
      for (let b = 0; b < 2; b++) for (let t = 0; t < 5; t++) if (ck.attention_mask[b][t]) { real.push(...got.slice((b * 5 + t) * V, (b * 5 + t + 1) * V)); want.push(...ck.logits[b][t]); }
      const e = expectClose(real, want, 1e-4, 'gemma2 bf16 keep vs PyTorch logits');
      console.log(`    gemma2 bf16 kept 16-bit [${beName}]: logits vs PyTorch (same BF16 bytes) rel err ${e.toExponential(1)}`);
    } finally { model.dispose(); }
  });
  s.run();
}
