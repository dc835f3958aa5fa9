// Fuzz: run config files, prompt files, preference JSONL, JSONL artifacts.
// Seeded mutations (targets.ts); the property (harness.ts): a valid result or one clear error
// naming the input — never a hang, a raw exception or an out-of-memory.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['run-config', 400], ['prompts', 300], ['preferences', 300], ['jsonl-rows', 200]]);

test('run-config: 400 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('run-config')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of run-config:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test('prompts: 300 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('prompts')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of prompts:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test('preferences: 300 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('preferences')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of preferences:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test('jsonl-rows: 200 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('jsonl-rows')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of jsonl-rows:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
