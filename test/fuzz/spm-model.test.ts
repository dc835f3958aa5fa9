// Fuzz: SentencePiece models (spm.model, read by hand: src/tokenizer/spm-model.ts) and Unigram
// encoding over them. Seeded byte mutations of the PairRM fixture's spm.model (targets.ts); the
// property (harness.ts): a tokenizer whose ids stay in its vocabulary, or one clear error naming
// the file — never a hang or a raw exception.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['spm-model', 400]]);

test('spm-model: 400 seeded cases, each a valid tokenizer or one clear error', async () => {
  const { bad, cases } = (await results).get('spm-model')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of spm-model:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
