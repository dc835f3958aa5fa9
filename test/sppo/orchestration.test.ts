// What the coordinator does between the stages, pinned from outside the code that does it:
// - iteration t samples from, takes its reference from, and trains iteration t−1's policy
//   (a spy on loadPolicy/savePolicy compares weights, not location strings);
// - every training record's target is η(P̂ − ½) of the win rate the judging stage wrote (or
//   the loss's own formula), checked against judgments.jsonl for each loss;
// - P̂ of a hand-computed preference matrix (numbers written out, not the code's formula).
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backendNames, getBackend } from '../kernels/harness.js';
import { resolveConfig, type SPPOConfig } from '../../src/sppo/config.js';
import { SPPO } from '../../src/sppo/coordinator.js';
import { memoryDeps } from '../../src/sppo/env/memory-deps.js';
import { modelFiles } from '../../src/sppo/env/model-source.js';
import { MemoryStore } from '../../src/sppo/env/store.js';
import { judgeMatrix, winRates } from '../../src/judge/matrix.js';
import type { Judge, Pair } from '../../src/judge/types.js';
import type { Transformer } from '../../src/model/transformer.js';
import { root } from '../examples/built.js';

const tinyDir = path.join(root, 'test/fixtures/tiny/model');
const prompts = fs.readFileSync(path.join(root, 'test/fixtures/tiny/prompts.jsonl'), 'utf8');

/** a judge whose preferences are far from ties, so win rates spread and training moves weights */
const lettersJudge: Judge = {
  name: 'letters', orderSensitive: false,
  async compare(pairs: Pair[]) {
    const score = (s: string) => (s.match(/[a-z ]/g) ?? []).length;
    return pairs.map((p) => 1 / (1 + Math.exp(-(score(p.a) - score(p.b)))));
  },
};

async function snapshot(model: Transformer): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [n, t] of model.params) out.set(n, Float32Array.from(await model.be.read(t)));
  return out;
}
function sameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [n, x] of a) {
    const y = b.get(n);
    if (!y || y.length !== x.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}

function config(extra: Partial<SPPOConfig>): SPPOConfig {
  return resolveConfig({
    model: 'tiny', prompts: 'prompts.jsonl', judge: 'builtin:length', out: 'memory',
    iterations: 3, k: 3, loss: 'sppo', eta: 10, optimizer: 'adamw', lr: 0.02, lrSchedule: 'constant',
    epochs: 1, batchSize: 2, maxNewTokens: 6, temperature: 1, topP: 1, seed: 3, generateUnit: 3, trainUnit: 2,
    maxPrompts: 4, evalSize: 0, ...extra,
  } as Record<string, unknown>);
}

async function spiedRun(be: 'webgpu' | 'wasm', extra: Partial<SPPOConfig> | Record<string, unknown>, texts: Record<string, string> = { 'prompts.jsonl': prompts }) {
  const backend = await getBackend(be);
  const cfg = config(extra as Partial<SPPOConfig>);
  const store = new MemoryStore();
  const deps = await memoryDeps(cfg, { backend, judge: lettersJudge, store, models: { tiny: await modelFiles(tinyDir) }, texts });
  const loaded: { location: string; weights: Map<string, Float32Array> }[] = [];
  const saved = new Map<string, Map<string, Float32Array>>();
  const load = deps.loadPolicy.bind(deps), save = deps.savePolicy.bind(deps);
  deps.loadPolicy = async (b, location) => {
    const r = await load(b, location);
    loaded.push({ location, weights: await snapshot(r.model) });
    return r;
  };
  deps.savePolicy = async (model, dir, st) => {
    saved.set(dir, await snapshot(model));
    return save(model, dir, st);
  };
  await new SPPO(cfg, deps).run();
  return { cfg, store, loaded, saved };
}

const jsonl = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l));

for (const be of backendNames()) {
  const s = suite(`orchestration [${be}]`);

  s('iteration t loads iteration t−1\'s trained weights (the spy compares weights, not names)', async () => {
    const { cfg, loaded, saved, store } = await spiedRun(be, {});
    const sum1 = JSON.parse(await store.readText('iter-1/summary.json'));
    assert.is(sum1.judgeBothOrders, false, 'the summary says the order-free judge was asked one order');
    // the policy loads of each iteration (eval is off, so nothing else loads a policy)
    assert.is(loaded.length, cfg.iterations, `one policy load per iteration, got ${loaded.map((l) => l.location).join(', ')}`);
    assert.is(saved.size, cfg.iterations);
    const base = loaded[0].weights;
    for (let t = 2; t <= cfg.iterations; t++) {
      const prev = saved.get(`iter-${t - 1}/model`)!;
      assert.ok(prev, `iter-${t - 1}/model was saved`);
      assert.not.ok(sameWeights(prev, base), `iteration ${t - 1} changed the weights (else this test proves nothing)`);
      assert.ok(sameWeights(loaded[t - 1].weights, prev), `iteration ${t} starts from iteration ${t - 1}'s weights`);
      assert.not.ok(sameWeights(loaded[t - 1].weights, base), `iteration ${t} does not start from the base model`);
    }
  });

  s('records: targets are η(P̂ − ½) of the judged win rates, for every loss that has one', async () => {
    for (const loss of ['sppo', 'sppo_all', 'sppo_single'] as const) {
      const eta = 7;
      const { store } = await spiedRun(be, { loss, eta, iterations: 1 });
      const judged = jsonl(await store.readText('iter-1/judgments.jsonl'));
      const records = jsonl(await store.readText('iter-1/records.jsonl'));
      assert.ok(records.length > 0, `${loss}: records written`);
      for (const r of records) {
        const j = judged[r.group];
        assert.ok(j, `${loss}: record of group ${r.group} has its judgment`);
        const P = j.winrates as number[];
        const M = j.matrix as number[][];
        // the judged win rate is the mean of the row of the stored matrix, self term ½
        const row = M[r.sample].reduce((a: number, b: number) => a + b, 0) / M.length;
        assert.ok(Math.abs(P[r.sample] - row) < 1e-12, `${loss}: P̂ is the row mean of the stored matrix`);
        let want: number;
        if (loss === 'sppo_single') {
          // sppo_single: chosen vs rejected, target ±η(P(w ≻ l) − ½)
          const other = records.find((x) => x.group === r.group && x.sample !== r.sample)!;
          const pwl = M[r.sample][other.sample];
          want = eta * (pwl - 0.5);
        } else {
          want = eta * (P[r.sample] - 0.5);
        }
        assert.ok(Math.abs(r.target - want) < 1e-9, `${loss}: record (group ${r.group}, sample ${r.sample}) target ${r.target}, want η(P̂ − ½) = ${want}`);
      }
      if (loss === 'sppo') {
        // best and worst of K
        for (const g of new Set(records.map((r) => r.group))) {
          const P = judged[g].winrates as number[];
          const rs = records.filter((r) => r.group === g);
          const chosen = rs.find((r) => r.role === 'chosen'), rejected = rs.find((r) => r.role === 'rejected');
          if (!chosen || !rejected) continue;
          assert.is(P[chosen.sample], Math.max(...P), 'chosen is the best of K');
          assert.is(P[rejected.sample], Math.min(...P.filter((_, k) => k !== chosen.sample)), 'rejected is the worst of K');
        }
      }
    }
  });

  s('a prompt set per iteration: a list of files (the last repeats), or one file split into disjoint parts', async () => {
    const file = (tag: string, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `${tag} ${i}` })).join('\n');
    const texts = { 'a.jsonl': file('alpha', 3), 'b.jsonl': file('beta', 2), 'c.jsonl': file('gamma', 3) };
    const listed = await spiedRun(be, { prompts: ['a.jsonl', 'b.jsonl', 'c.jsonl'], iterations: 4, maxNewTokens: 2, maxPrompts: 0 }, texts);
    for (const [t, tag, n] of [[1, 'alpha', 3], [2, 'beta', 2], [3, 'gamma', 3], [4, 'gamma', 3]] as const) {
      const rows = jsonl(await listed.store.readText(`iter-${t}/samples.jsonl`));
      assert.equal(rows.map((r) => r.prompt), Array.from({ length: n }, (_, i) => `${tag} ${i}`), `iteration ${t} trains on ${tag}`);
    }
    const split = await spiedRun(be, { prompts: { file: 'a.jsonl', split: 'iteration' }, iterations: 3, maxNewTokens: 2, maxPrompts: 0 }, { 'a.jsonl': file('p', 10) });
    const parts: string[][] = [];
    for (let t = 1; t <= 3; t++) parts.push(jsonl(await split.store.readText(`iter-${t}/samples.jsonl`)).map((r) => r.prompt));
    assert.equal(parts.map((p) => p.length), [3, 3, 4], 'near-equal parts');
    assert.equal(parts.flat().sort(), Array.from({ length: 10 }, (_, i) => `p ${i}`).sort(), 'disjoint, and together the whole file');
    assert.not.equal(parts.flat(), Array.from({ length: 10 }, (_, i) => `p ${i}`), 'shuffled (seeded), not cut in file order');
    // bad specs: one clear error each
    assert.throws(() => config({ prompts: [] as unknown as string }), /"prompts" as a list must hold one or more file names/);
    assert.throws(() => config({ prompts: { file: 'a', split: 'random' } as unknown as string }), /"prompts.split" must be "iteration"/);
    await assert_rejects(spiedRun(be, { prompts: { file: 'a.jsonl', split: 'iteration' }, iterations: 3 }, { 'a.jsonl': file('p', 2) }), /holds 2 prompts, fewer than the 3 iterations/);
  });

  s.run();
}

async function assert_rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try { await p; } catch (e) { assert.match((e as Error).message, re); return; }
  assert.unreachable(`expected a rejection matching ${re}`);
}

const m = suite('win rates from a hand-computed matrix');
m('P̂ = row means with the self term ½: numbers written out by hand', async () => {
  // responses a, b, c; P(a ≻ b) = 0.9, P(a ≻ c) = 0.2, P(b ≻ c) = 0.6 (intransitive: a > b > c > a)
  const P: Record<string, number> = { 'a|b': 0.9, 'a|c': 0.2, 'b|c': 0.6 };
  const judge: Judge = {
    name: 'table', orderSensitive: false,
    async compare(pairs) { return pairs.map((p) => (p.a < p.b ? P[`${p.a}|${p.b}`] : 1 - P[`${p.b}|${p.a}`])); },
  };
  const M = await judgeMatrix(judge, 'x', ['a', 'b', 'c']);
  assert.equal(M, [[0.5, 0.9, 0.2], [0.09999999999999998, 0.5, 0.6], [0.8, 0.4, 0.5]]);
  const w = winRates(M);
  // (0.5 + 0.9 + 0.2)/3 = 0.5333…, (0.1 + 0.5 + 0.6)/3 = 0.4, (0.8 + 0.4 + 0.5)/3 = 0.5666…
  const want = [1.6 / 3, 1.2 / 3, 1.7 / 3];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(w[i] - want[i]) < 1e-12, `P̂[${i}] = ${w[i]}, by hand ${want[i]}`);
  // win rates of a constant-sum game average ½
  assert.ok(Math.abs((w[0] + w[1] + w[2]) / 3 - 0.5) < 1e-12);
});
m.run();
