// Memory estimates before allocating: a model that cannot fit the adapter's limits fails at
// once, with the numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Arch } from '../../src/model/arch.js';
import { paramCount } from '../../src/model/arch.js';
import { checkFits, estimateMemory } from '../../src/model/memory.js';

const arch: Arch = { family: 'llama', vocab: 32000, hidden: 2048, layers: 22, heads: 32, kvHeads: 4, headDim: 64, intermediate: 5632, normEps: 1e-5, ropeTheta: 10000, tied: false, qkvBias: false, maxPositions: 2048 };

test('estimate: parameters, gradients, optimizer state, activations', () => {
  const e = estimateMemory(arch, { batch: 4, seq: 512, training: true });
  assert.is(e.params, paramCount(arch) * 4);
  assert.is(e.grads, e.params);
  assert.is(e.optimizer, 2 * e.params);
  // the fused LM head holds (N, Vc) chunks of logits, not B·T·V: the embedding is the largest
  const bigVocab = estimateMemory({ ...arch, vocab: 10 * 32000 }, { batch: 4, seq: 512, training: true });
  assert.ok(bigVocab.activations - e.activations < 4 * 4 * 512 * 32000, 'ten times the vocabulary adds less than B·T·V floats of activations');
  assert.is(e.largestTensor, 4 * 32000 * 2048);
  const inf = estimateMemory(arch, { batch: 1, seq: 16, training: false });
  assert.is(inf.grads + inf.optimizer, 0);
});

test('over the binding limit: one error with the numbers and the fix', () => {
  const fake = { gpu: { limits: { maxStorageBufferBindingSize: 512 * 2 ** 20 } } } as any;
  // (the (N, Vc) logits chunk never is the largest tensor at these sizes: a 128k-vocab embedding is)
  const e = estimateMemory({ ...arch, vocab: 128000 }, { batch: 8, seq: 1024, training: true });
  assert.throws(() => checkFits(fake, e, 'tinyllama'), /tinyllama: the largest tensor needs 1000\.0 MiB, over this adapter's maxStorageBufferBindingSize of 512\.0 MiB — use a smaller batch or sequence length/);
  checkFits(fake, estimateMemory(arch, { batch: 8, seq: 1024, training: true }), 'ok at batch 8 × 1024: no B·T·V logits');
  checkFits(fake, estimateMemory(arch, { batch: 1, seq: 64, training: false }), 'ok');
});

test.run();
