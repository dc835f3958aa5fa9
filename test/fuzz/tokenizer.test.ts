// Fuzz: tokenizer.json, its structure and its split/replace patterns (ReDoS, bad syntax, deep nesting, huge ids).
// Seeded mutations (targets.ts); the property (harness.ts): a valid result or one clear error
// naming the input — never a hang, a raw exception or an out-of-memory.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['tokenizer', 200]]);

test('tokenizer: 200 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('tokenizer')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of tokenizer:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
