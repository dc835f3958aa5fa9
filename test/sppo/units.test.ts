// The coordinator's pieces on their own: config checking, prompt files, training records per
// loss, evaluation statistics, the seeded shuffle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig, DEFAULTS } from '../../src/sppo/config.js';
import { parsePrompts, truncatePrompt } from '../../src/sppo/prompts.js';
import { buildRecords, bestWorst, type JudgedGroup } from '../../src/train/preference.js';
import { evalStats, lengthControlled } from '../../src/sppo/winrate.js';
import { shuffle } from '../../src/sampling/rng.js';
import { WorkerTally, formatRates } from '../../src/sppo/worker-tally.js';

const base = { model: 'm', prompts: 'p', judge: 'builtin:length' };

test('config: defaults, eta/beta, unknown keys, bad types and ranges', () => {
  const c = resolveConfig(base);
  assert.is(c.loss, DEFAULTS.loss);
  assert.is(resolveConfig({ ...base, beta: 0.1 }).eta, 10);
  assert.throws(() => resolveConfig({ ...base, lerning_rate: 1 }), /unknown key "lerning_rate"/);
  assert.throws(() => resolveConfig({ ...base, k: 1 }), /"k" must be an integer ≥ 2/);
  assert.throws(() => resolveConfig({ ...base, loss: 'kto' }), /"loss" must be one of/);
  assert.throws(() => resolveConfig({ ...base, lr: '1e-3' }), /"lr" must be a number/);
  assert.throws(() => resolveConfig({ prompts: 'p', judge: 'j' }), /"model" is required/);
  assert.throws(() => resolveConfig({ ...base, topP: 0 }), /topP/);
});

test('prompts: JSONL with prompt or messages, JSON arrays, plain text, custom fields, bad lines', () => {
  const jl = parsePrompts('{"prompt":"a"}\n\n{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]}\n', 'f.jsonl');
  assert.is(jl.length, 2);
  assert.is(jl[1].text, 'q');
  assert.is(jl[1].messages!.length, 2);
  assert.equal(parsePrompts('["x", {"prompt": "y"}]', 'f.json').map((p) => p.text), ['x', 'y']);
  assert.equal(parsePrompts('one\r\ntwo\n', 'f.txt').map((p) => p.text), ['one', 'two']);
  assert.is(parsePrompts('{"instruction":"z"}', 'f.jsonl', { promptField: 'instruction' })[0].text, 'z');
  assert.throws(() => parsePrompts('{"prompt":"a"}\n{"prompt": oops}\n', 'f.jsonl'), /f\.jsonl: line 2 is not valid JSON/);
  assert.throws(() => parsePrompts('{"text":"a"}', 'f.jsonl'), /no string field "prompt"/);
  assert.equal(truncatePrompt([1, 2, 3, 4], 2, 'left'), [3, 4]);
  assert.equal(truncatePrompt([1, 2, 3, 4], 2, 'right'), [1, 2]);
  assert.is(truncatePrompt([1, 2, 3, 4], 2, 'drop'), null);
});

function group(w: number[]): JudgedGroup {
  const M = w.map((wi, i) => w.map((wj, j) => (i === j ? 0.5 : 0.5 + (wi - wj) / 2)));
  return { promptIds: [1], responses: w.map((_, k) => [10 + k]), winrates: w, matrix: M };
}

test('records: best/worst, targets and weights of every loss (η = 1/β)', () => {
  assert.equal(bestWorst([0.3, 0.7, 0.1, 0.7]), { w: 1, l: 2 });
  assert.equal(bestWorst([0.5, 0.5]), { w: 0, l: 1 });
  const g = [group([0.2, 0.9, 0.4])];
  const eta = 4;
  const sppo = buildRecords(g, { loss: 'sppo', beta: 1 / eta });
  assert.equal(sppo.map((r) => [r.sample, r.role, r.weight]), [[1, 'chosen', 0.5], [0, 'rejected', 0.5]]);
  assert.ok(Math.abs(sppo[0].target - eta * 0.4) < 1e-12 && Math.abs(sppo[1].target - eta * -0.3) < 1e-12);
  const all = buildRecords(g, { loss: 'sppo_all', beta: 1 / eta });
  assert.is(all.length, 3);
  all.forEach((r, k) => { assert.ok(Math.abs(r.target - eta * (g[0].winrates[k] - 0.5)) < 1e-12); assert.is(r.weight, 1 / 3); });
  const single = buildRecords(g, { loss: 'sppo_single', beta: 1 / eta });
  const pwl = g[0].matrix[1][0];
  assert.ok(Math.abs(single[0].target - eta * (pwl - 0.5)) < 1e-12 && Math.abs(single[1].target + eta * (pwl - 0.5)) < 1e-12);
  const hard = buildRecords(g, { loss: 'sppo_hard', beta: 1 / eta });
  assert.equal(hard.map((r) => r.target), [eta / 2, -eta / 2]);
  for (const l of ['dpo', 'ipo', 'hinge'] as const) assert.equal(buildRecords(g, { loss: l, beta: 0.1 }).map((r) => r.role), ['chosen', 'rejected']);
  assert.throws(() => buildRecords([group([0.5])], { loss: 'sppo', beta: 1 }), /K ≥ 2/);
  // magnetic SPPO: every SPPO-family target divided by 1 + ηα; pairwise losses refuse a magnet
  const alpha = 0.3;
  for (const l of ['sppo', 'sppo_all', 'sppo_single', 'sppo_hard'] as const) {
    const plain = buildRecords(g, { loss: l, beta: 1 / eta }), mag = buildRecords(g, { loss: l, beta: 1 / eta, magnet: alpha });
    mag.forEach((r, i) => assert.ok(Math.abs(r.target - plain[i].target / (1 + eta * alpha)) < 1e-12 && r.weight === plain[i].weight, `${l} record ${i}`));
  }
  assert.throws(() => buildRecords(g, { loss: 'dpo', beta: 0.1, magnet: 0.1 }), /magnet .* SPPO losses/);
});

test('eval statistics: mean, t-interval, length-controlled win rate', () => {
  const p = [1, 0, 1, 1, 0, 1, 0.5, 1];
  const s = evalStats(p, p.map(() => 10), p.map(() => 10));
  assert.ok(Math.abs(s.winRate - 0.6875) < 1e-12);
  // t(7) = 2.365, sd of p
  const sd = Math.sqrt(p.reduce((a, x) => a + (x - 0.6875) ** 2, 0) / 7);
  assert.ok(Math.abs(s.ci95[1] - Math.min(1, 0.6875 + 2.365 * sd / Math.sqrt(8))) < 1e-9);
  // equal lengths: the LC rate is the plain rate
  assert.ok(Math.abs(s.lcWinRate - 0.6875) < 1e-6, `lc ${s.lcWinRate}`);
  // a judge that only rewards length: longer wins exactly when longer; LC pulls the rate to ~½
  const lenA = [5, 20, 6, 21, 4, 22, 5, 20], lenB = lenA.map(() => 12);
  const pl = lenA.map((a, i) => (a > lenB[i] ? 0.95 : 0.05));
  const lc = lengthControlled(pl, lenA, lenB);
  assert.ok(Math.abs(lc - 0.5) < 0.1, `length-only judge: LC ${lc}`);
});

test('seeded shuffle: a permutation, reproducible, seed-dependent', () => {
  const a = shuffle(50, 7n), b = shuffle(50, 7n), c = shuffle(50, 8n);
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.equal([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});


test('per-worker tally of a stage: units and items by worker, rates, the progress text', () => {
  const t = new WorkerTally();
  assert.is(t.size, 0);
  t.note('w2', 30); t.note('w1', 5); t.note('w2', 12);
  const r = t.rates();
  assert.equal(r.map((w) => [w.worker, w.units, w.items]), [['w1', 1, 5], ['w2', 2, 42]]);
  for (const w of r) assert.ok(w.unitsPerSecond > 0 && Math.abs(w.itemsPerSecond / w.unitsPerSecond - w.items / w.units) < 1e-9, 'rates over the same elapsed time');
  const text = formatRates([{ worker: 'a', units: 3, items: 120, unitsPerSecond: 1.5, itemsPerSecond: 60 }, { worker: 'b', units: 1, items: 40, unitsPerSecond: 0.25, itemsPerSecond: 10 }], 'tokens');
  assert.is(text, 'a 3 units (1.5/s, 60 tokens/s) · b 1 units (0.3/s, 10 tokens/s)');
});

test.run();
