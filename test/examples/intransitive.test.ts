// The intransitive-preference experiment (examples/intransitive/): the exact equilibrium of
// the cyclic game, the exploitability measure, and a short run in which SPPO's averaged policy
// gets less exploitable while iterative DPO's does not approach the equilibrium.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

test('magnetic SPPO (run.ts --json, seeded, wasm): last iterate ≤ 0.03 at iteration 30 and from 20 on; average no worse than SPPO’s', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-intransitive-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/intransitive/run.ts', '--json', '--methods', 'sppo,magnetic', '--backend', 'wasm', '--out', out], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { methods: Record<string, { last: number[]; average: number[] }> };
    assert.equal(Object.keys(doc.methods), ['SPPO', 'Magnetic SPPO (α = 0.15, M = 10)']);
    for (const m of Object.values(doc.methods)) {
      assert.is(m.last.length, 30); assert.is(m.average.length, 30);
      for (const e of [...m.last, ...m.average]) assert.ok(Number.isFinite(e) && e >= 0 && e <= 0.41, `exploitability ${e}`);
    }
    const sppo = doc.methods.SPPO, mag = doc.methods['Magnetic SPPO (α = 0.15, M = 10)'];
    const f = (a: number[]) => a.map((x) => x.toFixed(3)).join(' ');
    console.log(`    last iterate, SPPO: ${f(sppo.last.slice(19))}\n    last iterate, magnetic: ${f(mag.last.slice(19))}\n    average at 30: SPPO ${sppo.average[29].toFixed(3)}, magnetic ${mag.average[29].toFixed(3)}`);
    // plain SPPO's last iterate cycles away from the equilibrium (what the magnet is for)
    assert.ok(sppo.last[29] > 0.1, `SPPO last iterate ${sppo.last[29]}`);
    assert.ok(mag.last[29] <= 0.03, `magnetic SPPO last iterate at 30: ${mag.last[29]}`);
    for (let t = 20; t <= 30; t++) assert.ok(mag.last[t - 1] <= 0.03, `magnetic SPPO last iterate at ${t}: ${mag.last[t - 1]} > 0.03`);
    assert.ok(mag.average[29] <= sppo.average[29], `magnetic average ${mag.average[29]} worse than SPPO's ${sppo.average[29]}`);
    assert.ok(fs.existsSync(path.join(out, 'chart.html')) && fs.existsSync(path.join(out, 'results.json')));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test.run();
