// The intransitive-preference experiment (examples/intransitive/): the exact equilibrium of
// the cyclic game, the exploitability measure, and a short run in which SPPO's averaged policy
// gets less exploitable while iterative DPO's does not approach the equilibrium.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exploitability, nashEquilibrium, payoff, runExperiment } from '../../examples/intransitive/experiment.js';
import { backendNames, getBackend, SEED } from '../kernels/harness.js';

test('the equilibrium is exact, non-uniform, and unexploitable', () => {
  const ne = nashEquilibrium(), A = payoff();
  assert.ok(Math.abs(ne.reduce((a, b) => a + b, 0) - 1) < 1e-15);
  for (const row of A) assert.ok(Math.abs(row.reduce((t, a, j) => t + a * ne[j], 0)) < 1e-15, 'A·p = 0');
  assert.ok(Math.abs(ne[0] - 2 / 7) < 1e-15 && Math.abs(ne[1] - 1 / 7) < 1e-15 && Math.abs(ne[2] - 4 / 7) < 1e-15);
  assert.ok(exploitability(ne) < 1e-15);
  // a pure strategy is beaten by the class that beats it: P = strength
  assert.ok(Math.abs(exploitability([1, 0, 0]) - (0.6 - 0.5)) < 1e-12);
  assert.ok(Math.abs(exploitability([0, 0, 1]) - (0.7 - 0.5)) < 1e-12);
  assert.ok(exploitability([1 / 3, 1 / 3, 1 / 3]) > 0.01, 'uniform is not the equilibrium');
});

test('short run: SPPO average less exploitable after 6 iterations; DPO collapses', async () => {
  const be = await getBackend(backendNames()[0]);
  const rows = await runExperiment({ be, iterations: 6, prompts: 32, k: 4, epochs: 20, lr: 0.02, eta: 2, beta: 0.5, seed: 1, methods: [{ name: 'SPPO', loss: 'sppo' }, { name: 'DPO', loss: 'dpo' }] });
  const sppo = rows.filter((r) => r.method === 'SPPO'), dpo = rows.filter((r) => r.method === 'DPO');
  for (const r of rows) assert.ok(Number.isFinite(r.exploitAvg) && Number.isFinite(r.exploitLast) && Math.abs(r.pi.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  console.log(`    SPPO avg exploitability ${sppo[0].exploitAvg.toFixed(3)} → ${sppo[5].exploitAvg.toFixed(3)}; DPO last iterate ${dpo[5].exploitLast.toFixed(3)} (seed ${SEED})`);
  assert.ok(sppo[5].exploitAvg < sppo[0].exploitAvg * 0.8, 'SPPO averaged policy got less exploitable');
  assert.ok(dpo[5].exploitLast > sppo[5].exploitAvg, 'DPO ends more exploitable than SPPO’s average');
});

test.run();
