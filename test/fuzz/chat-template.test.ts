// Fuzz: chat templates (Jinja) from tokenizer_config.json: syntax, range bombs, recursion, bad messages.
// Seeded mutations (targets.ts); the property (harness.ts): a valid result or one clear error
// naming the input — never a hang, a raw exception or an out-of-memory.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['chat', 300]]);

test('chat: 300 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('chat')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of chat:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
