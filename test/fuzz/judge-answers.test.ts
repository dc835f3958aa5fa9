// Fuzz: judge answers: module return values (wrong length, NaN, out of [0, 1], throws) and HTTP bodies (parsed, and from a real server on 127.0.0.1).
// Seeded mutations (targets.ts); the property (harness.ts): a valid result or one clear error
// naming the input — never a hang, a raw exception or an out-of-memory.
// SPPO_SEED=n reproduces a run; SPPO_FUZZ_CASES=N for long runs; SPPO_FUZZ_CASE=i replays one case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { report, runTargets, SEED } from './harness.js';

console.log(`  (fuzz seed ${SEED}; SPPO_SEED=${SEED} reproduces)`);
const results = runTargets([['judge-module', 200], ['http-body', 400], ['http-server', 100]]);

test('judge-module: 200 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('judge-module')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of judge-module:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test('http-body: 400 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('http-body')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of http-body:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test('http-server: 100 seeded cases, each a valid result or one clear error', async () => {
  const { bad, cases } = (await results).get('http-server')!;
  if (bad.length) assert.unreachable(`${bad.length} defect(s) in ${cases} cases of http-server:\n${report(bad)}`);
  assert.ok(cases > 0, 'no case ran');
});

test.run();
