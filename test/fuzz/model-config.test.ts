// Fuzz: a model's config.json.
// Seeded mutations (targets.ts); the property (harness.ts): a valid result or one clear error
// naming the input — never a hang, a raw exception or an out-of-memory.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['model-config', 400]]);

test('model-config: 400 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('model-config')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of model-config:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
