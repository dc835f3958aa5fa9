// Fuzz: safetensors headers and bodies, in memory and from disk.
// Seeded mutations (targets.ts); the property (harness.ts): a valid result or one clear error
// naming the input — never a hang, a raw exception or an out-of-memory.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['safetensors', 500], ['safetensors-file', 100]]);

test('safetensors: 500 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('safetensors')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of safetensors:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test('safetensors-file: 100 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('safetensors-file')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of safetensors-file:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
