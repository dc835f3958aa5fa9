// Qwen3 from a BF16 checkpoint with its matrices kept 16-bit on the device (weights 'keep', how
// inference, the reference policy and a LoRA base load): the q/k norm weights, like every 1-D
// weight, are widened to f32 (the norm ops take f32 weights). The same BF16 file loaded with
// weights 'f32' holds the same values widened, so both must give the same logits up to f32
// rounding, on every backend, and 'keep' must really hold the matrices 16-bit. Both also match
// PyTorch's logits from these very BF16 bytes (check-bf16.json, written by
// tools/make_model_fixtures.py --check; test/model/io-modeldir.test.ts checks the bytes' hash).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../src/model/load.js';
import { readModelDir, writeModelDir } from '../../src/model/modeldir.js';
import type { Batch } from '../../src/model/transformer.js';
import { backendNames, expectClose, getBackend } from '../kernels/harness.js';

const fixture = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/models/qwen3-gqa');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-qwen3-bf16-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const src = readModelDir(fixture);
const dir = path.join(tmp, 'qwen3-bf16');
writeModelDir(dir, { config: src.config, tensors: src.tensors, dtype: 'BF16' });
const fx = JSON.parse(fs.readFileSync(path.join(fixture, 'batch.json'), 'utf8'));
const B = fx.input_ids.length, T = fx.input_ids[0].length;
const flat = (a: number[][]) => Int32Array.from(a.flat());
const batch: Batch = { B, T, ids: flat(fx.input_ids), positions: flat(fx.position_ids), keyMask: flat(fx.attention_mask), targets: new Int32Array(B * T).fill(-1) };

for (const beName of backendNames()) {
  const s = suite(`qwen3 bf16 weights kept 16-bit [${beName}]`);
  s('16-bit matrices, f32 q/k norms: the logits of the f32-widened load', async () => {
    const be = await getBackend(beName);
    const keep = loadModel(be, dir, { weights: 'keep' });
    const wide = loadModel(be, dir, { weights: 'f32' });
    assert.is(keep.dtype, 'BF16');
    assert.is(keep.model.p('l0.q.w').dtype, 'bf16');
    assert.is(keep.model.p('l0.qn.w').dtype, 'f32');
    assert.is(keep.model.p('l1.kn.w').dtype, 'f32');
    assert.is(wide.model.p('l0.q.w').dtype, 'f32');
    const a = await be.read(keep.model.forwardLogits(batch));
    const b = await be.read(wide.model.forwardLogits(batch));
    const e = expectClose(a, b, 1e-5, 'qwen3 bf16 keep vs f32 logits');
    console.log(`    qwen3 bf16 [${beName}]: keep vs widened logits rel err ${e.toExponential(1)}`);
    // PyTorch (float64 from the BF16 values) on the check batch (2 rows of 5, row 1 left-padded by 2)
    const ck = JSON.parse(fs.readFileSync(path.join(fixture, 'check-bf16.json'), 'utf8'));
    const cb: Batch = { B: 2, T: 5, ids: flat(ck.input_ids), positions: flat(ck.position_ids), keyMask: flat(ck.attention_mask), targets: new Int32Array(10).fill(-1) };
    const want: number[] = [], got = await be.read(keep.model.forwardLogits(cb)), V = src.config.vocabSize;
    const real: number[] = [];
    for (let b = 0; b < 2; b++) for (let t = 0; t < 5; t++) if (ck.attention_mask[b][t]) { real.push(...got.slice((b * 5 + t) * V, (b * 5 + t + 1) * V)); want.push(...ck.logits[b][t]); }
    const et = expectClose(real, want, 1e-4, 'qwen3 bf16 keep vs PyTorch logits');
    console.log(`    qwen3 bf16 [${beName}]: keep vs PyTorch (same BF16 bytes) rel err ${et.toExponential(1)}`);
    keep.model.dispose(); wide.model.dispose();
  });
  s.run();
}
