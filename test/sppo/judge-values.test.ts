// Judges as values (src/judge/value.ts): a function `async (pairs) => number[]` or an object
// with that compare method is accepted wherever a judge spec is —
// - loadJudge / judgeMatrices: answers equal a float64 reference on fresh random pairs; bad
//   answers (wrong length, NaN, > 1) and a throwing function are one clear error naming it;
// - new SPPO({..., judge: fn, evalJudge: {compare}}): the run's judgments, records and weights
//   equal the same run with the same function as a module file; config.json names the value;
// - evaluate({judge: fn}) equals evaluate({judge: module path});
// - workers: a function cannot cross (workerJudge, startRunWorker): one clear error that says
//   to pass a module URL; a URL object works; 50 compare() calls with one signal leave no abort
//   listener behind and raise no MaxListenersExceededWarning; workers share the process env
//   (Dawn's Vulkan loader sees VK_ICD_FILENAMES set by the provider).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getEventListeners } from 'node:events';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadJudge } from '../../src/judge/load.js';
import { judgeMatrices } from '../../src/judge/matrix.js';
import type { Pair } from '../../src/judge/types.js';
import { createBackend } from '../../src/kernels/index.js';
import { resolveConfig } from '../../src/sppo/config.js';
import { SPPO } from '../../src/sppo/env/node-sppo.js';
import { evaluate } from '../../src/sppo/evaluate.js';
import { workerJudge } from '../../src/workers/judge-client.js';
import { startRunWorker } from '../../src/workers/run-client.js';
import { logistic, randomText, rejects, rng, SEED } from '../judge/util.js';
import { root } from '../examples/built.js';

console.log(`  seed ${SEED} (SPPO_SEED=${SEED} reproduces)`);
const r = rng();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-judge-values-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const tinyJudge = path.join(root, 'test/fixtures/tiny/judge.mjs');
const pairs = (n: number): Pair[] => Array.from({ length: n }, () => ({ prompt: randomText(r, 5), a: randomText(r, r.int(0, 17)), b: randomText(r, r.int(0, 17)) }));
// an independent float64 judge: the shorter answer wins, logistic in the length difference
const shorterRef = (p: Pair) => logistic((p.b.length - p.a.length) / 3);

const s = suite('judges as values');

s('loadJudge and judgeMatrices take a function and an object; answers are the function\'s', async () => {
  let calls = 0;
  async function shorter(ps: Pair[]) { calls++; return ps.map(shorterRef); }
  const fj = await loadJudge(shorter);
  assert.is(fj.name, 'function:shorter');
  assert.is(fj.orderSensitive, true, 'a function that declares nothing is asked both orders');
  const oj = await loadJudge({ name: 'obj', compare: (ps: Pair[]) => Float64Array.from(ps.map(shorterRef)) });
  assert.is(oj.name, 'object:obj');
  assert.is(oj.orderSensitive, true, 'an object that declares nothing is asked both orders');
  const free = Object.assign(async (ps: Pair[]) => ps.map(shorterRef), { orderSensitive: false });
  assert.is((await loadJudge(free)).orderSensitive, false, 'judge.orderSensitive = false on a function');
  const sensitive = await loadJudge({ compare: async (ps: Pair[]) => ps.map(shorterRef), orderSensitive: true });
  assert.is(sensitive.orderSensitive, true);
  for (const n of [1, 3, 17]) {
    const ps = pairs(n);
    for (const j of [fj, oj]) {
      const got = await j.compare(ps);
      ps.forEach((p, i) => assert.ok(Math.abs(got[i] - shorterRef(p)) < 1e-12, `${j.name} pair ${i}`));
    }
  }
  // a full Judge is used as it is
  assert.is(await loadJudge(fj), fj);
  // judgeMatrices: M[i][j] = P(y_i ≻ y_j), from the plain function too
  const resp = ['a', 'bbb', 'cc'];
  const [m] = await judgeMatrices(await loadJudge(shorter), [{ prompt: 'x', responses: resp }]);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    const want = i === j ? 0.5 : logistic((resp[j].length - resp[i].length) / 3);
    assert.ok(Math.abs(m[i][j] - want) < 1e-12, `M[${i}][${j}]`);
  }
  assert.ok(calls > 0);
});

s('a bad value or a bad answer is one clear error naming the judge', async () => {
  const ps = pairs(3);
  await rejects((await loadJudge(async () => [0.5])).compare(ps), /judge function:anonymous .*3/);
  await rejects((await loadJudge(async (x: Pair[]) => x.map(() => NaN))).compare(ps), /judge function:anonymous/, /NaN/);
  await rejects((await loadJudge(async function big(x: Pair[]) { return x.map(() => 1.5); })).compare(ps), /judge function:big/);
  await rejects((await loadJudge(async function boom() { throw new Error('exploded'); })).compare(ps), /judge function:boom threw: exploded: fix the judge function/);
  await rejects(loadJudge(42 as any), /is not a judge spec/);
  assert.throws(() => resolveConfig({ model: 'm', prompts: 'p', judge: { nope: 1 } }), /"judge" must be a judge spec string .* or, from code, a function/);
});

function tinyConfig(out: string, judge: unknown, extra: Record<string, unknown> = {}) {
  const c = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/tiny/sppo.config.json'), 'utf8'));
  delete c['//'];
  return { ...c, model: path.join(root, 'test/fixtures/tiny/model'), prompts: path.join(root, 'test/fixtures/tiny/prompts.jsonl'), judge, out, backend: 'wasm', iterations: 1, ...extra };
}

s('new SPPO({judge: fn, evalJudge: {compare}}) runs; same artifacts as the module file', async () => {
  const fn = (await import(pathToFileURL(tinyJudge).href)).default as (p: Pair[]) => Promise<number[]>;
  let seen = 0, evalSeen = 0;
  // order-free like the module (its `export const orderSensitive = false`): asked one order
  const counting = async (ps: Pair[]) => { seen += ps.length; return fn(ps); };
  Object.assign(counting, { orderSensitive: false });
  const evalObj = { name: 'tiny-eval', orderSensitive: false, compare: async (ps: Pair[]) => { evalSeen += ps.length; return fn(ps); } };
  const a = new SPPO(tinyConfig(path.join(tmp, 'value'), counting, { evalJudge: evalObj }));
  const byValue = await a.run();
  const b = new SPPO(tinyConfig(path.join(tmp, 'module'), tinyJudge, { evalJudge: tinyJudge }));
  const byModule = await b.run();
  assert.ok(seen > 0, 'the function judged the training samples');
  assert.ok(evalSeen > 0, 'the object judged the evaluation');
  for (const f of ['iter-1/judgments.jsonl', 'iter-1/records.jsonl', 'iter-1/eval.json', 'iter-1/model/model.safetensors']) {
    assert.ok(fs.readFileSync(path.join(tmp, 'value', f)).equals(fs.readFileSync(path.join(tmp, 'module', f))), `${f} identical`);
  }
  assert.is(byValue[0].eval!.winRate, byModule[0].eval!.winRate);
  const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'value/config.json'), 'utf8'));
  assert.is(cfg.judge, 'function:counting');
  assert.is(cfg.evalJudge, 'object:tiny-eval');
  // resuming with the same function is the same config
  await new SPPO(tinyConfig(path.join(tmp, 'value'), counting, { evalJudge: evalObj })).run();
});

s('evaluate({judge: fn}) equals evaluate({judge: module path})', async () => {
  const fn = (await import(pathToFileURL(tinyJudge).href)).default;
  const be = await createBackend('wasm');
  try {
    const o = { model: path.join(root, 'test/fixtures/tiny/model'), baseline: path.join(root, 'test/fixtures/tiny/model'), prompts: path.join(root, 'test/fixtures/tiny/prompts.jsonl'), maxNewTokens: 6, temperature: 1, seed: 3, backend: be };
    const stages = new Set<string>();
    const byFn = await evaluate({ ...o, judge: fn, onProgress: (p) => stages.add(p.stage) });
    const byModule = await evaluate({ ...o, judge: tinyJudge });
    assert.equal(byFn.samples, byModule.samples);
    assert.is(byFn.winRate, byModule.winRate);
    assert.is(byFn.n, 6);
    assert.equal([...stages].sort(), ['generate', 'judge']);
    const inline = await evaluate({ ...o, prompts: ['Say hi.', 'Name a color.'], judge: async (ps: Pair[]) => ps.map(() => 0.75) });
    assert.is(inline.n, 2);
    // identical answers are not asked (P = 0.5 by definition); the others get the function's 0.75
    const want = inline.samples.map((x) => (x.response === x.baseline ? 0.5 : 0.75));
    assert.equal(inline.samples.map((x) => x.p), want);
    assert.ok(Math.abs(inline.winRate - (want[0] + want[1]) / 2) < 1e-12);
    await rejects(evaluate({ ...o, model: path.join(tmp, 'no-model'), prompts: path.join(tmp, 'no-prompts.jsonl'), judge: fn }), /model .*no-model does not exist/);
  } finally { be.destroy(); }
});

s('workers: a function cannot cross (one clear error); a module URL can', async () => {
  await rejects(workerJudge((async () => [0.5]) as any), /cannot cross to a judge worker/, /module/);
  const w = await startRunWorker();
  try {
    await rejects(w.run({ config: { model: 'tiny', prompts: 'p', judge: async () => [] }, models: {}, texts: {} }), /cannot cross to the run worker \(config\.judge\)/, /URL/);
  } finally { await w.terminate(); }
  // a judge's task metrics cross back from the worker (builtin:arith: accuracy)
  const arith = await workerJudge('builtin:arith');
  try {
    const items = [{ prompt: '12+7=', response: '19' }, { prompt: '12+7=', response: '18' }, { prompt: '30-4=', response: ' 26 apples' }];
    assert.equal(await arith.metrics!(items), { accuracy: 2 / 3 });
  } finally { await arith.close(); }
  const j = await workerJudge(pathToFileURL(tinyJudge));
  try {
    const ps = pairs(17);
    const fn = (await import(pathToFileURL(tinyJudge).href)).default;
    assert.equal(await j.compare(ps), await fn(ps));
  } finally { await j.close(); }
});

s('workerJudge: 50 calls with one signal leave no abort listener; workers share the env', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  const envFile = path.join(tmp, 'env-judge.mjs');
  fs.writeFileSync(envFile, `export default async (pairs) => { process.env.SPPO_TEST_FROM_WORKER = 'seen'; return pairs.map(() => 0.5); };`);
  const j = await workerJudge(envFile);
  const ac = new AbortController();
  try {
    for (let i = 0; i < 50; i++) await j.compare(pairs(2), { signal: ac.signal });
    assert.is(getEventListeners(ac.signal, 'abort').length, 0, 'abort listeners left on the signal');
    assert.is(j.calls, 50);
  } finally { await j.close(); process.off('warning', onWarning); }
  await new Promise((res) => setImmediate(res));
  assert.not.ok(warnings.includes('MaxListenersExceededWarning'), `warnings: ${warnings.join(', ')}`);
  assert.is(process.env.SPPO_TEST_FROM_WORKER, 'seen', 'a worker\'s env write reaches the process env (SHARE_ENV)');
});

s.run();
