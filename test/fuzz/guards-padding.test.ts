// Issue 18, defect 3: padding must not poison a batch. An unused embedding row holding NaN or
// Inf (the old pad id 0 here, and one more) must not reach any sequence's log-prob: a padded
// batch scores bit for bit what the same batch scores with those rows finite, and what each
// sequence scores alone up to f32 rounding (the wasm matmul picks its kernel by row count, so
// one sequence alone may round differently in the last bit) — right padding (training,
// scoring), on every backend, for Llama and GPT-2 (untied heads: a tied head reads every
// embedding row, so a NaN row there is a used row).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Arch } from '../../src/model/arch.js';
import { initParams, uploadParams } from '../../src/model/init.js';
import { Transformer } from '../../src/model/transformer.js';
import { sequenceLogprobs } from '../../src/train/preference.js';
import { backendNames, expectClose, getBackend, Rng, SEED } from '../kernels/harness.js';

const archs: Record<string, Arch> = {
  llama: { family: 'llama', vocab: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, intermediate: 24, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 64 },
  gpt2: { family: 'gpt2', vocab: 19, hidden: 16, layers: 1, heads: 2, kvHeads: 2, headDim: 8, intermediate: 32, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: true, maxPositions: 32 },
};

for (const beName of backendNames()) {
  for (const [archName, arch] of Object.entries(archs)) {
    const s = suite(`guards: padding cannot poison a batch, ${archName} [${beName}]`);
    for (const poison of [NaN, Infinity, -Infinity]) {
      s(`unused embedding rows of ${poison}: batched = one at a time, bit for bit`, async () => {
        const be = await getBackend(beName);
        const rng = new Rng((SEED ^ 0x1818 ^ (Number.isNaN(poison) ? 1 : poison > 0 ? 2 : 3)) >>> 0);
        const host = initParams(arch, rng.int(0, 1 << 30));
        const V = arch.vocab, C = arch.hidden;
        // ids 0 (the pad id) and V-1 are never used by the sequences; poison their rows
        const clean = new Transformer(be, arch, uploadParams(be, arch, host));
        const emb = host.get('embed')!;
        for (const row of [0, V - 1]) emb.fill(poison, row * C, (row + 1) * C);
        const model = new Transformer(be, arch, uploadParams(be, arch, host));
        const ids = (n: number) => Array.from(rng.i32(n, 1, V - 1));
        // awkward lengths: one long row and shorter ones (right padding after them)
        const recs = [
          { promptIds: ids(5), responseIds: ids(12) },
          { promptIds: ids(1), responseIds: ids(1) },
          { promptIds: ids(3), responseIds: ids(4) },
          { promptIds: ids(2), responseIds: ids(9) },
        ];
        try {
          const batched = await sequenceLogprobs(model, recs, recs.length);
          const single = await sequenceLogprobs(model, recs, 1);
          for (let i = 0; i < recs.length; i++) {
            assert.ok(Number.isFinite(single[i]), `record ${i} alone: ${single[i]} (seed ${SEED})`);
            assert.ok(Number.isFinite(batched[i]), `record ${i} batched: ${batched[i]} (seed ${SEED})`);
          }
          assert.equal(batched, await sequenceLogprobs(clean, recs, recs.length), `batched, poisoned rows vs finite rows (seed ${SEED})`);
          assert.equal(single, await sequenceLogprobs(clean, recs, 1), `one at a time, poisoned rows vs finite rows (seed ${SEED})`);
          expectClose(batched, single, 1e-5, 'batched vs one at a time');
        } finally {
          model.dispose(); clean.dispose();
        }
      });
    }
    s.run();
  }
}
