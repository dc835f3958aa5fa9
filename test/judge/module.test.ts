// JS-module judges (--judge ./my-judge.mjs): loading (.mjs, .ts, .cjs, object exports), path
// resolution against the current directory, and every answer checked: wrong length, values
// outside [0, 1], NaN, not an array, a throwing module, no default export, a syntax error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJudge } from '../../src/judge/load.js';
import { judgeMatrix } from '../../src/judge/matrix.js';
import type { Pair } from '../../src/judge/types.js';
import { logistic, randomText, rejects, rng, SEED } from './util.js';

console.log(`judge module seed ${SEED}`);
const r = rng();
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/judge');
const pairs = (n: number): Pair[] => Array.from({ length: n }, () => ({ prompt: randomText(r, 5), a: randomText(r, r.int(0, 17)), b: randomText(r, r.int(0, 17)) }));

const s = suite('module judge');
s('a default-export function, resolved against the current directory', async () => {
  const prev = process.cwd();
  process.chdir(fixtures);
  try {
    const j = await loadJudge('./shorter.mjs');
    assert.is(j.orderSensitive, true, 'declares nothing: asked both orders');
    assert.is(j.name, './shorter.mjs');
    for (const n of [1, 3, 17]) {
      const ps = pairs(n);
      const got = await j.compare(ps);
      ps.forEach((p, i) => assert.ok(Math.abs(got[i] - logistic((p.b.length - p.a.length) / 4)) < 1e-12, `pair ${i}`));
    }
    assert.equal(await j.compare([]), []);
  } finally {
    process.chdir(prev);
  }
});
s('options.cwd; .ts, .cjs (typed-array answer) and object default exports', async () => {
  const ts = await loadJudge('typed-judge.ts', { cwd: fixtures });
  assert.equal(await ts.compare([{ prompt: '', a: 'long', b: 'x' }, { prompt: '', a: 'x', b: 'long' }, { prompt: '', a: 'ab', b: 'cd' }]), [1, 0, 0.5]);
  const cjs = await loadJudge('./common-js.cjs', { cwd: fixtures });
  const got = await cjs.compare(pairs(3));
  assert.ok(Array.isArray(got));
  assert.equal(got, [0.25, 0.25, 0.25]);
  const obj = await loadJudge(path.join(fixtures, 'object-judge.mjs'));
  assert.is(obj.orderSensitive, true);
  assert.match(obj.name, /first-wins/);
  assert.is(obj.describe, 'always prefers response A a little');
  assert.equal(await obj.compare(pairs(2)), [0.6, 0.6]);
  const mod = await import(path.join(fixtures, 'object-judge.mjs'));
  await obj.close?.();
  assert.is(mod.closed, 1, 'close() reaches the module');
});
s('both orders by default: a position-biased judge that declares nothing gives ½ off the diagonal', async () => {
  const biased = await loadJudge('./biased.mjs', { cwd: fixtures });
  assert.is(biased.orderSensitive, true, 'no orderSensitive export: both orders');
  const M = await judgeMatrix(biased, 'p', ['a', 'b', 'c', 'd']);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.is(M[i][j], 0.5, `M[${i}][${j}]: an always-0.7 judge asked both orders has no preference`);
  // declared order-free: one order, one question per unordered pair
  let asked = 0;
  const free = await loadJudge('./order-free.mjs', { cwd: fixtures });
  assert.is(free.orderSensitive, false, 'export const orderSensitive = false');
  const counting = { ...free, async compare(ps: Pair[]) { asked += ps.length; return free.compare(ps); } };
  await judgeMatrix(counting, 'p', ['a', 'bb', 'ccc']);
  assert.is(asked, 3, 'three unordered pairs, asked once each');
});
s('answers are checked: wrong length, outside [0,1], NaN, not an array; errors name the module', async () => {
  const o = { cwd: fixtures };
  await rejects(async () => (await loadJudge('./wrong-length.mjs', o)).compare(pairs(4)), /\.\/wrong-length\.mjs/, /3 values for 4 pairs/, /one number in \[0, 1\] per pair/);
  await rejects(async () => (await loadJudge('./out-of-range.mjs', o)).compare(pairs(3)), /\.\/out-of-range\.mjs/, /returned 1\.5 for pair 2/, /outside \[0, 1\]/);
  await rejects(async () => (await loadJudge('./nan.mjs', o)).compare(pairs(3)), /\.\/nan\.mjs/, /NaN for pair 1/);
  await rejects(async () => (await loadJudge('./not-array.mjs', o)).compare(pairs(2)), /\.\/not-array\.mjs/, /instead of an array/);
  await rejects(async () => (await loadJudge('./throws.mjs', o)).compare(pairs(2)), /\.\/throws\.mjs/, /scorer exploded/);
});
s('loading failures: no default export, syntax error, missing file', async () => {
  const o = { cwd: fixtures };
  await rejects(loadJudge('./no-default.mjs', o), /\.\/no-default\.mjs/, /no default export/, /export default async \(pairs\)/);
  await rejects(loadJudge('./broken-syntax.mjs', o), /\.\/broken-syntax\.mjs/, /failed to load/);
  await rejects(loadJudge('./missing-judge.mjs', o), /\.\/missing-judge\.mjs/, /not found/, new RegExp(fixtures.replace(/[/.]/g, '\\$&')));
  await rejects(loadJudge('./shorter.mjs', { cwd: fixtures, scale: 3 }), /no option "scale"/);
});
s.run();
