// The average policy of a run as a model: the iterate of each response is uniform and seeded;
// every response is exactly what its iterate samples with that (prompt, k) stream; and
// `sppo generate --mixture RUN_DIR` / `sppo eval --model mixture:RUN_DIR` work on a real run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackend } from '../../src/kernels/index.js';
import { loadModel } from '../../src/model/load.js';
import { SPPO } from '../../src/sppo/env/node-sppo.js';
import { mixtureChoice, sampleMixture } from '../../src/sppo/mixture.js';
import { mixtureMembers, runIterates } from '../../src/sppo/env/mixture-dir.js';
import { Policy } from '../../src/sppo/policy.js';
import { loadPolicyText } from '../../src/sppo/text.js';
import type { SPPOConfig } from '../../src/sppo/config.js';
import { SEED } from '../kernels/harness.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bin = path.join(root, 'bin/sppo.mjs');
const tiny = path.join(root, 'test/fixtures/tiny');
const s = suite('the average policy (mixture of iterates)');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-mixture-'));
s.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = path.join(tmp, 'run');

s('the iterate of a response is uniform over the iterates and a pure function of (seed, prompt, k)', () => {
  const T = 3, n = 30000, counts = [0, 0, 0];
  for (let i = 0; i < n; i++) counts[mixtureChoice(SEED, i >> 2, i & 3, T)]++;
  // χ² with 2 degrees of freedom: 13.8 is its 0.999 quantile
  const chi = counts.reduce((a, c) => a + (c - n / T) ** 2 / (n / T), 0);
  assert.ok(chi < 13.8, `counts ${counts} (χ² ${chi.toFixed(2)}, seed ${SEED})`);
  assert.is(mixtureChoice(SEED, 5, 1, T), mixtureChoice(SEED, 5, 1, T));
  assert.ok([0, 1, 2, 3, 4, 5, 6, 7].some((k) => mixtureChoice(SEED, 5, k, T) !== mixtureChoice(SEED, 5, 0, T)), 'responses of one prompt draw their own iterates');
});

s('a 3-iteration run: each mixture response is the one its iterate samples (wasm)', async () => {
  // offline data keeps the run cheap: 4 prompts, K = 2, a large step so the iterates differ
  const data = path.join(tmp, 'data.jsonl');
  fs.writeFileSync(data, ['Say hi', 'Name a color', 'Sky?', 'Count'].map((p, i) => JSON.stringify({ prompt: p, responses: ['aaaa bbbb', `${i}!`], winrates: [0.9, 0.1] })).join('\n') + '\n');
  await new SPPO({ model: path.join(tiny, 'model'), offline: data, out: run, iterations: 3, k: 2, eta: 10, optimizer: 'adamw', lr: 0.03, lrSchedule: 'constant', epochs: 3, batchSize: 2, backend: 'wasm', seed: 1 } as Partial<SPPOConfig>).run();
  const dirs = runIterates(run);
  assert.equal(dirs, [1, 2, 3].map((t) => path.join(run, `iter-${t}`, 'model')));
  const be = await createBackend('wasm');
  const text = loadPolicyText(dirs[0], { chat: false });
  const prompts = Array.from({ length: 7 }, (_, i) => ({ item: { index: i, text: `prompt ${i}` }, ids: text.encodePrompt({ index: i, text: `prompt ${i}` }) }));
  const o = { k: 3, maxNewTokens: 6, sample: { temperature: 1 }, seed: BigInt(SEED) };
  const mix = await sampleMixture(mixtureMembers(be, run, text), prompts, o);
  const each: Awaited<ReturnType<Policy['sample']>>[] = [];
  for (const d of dirs) {
    const lm = loadModel(be, d);
    each.push(await new Policy(lm.model, text).sample(prompts, o));
    lm.model.dispose();
  }
  const used = new Set<number>();
  prompts.forEach((_, p) => { for (let k = 0; k < 3; k++) { used.add(mix.iterate[p][k]); assert.equal(mix.ids[p][k], each[mix.iterate[p][k]][p][k], `prompt ${p} sample ${k}`); } });
  assert.is(used.size, 3, 'every iterate drawn at least once in 21 responses');
  assert.ok(JSON.stringify(each[0]) !== JSON.stringify(each[2]), 'the iterates sample differently');
  be.destroy();
  assert.throws(() => runIterates(tmp), /not a run directory/);
});

s('sppo generate --mixture and sppo eval --model mixture:RUN_DIR', () => {
  const prompts = path.join(tiny, 'prompts.jsonl');
  const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args, '--backend', 'wasm'], { encoding: 'utf8', env: { ...process.env, SPPO_QUIET: '1' } });
  const g = cli(['generate', '--mixture', run, '--prompts', prompts, '--n', '2', '--max-new-tokens', '5', '--seed', '4', '--temperature', '1']);
  assert.is(g.status, 0, g.stderr);
  const rows = g.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const single = [1, 2, 3].map((t) => {
    const r = cli(['generate', '--model', path.join(run, `iter-${t}/model`), '--prompts', prompts, '--n', '2', '--max-new-tokens', '5', '--seed', '4', '--temperature', '1']);
    assert.is(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  });
  rows.forEach((row, p) => row.iterates.forEach((t: number, k: number) => assert.is(row.responses[k], single[t - 1][p].responses[k])));
  const bad = cli(['generate', '--mixture', run, '--model', path.join(tiny, 'model'), '--prompts', prompts]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--model DIR or --mixture RUN_DIR/);
  const e = cli(['eval', '--model', `mixture:${run}`, '--baseline', path.join(tiny, 'model'), '--prompts', prompts, '--judge', path.join(tiny, 'judge.mjs'), '--temperature', '1', '--max-new-tokens', '6']);
  assert.is(e.status, 0, e.stderr);
  const doc = JSON.parse(e.stdout);
  assert.is(doc.model, `mixture:${run}`);
  assert.ok(doc.winRate >= 0 && doc.winRate <= 1 && doc.n === 6, JSON.stringify(doc));
});

s.run();
